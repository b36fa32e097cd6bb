# signum, signSGD with momentum (Bernstein et al. 2018): step along the sign of
# an exponential moving average of the gradient (one state slot).
def train(w, g, m, v, lr):
    m = interp(g, m, 0.9)
    update = sign(m)
    lr = lr * 0.0001
    update = update * lr
    return update, m, v
