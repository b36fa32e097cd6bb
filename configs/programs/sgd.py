# Plain SGD: step along the negative gradient.
def train(w, g, m, v, lr):
    lr = lr * 0.01
    update = g * lr
    return update, m, v
