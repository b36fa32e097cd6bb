"""Programs as expression trees, and readings of the shapes optimizers take.

Owns the tree form the structural readers of optimizer families share
(`funnel.lion_family`, `optsearch.rediscovery.second_moment`): a program is
symbolically executed into nested tuples, an expression being `("in", name)`,
`("const", value)` or `(op, arg, ...)`, and the helpers below read constants
off common shapes (a linear mix of two terms, a scaled lr, a decay term). The
readings only propose constants; callers confirm them with
`dsl.equivalence.check_equivalence`.
"""

from __future__ import annotations

from dsl.program import INPUTS, Program, Var


def expressions(program: Program) -> dict[str, tuple]:
    """Every variable's value after `program` runs, as a tree over its inputs."""
    env: dict[str, tuple] = {name: ("in", name) for name in INPUTS}
    for st in program:
        args = tuple(
            env[a.name] if isinstance(a, Var) else ("const", float(a.value)) for a in st.args
        )
        env[st.target] = (st.op, *args)
    return env


def linear_mix(expr: tuple, grad: tuple, state: tuple):
    """(a, c) with expr = a * grad + c * state exactly, or None.

    Covers what evolved programs write for such a mix: interp with a constant
    weight, sums, differences, negation and constant factors.
    """
    if expr == grad:
        return 1.0, 0.0
    if expr == state:
        return 0.0, 1.0
    op = expr[0]
    if op == "interp" and expr[3][0] == "const":
        x, y, w = linear_mix(expr[1], grad, state), linear_mix(expr[2], grad, state), expr[3][1]
        if x is None or y is None:
            return None
        return (1 - w) * x[0] + w * y[0], (1 - w) * x[1] + w * y[1]
    if op in ("add", "subtract"):
        x, y = linear_mix(expr[1], grad, state), linear_mix(expr[2], grad, state)
        if x is None or y is None:
            return None
        k = 1.0 if op == "add" else -1.0
        return x[0] + k * y[0], x[1] + k * y[1]
    if op == "negative":
        x = linear_mix(expr[1], grad, state)
        return None if x is None else (-x[0], -x[1])
    if op in ("multiply", "divide"):
        for inner, factor in ((expr[1], expr[2]), (expr[2], expr[1])):
            usable = op == "multiply" or inner is expr[1]
            if factor[0] == "const" and factor[1] != 0 and usable:
                k = factor[1] if op == "multiply" else 1.0 / factor[1]
                x = linear_mix(inner, grad, state)
                return None if x is None else (k * x[0], k * x[1])
    return None


def scaled_input(expr: tuple, name: str) -> float | None:
    """c for the input `name` itself (1.0) or times a constant c, either order;
    else None."""
    here = ("in", name)
    if expr == here:
        return 1.0
    if expr[0] == "multiply":
        a, b = expr[1], expr[2]
        if a == here and b[0] == "const":
            return b[1]
        if b == here and a[0] == "const":
            return a[1]
    return None


def lr_scale(expr: tuple) -> float | None:
    """s for `lr` or `lr * s` (either order), else None."""
    return scaled_input(expr, "lr")


def weight_term(expr: tuple) -> float | None:
    """d for `w` or `w * d` (either order), else None."""
    return scaled_input(expr, "w")


def lr_product(update: tuple) -> tuple[tuple, float] | None:
    """(direction, s) for `direction * (lr * s)` in either order (the first
    order whose factor is a scaled lr); None if `update` is no such product."""
    if update[0] != "multiply":
        return None
    for direction, lr_side in ((update[1], update[2]), (update[2], update[1])):
        scale = lr_scale(lr_side)
        if scale is not None:
            return direction, scale
    return None
