# Lion (Chen et al. 2023, Program 1): sign of an interp of gradient and momentum,
# plus weight decay, times a scaled lr; momentum tracked with a slower interp.
def train(w, g, m, v, lr):
    c = interp(g, m, 0.9)
    update = sign(c)
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0001
    update = update * lr
    m = interp(g, m, 0.99)
    return update, m, v
