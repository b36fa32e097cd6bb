# Found by a draft of configs/rediscover/adaptive.yaml (ill-conditioned-const,
# condition 1e5), seed 0 (candidate 15980, the search's best at 15,000
# candidates, fitness 2.3875; 2026-12-06), from SGD with momentum, simplified:
# a sign step of 0.1405 that never reads lr (1.405 / sign(g) is 1.405 sign(g)),
# capped by g + 1.
def train(w, g, m, v, lr):
    t0 = sign(g)
    t1 = 1.405 / t0
    t2 = t1 * 0.1
    t3 = g + 1.0000000004342946
    update = min(t2, t3)
    return update, m, v
