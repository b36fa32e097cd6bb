# Found by configs/experiments/lion_bigbatch.yaml, then named configs/lion.yaml (seed 1, candidate 4700, the search's
# best, 0.3828; 2026-12-02), simplified: signSGD with decay 1 at a step proportional to
# a per-layer sum of the weights. Diverges on teacher-bigbatch-10x; the funnel dropped it.
def train(w, g, m, v, lr):
    t0 = sign(g)
    t1 = tanh(t0)
    t2 = t1 + w
    t3 = exp10(m)
    t4 = dot(t3, w)
    t5 = t4 * 0.004368
    update = t2 * t5
    return update, m, v
