# Found by configs/experiments/lion_bigbatch.yaml, then named configs/lion.yaml (seed 1, 5,000 candidates,
# candidate 2130; 2026-12-02), after ablation: signSGD with decoupled weight decay 1.
# Seed 0 found the same rule (lr x 0.001). Passed the funnel: +0.023 over AdamW at
# 10x and +0.033 at 100x (spreads 0.007 and 0.001); not Lion (no momentum).
def train(w, g, m, v, lr):
    t0 = lr * 0.001308
    t1 = sign(g)
    t2 = t1 + w
    update = t0 * t2
    return update, m, v
