"""Equivalence checking: do two programs make the same optimizer?

Owns the test that decides it empirically: feed both programs the same random
gradient sequences (several seeds, tens of steps, a different learning-rate scale
per seed and a varying lr within each run) and compare their updates step by
step. Each program moves its own weights (`w -= update`), so a program that
reads `w` is judged on its own trajectory, as in training. Only the updates are
compared: the state slots are internal, so a program keeping its momentum in `v`
is equivalent to one keeping it in `m`.

Tolerance. At each step, entries a_i and b_i of the two update vectors agree if

    |a_i - b_i| <= atol + rtol * scale,   scale = max(max_j |a_j|, max_j |b_j|)

over finite entries, or if both are the same non-finite value (nan, +inf, -inf).
The scale is the step's largest update, not the entry's own magnitude, because
formally equal formulas (an `interp` against its expansion, say) differ by
round-off that is relative to the operands, and an entry near a zero crossing
has operands much larger than itself. Runs are in float64, so round-off sits far
below the default `rtol`.

What the check cannot see: behaviour only at magnitudes the probe never reaches.
The numeric guards of `dsl.ops` act below |x| = 1e-8 (and above exp's clip), so
rewrites such as `x / abs(x)` -> `sign(x)` are exact only away from zero; with
O(1) gradients that region is not visited, and that is the intended reading of
"same optimizer" here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsl.analysis import check
from dsl.host import compile_host, run_host
from dsl.ops import LeafLayout
from dsl.program import Program


@dataclass(frozen=True)
class EquivalenceConfig:
    """How hard to look for a difference.

    Attributes:
        num_seeds: independent runs (each its own weights, gradients and lr scale).
        num_steps: steps per run.
        sizes: parameter leaf sizes (two leaves, so per-leaf ops are exercised).
        rtol: tolerance relative to the step's largest update magnitude.
        atol: absolute tolerance.
        min_lr, max_lr: each seed's base lr is log-uniform in this range; every
            step multiplies it by a factor drawn uniformly from [0.5, 1.5].
        seed: base seed; run k uses `seed + k`.
    """

    num_seeds: int = 4
    num_steps: int = 30
    sizes: tuple[int, ...] = (6, 4)
    rtol: float = 1e-6
    atol: float = 1e-12
    min_lr: float = 1e-3
    max_lr: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if self.num_seeds < 1 or self.num_steps < 1:
            raise ValueError("num_seeds and num_steps must be at least 1")
        if self.rtol < 0 or self.atol < 0:
            raise ValueError("tolerances must be non-negative")
        if not 0 < self.min_lr <= self.max_lr:
            raise ValueError("need 0 < min_lr <= max_lr")


@dataclass(frozen=True)
class Equivalence:
    """The verdict of `check_equivalence`.

    Attributes:
        equivalent: every compared update agreed within tolerance.
        step: 0-based step of the first disagreement (None if equivalent).
        seed: the run (seed offset) it happened in (None if equivalent).
        magnitude: the largest |a_i - b_i| at that step (nan if one side was
            non-finite where the other was not); 0.0 if equivalent.
        scale: that step's update scale (see module docstring).
        num_compared: update vectors compared in total.
    """

    equivalent: bool
    step: int | None = None
    seed: int | None = None
    magnitude: float = 0.0
    scale: float = 0.0
    num_compared: int = 0

    def describe(self) -> str:
        """One line for people."""
        if self.equivalent:
            return f"equivalent ({self.num_compared} updates compared)"
        return (
            f"different: first at step {self.step} of run {self.seed}, "
            f"max |difference| {self.magnitude:.3g} at update scale {self.scale:.3g}"
        )


def probe_runs(config: EquivalenceConfig):
    """The (w0, grads, lrs, layout) of every run, drawn from the config's seeds."""
    layout = LeafLayout.from_sizes(list(config.sizes))
    n = sum(config.sizes)
    runs = []
    for k in range(config.num_seeds):
        rng = np.random.default_rng([config.seed, k])
        base = np.exp(rng.uniform(np.log(config.min_lr), np.log(config.max_lr)))
        lrs = base * rng.uniform(0.5, 1.5, config.num_steps)
        w = rng.standard_normal(n)
        grads = rng.standard_normal((config.num_steps, n))
        runs.append((w, grads, lrs, layout))
    return runs


def check_equivalence(
    a: Program, b: Program, config: EquivalenceConfig = EquivalenceConfig()
) -> Equivalence:
    """Whether `a` and `b` give the same updates on the config's probe runs.

    Raises:
        InvalidProgram: either program is not valid.
    """
    check(a)
    check(b)
    step_a, step_b = compile_host(a), compile_host(b)
    compared = 0
    for k, (w, grads, lrs, layout) in enumerate(probe_runs(config)):
        ua = run_host(step_a, w, grads, lrs, layout)
        ub = run_host(step_b, w, grads, lrs, layout)
        for t in range(config.num_steps):
            compared += 1
            verdict = compare_updates(ua[t], ub[t], config.rtol, config.atol)
            if verdict is not None:
                magnitude, scale = verdict
                return Equivalence(False, t, k, magnitude, scale, compared)
    return Equivalence(True, num_compared=compared)


def compare_updates(
    a: np.ndarray, b: np.ndarray, rtol: float, atol: float
) -> tuple[float, float] | None:
    """None if update vectors `a` and `b` agree, else (max |a - b|, scale)."""
    with np.errstate(all="ignore"):
        finite_a, finite_b = np.isfinite(a), np.isfinite(b)
        scale = max(_max_abs(a[finite_a]), _max_abs(b[finite_b]))
        if not np.array_equal(finite_a, finite_b):
            return float("nan"), scale
        if not finite_a.all():
            # Same non-finite value on both sides (nan == nan here) counts as agreeing.
            odd = ~finite_a
            if not np.array_equal(a[odd], b[odd], equal_nan=True):
                return float("nan"), scale
        diff = np.abs(a[finite_a] - b[finite_a])
        worst = float(diff.max()) if diff.size else 0.0
        if worst > atol + rtol * scale:
            return worst, scale
    return None


def _max_abs(x: np.ndarray) -> float:
    return float(np.abs(x).max()) if x.size else 0.0
