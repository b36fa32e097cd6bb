# Found by configs/rediscover/lion.yaml, seed 10 (candidate 7969, the search's best
# at 7,500 candidates, fitness 0.3795; 2026-12-06), from AdamW: an Adam direction
# with a Nesterov-style twin of the momentum, plus cube(w), cubed; it never reads lr.
def train(w, g, m, v, lr):
    g2 = square(g)
    t2 = reciprocal(g2)
    update = dot(m, m)
    t4 = interp(g, m, 0.99)
    t0 = interp(g, m, 0.99)
    m = interp(g, m, 0.999)
    v = interp(g2, v, 0.999)
    sqrt_v = sqrt(v)
    update = t4 / sqrt_v
    t5 = cube(w)
    wd = w * 0.1
    t3 = update + t5
    update = update + t4
    lr = exp2(lr)
    t1 = cosine_sim(update, g)
    update = cube(t3)
    return update, m, v
