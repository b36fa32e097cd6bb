# Found by configs/lion.yaml on 2 Ray workers (seed 2, candidate 7873, the
# 7,250th told, 2,157 evaluations, 24.1 min of wall time; 2026-12-06), in
# the last 500 candidates, from the best so far, from unmodified Program 3 (AdamW), all 45 ops,
# as the grid tuning at birth wrote it (dead statements kept). The run's first
# Lion with b1 != b2: b1 0.9, b2 0.99, weight decay 1.68, lr x 0.001
# (docs/throughput.md).
def train(w, g, m, v, lr):
    g2 = square(g)
    t3 = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    v = interp(g2, v, 0.999)
    sqrt_v = max(v, w)
    t2 = e()
    update = reciprocal(1.132)
    update = sign(t3)
    wd = w * 1.68
    t0 = update + wd
    t1 = cosine_sim(update, v)
    update = t2 + wd
    lr = lr * 0.001
    t2 = exp2(v)
    update = reciprocal(sqrt_v)
    update = t0 * lr
    return update, m, v
