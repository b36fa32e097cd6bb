# Found by configs/lion.yaml (seed 3, candidate 6190, the 5,749th told, 2,746
# evaluations, 63 min on about one core; 2026-12-04), from unmodified Program 3
# (AdamW), all 45 ops, as the grid tuning at birth wrote it (dead statements
# kept, as the search holds them). Lion with the paper's betas (b1 0.9, b2 0.99)
# and no weight decay: `dot(w, t3)` is computed and never used, and `v` is still
# tracked, though nothing reads it. Search fitness 0.3678, the run's best.
def train(w, g, m, v, lr):
    g2 = square(g)
    t0 = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    v = interp(g2, v, 0.999)
    sqrt_v = arcsin(0.1118)
    sqrt_v = sqrt(v)
    t3 = sign(t0)
    t2 = t0 / sqrt_v
    update = t0 / sqrt_v
    wd = dot(w, t3)
    lr = lr * 0.001
    t1 = update * lr
    update = t3 * lr
    return update, m, v
