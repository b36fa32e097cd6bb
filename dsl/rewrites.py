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
  for a constant n < 0: exact, since where the bound wins both signs agree.
Constant folding computes in float64 with the ops' numpy formulas, exactly what
a float64 probe computes at run time. Float32 executors see the folded value
rounded once instead of each intermediate, and a constant expression whose
intermediate overflows float32 but not float64 (1e30 * 1e30 / 1e40) folds to a
finite number where float32 would give inf.
"""

from __future__ import annotations

import math

import numpy as np

from dsl.graph import Graph
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
    if op in CONSTANT_VALUES:
        return graph.const(CONSTANT_VALUES[op])
    if args and all(graph[a].is_const for a in args):
        return _fold(graph, op, args)
    rule = _RULES.get(op)
    return rule(graph, *args) if rule is not None else None


def _fold(graph: Graph, op: str, args: tuple[int, ...]) -> int | None:
    values = [np.float64(graph[a].value) for a in args]
    with np.errstate(all="ignore"):
        result = float(graph.ops[op].numpy_impl(_SCALAR_LAYOUT, *values))
    # Folded exactly as a float64 probe computes it, so folding changes no bits.
    return graph.const(result) if math.isfinite(result) else None


def _const_value(graph: Graph, node_id: int) -> float | None:
    node = graph[node_id]
    return node.value if node.is_const else None


def _is(graph: Graph, node_id: int, op: str) -> bool:
    return graph[node_id].op == op


# ---------------------------------------------------------------------------
# Rules, one function per op, each returning a replacement node id or None.


def _add(graph, x, y):
    if graph[y].is_zero:
        return x
    if graph[x].is_zero:
        return y
    return None


def _subtract(graph, x, y):
    if graph[y].is_zero:
        return x
    if graph[x].is_zero:
        return graph.apply("negative", (y,))
    return None


def _multiply(graph, x, y):
    # Commutative arguments arrive in canonical order: a constant comes last.
    c = _const_value(graph, y)
    if c == 1.0:
        return x
    if c == -1.0:
        return graph.apply("negative", (x,))
    return None


def _divide(graph, x, y):
    if _const_value(graph, y) == 1.0:
        return x
    if _is(graph, y, "abs") and graph[y].args[0] == x:
        return graph.apply("sign", (x,))
    return None


def _same_args(graph, x, y):
    # max(x, x), min(x, x)
    return x if x == y else None


def _negative(graph, x):
    if _is(graph, x, "negative"):
        return graph[x].args[0]
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
    """interp(x, y, a) = (1 - a) x + a y; compose chains with constant weights."""
    weight = _const_value(graph, a)
    if x == y:
        return x
    if weight == 0.0:
        return x
    if weight == 1.0:
        return y
    if weight is None:
        return None
    inner = graph[y]
    # interp(x, interp(x, z, b), a) = interp(x, z, a * b): Program 4's two
    # momentum statements (0.899 and 1.109) are one interp with 0.996991.
    if inner.op == "interp" and inner.args[0] == x:
        b = _const_value(graph, inner.args[2])
        if b is not None:
            return graph.apply(
                "interp", (x, inner.args[1], graph.const(tidy(weight * b)))
            )
    inner = graph[x]
    # interp(interp(z, y, b), y, a) = interp(z, y, 1 - (1 - a)(1 - b)).
    if inner.op == "interp" and inner.args[1] == y:
        b = _const_value(graph, inner.args[2])
        if b is not None:
            combined = tidy(1.0 - (1.0 - weight) * (1.0 - b))
            return graph.apply("interp", (inner.args[0], y, graph.const(combined)))
    return None


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
