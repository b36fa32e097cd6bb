# Found by a search on teacher-const-long (candidate 270, run exp4 of 2026-11-25), simplified.
def train(w, g, m, v, lr):
    m = interp(g, m, 0.998573)
    t0 = square(g)
    v = interp(t0, v, -0.4706)
    t1 = sqrt(v)
    t2 = m / t1
    t3 = t2 + w
    t4 = lr * 0.01148
    update = t3 * t4
    return update, m, v
