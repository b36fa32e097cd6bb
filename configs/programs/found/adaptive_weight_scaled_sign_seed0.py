# Found by a draft of configs/rediscover/adaptive.yaml started from signSGD with
# the `expand` mutation at weight 2 (ill-conditioned-const, condition 1e5),
# seed 0 (candidate 16252, the search's best at 15,000 candidates, fitness
# 5.2433; 2026-12-06): a sign step scaled per coordinate by sqrt(|w|), at least
# 0.1, never reading lr. On this task the true weights are largest where the
# inputs are smallest (u ~ 1 / scale), so |w| is a per-coordinate step size that
# grows where the problem needs it: a preconditioner read off the weights.
def train(w, g, m, v, lr):
    t0 = sqrt(w)
    t1 = max(t0, 0.1)
    t2 = t1 * 0.0978
    t3 = sign(g)
    update = t2 * t3
    return update, m, v
