# Found by configs/lion.yaml (seed 0, candidate 744, the 746th told; 2026-12-03),
# from unmodified Program 3 (AdamW), all 45 ops, as the grid tuning at birth wrote
# it (dead statements left in). Heavy momentum (m, beta 0.999) divided by the
# per-layer norm of the RMS gradient (`norm(sqrt(v))`), plus 0.01 w, at a fixed
# step: `t0 = lr + 1.058` is about 1.06 whatever lr is, so the lr input barely
# matters. Search fitness 0.3730 against 0.3744 for the Lion found in seed 1;
# at its best lr multiplier it leads the eighth round's Lion at 10x (0.4006
# against 0.3766; Lion tuned at 10x itself: 0.3861) and at 100x (0.3796 against
# 0.3749) on teacher-const (docs/tasks.md, "Inputs of spread scales"). It won the
# seed's funnel.
def train(w, g, m, v, lr):
    g2 = square(g)
    m = interp(g, m, 0.999)
    v = interp(g2, v, 0.99)
    sqrt_v = sqrt(v)
    sqrt_v = norm(sqrt_v)
    update = m / sqrt_v
    wd = w * 0.01
    update = update + wd
    t1 = lr + 1.058
    t3 = lr * -0.09922
    t0 = lr * 0.001
    t4 = lr * -1.149
    t2 = lr * -1.309
    lr = lr * 0.001
    update = update * t1
    return update, m, v
