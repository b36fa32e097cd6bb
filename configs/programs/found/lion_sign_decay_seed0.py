# Found by configs/lion.yaml run to 6,000 candidates (seed 0, candidate 3980;
# 2026-12-03), from unmodified Program 3 (AdamW), all 45 ops; the funnel's
# winner at that budget (+0.0108 over AdamW at 10x, spreads 0.0064; +0.0160 at
# 100x, spreads 0.0017), unchanged by ablation. Lion's update with b1 0.9 and
# b2 0.99, but the decay is sign(w) rather than w, so it is not in the Lion
# family and the 6,000-candidate run does not meet the bar (the 3,000-candidate
# run's winner was Lion proper: lion_from_adamw_teacher_seed0.py).
def train(w, g, m, v, lr):
    t0 = lr * 0.0008357
    t1 = sign(w)
    t2 = interp(g, m, 0.9)
    t3 = sign(t2)
    t4 = t3 + t3
    t5 = t1 + t4
    update = t0 * t5
    m = interp(g, m, 0.99)
    return update, m, v
