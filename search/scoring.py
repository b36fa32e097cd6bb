"""What scores a candidate, as a picklable spec the search sends to its workers.

Owns the bridge between the search and `proxy_tasks`: a `ScorerSpec` is small
plain data (task weights, seeds, executor length, time budget) that any process
can turn into a compiled scorer with `build_scorer`, and `to_result` turns the
scorer's `Evaluation` into the search's `Result`.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from dsl.program import Program
from search.config import SearchConfig
from search.records import TUNED_CONSTANTS, WORST_FITNESS, Result


@dataclass(frozen=True)
class ScorerSpec:
    """How to build a scorer; cheap to pickle, compiled where it is built."""

    task_weights: tuple[tuple[str, float], ...]
    num_seeds: int
    executor_length: int
    time_budget_s: float
    # Factors on the task's lr schedule, run together; the best one counts, so the
    # search judges an update rule rather than how well its lr constant is tuned.
    lr_multipliers: tuple[float, ...] = (1.0,)
    # Per-candidate constant tuning (`proxy_tasks.tuning`): draws and their spread.
    constant_draws: int = 0
    constant_scale: float = 1.0
    constant_tuning_on: str = "first"
    constant_tuning: str = "draws"
    constant_rounds: int = 1
    # Fitness charged per optimizer state slot beyond the first (memory).
    state_slot_cost: float = 0.0

    @staticmethod
    def from_config(config: SearchConfig) -> "ScorerSpec":
        return ScorerSpec(
            task_weights=tuple(sorted(config.tasks.proxy.items())),
            num_seeds=config.tasks.num_seeds,
            executor_length=config.tasks.executor_length,
            time_budget_s=config.tasks.time_budget_s,
            lr_multipliers=tuple(config.tasks.lr_multipliers),
            constant_draws=config.tasks.constant_draws,
            constant_scale=config.tasks.constant_scale,
            constant_tuning_on=config.tasks.constant_tuning_on,
            constant_tuning=config.tasks.constant_tuning,
            constant_rounds=config.tasks.constant_rounds,
            state_slot_cost=config.tasks.state_slot_cost,
        )


def build_scorer(spec: ScorerSpec):
    """A multi-task scorer for `spec` (compiles its tasks on first use)."""
    from proxy_tasks.multitask import MultiTaskScorer
    from proxy_tasks.tuning import ConstantTuning

    return MultiTaskScorer(
        dict(spec.task_weights),
        tuning=ConstantTuning(
            spec.constant_draws, spec.constant_scale, spec.constant_tuning_on,
            kind=spec.constant_tuning, rounds=spec.constant_rounds,
        ),
        slot_cost=spec.state_slot_cost,
        max_length=spec.executor_length,
        num_seeds=spec.num_seeds,
        time_budget_s=spec.time_budget_s,
        lr_multipliers=spec.lr_multipliers,
    )


def validate_tasks(spec: ScorerSpec) -> None:
    """Raise KeyError naming the valid tasks if any task in `spec` is unknown."""
    from proxy_tasks.registry import get_task

    for name, _ in spec.task_weights:
        get_task(name)


def score(scorer, program: Program, worker: str = "", node: str = "") -> Result:
    """Score `program`; a crash inside the scorer becomes an "error" result."""
    try:
        evaluation = scorer.score(program)
    except Exception as exc:  # a candidate's failure is data, never a crash of the search
        return Result("error", WORST_FITNESS, {}, 0.0, f"{type(exc).__name__}: {exc}",
                      worker=worker, node=node or socket.gethostname())
    return to_result(evaluation, worker, node)


def to_result(evaluation, worker: str = "", node: str = "") -> Result:
    """The search's view of a scorer `Evaluation`."""
    ok = evaluation.status == "ok"
    metrics: dict = {k: float(v) for k, v in evaluation.metrics.items()}
    if ok and getattr(evaluation, "constants", None) is not None:
        metrics[TUNED_CONSTANTS] = [float(c) for c in evaluation.constants]
    return Result(
        status=evaluation.status,
        fitness=float(evaluation.fitness) if ok else WORST_FITNESS,
        metrics=metrics,
        seconds=float(evaluation.seconds),
        message=evaluation.message,
        worker=worker,
        node=node or socket.gethostname(),
    )
