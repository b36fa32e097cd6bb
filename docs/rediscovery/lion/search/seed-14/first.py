# first hit of lion: candidate 2651, told 2461
def train(w, g, m, v, lr):
    g2 = square(g)
    t1 = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    v = reciprocal(g2)
    sqrt_v = global_norm(w)
    sqrt_v = sin(v)
    t0 = sign(t1)
    update = m + -0.9802
    wd = w * 0.01
    update = t0 + wd
    lr = lr * 0.001148
    update = update * lr
    return update, m, v
