"""Fitness: scoring a program on a task, and on a weighted mix of tasks.

This module owns what a candidate's score means and how a bad candidate fails.

Fitness of one task (higher is better) is

    fitness = log(chance / metric)

where `metric` is the task's validation metric (loss or error rate) averaged over
seeds, and `chance` is the same metric for the best input-independent predictor
(class-frequency cross-entropy, target variance, majority-class error). So 0 is
chance level, positive is better than chance, and +0.1 means a 10% smaller loss on
*any* task. Averaging log-ratios weighs relative improvements equally across
tasks, whatever their loss scale, and ranks programs exactly as the weighted mean
of log(reference / metric) would for any fixed reference optimizer: no reference
numbers need to be stored or kept up to date.

With several lr multipliers every multiplier is run (vectorized, same seeds) and
the best one's fitness counts (`lr_reduce="max"`): the program's constants set the
lr scale, and a good update rule with a slightly-off scale is not thrown away. Use
`lr_reduce="mean"` to reward robustness to the scale instead.

A candidate's failure is data, never an exception: an invalid or too-long program
is "invalid"; a run with non-finite parameters or loss is "nonfinite"; a run whose
training loss exceeds `DIVERGENCE_FACTOR` x the chance loss is "diverged"; one that
overruns the time budget is "timeout"; anything else raised while scoring is
"error". All get `WORST_FITNESS` and a message. Training runs in compiled chunks
and these checks run between them, which also stops bad candidates early.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from dsl.analysis import InvalidProgram
from dsl.executor import encode
from dsl.program import Program
from proxy_tasks.floats import WORST_FITNESS
from proxy_tasks.registry import get_task
from proxy_tasks.training import TaskProgram, log_ratio, run_keys

STATUSES = ("ok", "invalid", "nonfinite", "diverged", "timeout", "error")
#: A run whose mean training loss over a chunk exceeds this multiple of the task's
#: chance loss has blown up (a run that merely fails to learn stays near 1x).
DIVERGENCE_FACTOR = 100.0
#: Default time budget per evaluation, as a multiple of the declared cost (scaled
#: to the number of runs), plus a fixed allowance for dispatch jitter.
BUDGET_FACTOR = 20.0
BUDGET_SLACK_S = 1.0
#: Seeds per evaluation by default (the declared costs assume this many).
DEFAULT_NUM_SEEDS = 4


@dataclass(frozen=True)
class Evaluation:
    """The outcome of scoring one program.

    Attributes:
        status: one of `STATUSES`.
        fitness: higher is better; `WORST_FITNESS` unless status is "ok".
        metrics: named numbers (validation loss/error, seed spread, per task...).
        seconds: wall time of the evaluation (compile excluded after warm-up).
        message: why a non-"ok" evaluation failed.
    """

    status: str
    fitness: float
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _failure(status: str, message: str, start: float, metrics=None) -> Evaluation:
    return Evaluation(
        status, WORST_FITNESS, dict(metrics or {}), time.perf_counter() - start, message
    )


@functools.lru_cache(maxsize=16)
def compiled_task(task_name: str, max_length: int) -> TaskProgram:
    """The compiled training functions of a task, shared by every scorer of a process."""
    return TaskProgram(get_task(task_name), max_length)


class TaskScorer:
    """Scores programs on one task; compiles once, on `warmup()` or first use
    (compile time never counts against a candidate's time budget).

    Construction is cheap and the object pickles as its configuration, so a
    worker process rebuilds and compiles it locally.

    Args:
        task_name: a registered task.
        max_length: longest program (live statements) accepted; longer ones are
            "invalid".
        num_seeds: runs averaged per lr multiplier (vectorized in one call).
        lr_multipliers: factors applied to the task's lr schedule.
        time_budget_s: wall-time limit per evaluation; None derives it from the
            task's declared cost.
        lr_reduce: "max" (best multiplier counts) or "mean" (all must work).

    Raises:
        KeyError: unknown task.
        ValueError: bad numbers or `lr_reduce`.
    """

    def __init__(
        self,
        task_name: str,
        max_length: int = 32,
        num_seeds: int = DEFAULT_NUM_SEEDS,
        lr_multipliers: tuple[float, ...] = (1.0,),
        time_budget_s: float | None = None,
        lr_reduce: str = "max",
    ):
        self.task = get_task(task_name)
        if num_seeds < 1 or max_length < 1 or not lr_multipliers:
            raise ValueError(
                "num_seeds and max_length must be >= 1, lr_multipliers non-empty"
            )
        if lr_reduce not in ("max", "mean"):
            raise ValueError(f"lr_reduce must be 'max' or 'mean', got {lr_reduce!r}")
        self.task_name = task_name
        self.max_length = max_length
        self.num_seeds = num_seeds
        self.lr_multipliers = tuple(float(m) for m in lr_multipliers)
        self.lr_reduce = lr_reduce
        num_runs = num_seeds * len(self.lr_multipliers)
        if time_budget_s is None:
            scale = num_runs / DEFAULT_NUM_SEEDS
            time_budget_s = (
                BUDGET_FACTOR * self.task.declared_cost_s * scale + BUDGET_SLACK_S
            )
        self.time_budget_s = float(time_budget_s)
        self._program: TaskProgram | None = None
        self._warm = False

    def config(self) -> dict:
        """The constructor arguments: all a worker needs to rebuild this scorer."""
        return {
            "task_name": self.task_name,
            "max_length": self.max_length,
            "num_seeds": self.num_seeds,
            "lr_multipliers": self.lr_multipliers,
            "time_budget_s": self.time_budget_s,
            "lr_reduce": self.lr_reduce,
        }

    def __getstate__(self):
        return self.config()

    def __setstate__(self, state):
        self.__init__(**state)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"TaskScorer({args})"

    @property
    def num_runs(self) -> int:
        return self.num_seeds * len(self.lr_multipliers)

    def warmup(self) -> float:
        """Compile (if not yet) by scoring a valid program; returns seconds taken."""
        from dsl.library import load_builtin

        start = time.perf_counter()
        if not self._warm:
            self._compiled()
            self._run(encode(load_builtin("sgd"), self.max_length), 0, math.inf)
            self._warm = True
        return time.perf_counter() - start

    def _compiled(self) -> TaskProgram:
        if self._program is None:
            self._program = compiled_task(self.task_name, self.max_length)
        return self._program

    def score(self, program: Program, seed: int = 0) -> Evaluation:
        """Train with `program` on `num_seeds` seeds derived from `seed`; never raises
        for a bad candidate."""
        start = time.perf_counter()
        try:
            code = encode(program, self.max_length)
        except (InvalidProgram, ValueError) as exc:
            return _failure("invalid", str(exc), start)
        try:
            self.warmup()
            start = time.perf_counter()  # compiling is not the candidate's time
            return self._run(code, seed, start + self.time_budget_s, start)
        except Exception as exc:  # noqa: BLE001 -- a candidate's crash is data
            return _failure("error", f"{type(exc).__name__}: {exc}", start)

    def _run(
        self, code, seed: int, deadline: float, start: float | None = None
    ) -> Evaluation:
        start = time.perf_counter() if start is None else start
        tp = self._compiled()
        dataset = tp.dataset
        num_mults = len(self.lr_multipliers)
        keys = run_keys(seed, self.num_seeds, num_mults)
        lr_scales = jnp.repeat(
            jnp.asarray(self.lr_multipliers, jnp.float32), self.num_seeds
        )
        limit = DIVERGENCE_FACTOR * dataset.chance_loss
        # Per-multiplier failure: one bad seed spoils its multiplier.
        failed = np.zeros(num_mults, bool)
        reasons: list[tuple[str, str]] = []
        carry = tp.init(code, keys)
        train_loss = np.full(self.num_runs, np.nan)
        for index in range(self.task.num_chunks):
            carry, loss, finite = tp.chunk(code, carry, index, lr_scales)
            train_loss, finite = np.asarray(loss), np.asarray(finite)
            nonfinite = (~finite).reshape(num_mults, -1).any(axis=1)
            diverged = (train_loss > limit).reshape(num_mults, -1).any(
                axis=1
            ) & ~nonfinite
            step = (index + 1) * tp.steps_per_chunk
            for m in np.flatnonzero((nonfinite | diverged) & ~failed):
                status = "nonfinite" if nonfinite[m] else "diverged"
                what = (
                    "non-finite parameters or loss"
                    if nonfinite[m]
                    else (
                        f"training loss above {DIVERGENCE_FACTOR:g}x chance ({limit:.3g})"
                    )
                )
                reasons.append(
                    (status, f"lr x{self.lr_multipliers[m]:g}: {what} by step {step}")
                )
            failed |= nonfinite | diverged
            if failed.all() or (self.lr_reduce == "mean" and failed.any()):
                return _failure(reasons[0][0], "; ".join(r for _, r in reasons), start)
            if time.perf_counter() > deadline:
                return _failure(
                    "timeout",
                    f"over the {self.time_budget_s:.3g} s budget at step {step}",
                    start,
                )
        val_loss, val_error = (np.asarray(a, np.float64) for a in tp.evaluate(carry))
        return self._summarize(val_loss, val_error, train_loss, failed, reasons, start)

    def _summarize(
        self, val_loss, val_error, train_loss, failed, reasons, start
    ) -> Evaluation:
        dataset = self._compiled().dataset
        by_mult = lambda a: a.reshape(len(self.lr_multipliers), self.num_seeds)
        val_loss, val_error, train_loss = (
            by_mult(val_loss),
            by_mult(val_error),
            by_mult(train_loss),
        )
        metric = val_error if self.task.metric == "error" else val_loss
        chance = (
            dataset.chance_error if self.task.metric == "error" else dataset.chance_loss
        )
        bad = failed | ~np.isfinite(metric).all(axis=1)
        if bad.all() or (self.lr_reduce == "mean" and bad.any()):
            message = "; ".join(r for _, r in reasons) or "non-finite validation metric"
            return _failure(reasons[0][0] if reasons else "nonfinite", message, start)
        fitness_by_mult = np.array(
            [
                WORST_FITNESS if bad[m] else log_ratio(chance, metric[m].mean())
                for m in range(len(bad))
            ]
        )
        best = int(np.argmax(fitness_by_mult))
        fitness = (
            float(fitness_by_mult[best])
            if self.lr_reduce == "max"
            else float(fitness_by_mult.mean())
        )
        metrics = {
            "val_loss": float(val_loss[best].mean()),
            "train_loss": float(train_loss[best].mean()),
            "seed_std": float(metric[best].std()),
            "lr_multiplier": self.lr_multipliers[best],
        }
        if dataset.num_classes:
            metrics["val_error"] = float(val_error[best].mean())
        if len(self.lr_multipliers) > 1:
            for m, mult in enumerate(self.lr_multipliers):
                metrics[f"fitness@lr_x{mult:g}"] = float(fitness_by_mult[m])
        return Evaluation("ok", fitness, metrics, time.perf_counter() - start)


class MultiTaskScorer:
    """Scores programs on a weighted mix of tasks: the weighted mean fitness.

    Tasks are scored in the given order and scoring stops at the first failed task
    (its status and message, prefixed with the task name, become the result).
    `metrics` holds each task's fitness under its name and its other metrics as
    "task/name".

    Args:
        task_weights: task name -> positive weight.
        **scorer_args: passed to every `TaskScorer` (max_length, num_seeds, ...).

    Raises:
        KeyError: an unknown task. ValueError: an empty mix or a weight <= 0.
    """

    def __init__(self, task_weights: dict[str, float], **scorer_args):
        if not task_weights:
            raise ValueError("a task mix needs at least one task")
        for name, weight in task_weights.items():
            if not weight > 0:
                raise ValueError(f"task {name}: weight must be > 0, got {weight}")
        self.task_weights = {name: float(w) for name, w in task_weights.items()}
        self.scorer_args = dict(scorer_args)
        self.scorers = {name: TaskScorer(name, **scorer_args) for name in task_weights}

    def __getstate__(self):
        return {"task_weights": self.task_weights, "scorer_args": self.scorer_args}

    def __setstate__(self, state):
        self.__init__(state["task_weights"], **state["scorer_args"])

    def warmup(self) -> float:
        return sum(scorer.warmup() for scorer in self.scorers.values())

    def score(self, program: Program, seed: int = 0) -> Evaluation:
        start = time.perf_counter()
        metrics: dict[str, float] = {}
        total = 0.0
        for name, scorer in self.scorers.items():
            result = scorer.score(program, seed)
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
        return Evaluation("ok", fitness, metrics, time.perf_counter() - start)
