# The funnel winner of the frozen Lion config's seed 14 (candidate 3433;
# docs/rediscovery/lion/search/seed-14), simplified: Lion with b1 0.9, b2 0.99
# and sinh(w) for the decay, which ablation reduced to Lion's w.
def train(w, g, m, v, lr):
    c = interp(g, m, 0.9)
    s = sign(c)
    wd = sinh(w)
    update = s + wd
    lr = lr * 0.001
    update = update * lr
    m = interp(g, m, 0.99)
    return update, m, v
