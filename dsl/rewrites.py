"""Algebraic rewrites of the static simplifier, applied as graph nodes are made.

Owns the rules that turn one node into a simpler equivalent one (`rewrite`, the
hook `dsl.graph.Graph.apply` calls). Arguments are already simplified when a
node is made, so applying rules bottom-up while building reaches a fixed point in
one pass, and a rule may build new nodes through `graph.apply`, which rewrites
them in turn. `Graph.apply` rejects any replacement of a different kind.

Exactness. Most rules are exact for every finite input. The rest hold only away
from the numeric guards of `dsl.ops`, which is what the equivalence check's
tolerance allows for (its probes keep values O(1)):
- `x / abs(x)` -> `sign(x)`: for |x| < 1e-8 the guarded division gives
  x / 1e-8 instead of +-1;
- `sqrt(x * x)`, `sqrt(square(x))` -> `abs(x)`: differ only where x * x
  overflows or underflows;
- `x + 0`, `x - 0`, `0 - x` and friends: can change the sign of a zero;
- `interp(x, y, 0)` -> `x`, `interp(x, y, 1)` -> `y`, `interp(x, x, a)` -> `x`,
  and composing chained interps: exact in real arithmetic, differ by round-off
  (and where an operand is infinite);
- `sign(c * x)` -> `sign(x)` for c > 0: differs only where c * x underflows;
- `sign(f(x))` -> `sign(x)` for odd increasing f (`tanh`, `arctan`, `arcsinh`,
  `sinh`, `cube`, `cbrt`, `expm1`, `reciprocal`): differs only where f(x)
  underflows to zero (or, for `reciprocal`, where |x| < 1e-8 hits its guard);
- `sign(min(x, p))` -> `sign(x)` for p > 0 (a positive constant or the `lr`
  input, positive by the DSL's contract) and `sign(max(x, n))` -> `sign(x)`
  for a constant n < 0: exact, since where the bound wins both signs agree;
- the zero tensor (a state slot that stays zero, see `dsl.simplify`) through an
  op: `x * 0` and `0 / x` -> 0 differ only where x is infinite or nan; an op of
  the zero tensor and constants alone is folded when it gives zero (`sign(0)`,
  `0 * 3`), exactly; `interp(x, 0, a)` -> `x * (1 - a)` and `interp(0, y, a)` ->
  `y * a` can change the sign of a zero;
- `(x * a) * b` -> `x * (a b)` for constants: one rounding instead of two;
- writing a convex interp with its larger weight last, `interp(x, y, a)` ->
  `interp(y, x, 1 - a)` for 0 < a < 0.5 (for a = 0.5, arguments in canonical
  order), so one mix prints one way: round-off in `1 - a`;
- a convex mix written out, `x * a + y * b` with a, b in (0, 1) and
  a + b = 1, and the lerp form `x + (y - x) * a` for 0 < a < 1 ->
  `interp(x, y, ...)`: round-off;
- moving negations (`-x * y` -> `-(x * y)`, `-x * c` -> `x * (-c)`,
  `x + -y` -> `x - y`, `x - -y` -> `x + y`, `-x - y` -> `-(x + y)`,
  `-(x - y)` -> `y - x`, `sign(-x)` -> `-sign(x)`): exact (IEEE rounding is
  symmetric), up to the sign of a zero.
Constant folding computes in float64 with the ops' numpy formulas, exactly what
a float64 probe computes at run time. Float32 executors see the folded value
rounded once instead of each intermediate, and a constant expression whose
intermediate overflows float32 but not float64 (1e30 * 1e30 / 1e40) folds to a
finite number where float32 would give inf.
"""

from __future__ import annotations

import math

import numpy as np

from dsl.graph import ZERO, Graph
from dsl.ops import CONSTANT_VALUES, Kind, LeafLayout

_SCALAR_LAYOUT = LeafLayout.from_sizes([1])


def tidy(value: float) -> float:
    """A composed coefficient rounded to 15 significant digits, so it prints short.

    That moves it by at most a few float64 ulps, about the round-off the
    composition itself makes; 0.899 * 1.109 prints as 0.996991.
    """
    return float(f"{value:.15g}")


def rewrite(graph: Graph, op: str, args: tuple[int, ...]) -> int | None:
    """A simpler node equal to `op(args)`, or None if no rule applies."""
    found = _rewrite(graph, op, args)
    if found is None and op in _MOVES:
        found = _MOVES[op](graph, *args)
    return found


