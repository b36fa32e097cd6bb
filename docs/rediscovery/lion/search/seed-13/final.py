# final program: winner 153, ablated and simplified
def train(w, g, m, v, lr):
    t0 = w * 0.01
    m = interp(g, m, 0.999)
    t1 = dot(g, g)
    v = interp(t1, v, 0.999)
    t2 = sqrt(v)
    t3 = m / t2
    t4 = t0 + t3
    update = lr * t4
    return update, m, v
