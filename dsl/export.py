"""Using a program outside the search: as an optax transformation, or as source.

Owns the two ways a discovered optimizer leaves the project:
- `to_optax(program, learning_rate)`: an `optax.GradientTransformation` usable in
  any optax/flax loop (optax convention: the returned updates are *added* to the
  params, so they are the program's `update` negated);
- `to_python_source(program)`: a standalone module depending only on jax and optax
  that a user can paste into a training script.

Both run the program on the flat representation (all leaves raveled into one
vector), which is what makes global reductions (`global_norm`, `dot`, ...) reduce
over the whole parameter set, as the paper's search space defines them.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from dsl.analysis import check, live_program
from dsl.ops import OPS, LeafLayout
from dsl.program import Const, Program
from dsl.reference import run_step


class ProgramState(NamedTuple):
    """Optimizer state of an exported program: step count and the two slots (flat)."""

    count: jax.Array
    m: jax.Array
    v: jax.Array


def to_optax(
    program: Program, learning_rate: float | Callable[[jax.Array], jax.Array] = 1.0
) -> optax.GradientTransformation:
    """Export `program` as an optax transformation.

    Args:
        program: a valid program; dead statements are dropped.
        learning_rate: a float or an optax schedule (step count -> value), fed to
            the program's `lr` input. The program's own lr constant scales it.

    Raises:
        InvalidProgram: the program is not valid.
    """
    check(program)
    body = live_program(program)
    reads_w = any(name == "w" for st in body for name in st.reads())

    def init_fn(params) -> ProgramState:
        flat, _ = ravel_pytree(params)
        zeros = jnp.zeros(flat.shape, jnp.float32)
        return ProgramState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update_fn(updates, state: ProgramState, params=None):
        g, unravel = ravel_pytree(updates)
        if params is None:
            if reads_w:
                raise ValueError("this program reads the weights `w`: pass params to update()")
            w = jnp.zeros_like(g)
        else:
            w, _ = ravel_pytree(params)
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        sizes = [leaf.size for leaf in jax.tree_util.tree_leaves(updates)]
        layout = LeafLayout.from_sizes(sizes)
        update, m, v = run_step(
            body, w.astype(jnp.float32), g.astype(jnp.float32), state.m, state.v, lr, layout
        )
        new_updates = unravel((-update).astype(g.dtype))
        return new_updates, ProgramState(state.count + 1, m, v)

    return optax.GradientTransformation(init_fn, update_fn)


# ---------------------------------------------------------------------------
# Standalone source

#: How each op is written in exported source; `{0}`.. are its arguments. The helpers
#: named here are defined in `_PRELUDE` and mirror the guards of `dsl.ops`.
SOURCE_TEMPLATES: dict[str, str] = {
    "pi": "jnp.float32(3.141592653589793)",
    "e": "jnp.float32(2.718281828459045)",
    "eps": "jnp.float32(EPS)",
    "abs": "jnp.abs({0})",
    "cos": "jnp.cos({0})",
    "sin": "jnp.sin({0})",
    "tan": "jnp.tan({0})",
    "arcsin": "jnp.arcsin(jnp.clip({0}, -1.0, 1.0))",
    "arccos": "jnp.arccos(jnp.clip({0}, -1.0, 1.0))",
    "arctan": "jnp.arctan({0})",
    "sinh": "jnp.sinh(jnp.clip({0}, -EXP_MAX, EXP_MAX))",
    "cosh": "jnp.cosh(jnp.clip({0}, -EXP_MAX, EXP_MAX))",
    "tanh": "jnp.tanh({0})",
    "arcsinh": "jnp.arcsinh({0})",
    "arccosh": "jnp.arccosh(jnp.maximum(jnp.abs({0}), 1.0))",
    "arctanh": "jnp.arctanh(jnp.clip({0}, -1.0 + 1e-6, 1.0 - 1e-6))",
    "exp": "jnp.exp(jnp.minimum({0}, EXP_MAX))",
    "exp2": "jnp.exp2(jnp.minimum({0}, 126.0))",
    "exp10": "jnp.power(10.0, jnp.minimum({0}, 38.0))",
    "expm1": "jnp.expm1(jnp.minimum({0}, EXP_MAX))",
    "log": "jnp.log(jnp.abs({0}) + EPS)",
    "log10": "jnp.log10(jnp.abs({0}) + EPS)",
    "log2": "jnp.log2(jnp.abs({0}) + EPS)",
    "log1p": "jnp.log1p(jnp.abs({0}))",
    "square": "jnp.square({0})",
    "sqrt": "jnp.sqrt(jnp.abs({0}))",
    "cube": "{0} * {0} * {0}",
    "cbrt": "jnp.cbrt({0})",
    "sign": "jnp.sign({0})",
    "reciprocal": "1.0 / _safe_denominator({0})",
    "negative": "jnp.negative({0})",
    "rsqrt": "1.0 / jnp.sqrt(jnp.maximum(jnp.abs({0}), EPS))",
    "norm": "_norm({0}, segment_ids, num_segments)",
    "add": "{0} + {1}",
    "subtract": "{0} - {1}",
    "multiply": "{0} * {1}",
    "divide": "{0} / _safe_denominator({1})",
    "max": "jnp.maximum({0}, {1})",
    "min": "jnp.minimum({0}, {1})",
    "interp": "(1.0 - {2}) * {0} + {2} * {1}",
    "global_norm": "_global_norm({0})",
    "dot": "jnp.sum({0} * {1})",
    "cosine_sim": "jnp.sum({0} * {1}) / jnp.maximum(_global_norm({0}) * _global_norm({1}), EPS)",
    "clip_by_global_norm": "{0} * jnp.minimum(1.0, jnp.abs({1}) / jnp.maximum(_global_norm({0}), EPS))",
    "power": "jnp.exp(jnp.clip({1} * jnp.log(jnp.maximum(jnp.abs({0}), 1e-30)), -EXP_MAX, EXP_MAX))",
}

_PRELUDE = '''"""An optimizer discovered by optsearch, exported as a standalone optax module.

