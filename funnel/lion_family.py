"""Is a program in the Lion family? A structural match, confirmed by equivalence.

Owns the definition used by every report of this project. A program is in the
Lion family (Chen et al. 2023, Program 1) when its statically simplified form is

    update = (sign(interp(g', m, b1)) [+ w * wd]) * (lr * s)
    m      = interp(g', m, b2)

with 0 < b1, b2 < 1, s > 0, and the same g' in both interps, where g' is the
gradient `g` possibly passed through sign-preserving monotone transforms
(`arcsin`, `tanh`, `clip_by_global_norm`, scaling by a positive constant, ...:
Program 4's `arcsin(clip_by_global_norm(g, lr))` qualifies). The momentum may sit
in either state slot (the simplifier prints a single state in `m`, and a slot that
stays zero, read but never written or only scaled, folds away). b1 = b2 (sign of an EMA of gradients, "signum") matches the
definition too; `LionMatch.distinct_betas` says whether the two interps differ, as
Lion's do.

The structural match extracts the constants; the verdict is then confirmed with
`dsl.equivalence.check_equivalence` against a Lion program written from those
constants (`lion_text`), so a match never rests on the pattern code alone.

How: the simplified program is symbolically executed into expression trees
(tuples), whose shape is then compared; the simplifier's canonical form keeps the
variety of shapes small (it folds constants, merges chained interps and rewrites
`m / sqrt(m * m)` to `sign(m)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.analysis import InvalidProgram
from dsl.equivalence import check_equivalence
from dsl.expression_trees import expressions, linear_mix, lr_product, weight_term
from dsl.parser import parse
from dsl.program import STATE_SLOTS, Program
from dsl.rewrites import tidy
from dsl.simplify import simplify

#: Element-wise ops that are odd (sign-preserving) and increasing.
MONOTONE_ODD = frozenset(
    {"arcsin", "arctan", "arctanh", "sinh", "tanh", "arcsinh", "cube", "cbrt", "expm1"}
)


@dataclass(frozen=True)
class LionMatch:
    """The verdict of `match_lion`.

    Attributes:
        lion_family: the structure matched and the equivalence check confirmed it.
        reason: why not (empty when it is).
        b1, b2: the interp constants of the update and of the momentum.
        weight_decay: the `w` coefficient (0.0 if absent).
        lr_scale: the factor on `lr`.
        preprocess: statements computing g' from g (empty when g' is g), as
            text lines assigning `gp`.
        distinct_betas: b1 != b2, as in Lion.
        simplified: the statically simplified program the match ran on.
        lion: the Lion program written from the found constants (text).
    """

    lion_family: bool
    reason: str = ""
    b1: float | None = None
    b2: float | None = None
    weight_decay: float = 0.0
    lr_scale: float | None = None
    preprocess: tuple[str, ...] = ()
    distinct_betas: bool = False
    simplified: str = ""
    lion: str = ""

    def describe(self) -> str:
        """One line for people."""
        if not self.lion_family:
            return f"not in the Lion family: {self.reason}"
        pre = f", g' = {'; '.join(self.preprocess)}" if self.preprocess else ""
        return (
            f"Lion family: b1 {self.b1:g}, b2 {self.b2:g}, weight decay "
            f"{self.weight_decay:g}, lr x {self.lr_scale:g}{pre}"
        )


def lion_text(
    b1: float, b2: float, weight_decay: float, lr_scale: float, preprocess: tuple[str, ...] = ()
) -> str:
    """Lion's program text with the given constants (Chen et al. 2023, Program 1).

    `preprocess` lines (e.g. `gp = arcsin(g)`) compute the g' both interps read;
    the last one must assign `gp`.
    """
    grad = "gp" if preprocess else "g"
    lines = [f"    {line}" for line in preprocess]
    lines += [
        f"    c = interp({grad}, m, {float(b1)!r})",
        "    update = sign(c)",
    ]
    if weight_decay:
        lines += [f"    wd = w * {float(weight_decay)!r}", "    update = update + wd"]
    lines += [
        f"    lr = lr * {float(lr_scale)!r}",
        "    update = update * lr",
        f"    m = interp({grad}, m, {float(b2)!r})",
    ]
    return "def train(w, g, m, v, lr):\n" + "\n".join(lines) + "\n    return update, m, v\n"


def match_lion(program: Program) -> LionMatch:
    """Whether `program` is in the Lion family (see the module docstring)."""
    try:
        simple = simplify(program)
    except InvalidProgram as exc:
        return LionMatch(False, f"invalid program: {exc}")
    text = simple.to_text()
    found = _match_structure(simple)
    if isinstance(found, str):
        return LionMatch(False, found, simplified=text)
    b1, b2, wd, scale, grad = found
    preprocess = _preprocess_lines(grad)
    lion = lion_text(b1, b2, wd, scale, preprocess)
    verdict = check_equivalence(simple, parse(lion))
    common = dict(
        b1=b1, b2=b2, weight_decay=wd, lr_scale=scale, preprocess=preprocess,
        distinct_betas=b1 != b2, simplified=text, lion=lion,
    )
    if not verdict.equivalent:
        return LionMatch(False, f"structure matched but {verdict.describe()}", **common)
    return LionMatch(True, **common)


# -- structure -------------------------------------------------------------------


def _match_structure(program: Program):
    """(b1, b2, weight_decay, lr_scale, g') or the reason it does not match."""
    env = expressions(program)
    update = env["update"]
    momentum = None
    for slot in STATE_SLOTS:
        found = _as_momentum(env[slot], ("in", slot))
        if found is not None:
            momentum = (slot, *found)
            break
    if momentum is None:
        return "no state slot is updated as a moving average of the gradient and itself"
    slot, grad, b2, gain = momentum
    if update[0] != "multiply":
        return "the update is not a product with a scaled lr"
    product = lr_product(update)
    if product is None:
        return "the update is not multiplied by a scaled lr"
    direction, scale = product
    parts = _sign_plus_decay(direction)
    if parts is None:
        return "the update's direction is not sign(...) [+ w * wd]"
    # A positive multiple k of the sign folds into the lr scale:
    # (k sign(x) + d w) lr c == (sign(x) + (d / k) w) lr (k c).
    sign_arg, wd, k = parts
    wd, scale = tidy(wd / k), tidy(scale * k)
    mix = linear_mix(sign_arg, grad, ("in", slot))
    if mix is None:
        return "the sign is not of a mix of the gradient and the momentum"
    # The slot holds `gain` x an EMA of g' (a heavy-ball sum is one), and
    # sign() ignores positive scale: sign(a g' + c m) = sign(interp(g', ema, b1)).
    a, c = mix[0], mix[1] * gain
    if not (a > 0 and c > 0):
        return "the sign is not of a positive mix of the gradient and the momentum"
    b1 = tidy(c / (a + c))
    if not (0 < b1 < 1 and 0 < b2 < 1):
        return f"interp constants b1 {b1:g}, b2 {b2:g} are not both in (0, 1)"
    if scale <= 0:
        return f"the lr scale {scale:g} is not positive"
    return b1, b2, wd, scale, grad


def _as_momentum(expr: tuple, state: tuple):
    """(g', b, gain) if expr = a g' + b state with a > 0, 0 < b < 1: the slot then
    holds gain = a / (1 - b) times an EMA of g' with factor b (a = 1 - b is an
    interp; a = 1 a heavy-ball sum)."""
    for grad in _gradient_candidates(expr):
        mix = linear_mix(expr, grad, state)
        if mix is not None and mix[0] > 0 and 0 < mix[1] < 1:
            a, b = mix
            return grad, tidy(b), a / (1.0 - b)
    return None


def _gradient_candidates(expr: tuple):
    """Sub-expressions of `expr` that are transforms of g (outermost first)."""
    if _is_transformed_gradient(expr):
        yield expr
        return
    if expr[0] not in ("in", "const"):
        for arg in expr[1:]:
            yield from _gradient_candidates(arg)


def _is_transformed_gradient(expr: tuple) -> bool:
    if expr == ("in", "g"):
        return True
    op = expr[0]
    if op in MONOTONE_ODD:
        return _is_transformed_gradient(expr[1])
    if op == "clip_by_global_norm":
        return _is_transformed_gradient(expr[1])
    if op in ("multiply", "divide"):
        a, b = expr[1], expr[2]
        if b[0] == "const" and b[1] > 0:
            return _is_transformed_gradient(a)
        if op == "multiply" and a[0] == "const" and a[1] > 0:
            return _is_transformed_gradient(b)
    return False


def _sign_plus_decay(expr: tuple):
    """(sign argument, weight decay, k) for k sign(x) or k sign(x) + w * wd,
    k > 0 (see `_scaled_sign`)."""
    scaled = _scaled_sign(expr)
    if scaled is not None:
        return scaled[0], 0.0, scaled[1]
    if expr[0] == "add":
        for s, d in ((expr[1], expr[2]), (expr[2], expr[1])):
            wd, scaled = weight_term(d), _scaled_sign(s)
            if scaled is not None and wd is not None:
                return scaled[0], wd, scaled[1]
    return None


def _scaled_sign(expr: tuple):
    """(x, k) for k sign(x), k > 0: sign(x), s + s, or s times a positive
    constant, where s is itself one (a search writes `update + update`)."""
    if expr[0] == "sign":
        return expr[1], 1.0
    if expr[0] == "add" and expr[1] == expr[2]:
        inner = _scaled_sign(expr[1])
        return None if inner is None else (inner[0], 2.0 * inner[1])
    if expr[0] == "multiply":
        for s, c in ((expr[1], expr[2]), (expr[2], expr[1])):
            if c[0] == "const" and c[1] > 0:
                inner = _scaled_sign(s)
                if inner is not None:
                    return inner[0], c[1] * inner[1]
    return None


def _preprocess_lines(grad: tuple) -> tuple[str, ...]:
    """Statements computing `gp` from `g` for the gradient transform `grad`."""
    lines: list[str] = []
    counter = [0]

    def emit(expr: tuple) -> str:
        if expr[0] == "in":
            return expr[1]
        if expr[0] == "const":
            return repr(float(expr[1]))
        args = [emit(a) for a in expr[1:]]
        name = f"gp{counter[0]}"
        counter[0] += 1
        lines.append(f"{name} = {expr[0]}({', '.join(args)})")
        return name

    if grad == ("in", "g"):
        return ()
    last = emit(grad)
    lines[-1] = "gp" + lines[-1][len(last):]
    return tuple(lines)
