# Found by a search on teacher-const-long (candidate 1372, run exp4 of 2026-11-25), simplified.
def train(w, g, m, v, lr):
    m = interp(g, m, 0.998732)
    t0 = square(g)
    v = interp(t0, v, 0.94783)
    t1 = norm(v)
    t2 = m / t1
    t3 = t2 + w
    update = t3 * 0.9794319294809012
    return update, m, v