Usage:
    tx = optimizer(learning_rate=1.0)   # or an optax schedule
    updates, state = tx.update(grads, state, params)

The step function below is the program; `optimizer` wraps it for optax. Depends
only on jax and optax.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

EPS = {eps!r}
EXP_MAX = {exp_max!r}


def _safe_denominator(x):
    return jnp.where(jnp.abs(x) < EPS, jnp.where(x < 0, -EPS, EPS), x)


def _global_norm(t):
    return jnp.sqrt(jnp.sum(jnp.square(t)))


def _norm(x, segment_ids, num_segments):
    if jnp.ndim(x) == 0:
        return jnp.abs(x)
    sums = jax.ops.segment_sum(jnp.square(x), segment_ids, num_segments)
    return jnp.sqrt(sums[segment_ids])

'''

_WRAPPER = '''

class State(NamedTuple):
    count: jax.Array
    m: jax.Array
    v: jax.Array


def optimizer(learning_rate=1.0):
    """The program as an optax GradientTransformation (updates are added to params)."""

    def init_fn(params):
        flat, _ = ravel_pytree(params)
        zeros = jnp.zeros(flat.shape, jnp.float32)
        return State(jnp.zeros((), jnp.int32), zeros, zeros)

    def update_fn(updates, state, params=None):
        g, unravel = ravel_pytree(updates)
        w = ravel_pytree(params)[0] if params is not None else jnp.zeros_like(g)
        sizes = [leaf.size for leaf in jax.tree_util.tree_leaves(updates)]
        segment_ids = jnp.asarray(np.repeat(np.arange(len(sizes)), sizes))
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        update, m, v = step(
            w.astype(jnp.float32), g.astype(jnp.float32), state.m, state.v,
            jnp.float32(lr), segment_ids, len(sizes),
        )
        return unravel((-update).astype(g.dtype)), State(state.count + 1, m, v)

    return optax.GradientTransformation(init_fn, update_fn)
'''


def to_python_source(program: Program, title: str = "") -> str:
    """A standalone jax/optax module implementing `program` (dead code dropped).

    Raises:
        InvalidProgram: the program is not valid.
    """
    from dsl.ops import EPS, EXP_MAX

    check(program)
    body = live_program(program)
    lines = [_PRELUDE.format(eps=EPS, exp_max=EXP_MAX)]
    if title:
        lines.insert(0, f"# {title}\n")
    lines.append("\ndef step(w, g, m, v, lr, segment_ids, num_segments):")
    lines.append('    """One step of the program on flat tensors; returns (update, m, v)."""')
    for st in body:
        args = [_source_arg(a) for a in st.args]
        lines.append(f"    {st.target} = {SOURCE_TEMPLATES[st.op].format(*args)}")
    lines.append("    return update, m, v")
    return "\n".join(lines) + _WRAPPER


def _source_arg(arg: Any) -> str:
    if isinstance(arg, Const):
        return f"jnp.float32({arg.value!r})"
    return arg.name


assert set(SOURCE_TEMPLATES) == set(OPS), "every op needs a source template"
