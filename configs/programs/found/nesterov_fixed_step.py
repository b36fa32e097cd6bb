# Found by configs/experiments/lion_chars.yaml (seed 0, 2,000 candidates, candidate 1968;
# 2026-12-03), after ablation: momentum with a Nesterov-style twin at a fixed
# step, strong decay, one state slot. "Lion without the sign": the search's best
# on chars-mlp in both seeds (0.2309 against 0.2254 for tuned Lion). Beats AdamW
# at 10x (+0.0117, spreads 0.0100) and loses at 100x (-0.073): the funnel drops it.
def train(w, g, m, v, lr):
    t0 = interp(g, m, 0.8233)
    t1 = t0 / 0.000296
    t2 = w * 10.0
    t3 = t1 + t2
    t4 = lr * 0.001
    update = t3 * t4
    m = interp(g, m, 0.9)
    return update, m, v
