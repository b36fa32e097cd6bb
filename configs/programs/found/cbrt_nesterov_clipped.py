# Found by configs/experiments/lion_chars.yaml (seed 1, 2,000 candidates, candidate 2169;
# 2026-12-03), after ablation (nothing removed): the cube root of a Nesterov-
# style mix of gradient and momentum (Lion's `interp(g, m, b1)`, with `cbrt`,
# which compresses magnitudes, where Lion has `sign`), plus decay 0.1, the whole
# step clipped to a global norm of lr + 0.1. One state slot. Passed the funnel:
# +0.058 over AdamW at 10x (spreads 0.014) and +0.049 at 100x (spreads 0.007).
# Not Lion family: the direction is not a sign.
def train(w, g, m, v, lr):
    t0 = interp(g, m, 0.5)
    t1 = cbrt(t0)
    t2 = w * 0.1
    t3 = t1 + t2
    t4 = lr + 0.1
    update = clip_by_global_norm(t3, t4)
    m = interp(g, m, 0.9)
    return update, m, v
