"""Tuning every live constant of a program to convergence, to price an objective.

Owns the question "which program is best on this task mix once each is tuned as
well as it can be?", which decides whether a search objective is worth running:
if a tuned baseline matches tuned Lion, no search on it can be expected to find
Lion. `proxy_tasks.baselines` tunes lr and weight decay only; this also tunes
betas and every other constant, by coordinate descent on a fine absolute grid
(`dsl.constants.grid_constants`): each round scores every one-constant move on
every task in one vectorised call per task, keeps the best by the weighted
fitness, and stops when no move helps. The pick is then re-scored on fresh
seeds, so the reported figure is not inflated by the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsl.constants import constant_slots, grid_constants, with_constants
from dsl.program import Program
from proxy_tasks.fitness import TaskScorer

#: Interp weights tried: memories of about 2 to 1000 steps.
FINE_MIXING = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
#: Magnitudes tried for every other constant, two per decade.
FINE_MAGNITUDES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Seeds the pick is re-scored on (the tuning uses the scorers' seed 0).
CHECK_SEED = 1000


@dataclass(frozen=True)
class FullyTuned:
    """A program at its best constants on a task mix.

    Attributes:
        program: the program with the tuned constants written in.
        fitness: weighted fitness on the tuning seeds.
        check_fitness: weighted fitness on fresh seeds (what to report).
        check: per task, (fitness, validation loss, seed spread of the metric)
            on the fresh seeds.
        rounds: coordinate-descent rounds run.
    """

    program: Program
    fitness: float
    check_fitness: float
    check: dict[str, tuple[float, float, float]]
    rounds: int


def tune_fully(
    program: Program,
    scorers: dict[str, TaskScorer],
    weights: dict[str, float],
    check_scorers: dict[str, TaskScorer],
    max_rounds: int = 6,
    say=lambda line: None,
) -> FullyTuned:
    """Coordinate descent of `program`'s live constants on the weighted mix.

    Args:
        scorers: per task, the scorer the tuning runs on (seed 0).
        check_scorers: per task, the scorer the pick is re-scored on (fresh seeds).
    """
    total = sum(weights.values())
    current, fitness, rounds = program, -np.inf, 0
    for rounds in range(1, max_rounds + 1):
        slots = constant_slots(current)
        own = np.array([[s.value for s in slots]])
        rows = np.vstack([own, grid_constants(slots, FINE_MIXING, FINE_MAGNITUDES)])
        mix = sum(
            weights[name] * scorer.score_variants(current, rows)[1]
            for name, scorer in scorers.items()
        ) / total
        best = int(np.argmax(mix))  # ties: the current constants
        fitness = float(mix[best])
        say(f"  round {rounds}: {fitness:.4f} at {rows[best].tolist()}")
        if best == 0:
            break
        current = with_constants(current, rows[best])
    check = {}
    for name, scorer in check_scorers.items():
        result = scorer.score(current, seed=CHECK_SEED)
        check[name] = (
            result.fitness,
            result.metrics.get("val_loss", float("nan")),
            result.metrics.get("seed_std", float("nan")),
        )
    check_fitness = sum(weights[n] * check[n][0] for n in check) / total
    return FullyTuned(current, fitness, check_fitness, check, rounds)
