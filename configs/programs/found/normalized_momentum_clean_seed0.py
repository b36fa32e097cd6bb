# The funnel winner of the draft lion-clean config with `tournament=2` on tuning
# seed 0 (candidate 7596, runs/t2, not archived; 2026-12-07), ablated and
# simplified: momentum with a Nesterov-style twin (0.99 for the step, 0.999 for
# the state) over the per-tensor norm of g^2, decay cube(w), and no lr at all.
# On the clean pair it beats tuned Lion (0.5117 against 0.5063, inside the summed
# spreads); it diverges on ill-conditioned-const and chars-transformer.
def train(w, g, m, v, lr):
    t0 = cube(w)
    t1 = interp(g, m, 0.99)
    t2 = square(g)
    t3 = norm(t2)
    t4 = sqrt(t3)
    t5 = t1 / t4
    update = t0 + t5
    m = interp(g, m, 0.999)
    return update, m, v
