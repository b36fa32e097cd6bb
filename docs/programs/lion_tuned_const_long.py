# Lion with b1, b2 and decay tuned on teacher-const-long (grid, 2026-11-25): the
# reference the found programs are compared with, not a search result.
def train(w, g, m, v, lr):
    c = interp(g, m, 0.95)
    update = sign(c)
    wd = w * 3.0
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    m = interp(g, m, 0.999)
    return update, m, v
