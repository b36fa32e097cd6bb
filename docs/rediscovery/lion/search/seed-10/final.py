# final program: winner 7755, ablated and simplified
def train(w, g, m, v, lr):
    t0 = w * 0.1258
    t1 = interp(g, v, 0.99)
    t2 = square(g)
    m = interp(t2, m, 0.999)
    t3 = sqrt(m)
    t4 = t1 / t3
    t5 = t0 + t4
    update = cube(t5)
    v = interp(g, v, 0.999)
    return update, m, v
