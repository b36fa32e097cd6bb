# 1e309 reads as inf in Python; not a finite hyperparameter.
def train(w, g, m, v, lr):
    update = g * 1e309
    return update, m, v
