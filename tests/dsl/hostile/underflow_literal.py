# 1e-400 reads as 0.0 in Python: a hyperparameter silently becoming zero.
def train(w, g, m, v, lr):
    update = g * 1e-400
    return update, m, v
