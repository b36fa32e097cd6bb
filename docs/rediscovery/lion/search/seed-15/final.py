# final program: winner 3582, ablated and simplified
def train(w, g, m, v, lr):
    t0 = interp(g, m, 0.9)
    t1 = sign(t0)
    t2 = t1 + w
    t3 = lr * 0.001
    update = t2 * t3
    m = interp(g, m, 0.99)
    return update, m, v
