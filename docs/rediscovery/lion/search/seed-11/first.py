# first hit of lion: candidate 208, told 197
def train(w, g, m, v, lr):
    g2 = square(g)
    t0 = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    v = interp(g2, v, 0.999)
    sqrt_v = sqrt(v)
    update = sign(t0)
    wd = w * 1.0
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    lr = min(g, v)
    return update, m, v
