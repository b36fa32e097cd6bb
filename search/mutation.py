"""Mutations, looked up by name: the paper's three, two that change an op, and
duplication.

Owns how a child program is drawn from its parent. The paper's (Chen et al. 2023,
Sec. 2.2): insert a random statement at a random position, delete a random
statement, or modify one argument of a random statement (another variable of an
accepted kind, or a constant: redrawn from N(0, 1) or multiplied by 2^N(0, 1)).
Neither of those ever changes the op of an existing statement, so turning
`update = m / sqrt_v` into `update = sign(m)` takes an insertion that happens to
draw the right op, target, position and argument at once. Two more, off unless
a config weights them:

- `change_op`: a random statement gets another op; its arguments are kept where
  the new op has the position and accepts their kind, drawn afresh otherwise
  (point mutation of the function node in genetic programming).
- `randomize`: a random statement is replaced by a random statement writing the
  same variable (AutoML-Zero's randomize-instruction, Real et al. 2020).
- `duplicate`: a random statement is copied, under a fresh name, just before
  itself, and one later reader of the original reads the copy instead (gene
  duplication, Koza's architecture-altering operations): the copy starts as a
  twin of a computation that already works and can then diverge from it.
  Without it, giving one value a second, differently tuned version takes an
  insertion of the right op and arguments plus an edit that makes it read, two
  rare steps the first of which is neutral. The copy's constants are mutated,
  except with probability `duplicate_exact_prob`, when it is an exact copy: a
  neutral child (same behaviour, so a cache hit at its parent's fitness) that
  carries the spare copy until a later child diverges it. Exact copies matter
  under tuning at birth, which moves one constant per new structure: a mutated
  copy must be born with its own constant already near a good value for the
  sweep to fix the other one, while an exact copy lets every later child's
  sweep move either twin on its own.
- `expand`: a statement is rewritten as an equivalent few by one of the
  simplifier's rewrites run backwards (`search.expansions`): a neutral child
  with more places for later edits to reach.
- `smooth`: a value is kept as a moving average in a free state slot and one
  reader reads the average (`search.smoothing`): memory in one edit.

A mutation may produce an invalid program (a deletion can orphan a read); the
caller re-mutates the parent until the child passes abstract execution, as the
paper does.

Each mutation is a pure function of (rng, program, context) registered in
`MUTATIONS`; the conformance test runs over every entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from dsl.generate import kinds_before, random_arg, random_constant, random_statement
from dsl.ops import OPS, Kind, OpRegistry
from dsl.program import Const, Program, Statement, Var
from search.expansions import expand_statement
from search.rewiring import fresh_names, point_one_reader
from search.smoothing import smooth_statement


@dataclass(frozen=True)
class MutationContext:
    """What mutations need to know besides the program."""

    ops: OpRegistry = field(default_factory=lambda: OPS)
    max_length: int = 20
    const_redraw_prob: float = 0.5
    const_arg_prob: float = 0.3
    duplicate_exact_prob: float = 0.0


Mutation = Callable[[np.random.Generator, Program, MutationContext], "Program | None"]


def _targets(program: Program) -> list[str]:
    # Existing variables, `update`, and one fresh temporary so programs can grow
    # new values.
    names = program.variables()
    if "update" not in names:
        names.append("update")
    return names + fresh_names(program, 1)


def insert_statement(rng: np.random.Generator, program: Program, context: MutationContext):
    """Insert a random statement at a random position (None if at the length limit)."""
    if len(program) >= context.max_length:
        return None
    index = int(rng.integers(len(program) + 1))
    env = kinds_before(program, index)
    statement = random_statement(
        rng, env, _targets(program), context.ops, context.const_arg_prob
    )
    return program.insert(index, statement)


def delete_statement(rng: np.random.Generator, program: Program, context: MutationContext):
    """Delete a random statement (None for a one-statement program)."""
    if len(program) <= 1:
        return None
    return program.delete(int(rng.integers(len(program))))


def mutate_constant(rng: np.random.Generator, value: float, redraw_prob: float) -> float:
    """Redraw from N(0, 1), or scale by 2^N(0, 1), keeping 4 significant digits."""
    if rng.random() < redraw_prob:
        return random_constant(rng)
    return float(f"{value * 2.0 ** rng.normal():.4g}")


def modify_argument(rng: np.random.Generator, program: Program, context: MutationContext):
    """Change one argument of a random statement (None if no statement has one)."""
    candidates = [i for i, st in enumerate(program) if st.args]
    if not candidates:
        return None
    index = candidates[int(rng.integers(len(candidates)))]
    statement = program.statements[index]
    position = int(rng.integers(len(statement.args)))
    old = statement.args[position]
    # Kinds come from the full registry: a parent may use an op the config's
    # subset excludes (e.g. a seed program), and that must not stop its mutation.
    accepts = OPS[statement.op].arg_kinds[position]
    if isinstance(old, Const) and rng.random() < 0.8:
        new = Const(mutate_constant(rng, old.value, context.const_redraw_prob))
    else:
        env = kinds_before(program, index)
        names = [n for n, k in env.items() if accepts.accepts(k) and Var(n) != old]
        if accepts.accepts(Kind.SCALAR) and (not names or rng.random() < context.const_arg_prob):
            new = Const(random_constant(rng))
        elif names:
            new = Var(names[int(rng.integers(len(names)))])
        else:
            return None
    args = statement.args[:position] + (new,) + statement.args[position + 1 :]
    return program.replace_statement(index, type(statement)(statement.target, statement.op, args))


def change_op(rng: np.random.Generator, program: Program, context: MutationContext):
    """Give a random statement another op, keeping the arguments that still fit."""
    if not program.statements:
        return None
    index = int(rng.integers(len(program)))
    statement = program.statements[index]
    choices = [op for name, op in context.ops.items() if name != statement.op]
    if not choices:
        return None
    op = choices[int(rng.integers(len(choices)))]
    env = kinds_before(program, index)
    args = []
    for position, accepts in enumerate(op.arg_kinds):
        old = statement.args[position] if position < len(statement.args) else None
        kind = _kind_of(old, env)
        if old is not None and kind is not None and accepts.accepts(kind):
            args.append(old)
        else:
            args.append(random_arg(rng, accepts, env, context.const_arg_prob))
    new = type(statement)(statement.target, op.name, tuple(args))
    return program.replace_statement(index, new)


def _kind_of(arg, env) -> Kind | None:
    if arg is None:
        return None
    return Kind.SCALAR if isinstance(arg, Const) else env.get(arg.name)


def randomize_statement(
    rng: np.random.Generator, program: Program, context: MutationContext
):
    """Replace a random statement by a random one writing the same variable."""
    if not program.statements:
        return None
    index = int(rng.integers(len(program)))
    env = kinds_before(program, index)
    target = program.statements[index].target
    statement = random_statement(rng, env, [target], context.ops, context.const_arg_prob)
    return program.replace_statement(index, statement)


def duplicate_statement(
    rng: np.random.Generator, program: Program, context: MutationContext
):
    """Copy a random statement to a fresh variable just before it (constants
    mutated unless the copy is drawn exact, with probability
    `context.duplicate_exact_prob`) and point one later reader of the original
    at the copy.

    The copy sits before the original so it reads exactly the values the
    original reads (for `m = interp(g, m, b)` the copy mixes with the old m). A
    reader is a later argument that reads the original's value: up to and
    including the first statement that writes the original's target again. With
    no such reader the copy is dead code, a neutral child. None at the length
    limit or for a program without a statement that has arguments.
    """
    if len(program) >= context.max_length:
        return None
    candidates = [i for i, st in enumerate(program) if st.args]
    if not candidates:
        return None
    index = candidates[int(rng.integers(len(candidates)))]
    original = program.statements[index]
    fresh = _targets(program)[-1]
    # Draw only when exact copies are on, so configs without them keep the
    # random stream (and the runs) they had before the option existed.
    exact_prob = context.duplicate_exact_prob
    exact = exact_prob > 0 and rng.random() < exact_prob
    copy = Statement(fresh, original.op, tuple(
        Const(mutate_constant(rng, a.value, context.const_redraw_prob))
        if isinstance(a, Const) and not exact else a
        for a in original.args
    ))
    child = program.insert(index, copy)
    # The original is now at index + 1; its readers come after it.
    return point_one_reader(rng, child, index + 2, original.target, fresh)


#: Mutations by name, as configs refer to them (`mutation.NAME: weight`).
MUTATIONS: dict[str, Mutation] = {
    "insert": insert_statement,
    "delete": delete_statement,
    "modify": modify_argument,
    "change_op": change_op,
    "randomize": randomize_statement,
    "duplicate": duplicate_statement,
    "expand": expand_statement,
    "smooth": smooth_statement,
}


def choose_mutation(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """Draw a mutation name with probability proportional to its weight."""
    names = [n for n, w in weights.items() if w > 0]
    if not names:
        raise ValueError("every mutation weight is zero")
    p = np.array([weights[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]

