# Found by configs/lion.yaml on 2 Ray workers (seed 1, candidate 5564, the
# 5,116th told, 2,143 evaluations, 20.9 min of wall time; 2026-12-06), in
# the walks from AdamW, from unmodified Program 3 (AdamW), all 45 ops,
# as the grid tuning at birth wrote it (dead statements kept). The run's first
# Lion with b1 != b2: b1 0.9, b2 0.99, weight decay 1, lr x 0.001
# (docs/throughput.md).
def train(w, g, m, v, lr):
    g2 = square(g)
    t0 = interp(g, m, 0.9)
    t1 = interp(g, m, -1.144)
    m = interp(g, m, 0.99)
    v = interp(g2, v, 0.999)
    t2 = sqrt(v)
    sqrt_v = sqrt(v)
    update = sign(t0)
    wd = w * 1.0
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    return update, m, v
