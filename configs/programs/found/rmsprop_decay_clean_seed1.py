# The funnel winner of the draft lion-clean config's tuning seed 1 (candidate 771,
# runs/draft, not archived; funnel stages at batch 128), ablated and simplified:
# RMSProp (an EMA of g^2, no momentum) with decoupled decay 1.685, at lr x 0.001.
# Proxy fitness 0.4967 on teacher-clean-x0.1/x10, below tuned Lion's 0.5063.
def train(w, g, m, v, lr):
    t0 = square(g)
    m = interp(t0, m, 0.99)
    t1 = sqrt(m)
    t2 = g / t1
    t3 = w * 1.685
    t4 = t2 + t3
    t5 = lr * 0.001
    update = t4 * t5
    return update, m, v
