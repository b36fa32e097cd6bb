"""The `expand` mutation: a statement rewritten as an equivalent few, by one of
the static simplifier's rewrites run backwards.

Owns the table of expansions and the mutation that applies one. The simplifier
(`dsl.rewrites`) folds `x / abs(x)` into `sign(x)`, `sqrt(square(x))` into
`abs(x)`, a convex mix written out into an `interp`, and chained constant
factors into one; `expand` undoes one such fold at a random statement, so the
child behaves as its parent (a neutral child, answered by the cache) but has
more places an edit can reach. Without it a rule held as one op can only be
replaced, not grown from the inside: after `update = sign(m)` no single edit
gives `m / sqrt(something else)`, while after two expansions
(`a = square(m); b = sqrt(a); update = m / b`) one edit of `a`'s argument does.
The table is the simplifier's rules, listed for every op they fold, not chosen
for any target.

Exactness is the simplifier's: each expansion holds away from the numeric
guards of `dsl.ops` (|x| > 1e-8), as the rewrites it reverses do.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from dsl.program import Arg, Const, Program, Statement, Var
from dsl.rewrites import tidy
from search.rewiring import fresh_names

#: (fresh names, target, args, rng) -> the statements replacing `target = op(args)`.
Expansion = Callable[[list[str], str, tuple[Arg, ...], np.random.Generator], list[Statement]]


def _sign(fresh, target, args, rng):
    # sign(x) = x / abs(x)   (dsl.rewrites: `x / abs(x)` -> `sign(x)`)
    (x,) = args
    return [Statement(fresh[0], "abs", (x,)), Statement(target, "divide", (x, Var(fresh[0])))]


def _abs(fresh, target, args, rng):
    # abs(x) = sqrt(square(x))   (`sqrt(square(x))` -> `abs(x)`)
    (x,) = args
    return [Statement(fresh[0], "square", (x,)), Statement(target, "sqrt", (Var(fresh[0]),))]


def _interp(fresh, target, args, rng):
    # interp(x, y, a) = x * (1 - a) + y * a for a constant a in (0, 1)
    # (a convex mix written out -> `interp`)
    x, y, a = args
    if not (isinstance(a, Const) and 0 < a.value < 1):
        return []
    return [
        Statement(fresh[0], "multiply", (x, Const(tidy(1.0 - a.value)))),
        Statement(fresh[1], "multiply", (y, a)),
        Statement(target, "add", (Var(fresh[0]), Var(fresh[1]))),
    ]


def _multiply(fresh, target, args, rng):
    # x * c = (x * c1) * c2 with c1 c2 = c   (`(x * a) * b` -> `x * (a b)`);
    # the split is drawn log-uniformly, so tuning can later move either factor.
    x, c = args
    if isinstance(x, Const):
        x, c = c, x
    if not isinstance(c, Const) or isinstance(x, Const) or c.value == 0:
        return []
    c1 = float(2.0 ** rng.normal())
    return [
        Statement(fresh[0], "multiply", (x, Const(c1))),
        Statement(target, "multiply", (Var(fresh[0]), Const(c.value / c1))),
    ]


#: Op -> its expansion (an empty list: this statement's arguments have none).
EXPANSIONS: dict[str, Expansion] = {
    "sign": _sign,
    "abs": _abs,
    "interp": _interp,
    "multiply": _multiply,
}


def expand_statement(rng: np.random.Generator, program: Program, context) -> Program | None:
    """Replace a random expandable statement by its expansion (None if no
    statement has one, or if the child would pass `context.max_length`)."""
    expandable = [i for i, st in enumerate(program) if st.op in EXPANSIONS]
    fresh = fresh_names(program, 2)
    available = set(context.ops)
    for index in rng.permutation(expandable) if expandable else ():
        original = program.statements[int(index)]
        body = EXPANSIONS[original.op](fresh, original.target, original.args, rng)
        # Nothing to split (a product of two variables), or an op the config's
        # op set leaves out.
        if not body or any(st.op not in available for st in body):
            continue
        if len(program) - 1 + len(body) > context.max_length:
            return None
        statements = list(program.statements)
        statements[int(index):int(index) + 1] = body
        return Program(tuple(statements))
    return None
