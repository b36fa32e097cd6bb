"""Baseline tuning helpers: weight-decay variants of shipped programs."""

from __future__ import annotations

from dsl.analysis import check
from dsl.library import load_builtin
from proxy_tasks.baselines import (
    Tuned,
    decay_constant,
    lion_vs_adamw,
    with_weight_decay,
)


def test_programs_with_a_decay_statement_get_it_rescaled():
    lion = load_builtin("lion")
    assert decay_constant(lion)[1] == 0.1
    assert decay_constant(with_weight_decay(lion, 10.0))[1] == 1.0
    assert decay_constant(with_weight_decay(lion, 0.0))[1] == 0.0


def test_programs_without_one_get_decoupled_decay_appended():
    sgd = load_builtin("sgd_momentum")
    assert decay_constant(sgd) is None
    assert with_weight_decay(sgd, 0.0) == sgd
    decayed = with_weight_decay(sgd, 3.0)
    check(decayed)
    assert len(decayed) == len(sgd) + 3


def test_a_win_needs_a_gap_beyond_the_seed_spread():
    def tuned(mean, std):
        return Tuned("p", "t", 0.0, mean, std, 1.0, 1.0)

    assert lion_vs_adamw(tuned(1.0, 0.01), tuned(1.1, 0.01)) == "lion"
    assert lion_vs_adamw(tuned(1.1, 0.01), tuned(1.0, 0.01)) == "adamw"
    assert lion_vs_adamw(tuned(1.0, 0.1), tuned(1.1, 0.1)) == "tie"
