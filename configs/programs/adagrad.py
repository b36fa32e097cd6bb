# Adagrad: divide the gradient by the root of the sum of all past squared gradients.
def train(w, g, m, v, lr):
    g2 = square(g)
    v = v + g2
    root = sqrt(v)
    update = g / root
    lr = lr * 0.01
    update = update * lr
    return update, m, v
