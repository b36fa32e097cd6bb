"""Coordinate-descent tuning of every constant: monotone, from the grid, re-checked."""

from __future__ import annotations

from dsl.constants import constant_slots
from dsl.library import load_builtin
from proxy_tasks.fitness import TaskScorer
from proxy_tasks.full_tuning import FINE_MAGNITUDES, FINE_MIXING, tune_fully

TASK = "ill-conditioned"  # the cheapest task: a linear model


def test_tuning_climbs_moves_onto_the_grid_and_reports_fresh_seeds():
    scorers = {TASK: TaskScorer(TASK, max_length=16, num_seeds=2)}
    check = {TASK: TaskScorer(TASK, max_length=16, num_seeds=2)}
    adamw = load_builtin("adamw")
    own = scorers[TASK].score(adamw).fitness
    lines = []
    tuned = tune_fully(adamw, scorers, {TASK: 1.0}, check, max_rounds=1, say=lines.append)
    assert tuned.fitness > own, "lr scale 1e-3 is far from this task's optimum"
    assert tuned.rounds == 1 and len(lines) == 1
    before = [s.value for s in constant_slots(adamw)]
    after = [s.value for s in constant_slots(tuned.program)]
    moved = [a for a, b in zip(after, before) if a != b]
    assert moved and all(v in FINE_MIXING + FINE_MAGNITUDES for v in moved)
    assert set(tuned.check) == {TASK}
    fitness, loss, spread = tuned.check[TASK]
    assert tuned.check_fitness == fitness and loss > 0 and spread >= 0
    # The fresh seeds are other seeds: the figure is not the tuning seeds' again.
    assert fitness != scorers[TASK].score(tuned.program).fitness
