# first hit of lion: candidate 4451, told 4129
def train(w, g, m, v, lr):
    g2 = square(g)
    t2 = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    v = log1p(g2)
    sqrt_v = sqrt(v)
    update = sign(t2)
    t1 = w * 0.01
    wd = w * 0.01
    t0 = update + t1
    update = update + wd
    lr = lr * 0.001
    update = t0 * lr
    return update, m, v
