"""Fitness: scoring a program on one task (a weighted mix is `proxy_tasks.multitask`).

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
from dsl.constants import executor_positions
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
        constants: with constant tuning, the live constants that scored best
            (`dsl.constants.with_constants` writes them into the program); None
            when the program's own constants did, or tuning is off.
    """

    status: str
    fitness: float
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""
    constants: tuple[float, ...] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _failure(status: str, message: str, start: float, metrics=None) -> Evaluation:
    return Evaluation(
        status, WORST_FITNESS, dict(metrics or {}), time.perf_counter() - start, message
    )


def _every_variant_failed(status: str, message: str, start: float, num_variants: int):
    """`score_variants`' answer when no variant has a fitness."""
    return _failure(status, message, start), np.full(num_variants, WORST_FITNESS)


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
        self._warm: set[int] = set()  # numbers of variants compiled for

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

    def warmup(self, num_variants: int = 1) -> float:
        """Compile (if not yet) for `num_variants` constant variants by scoring a
        valid program; returns seconds taken.

        Every number of variants is its own compiled shape, so scoring warms up
        each one it meets before its clock starts: compiling is never a
        candidate's time.
        """
        from dsl.library import load_builtin

        start = time.perf_counter()
        if num_variants not in self._warm:
            self._compiled()
            code = encode(load_builtin("sgd"), self.max_length)
            consts = np.repeat(np.asarray(code.consts, np.float32)[None], num_variants, 0)
            self._run(code, 0, math.inf, consts=consts)
            self._warm.add(num_variants)
        return time.perf_counter() - start

    def _compiled(self) -> TaskProgram:
        if self._program is None:
            self._program = compiled_task(self.task_name, self.max_length)
        return self._program

    def score(self, program: Program, seed: int = 0) -> Evaluation:
        """Train with `program` on `num_seeds` seeds derived from `seed`; never raises
        for a bad candidate."""
        return self.score_variants(program, None, seed)[0]

    def score_variants(
        self, program: Program, constants=None, seed: int = 0
    ) -> tuple[Evaluation, np.ndarray]:
        """Score `program` once per row of `constants`, all in one vectorised call.

        Args:
            constants: [V, n] values of the program's live constants
                (`dsl.constants.constant_slots` order), one row per variant; None
                scores the program as written (V = 1).

        Returns:
            the evaluation of the best variant (its index in `metrics["variant"]`),
            and every variant's fitness (`WORST_FITNESS` where it failed). A
            failure of every variant is a failed evaluation; never raises for a
            bad candidate.
        """
        start = time.perf_counter()
        try:
            code = encode(program, self.max_length)
            consts = self._variant_consts(program, code, constants)
        except (InvalidProgram, ValueError) as exc:
            return _every_variant_failed("invalid", str(exc), start, 1)
        try:
            self.warmup(len(consts))
            start = time.perf_counter()  # compiling is not the candidate's time
            return self._run(code, seed, start + self.time_budget_s, start, consts)
        except Exception as exc:  # noqa: BLE001 -- a candidate's crash is data
            message = f"{type(exc).__name__}: {exc}"
            return _every_variant_failed("error", message, start, len(consts))

    @staticmethod
    def _variant_consts(program: Program, code, constants) -> np.ndarray:
        """The executor's constant array of every variant, [V, C]."""
        base = np.asarray(code.consts, np.float32)
        if constants is None:
            return base[None]
        constants = np.atleast_2d(np.asarray(constants, np.float64))
        positions = executor_positions(program)
        if constants.shape[1] != len(positions):
            raise ValueError(
                f"{constants.shape[1]} constants given for {len(positions)} live ones"
            )
        consts = np.repeat(base[None], len(constants), axis=0)
        consts[:, positions] = constants
        return consts

    def _run(
        self, code, seed: int, deadline: float, start: float | None = None, consts=None
    ) -> tuple[Evaluation, np.ndarray]:
        start = time.perf_counter() if start is None else start
        tp = self._compiled()
        dataset = tp.dataset
        if consts is None:
            consts = np.asarray(code.consts, np.float32)[None]
        num_variants = len(consts)
        num_mults = len(self.lr_multipliers)
        # Settings are (variant, multiplier) pairs, variant-major; every setting
        # runs the same seeds (common random numbers).
        num_settings = num_variants * num_mults
        keys = run_keys(seed + self.task.seed_offset, self.num_seeds, num_settings)
        lr_scales = jnp.repeat(
            jnp.tile(jnp.asarray(self.lr_multipliers, jnp.float32), num_variants),
            self.num_seeds,
        )
        run_consts = jnp.asarray(np.repeat(consts, num_mults * self.num_seeds, axis=0))
        limit = DIVERGENCE_FACTOR * dataset.chance_loss
        # Per-setting failure: one bad seed spoils its setting.
        failed = np.zeros(num_settings, bool)
        reasons: list[tuple[str, str]] = []
        carry = tp.init(code, keys, run_consts)
        train_loss = np.full(num_settings * self.num_seeds, np.nan)
        for index in range(self.task.num_chunks):
            carry, loss, finite = tp.chunk(code, carry, index, lr_scales)
            train_loss, finite = np.asarray(loss), np.asarray(finite)
            nonfinite = (~finite).reshape(num_settings, -1).any(axis=1)
            diverged = (train_loss > limit).reshape(num_settings, -1).any(
                axis=1
            ) & ~nonfinite
            step = (index + 1) * tp.steps_per_chunk
            for s in np.flatnonzero((nonfinite | diverged) & ~failed):
                status = "nonfinite" if nonfinite[s] else "diverged"
                what = (
                    "non-finite parameters or loss"
                    if nonfinite[s]
                    else (
                        f"training loss above {DIVERGENCE_FACTOR:g}x chance ({limit:.3g})"
                    )
                )
                reasons.append((status, f"{self._setting_name(s)}: {what} by step {step}"))
            failed |= nonfinite | diverged
            if self._unusable(failed, num_variants).all():
                message = "; ".join(r for _, r in reasons[:4])
                return _every_variant_failed(reasons[0][0], message, start, num_variants)
            if time.perf_counter() > deadline:
                return _every_variant_failed(
                    "timeout",
                    f"over the {self.time_budget_s:.3g} s budget at step {step}",
                    start,
                    num_variants,
                )
        val_loss, val_error = (np.asarray(a, np.float64) for a in tp.evaluate(carry))
        return self._summarize(
            val_loss, val_error, train_loss, failed, reasons, start, num_variants
        )

    def _unusable(self, bad_settings: np.ndarray, num_variants: int) -> np.ndarray:
        """Per variant: no fitness can come of it (every multiplier failed, or,
        with `lr_reduce="mean"`, any did)."""
        table = bad_settings.reshape(num_variants, len(self.lr_multipliers))
        return table.any(axis=1) if self.lr_reduce == "mean" else table.all(axis=1)

    def _setting_name(self, setting: int) -> str:
        variant, mult = divmod(setting, len(self.lr_multipliers))
        name = f"lr x{self.lr_multipliers[mult]:g}"
        return f"constants #{variant}, {name}" if variant else name

    def _summarize(
        self, val_loss, val_error, train_loss, failed, reasons, start, num_variants=1
    ) -> tuple[Evaluation, np.ndarray]:
        dataset = self._compiled().dataset
        num_mults = len(self.lr_multipliers)
        by_setting = lambda a: a.reshape(num_variants * num_mults, self.num_seeds)
        val_loss, val_error, train_loss = (
            by_setting(val_loss),
            by_setting(val_error),
            by_setting(train_loss),
        )
        metric = val_error if self.task.metric == "error" else val_loss
        chance = (
            dataset.chance_error if self.task.metric == "error" else dataset.chance_loss
        )
        bad = failed | ~np.isfinite(metric).all(axis=1)
        by_variant = lambda a: a.reshape(num_variants, num_mults)
        unusable = self._unusable(bad, num_variants)
        if unusable.all():
            message = "; ".join(r for _, r in reasons[:4]) or "non-finite validation metric"
            status = reasons[0][0] if reasons else "nonfinite"
            return _every_variant_failed(status, message, start, num_variants)
        fitness_by_setting = np.array(
            [
                WORST_FITNESS
                if bad[s]
                else log_ratio(chance, metric[s].mean(), self.task.metric)
                for s in range(len(bad))
            ]
        )
        table = by_variant(fitness_by_setting)
        if self.lr_reduce == "max":
            by_var = table.max(axis=1)
        else:
            by_var = np.where(unusable, WORST_FITNESS, table.mean(axis=1))
        variant = int(np.argmax(by_var))  # ties: the earliest (the original) wins
        mult = int(np.argmax(table[variant]))
        setting = variant * num_mults + mult
        metrics = {
            "val_loss": float(val_loss[setting].mean()),
            "train_loss": float(train_loss[setting].mean()),
            "seed_std": float(metric[setting].std()),
            "lr_multiplier": self.lr_multipliers[mult],
        }
        if dataset.num_classes:
            metrics["val_error"] = float(val_error[setting].mean())
        if num_mults > 1:
            for m, value in enumerate(self.lr_multipliers):
                metrics[f"fitness@lr_x{value:g}"] = float(table[variant, m])
        if num_variants > 1:
            metrics["variant"] = float(variant)
        evaluation = Evaluation(
            "ok", float(by_var[variant]), metrics, time.perf_counter() - start
        )
        return evaluation, by_var
