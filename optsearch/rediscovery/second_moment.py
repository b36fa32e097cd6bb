"""Is a program a second-moment preconditioner (RMSProp, Adagrad or Adam)?

Owns the structural reading the `adaptive` target proposes its constants by.
The family is the gradient, or an EMA of it, divided per coordinate by the root
of a running second moment of the gradient:

    v      = interp(square(g), v, b2)     RMSProp and Adam (Tieleman & Hinton
                                           2012; Kingma & Ba 2015, no bias
                                           correction, as the paper's Program 3)
    v      = v + square(g)                Adagrad (Duchi et al. 2011)
    m      = interp(g, m, b1)             Adam only
    update = (n / sqrt(v) [+ w * wd]) * (lr * s),   n = g, or m for Adam

read off the program's statically simplified form. A slot holding a positive
multiple of such a moment (`v = a g^2 + b v`, a heavy-ball sum `m = g + b m`)
reads as the moment times a gain, which folds into the lr scale and the decay,
as do positive constant factors on the ratio. The gradient must be `g` itself:
a program that transforms it first is read as no member (a miss, so the reading
can only under-count hits, never invent one).

The reading only proposes: `second_moment_text` writes the member with the
constants read, and the caller (`optsearch.rediscovery.targets`) lets
`dsl.equivalence.check_equivalence` decide whether the program behaves as it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dsl.expression_trees import expressions, linear_mix, lr_product, weight_term
from dsl.program import STATE_SLOTS, Program
from dsl.rewrites import tidy
from dsl.simplify import simplify

GRAD = ("in", "g")
#: How a program may write g^2.
SQUARED_GRAD = (("square", GRAD), ("multiply", GRAD, GRAD))


@dataclass(frozen=True)
class SecondMomentReading:
    """Constants read off a member of the family.

    Attributes:
        kind: "rmsprop", "adagrad" or "adam".
        b2: the second moment's EMA factor (None for Adagrad's sum).
        b1: Adam's momentum EMA factor (None otherwise).
        weight_decay: the decoupled `w` coefficient (0.0 if absent).
        lr_scale: the factor on `lr`.
    """

    kind: str
    b2: float | None
    b1: float | None
    weight_decay: float
    lr_scale: float

    def constants(self) -> dict:
        """The constants for tables: the kind, then those it has."""
        shown: dict = {"kind": self.kind}
        if self.b1 is not None:
            shown["b1"] = self.b1
        if self.b2 is not None:
            shown["b2"] = self.b2
        shown["weight_decay"] = self.weight_decay
        shown["lr_scale"] = self.lr_scale
        return shown


def read_second_moment(program: Program) -> SecondMomentReading | str:
    """The family member `program` reads as, or why it reads as none.

    Raises:
        InvalidProgram: `program` does not simplify (the caller reports it).
    """
    env = expressions(simplify(program))
    second = _second_moment_slot(env)
    if second is None:
        return "no state slot accumulates the squared gradient"
    v_slot, b2, v_gain = second
    update = env["update"]
    if update[0] != "multiply":
        return "the update is not a product with a scaled lr"
    product = lr_product(update)
    if product is None:
        return "the update is not multiplied by a scaled lr"
    direction, scale = product
    parts = _ratio_plus_decay(direction, env[v_slot])
    if parts is None:
        return "the update's direction is not n / sqrt(v) [+ w * wd]"
    numerator, k, decay = parts
    read = _numerator(env, numerator, v_slot)
    if isinstance(read, str):
        return read
    kind_of_numerator, b1, n_gain = read
    # (k n_gain n' / (sqrt(v_gain) sqrt(v')) + d w) lr s
    #   == (n' / sqrt(v') + (d / K) w) lr (K s),  K = k n_gain / sqrt(v_gain)
    factor = k * n_gain / math.sqrt(v_gain)
    if factor <= 0 or scale <= 0:
        return "the step does not point against the preconditioned gradient"
    kind = "adam" if kind_of_numerator == "momentum" else (
        "adagrad" if b2 is None else "rmsprop")
    if kind == "adam" and b2 is None:
        return "momentum over an Adagrad sum is not a member of the family"
    return SecondMomentReading(kind, b2, b1, tidy(decay / factor), tidy(scale * factor))


def second_moment_text(reading: SecondMomentReading) -> str:
    """The member's program text with the constants of `reading`."""
    lines = ["    g2 = square(g)"]
    if reading.kind == "adam":
        lines.append(f"    m = interp(g, m, {float(reading.b1)!r})")
    if reading.b2 is None:
        lines.append("    v = v + g2")
    else:
        lines.append(f"    v = interp(g2, v, {float(reading.b2)!r})")
    numerator = "m" if reading.kind == "adam" else "g"
    lines += ["    root = sqrt(v)", f"    update = {numerator} / root"]
    if reading.weight_decay:
        lines += [f"    decay = w * {float(reading.weight_decay)!r}",
                  "    update = update + decay"]
    lines += [f"    lr = lr * {float(reading.lr_scale)!r}", "    update = update * lr"]
    return "def train(w, g, m, v, lr):\n" + "\n".join(lines) + "\n    return update, m, v\n"


