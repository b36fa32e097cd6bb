"""The op registry: the 45 functions an optimizer program may call.

This module owns what an op *is* (name, arity, argument kinds, result kind) and how
it is computed on the flat representation every executor shares: a tensor is a 1-D
float array holding the whole parameter set (all leaves raveled and concatenated),
a scalar is a 0-d array. Per-leaf reductions (`norm`) need to know where leaves
begin and end; that is the `LeafLayout` passed to every implementation.

The op set follows the paper's released search space (Chen et al. 2023, "Symbolic
Discovery of Optimization Algorithms", arXiv 2302.06675, Appendix): 3 constants,
30 element-wise unary functions, 6 binary functions, `interp`, and 5 functions over
the whole parameter set. Our 30th unary op, the one the issue left to us, is
`rsqrt` (reciprocal square root), the core of Adam-style preconditioners.

Numeric guards: every op whose mathematical domain is restricted is made total, so
finite inputs give finite outputs for these ops: log/sqrt take |x|, division and
reciprocal keep the denominator at least `EPS` in magnitude, exp-like ops clip their
argument below overflow, inverse trig ops clip into their domain and `power` is
computed in log space with a clipped exponent. Ops that can overflow only by being
fed huge values (square, cube, products) are left alone: non-finite results are
detected by the executors and reported, never raised.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

import jax
import jax.numpy as jnp
import numpy as np

#: Smallest denominator magnitude; also the value of the `eps` constant op.
EPS = 1e-8
#: Largest argument fed to exp (float32 exp overflows just below 89).
EXP_MAX = 80.0


class Kind(enum.Enum):
    """What a value is: one number, or one number per parameter."""

    SCALAR = "scalar"
    TENSOR = "tensor"


class ArgKind(enum.Enum):
    """What an op accepts in one argument position."""

    SCALAR = "scalar"
    TENSOR = "tensor"
    ANY = "any"

    def accepts(self, kind: Kind) -> bool:
        return self is ArgKind.ANY or self.value == kind.value


class ResultKind(enum.Enum):
    """How an op's result kind follows from its argument kinds."""

    SCALAR = "scalar"
    TENSOR = "tensor"
    # Tensor if any argument is a tensor (element-wise broadcasting), else scalar.
    BROADCAST = "broadcast"


@dataclass(frozen=True)
class LeafLayout:
    """Where each parameter leaf sits in the flat tensor representation.

    Attributes:
        segment_ids: int array [num_params] mapping each flat entry to its leaf.
        num_segments: number of leaves.
    """

    segment_ids: jax.Array
    num_segments: int

    @staticmethod
    def single(size: int) -> "LeafLayout":
        """A layout with one leaf of `size` entries."""
        return LeafLayout(jnp.zeros((size,), jnp.int32), 1)

    @staticmethod
    def from_sizes(sizes: list[int]) -> "LeafLayout":
        """A layout for leaves of the given sizes, in ravel order."""
        ids = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
        return LeafLayout(jnp.asarray(ids), len(sizes))

    def leaf_sum(self, x: jax.Array) -> jax.Array:
        """Sum of `x` over each leaf, broadcast back to every entry of the leaf."""
        sums = jax.ops.segment_sum(x, self.segment_ids, self.num_segments)
        return sums[self.segment_ids]


Impl = Callable[..., jax.Array]


@dataclass(frozen=True)
class Op:
    """One function of the search space.

    Attributes:
        name: how programs call it.
        arg_kinds: accepted kind per argument; the length is the arity.
        result: how the result kind is derived.
        impl: `impl(layout, *args)` on flat arrays (see module docstring).
        infix: the operator symbol for `+ - * /`, written `a + b` in programs.
        commutative: arguments may be swapped without changing the result.
        group: "constant", "unary", "binary", "interp" or "global", for docs.
    """

    name: str
    arg_kinds: tuple[ArgKind, ...]
    result: ResultKind
    impl: Impl
    infix: str | None = None
    commutative: bool = False
    group: str = "unary"

    @property
    def arity(self) -> int:
        return len(self.arg_kinds)

    def result_kind(self, arg_kinds: tuple[Kind, ...]) -> Kind:
        """The kind of this op's result for arguments of `arg_kinds`."""
        if self.result is ResultKind.SCALAR:
            return Kind.SCALAR
        if self.result is ResultKind.TENSOR:
            return Kind.TENSOR
        return Kind.TENSOR if Kind.TENSOR in arg_kinds else Kind.SCALAR


