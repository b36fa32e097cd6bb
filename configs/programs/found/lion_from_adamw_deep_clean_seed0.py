# The funnel winner of the draft lion-clean config on the deep batch-128 pair
# (`teacher-clean-b128-deep-x0.1`, `-x10`), tournament 2, 5,000 candidates,
# tuning seed 0 (candidate 5,306, told 4,926 at 40 CPU minutes; runs/deep, not
# archived; 2026-12-08), with the funnel entering ten distinct tuned programs
# (`funnel.distinct_tuned`). Reached by the paper's route: an Adam whose step
# beta (0.9) differs from its state beta (0.999), then `sign` in place of the
# division, which drops the second moment. Ablation on teacher-clean-b128-10x
# kept every statement: Lion with b1 0.5, b2 0.99, decay 1, lr x 0.0039.
def train(w, g, m, v, lr):
    t0 = lr * 0.003874
    t1 = interp(g, m, 0.5)
    t2 = sign(t1)
    t3 = t2 + w
    update = t0 * t3
    m = interp(g, m, 0.99)
    return update, m, v
