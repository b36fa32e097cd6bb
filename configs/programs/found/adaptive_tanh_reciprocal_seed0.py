# Found by a draft search of configs/rediscover/adaptive.yaml (seed 0, 8 runs per score,
# expand and smooth at weight 2; 2026-12-07), best of its tail: an EMA of tanh(1/g) as the
# direction, its step log1p(m^2) from a slow EMA of that EMA, never reading lr.
def train(w, g, m, v, lr):
    t0 = reciprocal(g)
    t1 = tanh(t0)
    t2 = interp(t1, m, 0.5)
    v = interp(t1, v, 0.9)
    m = interp(v, m, 0.99)
    t3 = m * m
    t4 = log1p(t3)
    update = t2 * t4
    return update, m, v
