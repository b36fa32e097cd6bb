"""Compiled training of one task by any program: the compile-once loop.

This module owns turning a `Task` into three jitted functions whose program input
is data (`dsl.executor.ProgramCode`), so every candidate of a given maximum length
reuses one compilation:

- `init(code, keys, consts=None)`: parameters and registers of every run, each
  run optionally with its own program constants (constant tuning),
- `chunk(code, carry, t0, lr_scales)`: `num_steps / num_chunks` training steps,
- `evaluate(carry)`: validation metrics of every run.

Runs (seeds x lr multipliers) are vectorized with `vmap`; the program code is not,
so the interpreter's op dispatch stays a real branch rather than computing all 45
ops (see docs/design.md, performance). Training is split into chunks so the caller can
stop non-finite, diverging or slow candidates between them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from dsl.executor import ProgramCode, init_registers, make_step
from dsl.ops import LeafLayout
from dsl.reference import run_step
from proxy_tasks.registry import Task


class Stepper(NamedTuple):
    """How a run applies its optimizer; the compile-once executor by default.

    Attributes:
        init: `init(code, w) -> regs`, the optimizer state of one run.
        step: `step(code, regs, w, g, lr) -> (update, regs)`.
    """

    init: Callable
    step: Callable


def executor_stepper(layout: LeafLayout, max_length: int, num_params: int) -> Stepper:
    """The compile-once interpreter: any program of `max_length` is data."""
    step = make_step(layout, max_length, num_params, unroll=False)
    return Stepper(lambda code, w: init_registers(code, max_length, w), step)


def reference_stepper(program):
    """A `make_stepper` tracing `program` through the reference interpreter.

    Compiles a new training function per program: the slow path the executor
    replaces, kept as its correctness oracle and benchmark baseline.
    """

    def make(layout: LeafLayout, max_length: int, num_params: int) -> Stepper:
        def init(code, w):
            return jnp.zeros_like(w), jnp.zeros_like(w)

        def step(code, state, w, g, lr):
            update, m, v = run_step(program, w, g, state[0], state[1], lr, layout)
            return update, (m, v)

        return Stepper(init, step)

    return make


class Carry(NamedTuple):
    """Per-run training state, each with a leading run axis."""

    w: jax.Array  # [R, N] flat parameters
    regs: jax.Array  # register file (m, v and program temporaries)
    keys: jax.Array  # [R, 2] batch-sampling key per run


def schedule_value(schedule: str, t, num_steps: int):
    """The lr input at step `t` (0-based) for a schedule with peak 1.0."""
    frac = t / num_steps
    if schedule == "constant":
        return jnp.ones_like(frac)
    if schedule == "linear":
        return 1.0 - frac
    if schedule == "cosine":
        return 0.5 * (1.0 + jnp.cos(jnp.pi * frac))
    # warmup_cosine: linear warm-up over the first 10% of steps, then cosine.
    warm = 0.1
    cosine = 0.5 * (1.0 + jnp.cos(jnp.pi * (frac - warm) / (1.0 - warm)))
    return jnp.where(frac < warm, (t + 1) / (warm * num_steps), cosine)


def _cross_entropy(logits, labels):
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[..., None], axis=-1))


class TaskProgram:
    """The compiled training functions of one task for programs of `max_length`.

    Args:
        task: what to train.
        max_length: longest program (live statements) the executor accepts.
        make_stepper: `make_stepper(layout, max_length, num_params) -> Stepper`;
            the benchmarks swap in hand-written or per-program-compiled steps.
    """

    def __init__(self, task: Task, max_length: int, make_stepper=executor_stepper):
        self.task = task
        self.max_length = max_length
        self.dataset = task.dataset()
        model = task.build_model()
        template = model.init(jax.random.PRNGKey(0))
        flat, unravel = ravel_pytree(template)
        self.num_params = int(flat.shape[0])
        sizes = [int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(template)]
        self.layout = LeafLayout.from_sizes(sizes)
        classify = self.dataset.num_classes > 0
        ds = self.dataset
        self.arrays = tuple(
            jnp.asarray(a) for a in (ds.x_train, ds.y_train, ds.x_val, ds.y_val)
        )

        def loss_fn(w, x, y):
            out = model.apply(unravel(w), x)
            return _cross_entropy(out, y) if classify else jnp.mean(jnp.square(out - y))

        def val_metrics(w, x, y):
            out = model.apply(unravel(w), x)
            if classify:
                error = jnp.mean(jnp.argmax(out, axis=-1) != y)
                return _cross_entropy(out, y), error
            return jnp.mean(jnp.square(out - y)), jnp.float32(1.0)

        stepper = make_stepper(self.layout, max_length, self.num_params)
        step = stepper.step
        steps_per_chunk = task.num_steps // task.num_chunks
        num_train = ds.num_train

        def init_run(code, key, consts):
            # Constants live in each run's scalar registers, so runs of one
            # program structure may differ in them at no extra compile.
            w = ravel_pytree(model.init(jax.random.fold_in(key, 0)))[0]
            regs = stepper.init(code._replace(consts=consts), w)
            return w, regs, jax.random.fold_in(key, 1)

        def chunk_run(code, w, regs, key, t0, lr_scale, arrays):
            x_train, y_train = arrays[0], arrays[1]

            def body(state, i):
                w, regs = state
                t = t0 + i
                idx = jax.random.randint(
                    jax.random.fold_in(key, t), (task.batch_size,), 0, num_train
                )
                loss, g = jax.value_and_grad(loss_fn)(w, x_train[idx], y_train[idx])
                if task.grad_scale != 1.0:
                    g = g * task.grad_scale
                lr = (
                    schedule_value(task.schedule, t.astype(jnp.float32), task.num_steps)
                    * lr_scale
                )
                update, regs = step(code, regs, w, g, lr)
                return (w - update, regs), loss

            (w, regs), losses = jax.lax.scan(
                body, (w, regs), jnp.arange(steps_per_chunk)
            )
            finite = jnp.all(jnp.isfinite(w)) & jnp.all(jnp.isfinite(losses))
            return w, regs, jnp.mean(losses), finite

        @jax.jit
        def init(code: ProgramCode, keys, consts):
            w, regs, keys = jax.vmap(init_run, in_axes=(None, 0, 0))(code, keys, consts)
            return Carry(w, regs, keys)

        @jax.jit
        def chunk(code: ProgramCode, carry: Carry, t0, lr_scales, arrays):
            run = jax.vmap(chunk_run, in_axes=(None, 0, 0, 0, None, 0, None))
            w, regs, loss, finite = run(
                code, carry.w, carry.regs, carry.keys, t0, lr_scales, arrays
            )
            return Carry(w, regs, carry.keys), loss, finite

        @jax.jit
        def evaluate(carry: Carry, arrays):
            x_val, y_val = arrays[2], arrays[3]
            return jax.vmap(val_metrics, in_axes=(0, None, None))(carry.w, x_val, y_val)

        self._init, self._chunk, self._evaluate = init, chunk, evaluate

    @property
    def steps_per_chunk(self) -> int:
        return self.task.num_steps // self.task.num_chunks

    def init(self, code: ProgramCode, keys, consts=None) -> Carry:
        """Fresh runs, one per key; `consts` [R, C] gives each run its own program
        constants (default: the program's own, `code.consts`, in every run)."""
        if consts is None:
            consts = jnp.broadcast_to(code.consts, (keys.shape[0],) + code.consts.shape)
        return self._init(code, keys, consts)

    def chunk(self, code: ProgramCode, carry: Carry, index: int, lr_scales):
        """Run chunk `index`; returns (carry, mean train loss [R], finite [R])."""
        t0 = jnp.int32(index * self.steps_per_chunk)
        return self._chunk(code, carry, t0, lr_scales, self.arrays)

    def evaluate(self, carry: Carry):
        """Validation (loss [R], error [R]); error is 1.0 for regression."""
        return self._evaluate(carry, self.arrays)


def run_keys(seed: int, num_seeds: int, num_multipliers: int) -> jax.Array:
    """Keys of the runs, multiplier-major: run r has seed index r % num_seeds.

    The same seed index shares its key across lr multipliers (common random
    numbers: multipliers are compared on the same init and batches).
    """
    base = jax.random.PRNGKey(seed)
    keys = jnp.stack([jax.random.fold_in(base, i) for i in range(num_seeds)])
    return jnp.tile(keys, (num_multipliers, 1))


# An error rate reaches 0 on a solved task, and a validation set of a few thousand
# examples cannot resolve rates below 1e-4 anyway. A loss is floored far lower,
# relative to chance: a regression with noise-free validation targets is solved
# to a loss of 1e-6 or below by a good rule, and an absolute 1e-4 floor scored
# every such rule the same (AdamW, RMSProp and Adagrad tied at one value on the
# ill-conditioned task). The cap, log(1e8) = 18.4, only keeps a zero loss finite.
ERROR_FLOOR = 1e-4
LOSS_FLOOR_OF_CHANCE = 1e-8


def log_ratio(chance: float, value: float, metric: str = "error") -> float:
    """log(chance / value), the value floored as its metric can resolve."""
    floor = ERROR_FLOOR if metric == "error" else chance * LOSS_FLOOR_OF_CHANCE
    return math.log(chance / max(value, floor))


def train_and_evaluate(tp: TaskProgram, code, keys, lr_scales):
    """All chunks without checks, then validation; blocks until done (benchmarks)."""
    carry = tp.init(code, keys)
    for index in range(tp.task.num_chunks):
        carry, _, _ = tp.chunk(code, carry, index, lr_scales)
    loss, error = tp.evaluate(carry)
    return np.asarray(loss), np.asarray(error)
