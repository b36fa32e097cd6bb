"""Scoring on a weighted mix of tasks, with per-candidate constant tuning.

Owns how one fitness comes out of several tasks (the weighted mean of their
`proxy_tasks.fitness` scores) and where constant tuning picks a program's
constants: on the mix's first task, or on every task (`proxy_tasks.tuning`),
and the optional memory cost: a fitness charge per optimizer state slot the
program carries across steps beyond the first (`dsl.analysis.liveness`). The
paper counts Lion's single momentum slot, against AdamW's two, as one of its
advantages; the charge makes that memory a price the search sees. It is a
search objective only: meta-validation and the funnel score raw performance.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from dsl.analysis import liveness
from dsl.constants import with_constants
from dsl.program import Program
from proxy_tasks.fitness import WORST_FITNESS, Evaluation, TaskScorer
from proxy_tasks.tuning import ConstantTuning, constant_variants


class MultiTaskScorer:
    """Scores programs on a weighted mix of tasks: the weighted mean fitness.

    Tasks are scored in the given order and scoring stops at the first failed task
    (its status and message, prefixed with the task name, become the result).
    `metrics` holds each task's fitness under its name and its other metrics as
    "task/name".

    With constant tuning on, the first task scores every constant variant
    (`proxy_tasks.tuning`) and picks the best; the other tasks score that one, so
    the fitness of the tuned constants is measured on every task, and a horizon
    they were not picked on keeps them honest. `metrics["tuning_gain"]` is the
    first task's fitness gain of the picked variant over the program's own
    constants.

    Args:
        task_weights: task name -> positive weight.
        tuning: per-candidate constant tuning (off by default).
        slot_cost: fitness charged per state slot carried across steps beyond
            the first (`metrics["state_slots"]` counts them); 0 turns it off.
        **scorer_args: passed to every `TaskScorer` (max_length, num_seeds, ...).

    Raises:
        KeyError: an unknown task. ValueError: an empty mix or a weight <= 0.
    """

    def __init__(
        self,
        task_weights: dict[str, float],
        tuning: ConstantTuning = ConstantTuning(),
        slot_cost: float = 0.0,
        **scorer_args,
    ):
        if not slot_cost >= 0:
            raise ValueError(f"slot_cost must be >= 0, got {slot_cost}")
        if not task_weights:
            raise ValueError("a task mix needs at least one task")
        for name, weight in task_weights.items():
            if not weight > 0:
                raise ValueError(f"task {name}: weight must be > 0, got {weight}")
        self.task_weights = {name: float(w) for name, w in task_weights.items()}
        self.tuning = tuning
        self.slot_cost = float(slot_cost)
        self.scorer_args = dict(scorer_args)
        self.scorers = {name: TaskScorer(name, **scorer_args) for name in task_weights}

    def __getstate__(self):
        return {
            "task_weights": self.task_weights,
            "tuning": self.tuning,
            "slot_cost": self.slot_cost,
            "scorer_args": self.scorer_args,
        }

    def __setstate__(self, state):
        self.__init__(
            state["task_weights"], state.get("tuning", ConstantTuning()),
            state.get("slot_cost", 0.0), **state["scorer_args"],
        )

    def warmup(self) -> float:
        seconds = sum(scorer.warmup() for scorer in self.scorers.values())
        # Tuning tasks also score every variant at once; a grid's row count
        # depends on the program, so its shapes compile on first use (before the
        # candidate's clock starts).
        rows = self.tuning.fixed_variants if self.tuning.enabled else None
        if rows is not None:
            tuners = list(self.scorers.values())
            for scorer in tuners if self.tuning.on == "all" else tuners[:1]:
                seconds += scorer.warmup(rows)
        return seconds

    def score(self, program: Program, seed: int = 0) -> Evaluation:
        evaluation = self._score_mix(program, seed)
        if not self.slot_cost or evaluation.status != "ok":
            return evaluation
        slots = len(liveness(program)[1])
        metrics = {**evaluation.metrics, "state_slots": float(slots),
                   "performance": evaluation.fitness}
        charged = evaluation.fitness - self.slot_cost * max(0, slots - 1)
        return dataclasses.replace(evaluation, fitness=charged, metrics=metrics)

    def _score_mix(self, program: Program, seed: int) -> Evaluation:
        """The weighted mean fitness over the tasks, before any memory charge."""
        variants = constant_variants(program, self.tuning, seed)
        if variants is not None and self.tuning.on == "all":
            return self._score_tuned_on_all(program, variants, seed)
        start = time.perf_counter()
        metrics: dict[str, float] = {}
        total = 0.0
        picked = None  # the constants row every task after the first scores
        for name, scorer in self.scorers.items():
            if picked is None and variants is not None:
                result, picked, tuned = self._tune_on_first(scorer, program, variants, seed)
                metrics.update(tuned)
            else:  # untuned (no variants), or a later task scoring the pick
                rows = None if picked is None else picked[None]
                result, _ = scorer.score_variants(program, rows, seed)
            if not result.ok:
                return Evaluation(
                    result.status,
                    WORST_FITNESS,
                    metrics,
                    time.perf_counter() - start,
                    f"{name}: {result.message}",
                )
            metrics[name] = result.fitness
            metrics.update({f"{name}/{k}": v for k, v in result.metrics.items()})
            total += self.task_weights[name] * result.fitness
        fitness = total / sum(self.task_weights.values())
        constants = None
        if picked is not None and metrics.get("tuned_variant", 0.0) > 0:
            constants = tuple(float(c) for c in picked)
        return Evaluation(
            "ok", fitness, metrics, time.perf_counter() - start, constants=constants
        )

    def _tune_on_first(self, scorer, program: Program, variants, seed: int):
        """Score `variants` on the tuning task, then (with `tuning.rounds` > 1)
        the neighbourhood of each pick in turn, until a round keeps its centre.

        A structure is judged at constants near its best, not by how far its
        inherited ones are from them: a child that changes what a constant means
        (a beta that now weighs the step, not the state) would otherwise be
        scored, and selected against, at its parent's value.

        Returns (the pick's result, the picked row, tuning metrics); the row is
        in `variants`' slot order, which every round shares (moving a constant
        never adds or drops a slot).
        """
        result, by_variant = scorer.score_variants(program, variants, seed)
        if not result.ok:
            return result, None, {}
        best = int(result.metrics.pop("variant", 0))
        picked, first, own = variants[best], best, by_variant[0]
        rounds = 1
        while best > 0 and rounds < self.tuning.rounds:
            centre = with_constants(program, picked)
            rows = constant_variants(centre, self.tuning, seed)
            if rows is None:
                break
            again, _ = scorer.score_variants(centre, rows, seed)
            rounds += 1
            if not again.ok:
                break
            best = int(again.metrics.pop("variant", 0))
            if best > 0:
                result, picked = again, rows[best]
        gain = result.fitness - own
        tuned = {
            "tuning_gain": float(gain) if np.isfinite(gain) else 0.0,
            # > 0 when the constants moved (the first round's pick, as before
            # rounds existed, so one-round metrics read as they always did).
            "tuned_variant": float(first),
            "tuning_rounds": float(rounds),
        }
        return result, picked, tuned

    def _score_tuned_on_all(self, program: Program, variants, seed: int) -> Evaluation:
        """Every variant on every task; the best weighted fitness is picked."""
        start = time.perf_counter()
        totals = np.zeros(len(variants))
        results = {}
        for name, scorer in self.scorers.items():
            result, by_variant = scorer.score_variants(program, variants, seed)
            if not result.ok:
                return Evaluation(
                    result.status, WORST_FITNESS, {}, time.perf_counter() - start,
                    f"{name}: {result.message}",
                )
            totals += self.task_weights[name] * by_variant
            results[name] = (result, by_variant)
        best = int(np.argmax(totals))  # ties: the program's own constants
        metrics: dict[str, float] = {
            "tuning_gain": float(totals[best] - totals[0]) / sum(self.task_weights.values())
            if np.isfinite(totals[0]) else 0.0,
            "tuned_variant": float(best),
        }
        for name, (result, by_variant) in results.items():
            metrics[name] = float(by_variant[best])
            # A task's detailed metrics describe its own best variant; keep them
            # only where that is the pick.
            if int(result.metrics.get("variant", 0)) == best:
                metrics.update(
                    {f"{name}/{k}": v for k, v in result.metrics.items() if k != "variant"}
                )
        fitness = float(totals[best]) / sum(self.task_weights.values())
        if not np.isfinite(fitness):
            return Evaluation(
                "nonfinite", WORST_FITNESS, metrics, time.perf_counter() - start,
                "no constant variant ran on every task",
            )
        constants = tuple(float(c) for c in variants[best]) if best > 0 else None
        return Evaluation(
            "ok", fitness, metrics, time.perf_counter() - start, constants=constants
        )
