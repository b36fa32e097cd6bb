# Lion with one beta (b1 = b2): signum with Lion's decoupled decay. The near
# miss the lion-clean walks reach on the way from AdamW; splitting its beta into
# two (one for the step, one for the state) makes it Lion. Priced beside the
# rivals so an objective shows what the split is worth.
def train(w, g, m, v, lr):
    m = interp(g, m, 0.9)
    update = sign(m)
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0001
    update = update * lr
    return update, m, v
