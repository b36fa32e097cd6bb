# The funnel winner of the frozen Lion config's seed 13 (candidate 153;
# docs/rediscovery/lion/search/seed-13), as ablation left it: AdamW whose second
# moment is an EMA of the global squared norm dot(g, g), so every coordinate
# shares one step scale (a normalised-gradient momentum with decay).
def train(w, g, m, v, lr):
    t0 = w * 0.01
    m = interp(g, m, 0.999)
    t1 = dot(g, g)
    v = interp(t1, v, 0.999)
    t2 = sqrt(v)
    t3 = m / t2
    t4 = t0 + t3
    update = lr * t4
    return update, m, v