def rewrite_keeping_negations(
    graph: Graph, op: str, args: tuple[int, ...]
) -> int | None:
    """`rewrite` without the rules that only move a negation outwards (`-x * y` ->
    `-(x * y)`, see `_MOVES`): the simplifier's fallback where such a move would
    lengthen the program."""
    return _rewrite(graph, op, args)


def _rewrite(graph: Graph, op: str, args: tuple[int, ...]) -> int | None:
    if op in CONSTANT_VALUES:
        return graph.const(CONSTANT_VALUES[op])
    if args and all(graph[a].is_const for a in args):
        return _fold(graph, op, args)
    if any(_is_zero_tensor(graph, a) for a in args) and all(
        graph[a].is_const or _is_zero_tensor(graph, a) for a in args
    ):
        return _fold_zero(graph, op, args)
    rule = _RULES.get(op)
    return rule(graph, *args) if rule is not None else None


def _fold(graph: Graph, op: str, args: tuple[int, ...]) -> int | None:
    values = [np.float64(graph[a].value) for a in args]
    with np.errstate(all="ignore"):
        result = float(graph.ops[op].numpy_impl(_SCALAR_LAYOUT, *values))
    # Folded exactly as a float64 probe computes it, so folding changes no bits.
    return graph.const(result) if math.isfinite(result) else None


def _fold_zero(graph: Graph, op: str, args: tuple[int, ...]) -> int | None:
    """`op` of the zero tensor and constants: zero if it computes zero.

    Computed with the op's own formula on a zero tensor, so `sign(0)`, `0 * 3` and
    `norm(0)` fold and `cosh(0)` (a tensor of ones, which has no node) does not.
    """
    zero = next(a for a in args if _is_zero_tensor(graph, a))
    values = [
        np.zeros(1) if a == zero else np.float64(graph[a].value) for a in args
    ]
    with np.errstate(all="ignore"):
        result = np.asarray(graph.ops[op].numpy_impl(_SCALAR_LAYOUT, *values))
    if not np.all(result == 0.0):
        return None
    kinds = tuple(graph[a].kind for a in args)
    if graph.ops[op].result_kind(kinds) is Kind.TENSOR:
        return zero
    return graph.const(0.0)


def _const_value(graph: Graph, node_id: int) -> float | None:
    node = graph[node_id]
    return node.value if node.is_const else None


def _is(graph: Graph, node_id: int, op: str) -> bool:
    return graph[node_id].op == op


def _is_zero_tensor(graph: Graph, node_id: int) -> bool:
    return graph[node_id].name == ZERO


def _scaled(graph: Graph, node_id: int) -> tuple[int, float]:
    """(x, c) with node = c * x: a constant factor or negations peeled off."""
    node = graph[node_id]
    if node.op == "negative":
        inner, c = _scaled(graph, node.args[0])
        return inner, -c
    if node.op == "multiply":
        c = _const_value(graph, node.args[1])  # a constant factor sorts last
        if c is not None:
            return node.args[0], c
    return node_id, 1.0


# ---------------------------------------------------------------------------
# Rules, one function per op, each returning a replacement node id or None.


def _add(graph, x, y):
    if graph[y].is_zero:
        return x
    if graph[x].is_zero:
        return y
    for p, q in ((x, y), (y, x)):
        if _is(graph, q, "negative"):
            return graph.apply("subtract", (p, graph[q].args[0]))
    return _as_interp(graph, x, y, 1.0)


def _subtract(graph, x, y):
    if graph[y].is_zero:
        return x
    if graph[x].is_zero:
        return graph.apply("negative", (y,))
    if _is(graph, y, "negative"):
        return graph.apply("add", (x, graph[y].args[0]))
    return _as_interp(graph, x, y, -1.0)


