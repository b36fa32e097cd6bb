# signSGD: step along the sign of the gradient.
def train(w, g, m, v, lr):
    update = sign(g)
    lr = lr * 0.0001
    update = update * lr
    return update, m, v