class OpRegistry(Mapping[str, Op]):
    """Ops by name, in a fixed order (the order gives each op its op code)."""

    def __init__(self, ops: list[Op]):
        self._ops: dict[str, Op] = {}
        for op in ops:
            if op.name in self._ops:
                raise ValueError(f"duplicate op name {op.name!r}")
            self._ops[op.name] = op
        self._by_infix = {op.infix: op for op in ops if op.infix}

    def __getitem__(self, name: str) -> Op:
        return self._ops[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def by_infix(self, symbol: str) -> Op | None:
        """The op written with the infix `symbol`, if any."""
        return self._by_infix.get(symbol)

    def code(self, name: str) -> int:
        """The op code of `name`: its position in the registry."""
        return list(self._ops).index(name)

    def subset(self, names: list[str]) -> "OpRegistry":
        """A registry restricted to `names` (a search config's op set).

        Raises:
            KeyError: a name is not a known op; the message lists the valid names.
        """
        unknown = [n for n in names if n not in self._ops]
        if unknown:
            raise KeyError(
                f"unknown op(s) {', '.join(unknown)}; valid: {', '.join(self._ops)}"
            )
        return OpRegistry([self._ops[n] for n in self._ops if n in set(names)])


# ---------------------------------------------------------------------------
# Guards


def _safe_denominator(x: jax.Array) -> jax.Array:
    # Keep the sign so that 1/(-tiny) stays large-negative instead of flipping.
    return jnp.where(jnp.abs(x) < EPS, jnp.where(x < 0, -EPS, EPS), x)


def _safe_div(x: jax.Array, y: jax.Array) -> jax.Array:
    return x / _safe_denominator(y)


def _log_abs(x: jax.Array) -> jax.Array:
    return jnp.log(jnp.abs(x) + EPS)


def _clip_unit(x: jax.Array) -> jax.Array:
    return jnp.clip(x, -1.0, 1.0)


def _power(a: jax.Array, b: jax.Array) -> jax.Array:
    # |a|^b in log space: no NaN for negative bases, no inf for 0^negative.
    exponent = b * jnp.log(jnp.maximum(jnp.abs(a), 1e-30))
    return jnp.exp(jnp.clip(exponent, -EXP_MAX, EXP_MAX))


def _global_norm(t: jax.Array) -> jax.Array:
    return jnp.sqrt(jnp.sum(jnp.square(t)))


def _norm(layout: LeafLayout, x: jax.Array) -> jax.Array:
    # Per-leaf L2 norm (the layer-wise norm of LARS/LAMB); |x| for a scalar.
    if x.ndim == 0:
        return jnp.abs(x)
    return jnp.sqrt(layout.leaf_sum(jnp.square(x)))


def _cosine_sim(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.sum(a * b) / jnp.maximum(_global_norm(a) * _global_norm(b), EPS)


def _clip_by_global_norm(t: jax.Array, c: jax.Array) -> jax.Array:
    scale = jnp.minimum(1.0, jnp.abs(c) / jnp.maximum(_global_norm(t), EPS))
    return t * scale


# ---------------------------------------------------------------------------
# The registry

_A, _S, _T = ArgKind.ANY, ArgKind.SCALAR, ArgKind.TENSOR


def _constant(name: str, value: float) -> Op:
    return Op(
        name,
        (),
        ResultKind.SCALAR,
        lambda layout: jnp.asarray(value, jnp.float32),
        group="constant",
    )


def _unary(name: str, fn: Callable[[jax.Array], jax.Array]) -> Op:
    return Op(name, (_A,), ResultKind.BROADCAST, lambda layout, x: fn(x))


def _binary(name: str, fn, infix: str | None = None, commutative=False) -> Op:
    return Op(
        name,
        (_A, _A),
        ResultKind.BROADCAST,
        lambda layout, x, y: fn(x, y),
        infix=infix,
        commutative=commutative,
        group="binary",
    )


_UNARY: list[tuple[str, Callable[[jax.Array], jax.Array]]] = [
    ("abs", jnp.abs),
    ("cos", jnp.cos),
    ("sin", jnp.sin),
    ("tan", jnp.tan),
    ("arcsin", lambda x: jnp.arcsin(_clip_unit(x))),
    ("arccos", lambda x: jnp.arccos(_clip_unit(x))),
    ("arctan", jnp.arctan),
    ("sinh", lambda x: jnp.sinh(jnp.clip(x, -EXP_MAX, EXP_MAX))),
    ("cosh", lambda x: jnp.cosh(jnp.clip(x, -EXP_MAX, EXP_MAX))),
    ("tanh", jnp.tanh),
    ("arcsinh", jnp.arcsinh),
    ("arccosh", lambda x: jnp.arccosh(jnp.maximum(jnp.abs(x), 1.0))),
    ("arctanh", lambda x: jnp.arctanh(jnp.clip(x, -1.0 + 1e-6, 1.0 - 1e-6))),
    ("exp", lambda x: jnp.exp(jnp.minimum(x, EXP_MAX))),
    ("exp2", lambda x: jnp.exp2(jnp.minimum(x, 126.0))),
    ("exp10", lambda x: jnp.power(10.0, jnp.minimum(x, 38.0))),
    ("expm1", lambda x: jnp.expm1(jnp.minimum(x, EXP_MAX))),
    ("log", _log_abs),
    ("log10", lambda x: jnp.log10(jnp.abs(x) + EPS)),
    ("log2", lambda x: jnp.log2(jnp.abs(x) + EPS)),
    ("log1p", lambda x: jnp.log1p(jnp.abs(x))),
    ("square", jnp.square),
    ("sqrt", lambda x: jnp.sqrt(jnp.abs(x))),
    ("cube", lambda x: x * x * x),
    ("cbrt", jnp.cbrt),
    ("sign", jnp.sign),
    ("reciprocal", lambda x: 1.0 / _safe_denominator(x)),
    ("negative", jnp.negative),
    ("rsqrt", lambda x: 1.0 / jnp.sqrt(jnp.maximum(jnp.abs(x), EPS))),
]


def _interp(layout: LeafLayout, x, y, a):
    return (1.0 - a) * x + a * y


def _build_ops() -> list[Op]:
    ops = [
        _constant("pi", float(np.pi)),
        _constant("e", float(np.e)),
        _constant("eps", EPS),
    ]
    ops += [_unary(name, fn) for name, fn in _UNARY]
    ops.append(Op("norm", (_A,), ResultKind.BROADCAST, _norm))
    ops += [
        _binary("add", jnp.add, infix="+", commutative=True),
        _binary("subtract", jnp.subtract, infix="-"),
        _binary("multiply", jnp.multiply, infix="*", commutative=True),
        _binary("divide", _safe_div, infix="/"),
        _binary("max", jnp.maximum, commutative=True),
        _binary("min", jnp.minimum, commutative=True),
        Op("interp", (_A, _A, _A), ResultKind.BROADCAST, _interp, group="interp"),
        Op(
            "global_norm",
            (_T,),
            ResultKind.SCALAR,
            lambda layout, t: _global_norm(t),
            group="global",
        ),
        Op(
            "dot",
            (_T, _T),
            ResultKind.SCALAR,
            lambda layout, a, b: jnp.sum(a * b),
            commutative=True,
            group="global",
        ),
        Op(
            "cosine_sim",
            (_T, _T),
            ResultKind.SCALAR,
            lambda layout, a, b: _cosine_sim(a, b),
            commutative=True,
            group="global",
        ),
        Op(
            "clip_by_global_norm",
            (_T, _S),
            ResultKind.TENSOR,
            lambda layout, t, c: _clip_by_global_norm(t, c),
            group="global",
        ),
        _binary("power", _power),
    ]
    # power is a binary function of the paper's set but listed last there.
    return ops


#: The full search space, in op-code order.
OPS = OpRegistry(_build_ops())
