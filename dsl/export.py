"""Using a program outside the search: as an optax transformation, or as source.

Owns the ways a discovered optimizer leaves the project as JAX code:
- `to_optax(program, lr_schedule)`: an `optax.GradientTransformation` usable in
  any optax/flax loop (optax convention: the returned updates are *added* to the
  params, so they are the program's `update` negated);
- `to_python_source(program)`: a standalone module depending only on jax and optax
  that a user can paste into a training script.
(`dsl.export_torch` writes a PyTorch optimizer, `dsl.export_latex` an algorithm box.)

`lr_schedule` is not optax's `learning_rate`: it is what the program receives as
its `lr` input, which the program itself scales by its own constants (Lion:
`lr * 0.0001`). 1.0 trains the optimizer as it was found; a schedule is a
multiplier over steps. Passing a habitual 1e-3 would scale twice.

State is allocated only for the slots the program carries between steps, shaped
like the params (float32). A program with a global reduction (`global_norm`,
`dot`, ...) runs on all leaves raveled into one vector, so the reduction spans the
whole parameter set as the paper's search space defines it; any other program runs
leaf by leaf (`norm` is then each leaf's own norm either way).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from dsl.export_plan import ExportPlan, literal, lr_scale, plan_export
from dsl.ops import OPS, LeafLayout
from dsl.program import Program, Var
from dsl.reference import run_step

#: A constant `lr_schedule` below this, on a program that already scales lr by a
#: constant below it, is most likely an optax learning rate applied twice.
DOUBLE_SCALE_THRESHOLD = 0.01

Schedule = float | Callable[[jax.Array], jax.Array]


class ProgramState(NamedTuple):
    """Optimizer state of an exported program.

    Attributes:
        count: steps taken (what a schedule is evaluated at).
        m, v: pytrees like the params (float32), or None for a slot the program
            never carries between steps.
    """

    count: jax.Array
    m: Any
    v: Any


def to_optax(
    program: Program, lr_schedule: Schedule = 1.0, *, learning_rate: Any = None
) -> optax.GradientTransformation:
    """Export `program` as an optax transformation.

    Args:
        program: a valid program; dead statements are dropped.
        lr_schedule: a multiplier on the program's own learning rate: the value fed
            to its `lr` input each step, a float or an optax schedule (step count
            -> value). The program scales it by its own constants, so 1.0 trains
            it as found; this is *not* optax's learning rate (1e-3 out of habit
            would scale twice, and warns).
        learning_rate: not accepted; raises, naming `lr_schedule`.

    Raises:
        InvalidProgram: the program is not valid.
        TypeError: `learning_rate` was given.
    """
    if learning_rate is not None:
        raise TypeError(
            "to_optax takes no learning_rate: the program already scales its lr "
            "input by its own constants. Pass lr_schedule= (a multiplier of that "
            "input: 1.0 trains the program as found, or an optax schedule)."
        )
    plan = plan_export(program)
    _warn_double_scale(plan, lr_schedule)

    def init_fn(params) -> ProgramState:
        def zeros():
            return jax.tree_util.tree_map(
                lambda p: jnp.zeros(jnp.shape(p), jnp.float32), params
            )

        return ProgramState(
            jnp.zeros((), jnp.int32),
            zeros() if "m" in plan.slots else None,
            zeros() if "v" in plan.slots else None,
        )

    def update_fn(updates, state: ProgramState, params=None):
        if params is None and plan.reads_w:
            raise ValueError(
                "this program reads the weights `w`: call update(grads, state, params)"
            )
        lr = lr_schedule(state.count) if callable(lr_schedule) else lr_schedule
        lr = jnp.asarray(lr, jnp.float32)
        new_updates, m, v = _apply_by_leaves(plan, updates, params, state, lr)
        return new_updates, ProgramState(state.count + 1, m, v)

    return optax.GradientTransformation(init_fn, update_fn)


def _apply_by_leaves(plan: ExportPlan, updates, params, state, lr):
    """Run the program over a gradient pytree: on one raveled vector if it needs
    the whole parameter set, else leaf by leaf. Returns (updates, m, v) trees."""
    grads, treedef = jax.tree_util.tree_flatten(updates)

    def leaves(tree):
        return treedef.flatten_up_to(tree) if tree is not None else [None] * len(grads)

    ws, ms, vs = leaves(params), leaves(state.m), leaves(state.v)
    if plan.needs_flat:
        sizes = [g.size for g in grads]
        update, m, v = run_step(
            plan.body, _cat(ws), _cat(grads), _cat(ms), _cat(vs), lr,
            LeafLayout.from_sizes(sizes),
        )
        out, ms, vs = _split(update, grads), _split(m, grads), _split(v, grads)
    else:
        steps = [
            run_step(
                plan.body, _flat(w), _flat(g), _flat(m), _flat(v), lr,
                LeafLayout.single(g.size),
            )
            for w, g, m, v in zip(ws, grads, ms, vs)
        ]
        out = [_shaped(s.update, g) for s, g in zip(steps, grads)]
        ms = [_shaped(s.m, g) for s, g in zip(steps, grads)]
        vs = [_shaped(s.v, g) for s, g in zip(steps, grads)]
    new_updates = treedef.unflatten(
        [(-u).astype(g.dtype) for u, g in zip(out, grads)]
    )
    m = treedef.unflatten(ms) if "m" in plan.slots else None
    v = treedef.unflatten(vs) if "v" in plan.slots else None
    return new_updates, m, v


def _flat(x):
    return None if x is None else jnp.reshape(x, (-1,)).astype(jnp.float32)


def _shaped(x, like):
    return None if x is None else jnp.reshape(x, jnp.shape(like))


def _cat(xs: list):
    if xs[0] is None:
        return None
    return jnp.concatenate([_flat(x) for x in xs])


def _split(flat, like: list) -> list:
    if flat is None:
        return [None] * len(like)
    out, start = [], 0
    for leaf in like:
        out.append(jnp.reshape(flat[start : start + leaf.size], jnp.shape(leaf)))
        start += leaf.size
    return out


def _warn_double_scale(plan: ExportPlan, lr_schedule: Schedule) -> None:
    """Warn when a small constant multiplier meets a program that already scales
    lr by a small constant: an optax learning rate passed out of habit."""
    if callable(lr_schedule):
        return
    scale = lr_scale(plan.body)
    multiplier = abs(float(lr_schedule))
    small = DOUBLE_SCALE_THRESHOLD
    if scale is not None and multiplier < small and scale < small:
        warnings.warn(
            f"lr_schedule={float(lr_schedule):g} multiplies the program's lr, which "
            f"the program already scales by {scale:g} "
            f"(effective {multiplier * scale:g}); "
            "this looks like a learning rate applied twice. lr_schedule=1.0 trains "
            "the program as found.",
            stacklevel=3,
        )


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
    tx = optimizer()   # lr_schedule=1.0: the program's own learning rate
    updates, state = tx.update(grads, state, params)

`lr_schedule` multiplies the program's `lr` input, which the program already scales
by its own constants: 1.0 trains it as found; an optax schedule varies it over
steps. It is not optax's learning rate. The step function below is the program
(its variables other than w, g, m, v, lr, update are prefixed `v_`); `optimizer`
wraps it for optax. Depends only on jax, numpy and optax.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

EPS = {eps}
EXP_MAX = {exp_max}
#: State slots the program carries between steps (only these are allocated).
SLOTS = {slots!r}
#: Whether the program reads the weights (then update() needs the params).
READS_W = {reads_w!r}
#: Whether the program reduces over the whole parameter set: it then runs on all
#: leaves raveled into one vector, otherwise leaf by leaf.
WHOLE_SET = {whole_set!r}


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
    """Step count, and a float32 pytree like the params per carried slot (else None)."""

    count: jax.Array
    m: Any
    v: Any


def _flat(x):
    return None if x is None else jnp.reshape(x, (-1,)).astype(jnp.float32)


def _cat(xs):
    return None if xs[0] is None else jnp.concatenate([_flat(x) for x in xs])


def _split(flat, like):
    if flat is None:
        return [None] * len(like)
    ends = np.cumsum([leaf.size for leaf in like])
    return [jnp.reshape(flat[end - leaf.size : end], jnp.shape(leaf))
            for leaf, end in zip(like, ends)]


def optimizer(lr_schedule=1.0, *, learning_rate=None):
    """The program as an optax GradientTransformation (updates are added to params)."""
    if learning_rate is not None:
        raise TypeError(
            "optimizer() takes no learning_rate: the program already scales its lr "
            "input. Pass lr_schedule= (1.0 trains it as found, or an optax schedule)."
        )

    def init_fn(params):
        def zeros():
            return jax.tree_util.tree_map(lambda p: jnp.zeros(jnp.shape(p), jnp.float32), params)

        return State(jnp.zeros((), jnp.int32),
                     zeros() if "m" in SLOTS else None, zeros() if "v" in SLOTS else None)

    def update_fn(updates, state, params=None):
        if params is None and READS_W:
            raise ValueError("this program reads the weights `w`: call update(grads, state, params)")
        grads, treedef = jax.tree_util.tree_flatten(updates)

        def leaves(tree):
            return treedef.flatten_up_to(tree) if tree is not None else [None] * len(grads)

        ws, ms, vs = leaves(params), leaves(state.m), leaves(state.v)
        lr = lr_schedule(state.count) if callable(lr_schedule) else lr_schedule
        lr = jnp.asarray(lr, jnp.float32)
        if WHOLE_SET:
            sizes = [g.size for g in grads]
            segment_ids = jnp.asarray(np.repeat(np.arange(len(sizes)), sizes))
            update, m, v = step(_cat(ws), _cat(grads), _cat(ms), _cat(vs), lr,
                                segment_ids, len(sizes))
            out, ms, vs = _split(update, grads), _split(m, grads), _split(v, grads)
        else:
            steps = [
                step(_flat(w), _flat(g), _flat(m), _flat(v), lr, jnp.zeros((g.size,), jnp.int32), 1)
                for w, g, m, v in zip(ws, grads, ms, vs)
            ]
            out = [jnp.reshape(update, jnp.shape(g)) for (update, _, _), g in zip(steps, grads)]
            ms = [None if m is None else jnp.reshape(m, jnp.shape(g))
                  for (_, m, _), g in zip(steps, grads)]
            vs = [None if v is None else jnp.reshape(v, jnp.shape(g))
                  for (_, _, v), g in zip(steps, grads)]
        new_updates = treedef.unflatten([(-u).astype(g.dtype) for u, g in zip(out, grads)])
        m = treedef.unflatten(ms) if "m" in SLOTS else None
        v = treedef.unflatten(vs) if "v" in SLOTS else None
        return new_updates, State(state.count + 1, m, v)

    return optax.GradientTransformation(init_fn, update_fn)
'''


def to_python_source(program: Program) -> str:
    """A standalone jax/optax module implementing `program` (dead code dropped).

    The module holds nothing but what the program determines: no file names or
    other input; variables are renamed so none shadows a name the module uses.

    Raises:
        InvalidProgram: the program is not valid.
    """
    from dsl.ops import EPS, EXP_MAX

    plan = plan_export(program)
    lines = [
        _PRELUDE.format(
            eps=literal(EPS),
            exp_max=literal(EXP_MAX),
            slots=plan.slots,
            reads_w=plan.reads_w,
            whole_set=plan.needs_flat,
        )
    ]
    lines.append("\ndef step(w, g, m, v, lr, segment_ids, num_segments):")
    lines += STEP_DOCSTRING
    lines += statement_lines(plan, SOURCE_TEMPLATES, lambda text: f"jnp.float32({text})")
    lines.append("    return update, m, v")
    return "\n".join(lines) + _WRAPPER


#: The docstring of a generated step function, line by line.
STEP_DOCSTRING = [
    '    """One step of the program on flat float32 tensors; returns (update, m, v).',
    "",
    "    A state slot the program does not carry arrives as None.",
    '    """',
]


def statement_lines(
    plan: ExportPlan, templates: dict[str, str], constant: Callable[[str], str]
) -> list[str]:
    """The body of a generated step function: one line per live statement.

    Args:
        templates: how each op is written, `{0}`.. its arguments.
        constant: wraps a literal's Python text (e.g. in `jnp.float32(...)`).
    """
    lines = []
    for st in plan.body:
        args = [
            plan.names[a.name] if isinstance(a, Var) else constant(literal(a.value))
            for a in st.args
        ]
        lines.append(f"    {plan.names[st.target]} = {templates[st.op].format(*args)}")
    return lines


assert set(SOURCE_TEMPLATES) == set(OPS), "every op needs a source template"
