"""Reference execution: the plain, obviously-correct interpreter.

This module owns the meaning of a program step: statements run in order on a
dictionary of named values, exactly as written (dead code included). It is slow and
simple on purpose; the compile-once executor (`dsl.executor`) and the optax export
are tested against it.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from dsl.ops import OPS, LeafLayout, OpRegistry
from dsl.program import Const, Program


class StepResult(NamedTuple):
    """What one step of a program returns."""

    update: jnp.ndarray
    m: jnp.ndarray
    v: jnp.ndarray


def run_step(
    program: Program,
    w: jnp.ndarray,
    g: jnp.ndarray,
    m: jnp.ndarray,
    v: jnp.ndarray,
    lr: float | jnp.ndarray,
    layout: LeafLayout | None = None,
    ops: OpRegistry = OPS,
) -> StepResult:
    """Run one step of `program` on flat tensors (1-D arrays of the same length).

    The program must be valid (see `dsl.analysis.check`). Non-finite values are
    returned as they are, never raised.
    """
    layout = layout or LeafLayout.single(w.shape[0])
    env = {"w": w, "g": g, "m": m, "v": v, "lr": jnp.asarray(lr, jnp.float32)}
    for st in program.statements:
        args = [
            jnp.asarray(a.value, jnp.float32) if isinstance(a, Const) else env[a.name]
            for a in st.args
        ]
        env[st.target] = jnp.asarray(ops[st.op].impl(layout, *args), jnp.float32)
    return StepResult(env["update"], env["m"], env["v"])


def run_steps(
    program: Program,
    w: jnp.ndarray,
    grads: jnp.ndarray,
    lrs: jnp.ndarray,
    layout: LeafLayout | None = None,
    apply_updates: bool = True,
) -> jnp.ndarray:
    """Run `len(grads)` steps from zero state; return the updates, shape [steps, N].

    `grads[t]` is fed as the gradient of step t and `lrs[t]` as its lr. With
    `apply_updates`, `w` moves by `w - update` after each step as in training.
    """
    m = jnp.zeros_like(w)
    v = jnp.zeros_like(w)
    updates = []
    for t in range(grads.shape[0]):
        update, m, v = run_step(program, w, grads[t], m, v, lrs[t], layout)
        updates.append(update)
        if apply_updates:
            w = w - update
    return jnp.stack(updates)
