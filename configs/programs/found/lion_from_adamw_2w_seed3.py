# Found by configs/lion.yaml on 2 Ray workers (seed 3, candidate 986, the
# 912th told, 535 evaluations, 6.5 min of wall time; 2026-12-06), in
# the walks from AdamW, from unmodified Program 3 (AdamW), all 45 ops,
# as the grid tuning at birth wrote it (dead statements kept). The run's first
# Lion with b1 != b2: b1 0.9, b2 0.99, weight decay 1, lr x 0.001
# (docs/throughput.md).
def train(w, g, m, v, lr):
    t0 = square(g)
    g2 = square(g)
    t2 = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    v = interp(t0, v, 0.999)
    sqrt_v = sqrt(v)
    update = sign(t2)
    wd = w * 1.0
    t1 = update + wd
    update = update + wd
    lr = lr * 0.001
    update = t1 * lr
    return update, m, v
