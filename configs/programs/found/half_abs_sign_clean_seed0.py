# The funnel winner of the draft lion-clean config's tuning seed 0 (candidate 5644,
# runs/draft, not archived), simplified: a momentum-free sign step plus half |g|
# ((g^2 + g) / 2|g| = |g|/2 + sign(g)/2), with decay w, at lr x 0.01. Proxy fitness
# 0.4987 on teacher-clean-x0.1/x10, below tuned Lion's 0.5063.
def train(w, g, m, v, lr):
    t0 = square(g)
    t1 = interp(t0, g, 0.5)
    t2 = abs(g)
    t3 = t1 / t2
    t4 = t3 + w
    t5 = lr * 0.01
    update = t4 * t5
    return update, m, v