def _as_interp(graph, x, y, sign: float):
    """`x + sign * y` as an interp when it is a convex mix written out: `a p + b q`
    with a, b in (0, 1) and a + b = 1, or the lerp form `p + c (u - p)`, 0 < c < 1.
    (Extrapolations stay as written: rewriting them would amplify round-off.)"""
    (p, a), (q, b) = _scaled(graph, x), _scaled(graph, y)
    b *= sign
    if p != q and 0 < a < 1 and 0 < b < 1 and tidy(a + b) == 1.0:
        return graph.apply("interp", (p, q, graph.const(tidy(b))))
    # base + c (u - v), the scaled difference on either side of a sum.
    pairs = [(x, q, b)] + ([(y, p, a)] if sign > 0 else [])
    for base, diff, c in pairs:
        if not _is(graph, diff, "subtract"):
            continue
        u, v = graph[diff].args
        if base not in (u, v) or u == v:
            continue
        # base + c (u - base) = interp(base, u, c); base + c (base - v) likewise
        # with -c towards v.
        other, weight = (u, c) if v == base else (v, -c)
        if 0 < weight < 1:
            return graph.apply("interp", (base, other, graph.const(weight)))
    return None


def _multiply(graph, x, y):
    # Commutative arguments arrive in canonical order: a constant comes last.
    c = _const_value(graph, y)
    if c == 1.0:
        return x
    if c == -1.0:
        return graph.apply("negative", (x,))
    if _is_zero_tensor(graph, x) or _is_zero_tensor(graph, y):
        return x if _is_zero_tensor(graph, x) else y
    if c is not None:
        if _is(graph, x, "negative"):
            return graph.apply("multiply", (graph[x].args[0], graph.const(-c)))
        inner = graph[x]
        if inner.op == "multiply" and graph[inner.args[1]].is_const:
            scale = tidy(graph[inner.args[1]].value * c)
            return graph.apply("multiply", (inner.args[0], graph.const(scale)))
    return None


def _divide(graph, x, y):
    if _const_value(graph, y) == 1.0:
        return x
    if _is(graph, y, "abs") and graph[y].args[0] == x:
        return graph.apply("sign", (x,))
    if _is_zero_tensor(graph, x):
        return x  # the guarded denominator is never zero
    return None


def _same_args(graph, x, y):
    # max(x, x), min(x, x)
    return x if x == y else None


def _negative(graph, x):
    node = graph[x]
    if node.op == "negative":
        return node.args[0]
    if node.op == "subtract":
        return graph.apply("subtract", (node.args[1], node.args[0]))
    if node.op == "multiply" and graph[node.args[1]].is_const:
        return graph.apply(
            "multiply", (node.args[0], graph.const(-graph[node.args[1]].value))
        )
    return None


def _abs(graph, x):
    if _is(graph, x, "abs"):
        return x
    if _is(graph, x, "negative"):
        return graph.apply("abs", (graph[x].args[0],))
    return None


def _sqrt(graph, x):
    node = graph[x]
    if node.op == "multiply" and node.args[0] == node.args[1]:
        return graph.apply("abs", (node.args[0],))
    if node.op == "square":
        return graph.apply("abs", (node.args[0],))
    if node.op in ("abs", "negative"):  # sqrt already takes |x|
        return graph.apply("sqrt", (node.args[0],))
    return None


#: Element-wise ops that are odd and increasing, so sign(f(x)) = sign(x).
_SIGN_PRESERVING = frozenset(
    {"tanh", "arctan", "arcsinh", "sinh", "cube", "cbrt", "expm1", "reciprocal"}
)


def _sign(graph, x):
    node = graph[x]
    if node.op == "sign":
        return x
    # sign(1 / x) and sign(tanh(x)) and the like are sign(x): an evolved program
    # reaches sign(m) by many such roads, and the Lion-family check should see one.
    if node.op in _SIGN_PRESERVING and graph[node.args[0]].kind is node.kind:
        return graph.apply("sign", (node.args[0],))
    if node.op == "multiply":
        inner, c = node.args  # a constant factor sorts last
        scale = _const_value(graph, c)
        if scale is not None and scale > 0:
            return graph.apply("sign", (inner,))
        if scale is not None and scale < 0:
            return graph.apply("negative", (graph.apply("sign", (inner,)),))
    if node.op == "divide":
        scale = _const_value(graph, node.args[1])
        if scale is not None and scale > 0:
            return graph.apply("sign", (node.args[0],))
    if node.op in ("min", "max"):
        # Seed 4 of the lion config wrote Lion's direction as sign(min(c, lr)).
        for inner, bound in (node.args, node.args[::-1]):
            if graph[inner].kind is node.kind and _bound_keeps_sign(graph, node.op, bound):
                return graph.apply("sign", (inner,))
    return None


