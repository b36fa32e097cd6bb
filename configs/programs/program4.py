# The raw program the paper's search found before simplification (Program 4 of
# Chen et al. 2023). Simplified by hand, it is Lion.
def train(w, g, m, v, lr):
    g = clip_by_global_norm(g, lr)
    g = arcsin(g)
    m = interp(g, v, 0.899)
    m2 = m * m
    v = interp(g, m, 1.109)
    abs_m = sqrt(m2)
    update = m / abs_m
    wd = w * 0.4602
    update = update + wd
    lr = lr * 0.0002
    m = cosh(update)
    update = update * lr
    return update, m, v
