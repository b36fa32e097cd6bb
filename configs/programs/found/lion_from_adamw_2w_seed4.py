# Found by configs/lion.yaml on 2 Ray workers (seed 4, candidate 475, the
# 447th told, 229 evaluations, 3.4 min of wall time; 2026-12-06), in
# the walks from AdamW, from unmodified Program 3 (AdamW), all 45 ops,
# as the grid tuning at birth wrote it (dead statements kept). The run's first
# Lion with b1 != b2: b1 0.9, b2 0.99, weight decay 0.4588, lr x 0.001
# (docs/throughput.md).
def train(w, g, m, v, lr):
    t3 = square(g)
    g2 = square(g)
    t0 = interp(g, m, 0.9)
    t2 = interp(g, m, 1.107)
    m = interp(g, m, 0.99)
    t1 = interp(g2, v, 0.999)
    v = interp(t3, v, 0.999)
    sqrt_v = sqrt(t1)
    update = sign(t0)
    wd = w * 0.4588
    g2 = min(-0.1525, t1)
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    return update, m, v
