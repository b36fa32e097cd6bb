# RMSProp: divide the gradient by a running root-mean-square of past gradients.
def train(w, g, m, v, lr):
    g2 = square(g)
    v = interp(g2, v, 0.99)
    rms = sqrt(v)
    update = g / rms
    lr = lr * 0.001
    update = update * lr
    return update, m, v
