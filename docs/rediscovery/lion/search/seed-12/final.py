# final program: winner 8018, ablated and simplified
def train(w, g, m, v, lr):
    t0 = square(m)
    m = interp(g, m, 0.999)
    t1 = norm(t0)
    t2 = sqrt(t1)
    t3 = m / t2
    t4 = w + t3
    t5 = lr * 0.1
    update = clip_by_global_norm(t4, t5)
    return update, m, v
