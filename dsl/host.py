"""Host-side execution: running a program with numpy, for fast probes.

Owns the interpreter that behavioural fingerprints (`dsl.fingerprint`) and
equivalence checks (`dsl.equivalence`) use to run thousands of small programs for
a few steps on a few dozen parameters. At that size JAX's eager dispatch (tens of
microseconds per op) would cost far more than the arithmetic, so this runs each
op's `numpy_impl` instead (the same formula as `Op.impl`, see `dsl.ops`).

Only live statements run: dead code cannot change the updates or the state that
matters, so skipping it is exact. Probes usually run in float64, which keeps
round-off far below any tolerance a probe compares at; the executors use float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from dsl.analysis import liveness
from dsl.ops import CONSTANT_VALUES, OPS, LeafLayout, OpRegistry
from dsl.program import Const, Program


@dataclass(frozen=True)
class HostStep:
    """One step of a program, resolved for the numpy interpreter.

    Attributes:
        code: per live statement `(numpy_impl, target, args)`; an argument is a
            variable name (str) or a constant already converted to `dtype`.
        dtype: the float type every value is computed in.
    """

    code: tuple[tuple[Callable[..., Any], str, tuple[Any, ...]], ...]
    dtype: type


def compile_host(program: Program, dtype=np.float64, ops: OpRegistry = OPS) -> HostStep:
    """Resolve the live statements of a valid `program` for `run_host`."""
    live, _ = liveness(program)
    code = []
    for st, keep in zip(program.statements, live):
        if not keep:
            continue
        op = ops[st.op]
        if op.arity == 0:
            # Take the exact value, not the op's float32 copy, so float64 probes
            # see the same number a folded literal would give.
            value = dtype(CONSTANT_VALUES[st.op])
            code.append((_constant_fn(value), st.target, ()))
            continue
        args = tuple(
            dtype(a.value) if isinstance(a, Const) else a.name for a in st.args
        )
        code.append((op.numpy_impl, st.target, args))
    return HostStep(tuple(code), dtype)


def _constant_fn(value):
    return lambda layout: value


def run_host(
    step: HostStep | Program,
    w: np.ndarray,
    grads: np.ndarray,
    lrs: np.ndarray,
    layout: LeafLayout,
    apply_updates: bool = True,
) -> np.ndarray:
    """Run `len(grads)` steps from zero state; return the updates, shape [steps, N].

    Mirrors `dsl.reference.run_steps`: `grads[t]` and `lrs[t]` feed step t, and
    with `apply_updates` the weights move by `w - update` after each step.
    Non-finite values propagate; numpy's warnings about them are silenced.
    """
    if isinstance(step, Program):
        step = compile_host(step)
    dtype = step.dtype
    w = np.asarray(w, dtype)
    grads = np.asarray(grads, dtype)
    zeros = np.zeros_like(w)
    m, v = zeros, zeros
    updates = np.empty(grads.shape, dtype)
    with np.errstate(all="ignore"):
        for t in range(grads.shape[0]):
            env = {"w": w, "g": grads[t], "m": m, "v": v, "lr": dtype(lrs[t])}
            for fn, target, args in step.code:
                env[target] = fn(
                    layout, *[env[a] if type(a) is str else a for a in args]
                )
            updates[t] = env["update"]  # stores (and casts) in place
            m, v = env["m"], env["v"]
            if apply_updates:
                w = w - updates[t]
    return updates