def _bound_keeps_sign(graph, op: str, bound: int) -> bool:
    """Whether min (a positive bound) or max (a negative one) leaves every sign as is."""
    node = graph[bound]
    if op == "min":
        return (node.is_const and node.value > 0) or (node.is_leaf and node.name == "lr")
    return node.is_const and node.value < 0


def _norm(graph, x):
    # The norm of a scalar is its magnitude (a tensor's norm is per leaf).
    if graph[x].kind is Kind.SCALAR:
        return graph.apply("abs", (x,))
    return None


def _interp(graph, x, y, a):
    """interp(x, y, a) = (1 - a) x + a y; compose chains with constant weights and
    write the larger weight last."""
    weight = _const_value(graph, a)
    if x == y or weight == 0.0 or _is_zero_tensor(graph, a):
        return x
    if weight == 1.0:
        return y
    if weight is None:
        return None
    if _is_zero_tensor(graph, y):
        return graph.apply("multiply", (x, graph.const(tidy(1.0 - weight))))
    if _is_zero_tensor(graph, x):
        return graph.apply("multiply", (y, a))
    composed = _compose(graph, x, y, weight)
    if composed is not None:
        return composed
    # A convex mix only: flipping an extrapolation would amplify the round-off.
    tie = weight == 0.5 and graph.order_key(y) < graph.order_key(x)
    if 0.0 < weight < 0.5 or tie:
        return graph.apply("interp", (y, x, graph.const(tidy(1.0 - weight))))
    return None


def _compose(graph, x, y, a: float):
    """interp(x, y, a) as one interp when x or y is an interp of the other, read
    either way round (the canonical form may have flipped it)."""
    for inner_id, outer_is_x in ((y, True), (x, False)):
        inner = graph[inner_id]
        b = _const_value(graph, inner.args[2]) if inner.op == "interp" else None
        if b is None:
            continue
        p, q = inner.args[:2]
        anchor = x if outer_is_x else y
        if outer_is_x and p == anchor:
            # interp(x, interp(x, z, b), a) = interp(x, z, a b): Program 4's two
            # momentum statements (0.899 and 1.109) are one interp with 0.996991.
            return graph.apply("interp", (x, q, graph.const(tidy(a * b))))
        if outer_is_x and q == anchor:
            # interp(x, interp(z, x, b), a) = interp(x, z, a (1 - b)).
            return graph.apply("interp", (x, p, graph.const(tidy(a * (1.0 - b)))))
        if not outer_is_x and q == anchor:
            # interp(interp(z, y, b), y, a) = interp(z, y, 1 - (1 - a)(1 - b)).
            combined = tidy(1.0 - (1.0 - a) * (1.0 - b))
            return graph.apply("interp", (p, y, graph.const(combined)))
        if not outer_is_x and p == anchor:
            # interp(interp(y, z, b), y, a) = interp(z, y, 1 - (1 - a) b).
            combined = tidy(1.0 - (1.0 - a) * b)
            return graph.apply("interp", (q, y, graph.const(combined)))
    return None


# Negations moved outwards, where they meet and cancel: -(-(s + d) * lr) is
# (s + d) * lr. Exact (IEEE rounding is symmetric), up to the sign of a zero.


def _negative_out_of_product(graph, x, y):
    for p, q in ((x, y), (y, x)):
        if _is(graph, p, "negative"):
            product = graph.apply("multiply", (graph[p].args[0], q))
            return graph.apply("negative", (product,))
    return None


def _negative_out_of_difference(graph, x, y):
    # -x - y = -(x + y)
    if _is(graph, x, "negative"):
        return graph.apply("negative", (graph.apply("add", (graph[x].args[0], y)),))
    return None


def _negative_out_of_sign(graph, x):
    if _is(graph, x, "negative"):
        return graph.apply("negative", (graph.apply("sign", (graph[x].args[0],)),))
    return None


_MOVES = {
    "multiply": _negative_out_of_product,
    "subtract": _negative_out_of_difference,
    "sign": _negative_out_of_sign,
}

_RULES = {
    "add": _add,
    "subtract": _subtract,
    "multiply": _multiply,
    "divide": _divide,
    "max": _same_args,
    "min": _same_args,
    "negative": _negative,
    "abs": _abs,
    "sqrt": _sqrt,
    "sign": _sign,
    "norm": _norm,
    "interp": _interp,
}
