"""Funnel promotion rules on fixed fitness tables."""

import math

from funnel.stages import promote


def test_only_programs_beating_the_baseline_move_on_best_first():
    fitness = {1: 0.5, 2: 0.9, 3: 0.7, 4: 0.2}
    assert promote(fitness, baseline=0.6, limit=5) == (2, 3)


def test_at_most_limit_move_on():
    fitness = {1: 0.5, 2: 0.9, 3: 0.7}
    assert promote(fitness, baseline=0.0, limit=2) == (2, 3)


def test_a_tie_with_the_baseline_does_not_move_on():
    assert promote({1: 0.6, 2: 0.61}, baseline=0.6, limit=3) == (2,)


def test_ties_between_programs_are_broken_by_id():
    assert promote({7: 0.8, 3: 0.8, 5: 0.8}, baseline=0.1, limit=2) == (3, 5)


def test_failed_programs_never_move_on_even_past_a_failed_baseline():
    fitness = {1: -math.inf, 2: 0.1}
    assert promote(fitness, baseline=-math.inf, limit=3) == (2,)


def test_nothing_moves_on_when_the_baseline_wins():
    assert promote({1: 0.1, 2: 0.2}, baseline=0.3, limit=3) == ()


def test_a_gap_inside_the_seed_spreads_does_not_move_on():
    from funnel.stages import BASELINE_ID

    spread = {1: 0.004, 2: 0.001, BASELINE_ID: 0.002}
    # 1 beats the baseline by 0.005 < 0.004 + 0.002; 2 by 0.005 > 0.001 + 0.002.
    assert promote({1: 0.605, 2: 0.605}, 0.6, limit=3, spread=spread) == (2,)


def test_the_spread_is_the_weighted_relative_seed_std_of_the_task_metric():
    from funnel.stages import fitness_spread

    metrics = {
        "teacher-const/seed_std": 0.014, "teacher-const/val_loss": 1.4,
        "digits-mlp/seed_std": 0.002, "digits-mlp/val_loss": 0.1,
    }
    weights = {"teacher-const": 3.0, "digits-mlp": 1.0}
    assert math.isclose(fitness_spread(metrics, weights), (3 * 0.01 + 0.02) / 4)
    assert fitness_spread({}, weights) == 0.0