def _second_moment_slot(env: dict):
    """(slot, b2 or None for a sum, gain) for the first slot holding a positive
    multiple of an EMA (0 < b2 < 1) or of a plain sum (b2 = 1) of g^2."""
    for slot in STATE_SLOTS:
        for squared in SQUARED_GRAD:
            mix = linear_mix(env[slot], squared, ("in", slot))
            if mix is None or mix[0] <= 0:
                continue
            a, b = mix
            if b == 1.0:
                return slot, None, a
            if 0 < b < 1:
                return slot, tidy(b), a / (1.0 - b)
    return None


def _ratio_plus_decay(expr: tuple, second: tuple):
    """(numerator, k, decay) for k n / sqrt(v) [+ w d], k > 0, where `second` is
    the tree of v's new value (the update reads the slot after it is written)."""
    ratio = _scaled_ratio(expr, second)
    if ratio is not None:
        return ratio[0], ratio[1], 0.0
    if expr[0] == "add":
        for r, d in ((expr[1], expr[2]), (expr[2], expr[1])):
            decay, ratio = weight_term(d), _scaled_ratio(r, second)
            if ratio is not None and decay is not None:
                return ratio[0], ratio[1], decay
    return None


def _scaled_ratio(expr: tuple, second: tuple):
    """(n, k) for k n / sqrt(v), written as a division by sqrt(v), a product
    with rsqrt(v), a sum of two equal ratios, or under a positive factor."""
    root = ("sqrt", second)
    if expr[0] == "divide" and expr[2] == root:
        return expr[1], 1.0
    if expr[0] == "multiply":
        for n, r in ((expr[1], expr[2]), (expr[2], expr[1])):
            if r == ("rsqrt", second):
                return n, 1.0
        for inner, c in ((expr[1], expr[2]), (expr[2], expr[1])):
            if c[0] == "const" and c[1] > 0:
                found = _scaled_ratio(inner, second)
                if found is not None:
                    return found[0], c[1] * found[1]
    if expr[0] == "divide" and expr[2][0] == "const" and expr[2][1] > 0:
        found = _scaled_ratio(expr[1], second)
        if found is not None:
            return found[0], found[1] / expr[2][1]
    if expr[0] == "add" and expr[1] == expr[2]:
        found = _scaled_ratio(expr[1], second)
        if found is not None:
            return found[0], 2.0 * found[1]
    return None


def _numerator(env: dict, numerator: tuple, v_slot: str):
    """("gradient", None, gain) for n = gain g, or ("momentum", b1, gain) for
    n = gain x an EMA of g held in the other slot (as read after its update:
    the numerator's mix of g and the old momentum is a positive multiple of
    the slot's own update); else why not."""
    for slot in STATE_SLOTS:
        if slot == v_slot:
            continue
        mix = linear_mix(numerator, GRAD, ("in", slot))
        if mix is None:
            continue
        a, c = mix
        if c == 0 and a > 0:
            return "gradient", None, a
        momentum = linear_mix(env[slot], GRAD, ("in", slot))
        if momentum is None or not (momentum[0] > 0 and 0 < momentum[1] < 1):
            return "the numerator reads a slot that is not a moving average of the gradient"
        ma, mb = momentum
        ratio = a / ma
        if not (ratio > 0 and math.isclose(c, ratio * mb, rel_tol=1e-9)):
            return "the numerator mixes the gradient with its moving average"
        # n = ratio x m_new = ratio x (ma / (1 - mb)) x EMA_mb(g)
        return "momentum", tidy(mb), ratio * ma / (1.0 - mb)
    return "the numerator is neither the gradient nor a moving average of it"
