"""The op registry: the 45 functions an optimizer program may call.

This module owns what an op *is* (name, arity, argument kinds, result kind) and how
it is computed on the flat representation every executor shares: a tensor is a 1-D
float array holding the whole parameter set (all leaves raveled and concatenated),
a scalar is a 0-d array. Per-leaf reductions (`norm`) need to know where leaves
begin and end; that is the `LeafLayout` passed to every implementation.

Each op's formula is written once against an array module `xp` and instantiated
twice: `Op.impl` with `jax.numpy` (the executors, the reference interpreter, the
export) and `Op.numpy_impl` with `numpy` (host-side probes: behavioural
fingerprints and equivalence checks run thousands of tiny programs, where JAX's
eager per-op dispatch would cost ~100x the arithmetic).

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
import functools
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

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

    @functools.cached_property
    def numpy_segment_ids(self) -> np.ndarray:
        """`segment_ids` as a host numpy array (converted once, then cached)."""
        return np.asarray(self.segment_ids)

    def leaf_sum(self, x, xp=jnp):
        """Sum of `x` over each leaf, broadcast back to every entry of the leaf.

        Args:
            xp: the array module computing it, `jax.numpy` (default) or `numpy`.
        """
        if xp is jnp:
            sums = jax.ops.segment_sum(x, self.segment_ids, self.num_segments)
            return sums[self.segment_ids]
        if self.num_segments == 1:
            return np.full_like(x, np.sum(x))
        ids = self.numpy_segment_ids
        # bincount accumulates in float64; cast back so the probe keeps its dtype.
        sums = np.bincount(ids, weights=x, minlength=self.num_segments)
        return sums[ids].astype(x.dtype)


Impl = Callable[..., jax.Array]
#: An op's formula, written once against an array module: `formula(xp, layout, *args)`
#: with `xp` either `jax.numpy` or `numpy`.
Formula = Callable[..., Any]


@dataclass(frozen=True)
class Op:
    """One function of the search space.

    Attributes:
        name: how programs call it.
        arg_kinds: accepted kind per argument; the length is the arity.
        result: how the result kind is derived.
        impl: `impl(layout, *args)` on flat JAX arrays (see module docstring).
        infix: the operator symbol for `+ - * /`, written `a + b` in programs.
        commutative: arguments may be swapped without changing the result.
        group: "constant", "unary", "binary", "interp" or "global", for docs.
        numpy_impl: the same function on flat numpy arrays, for host-side probes
            (fingerprints, equivalence checks) where JAX's per-op dispatch cost
            would dominate. Ops built here derive both from one formula; an op
            built without one falls back to calling `impl` and converting.
    """

    name: str
    arg_kinds: tuple[ArgKind, ...]
    result: ResultKind
    impl: Impl
    infix: str | None = None
    commutative: bool = False
    group: str = "unary"
    numpy_impl: Callable[..., Any] | None = None

    def __post_init__(self):
        if self.numpy_impl is None:
            impl = self.impl

            def via_jax(layout, *args):
                return np.asarray(impl(layout, *(jnp.asarray(a) for a in args)))

            object.__setattr__(self, "numpy_impl", via_jax)

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
# Guards. Each takes the array module first so numpy and JAX share one formula.


def _safe_denominator(x, xp=jnp):
    # Keep the sign so that 1/(-tiny) stays large-negative instead of flipping.
    # (numpy would make the bare python-float choice float64; keep x's dtype.)
    tiny = xp.where(x < 0, -EPS, EPS).astype(x.dtype)
    return xp.where(xp.abs(x) < EPS, tiny, x)


def _safe_div(x, y, xp=jnp):
    return x / _safe_denominator(y, xp)


def _log_abs(x, xp=jnp):
    return xp.log(xp.abs(x) + EPS)


def _clip_unit(x, xp=jnp):
    return xp.clip(x, -1.0, 1.0)


def _power(a, b, xp=jnp):
    # |a|^b in log space: no NaN for negative bases, no inf for 0^negative.
    exponent = b * xp.log(xp.maximum(xp.abs(a), 1e-30))
    return xp.exp(xp.clip(exponent, -EXP_MAX, EXP_MAX))


def _global_norm(t, xp=jnp):
    return xp.sqrt(xp.sum(xp.square(t)))


def _norm(layout: LeafLayout, x, xp=jnp):
    # Per-leaf L2 norm (the layer-wise norm of LARS/LAMB); |x| for a scalar.
    if xp.ndim(x) == 0:
        return xp.abs(x)
    return xp.sqrt(layout.leaf_sum(xp.square(x), xp))


def _cosine_sim(a, b, xp=jnp):
    return xp.sum(a * b) / xp.maximum(_global_norm(a, xp) * _global_norm(b, xp), EPS)


def _clip_by_global_norm(t, c, xp=jnp):
    scale = xp.minimum(1.0, xp.abs(c) / xp.maximum(_global_norm(t, xp), EPS))
    return t * scale


def _interp(xp, layout: LeafLayout, x, y, a):
    return (1.0 - a) * x + a * y


# ---------------------------------------------------------------------------
# The registry

_A, _S, _T = ArgKind.ANY, ArgKind.SCALAR, ArgKind.TENSOR

#: Exact values of the constant ops (their implementations return them as float32).
CONSTANT_VALUES: dict[str, float] = {"pi": float(np.pi), "e": float(np.e), "eps": EPS}


def _from_formula(
    name: str,
    arg_kinds: tuple[ArgKind, ...],
    result: ResultKind,
    formula: Formula,
    **fields,
) -> Op:
    """An op whose JAX and numpy implementations both come from `formula`."""
    return Op(
        name,
        arg_kinds,
        result,
        functools.partial(formula, jnp),
        numpy_impl=functools.partial(formula, np),
        **fields,
    )


def _constant(name: str) -> Op:
    value = CONSTANT_VALUES[name]
    return _from_formula(
        name,
        (),
        ResultKind.SCALAR,
        lambda xp, layout: xp.asarray(value, xp.float32),
        group="constant",
    )


def _unary(name: str, fn: Callable) -> Op:
    return _from_formula(
        name, (_A,), ResultKind.BROADCAST, lambda xp, layout, x: fn(xp, x)
    )


def _binary(name: str, fn: Callable, infix: str | None = None, commutative=False) -> Op:
    return _from_formula(
        name,
        (_A, _A),
        ResultKind.BROADCAST,
        lambda xp, layout, x, y: fn(xp, x, y),
        infix=infix,
        commutative=commutative,
        group="binary",
    )


def _global(name: str, arg_kinds, result: ResultKind, fn: Callable, **fields) -> Op:
    return _from_formula(
        name,
        arg_kinds,
        result,
        lambda xp, layout, *args: fn(xp, *args),
        group="global",
        **fields,
    )


# Each entry is `fn(xp, x)`; `xp` is jax.numpy or numpy.
_UNARY: list[tuple[str, Callable]] = [
    ("abs", lambda xp, x: xp.abs(x)),
    ("cos", lambda xp, x: xp.cos(x)),
    ("sin", lambda xp, x: xp.sin(x)),
    ("tan", lambda xp, x: xp.tan(x)),
    ("arcsin", lambda xp, x: xp.arcsin(_clip_unit(x, xp))),
    ("arccos", lambda xp, x: xp.arccos(_clip_unit(x, xp))),
    ("arctan", lambda xp, x: xp.arctan(x)),
    ("sinh", lambda xp, x: xp.sinh(xp.clip(x, -EXP_MAX, EXP_MAX))),
    ("cosh", lambda xp, x: xp.cosh(xp.clip(x, -EXP_MAX, EXP_MAX))),
    ("tanh", lambda xp, x: xp.tanh(x)),
    ("arcsinh", lambda xp, x: xp.arcsinh(x)),
    ("arccosh", lambda xp, x: xp.arccosh(xp.maximum(xp.abs(x), 1.0))),
    ("arctanh", lambda xp, x: xp.arctanh(xp.clip(x, -1.0 + 1e-6, 1.0 - 1e-6))),
    ("exp", lambda xp, x: xp.exp(xp.minimum(x, EXP_MAX))),
    ("exp2", lambda xp, x: xp.exp2(xp.minimum(x, 126.0))),
    ("exp10", lambda xp, x: xp.power(10.0, xp.minimum(x, 38.0))),
    ("expm1", lambda xp, x: xp.expm1(xp.minimum(x, EXP_MAX))),
    ("log", lambda xp, x: _log_abs(x, xp)),
    ("log10", lambda xp, x: xp.log10(xp.abs(x) + EPS)),
    ("log2", lambda xp, x: xp.log2(xp.abs(x) + EPS)),
    ("log1p", lambda xp, x: xp.log1p(xp.abs(x))),
    ("square", lambda xp, x: xp.square(x)),
    ("sqrt", lambda xp, x: xp.sqrt(xp.abs(x))),
    ("cube", lambda xp, x: x * x * x),
    ("cbrt", lambda xp, x: xp.cbrt(x)),
    ("sign", lambda xp, x: xp.sign(x)),
    ("reciprocal", lambda xp, x: 1.0 / _safe_denominator(x, xp)),
    ("negative", lambda xp, x: xp.negative(x)),
    ("rsqrt", lambda xp, x: 1.0 / xp.sqrt(xp.maximum(xp.abs(x), EPS))),
]


def _build_ops() -> list[Op]:
    ops = [_constant("pi"), _constant("e"), _constant("eps")]
    ops += [_unary(name, fn) for name, fn in _UNARY]
    ops.append(
        _from_formula(
            "norm",
            (_A,),
            ResultKind.BROADCAST,
            lambda xp, layout, x: _norm(layout, x, xp),
        )
    )
    ops += [
        _binary("add", lambda xp, x, y: xp.add(x, y), infix="+", commutative=True),
        _binary("subtract", lambda xp, x, y: xp.subtract(x, y), infix="-"),
        _binary(
            "multiply", lambda xp, x, y: xp.multiply(x, y), infix="*", commutative=True
        ),
        _binary("divide", lambda xp, x, y: _safe_div(x, y, xp), infix="/"),
        _binary("max", lambda xp, x, y: xp.maximum(x, y), commutative=True),
        _binary("min", lambda xp, x, y: xp.minimum(x, y), commutative=True),
        _from_formula(
            "interp", (_A, _A, _A), ResultKind.BROADCAST, _interp, group="interp"
        ),
        _global(
            "global_norm", (_T,), ResultKind.SCALAR, lambda xp, t: _global_norm(t, xp)
        ),
        _global(
            "dot",
            (_T, _T),
            ResultKind.SCALAR,
            lambda xp, a, b: xp.sum(a * b),
            commutative=True,
        ),
        _global(
            "cosine_sim",
            (_T, _T),
            ResultKind.SCALAR,
            lambda xp, a, b: _cosine_sim(a, b, xp),
            commutative=True,
        ),
        _global(
            "clip_by_global_norm",
            (_T, _S),
            ResultKind.TENSOR,
            lambda xp, t, c: _clip_by_global_norm(t, c, xp),
        ),
        _binary("power", lambda xp, x, y: _power(x, y, xp)),
    ]
    # power is a binary function of the paper's set but listed last there.
    return ops


#: The full search space, in op-code order.
OPS = OpRegistry(_build_ops())
