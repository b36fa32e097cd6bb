# Found by configs/experiments/lion_chars.yaml (seed 1, candidate 883 of the search, 795th
# told, 381 evaluations; 2026-12-03), from unmodified Program 3 (AdamW): Lion
# with b1 0.5, b2 0.9, decay 1, lr x 0.01. Dead code removed, constants as the
# grid tuning at birth wrote them. Its parent was one-slot momentum with a
# Nesterov-style twin (`t1 = interp(g, m, 0.5)`, `update = t1 / sqrt_v`); one
# `change_op` made the division a sign. Search fitness 0.2164 against its
# parent's 0.2348: downhill on chars-mlp, so the funnel never saw it.
def train(w, g, m, v, lr):
    t1 = interp(g, m, 0.5)
    m = interp(g, m, 0.9)
    update = sign(t1)
    t4 = w * 1.0
    update = update + t4
    t0 = lr * 0.01
    update = update * t0
    return update, m, v
