# Found by configs/lion.yaml as it was then (the batch-512 teacher mix; seed 0, population 1000, tournament 2, no constant tuning, 25,000 candidates;
# 2026-11-25), after ablation: EMA momentum plus decay at a fixed step, the lr input dropped.
# +0.029 over AdamW at 10x, -0.051 at 100x.
def train(w, g, m, v, lr):
    m = interp(g, m, 0.975)
    t0 = w * 0.01
    t1 = m + t0
    update = t1 * 1.4408256388122693
    return update, m, v
