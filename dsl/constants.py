"""A program's live constants as a vector: read, perturb and write back.

Owns the view of a program's hyperparameters that constant tuning works on. The
paper treats numeric literals as the program's hyperparameters and mutates them by
x 2^N(0, 1) (Chen et al. 2023, Sec. 2.2); per-candidate tuning (PySR optimises
every expression's constants the same way) scores several perturbed copies of one
structure in a single vectorised call and keeps the best. Only constants of live
statements are in the vector: dead code costs nothing at run time, so tuning it
would waste runs.

The order is the compile-once executor's: live statements in program order, then
argument position. That is what lets `dsl.executor.encode` place a vector into
the interpreter's constant slots (`code_constants`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dsl.analysis import liveness
from dsl.program import Const, Program, Statement

#: Significant digits kept when a tuned value is written back (as mutations do).
DIGITS = 4


@dataclass(frozen=True)
class ConstantSlot:
    """Where one live constant sits, and how it may be perturbed.

    Attributes:
        statement: index of the statement in the program (dead code included).
        position: argument position within the statement.
        value: the constant.
        mixing: the weight of an `interp`, a mixing coefficient: perturbed in
            logit space while inside (0, 1), so it stays a convex weight.
    """

    statement: int
    position: int
    value: float
    mixing: bool


def constant_slots(program: Program) -> list[ConstantSlot]:
    """The live constants of `program`, in executor order."""
    live, _ = liveness(program)
    slots = []
    for index, (st, keep) in enumerate(zip(program.statements, live)):
        if not keep:
            continue
        for position, arg in enumerate(st.args):
            if isinstance(arg, Const):
                mixing = st.op == "interp" and position == 2 and 0 < arg.value < 1
                slots.append(ConstantSlot(index, position, arg.value, mixing))
    return slots


def with_constants(program: Program, values) -> Program:
    """`program` with its live constants replaced by `values` (executor order),
    rounded to `DIGITS` significant digits.

    Raises:
        ValueError: `values` has the wrong length or a non-finite entry.
    """
    slots = constant_slots(program)
    values = [float(v) for v in values]
    if len(values) != len(slots):
        raise ValueError(f"{len(values)} values for {len(slots)} live constants")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("constants must be finite")
    statements = list(program.statements)
    for slot, value in zip(slots, values):
        st = statements[slot.statement]
        args = list(st.args)
        args[slot.position] = Const(round_constant(value, slot.mixing))
        statements[slot.statement] = Statement(st.target, st.op, tuple(args))
    return Program(tuple(statements))


def round_constant(value: float, mixing: bool = False) -> float:
    """`value` to `DIGITS` significant digits (how constants are written).

    A mixing weight in (0, 1) keeps `DIGITS` digits of its distance to the nearer
    end instead, so 0.99996 stays 0.99996 rather than becoming an interp that
    ignores its first argument.
    """
    if mixing and 0.5 < value < 1:
        return float(f"{1.0 - float(f'{1.0 - value:.{DIGITS}g}'):.12g}")
    return float(f"{value:.{DIGITS}g}")


def perturbed_constants(
    slots: list[ConstantSlot], num_draws: int, scale: float, rng: np.random.Generator
) -> np.ndarray:
    """`num_draws` perturbed copies of the slots' values, shape [num_draws, n].

    Every constant moves at once: by x 2^(scale * N(0, 1)) (the paper's constant
    mutation at `scale` 1), or, for an interp weight in (0, 1), by
    `scale * N(0, 1)` nats in logit space. Values are rounded as written back, so
    a tuned program scores exactly what it was tuned to.
    """
    values = np.array([s.value for s in slots], np.float64)
    draws = np.empty((num_draws, len(slots)))
    noise = rng.normal(size=(num_draws, len(slots)))
    for j, slot in enumerate(slots):
        if slot.mixing:
            logit = math.log(values[j] / (1.0 - values[j]))
            draws[:, j] = 1.0 / (1.0 + np.exp(-(logit + scale * noise[:, j])))
        else:
            draws[:, j] = values[j] * 2.0 ** (scale * noise[:, j])
    for j, slot in enumerate(slots):
        draws[:, j] = [round_constant(v, slot.mixing) for v in draws[:, j]]
    return draws


#: Values a coordinate sweep tries for an interp weight in (0, 1): memories of
#: about 2, 10, 100 and 1000 steps.
MIXING_GRID = (0.5, 0.9, 0.99, 0.999)
#: Magnitudes it tries for every other constant (the constant's sign is kept):
#: one per decade, wide enough to reach a sign method's decay (about 1) from
#: AdamW's 0.01, which no relative perturbation of 2^N(0, 1) does.
MAGNITUDE_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def grid_constants(
    slots: list[ConstantSlot],
    mixing_grid: tuple[float, ...] = MIXING_GRID,
    magnitude_grid: tuple[float, ...] = MAGNITUDE_GRID,
) -> np.ndarray:
    """A coordinate sweep on an absolute grid, shape [k, n]: each row moves one
    slot to one grid value and keeps the others.

    The values are absolute, not ratios of the current constant, so a structure
    born with constants far from its own optimum (a sign method inheriting
    AdamW's decay 0.01) can reach it in one step. A value equal to the slot's
    own is skipped, and so is a zero constant (zero is structure: `x * 0`).
    """
    values = [s.value for s in slots]
    rows = []
    for j, slot in enumerate(slots):
        if slot.value == 0:
            continue
        grid = mixing_grid if slot.mixing else [
            math.copysign(m, slot.value) for m in magnitude_grid
        ]
        for value in grid:
            value = round_constant(value, slot.mixing)
            if value != slot.value:
                rows.append(values[:j] + [value] + values[j + 1:])
    return np.array(rows, np.float64).reshape(len(rows), len(slots))


def executor_positions(program: Program, arity: int = 3) -> np.ndarray:
    """Where each live constant sits in `encode(program).consts`: the live rank of
    its statement times `arity` (the executor's `MAX_ARITY`) plus its position."""
    live, _ = liveness(program)
    rank = np.cumsum(live) - 1
    return np.array(
        [rank[s.statement] * arity + s.position for s in constant_slots(program)],
        np.int64,
    )
