# Found by configs/lion.yaml (seed 4, candidate 7835, the 7,267th told, in the
# budget's last 500 candidates, which continue from the best program so far;
# 2026-12-04), from unmodified Program 3 (AdamW), all 45 ops, dead statements
# kept as the search holds them. The run's first Lion with b1 != b2 was its
# 4,138th candidate (1,954 evaluations, 45.0 min); this descendant, the run's
# best (0.3789), won the funnel (+0.0079 over AdamW at 10x, spreads 0.0028;
# +0.0138 at 100x, spreads 0.0008). Live: Lion with b1 0.9, b2 0.99, decay
# 1.749, lr x 0.00106. Ablation on teacher-const turns it into Lion (decay 1),
# confirmed by the equivalence check:
#   t1 = interp(g, m, 0.9); update = (sign(t1) + w) * lr * 0.00106
#   m = interp(g, m, 0.99)
def train(w, g, m, v, lr):
    g2 = square(g)
    t3 = interp(g, m, 0.9)
    t0 = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    v = exp10(g2)
    sqrt_v = sqrt(lr)
    update = sign(t3)
    t4 = w * 1.749
    wd = w * 1.321
    t1 = update + t4
    update = update + wd
    t2 = lr * 0.00106
    lr = lr * 0.00106
    update = t1 * t2
    return update, m, v
