# Found by configs/lion.yaml as it was then (the batch-512 teacher mix; seed 0, no constant tuning, restarts from AdamW every 2,500, 25,000 candidates;
# 2026-11-25), after ablation: momentum over the per-layer norm of g^2, no decay. Passed the funnel:
# +0.017 over AdamW at 10x, +0.025 at 100x (spreads 0.006 and 0.001).
def train(w, g, m, v, lr):
    m = interp(g, m, 0.9)
    t0 = square(g)
    t1 = norm(t0)
    t2 = m / t1
    t3 = lr * 0.0004812
    update = t2 * t3
    return update, m, v
