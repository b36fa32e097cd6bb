"""Random valid statements and programs.

Owns drawing well-kinded code at random: the search's insert mutation draws
statements here, and tests and benchmarks draw whole programs. Every draw respects
kinds (each argument is a variable of an accepted kind or, where scalars are
accepted, a constant), so what comes out passes `dsl.analysis.check` unless the
caller breaks it afterwards.

Randomness is always an argument (a numpy Generator).
"""

from __future__ import annotations

import numpy as np

from dsl.ops import OPS, ArgKind, Kind, Op, OpRegistry
from dsl.program import INPUTS, TENSOR_INPUTS, Arg, Const, Program, Statement, Var

_INPUT_KINDS = {name: Kind.TENSOR for name in TENSOR_INPUTS} | {"lr": Kind.SCALAR}


def kinds_before(program: Program, index: int) -> dict[str, Kind]:
    """The kind of every variable readable just before statement `index`.

    The program must be valid up to `index` (reads after writes, kinds accepted).
    """
    env = dict(_INPUT_KINDS)
    for st in program.statements[:index]:
        env[st.target] = _lenient_kind(st, env)
    return env


def _lenient_kind(st: Statement, env: dict[str, Kind]) -> Kind:
    op = OPS[st.op]
    arg_kinds = tuple(
        Kind.SCALAR if isinstance(a, Const) else env.get(a.name, Kind.TENSOR) for a in st.args
    )
    return op.result_kind(arg_kinds)


def random_constant(rng: np.random.Generator) -> float:
    """A constant drawn from N(0, 1), rounded to 4 significant digits for readability."""
    return float(f"{rng.normal():.4g}")


def random_arg(
    rng: np.random.Generator,
    accepts: ArgKind,
    env: dict[str, Kind],
    const_prob: float = 0.3,
) -> Arg:
    """A variable of an accepted kind, or a constant where scalars are accepted."""
    names = [n for n, k in env.items() if accepts.accepts(k)]
    scalar_ok = accepts.accepts(Kind.SCALAR)
    if scalar_ok and (not names or rng.random() < const_prob):
        return Const(random_constant(rng))
    return Var(names[rng.integers(len(names))])


def random_statement(
    rng: np.random.Generator,
    env: dict[str, Kind],
    targets: list[str],
    ops: OpRegistry = OPS,
    const_prob: float = 0.3,
) -> Statement:
    """A random statement readable in `env`, writing one of `targets`.

    A target that is a tensor input or state slot is only written with a tensor,
    so the statement keeps the program valid.
    """
    has_tensor = any(k is Kind.TENSOR for k in env.values())
    candidates = [op for op in ops.values() if has_tensor or ArgKind.TENSOR not in op.arg_kinds]
    while True:
        op: Op = candidates[rng.integers(len(candidates))]
        args = tuple(random_arg(rng, a, env, const_prob) for a in op.arg_kinds)
        arg_kinds = tuple(
            Kind.SCALAR if isinstance(a, Const) else env[a.name] for a in args
        )
        kind = op.result_kind(arg_kinds)
        allowed = [t for t in targets if t not in TENSOR_INPUTS or kind is Kind.TENSOR]
        if allowed:
            return Statement(allowed[rng.integers(len(allowed))], op.name, args)


def random_program(
    rng: np.random.Generator,
    num_statements: int,
    ops: OpRegistry = OPS,
    num_temporaries: int = 4,
    const_prob: float = 0.3,
) -> Program:
    """A valid random program of exactly `num_statements` statements (at least 1).

    Targets are drawn from the inputs, `update` and a few temporaries `t0..`, so
    programs overwrite variables as evolved programs do. The last statement writes
    a tensor `update` so the program is always valid.
    """
    if num_statements < 1:
        raise ValueError("a program needs at least one statement (it must write `update`)")
    env = dict(_INPUT_KINDS)
    targets = list(INPUTS) + ["update"] + [f"t{i}" for i in range(num_temporaries)]
    body = []
    for _ in range(num_statements - 1):
        st = random_statement(rng, env, targets, ops, const_prob)
        env[st.target] = _lenient_kind(st, env)
        body.append(st)
    # Finish with a tensor `update`; `update` is not a tensor input, so force it.
    for _ in range(100):
        st = random_statement(rng, env, ["update"], ops, const_prob)
        if _lenient_kind(st, env) is Kind.TENSOR:
            break
    else:  # an op set with no way to make a tensor from what is in scope
        raise ValueError("the op set cannot produce a tensor `update`")
    body.append(st)
    return Program(tuple(body))
