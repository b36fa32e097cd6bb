# first hit of lion: candidate 3510, told 3275
def train(w, g, m, v, lr):
    g2 = square(v)
    t2 = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    t0 = interp(g2, -0.04664, -0.13)
    v = interp(g2, -0.0987, 0.999)
    sqrt_v = sqrt(t0)
    update = sign(t2)
    t1 = arctanh(w)
    wd = pi()
    lr = lr * 0.001
    update = update * lr
    return update, m, v
