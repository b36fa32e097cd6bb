"""Every op computes the same function in numpy and in JAX, and the guards hold.

Runs over the whole registry, so a new op gets these checks by being registered.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.ops import CONSTANT_VALUES, OPS, ArgKind, LeafLayout

LAYOUT = LeafLayout.from_sizes([5, 3, 4])
N = 12


def _args_for(op, rng, scale: float):
    """Arguments of accepted kinds: tensors, and a scalar wherever one is allowed."""
    args = []
    for position, kind in enumerate(op.arg_kinds):
        as_scalar = kind is ArgKind.SCALAR or (kind is ArgKind.ANY and position == 1)
        value = rng.standard_normal(() if as_scalar else (N,)) * scale
        args.append(np.asarray(value, np.float32))
    return args


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("scale", [1e-9, 0.5, 3.0, 200.0])
def test_numpy_and_jax_implementations_agree(name, scale):
    op = OPS[name]
    rng = np.random.default_rng(OPS.code(name))
    for _ in range(3):
        args = _args_for(op, rng, scale)
        expected = np.asarray(op.impl(LAYOUT, *[jax.numpy.asarray(a) for a in args]))
        with np.errstate(all="ignore"):
            got = np.asarray(op.numpy_impl(LAYOUT, *args))
        assert got.shape == expected.shape, name
        assert got.dtype == np.float32, f"{name} left float32: {got.dtype}"
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6, equal_nan=True)


SCALAR_CAPABLE = [
    n for n in OPS if OPS[n].arity >= 1 and ArgKind.TENSOR not in OPS[n].arg_kinds
]


@pytest.mark.parametrize("name", SCALAR_CAPABLE)
def test_numpy_implementation_accepts_scalars_only(name):
    # Ops whose arguments may all be scalars run on 0-d values (constant folding).
    op = OPS[name]
    args = [np.float64(0.3)] * op.arity
    expected = float(op.impl(LAYOUT, *[jax.numpy.float32(a) for a in args]))
    assert float(op.numpy_impl(LAYOUT, *args)) == pytest.approx(expected, rel=1e-6)


def test_constant_values_are_what_the_constant_ops_return():
    for name, value in CONSTANT_VALUES.items():
        assert float(OPS[name].numpy_impl(LAYOUT)) == pytest.approx(value, rel=1e-7)
        assert float(OPS[name].impl(LAYOUT)) == pytest.approx(value, rel=1e-7)


def test_norm_is_per_leaf_in_numpy_as_in_jax():
    x = np.arange(1, N + 1, dtype=np.float32)
    norms = OPS["norm"].numpy_impl(LAYOUT, x)
    assert norms[0] == pytest.approx(np.linalg.norm(x[:5]))
    assert norms[6] == pytest.approx(np.linalg.norm(x[5:8]))
    assert norms[-1] == pytest.approx(np.linalg.norm(x[8:]))


GUARDED_UNARY = [
    "log",
    "log10",
    "log2",
    "log1p",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "exp",
    "exp2",
    "exp10",
    "expm1",
    "sinh",
    "cosh",
    "arcsin",
    "arccos",
    "arctanh",
    "arccosh",
]
# Finite float32 values (float64 draws in float32 range, cast when used).
finite32 = st.floats(-3.4e38, 3.4e38, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(x=finite32)
def test_guarded_unary_ops_map_finite_inputs_to_finite_outputs(x):
    value = np.asarray([x, -x, 0.0, 1e-30], np.float32)
    for name in GUARDED_UNARY:
        out = OPS[name].numpy_impl(LAYOUT, value)
        assert np.all(np.isfinite(out)), f"{name}({x}) = {out}"


@settings(max_examples=300, deadline=None)
@given(x=st.floats(-1e20, 1e20, allow_nan=False), y=finite32)
def test_division_and_power_map_finite_inputs_to_finite_outputs(x, y):
    for a, b in [(x, y), (x, 0.0), (x, -0.0), (x, 1e-30), (y, x)]:
        a32, b32 = np.float32(a), np.float32(b)
        with np.errstate(all="ignore"):  # intermediate overflow is clipped away
            if abs(a32) <= 1e20:  # the quotient stays below float32's max
                assert np.isfinite(OPS["divide"].numpy_impl(LAYOUT, a32, b32)), (a, b)
            assert np.isfinite(OPS["power"].numpy_impl(LAYOUT, a32, b32)), (a, b)


def test_guarded_ops_are_finite_under_jit_too():
    x = jax.numpy.asarray(
        [0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30, 3e38], jax.numpy.float32
    )
    for name in GUARDED_UNARY:
        out = jax.jit(lambda v, op=OPS[name]: op.impl(LAYOUT, v))(x)
        assert np.all(np.isfinite(np.asarray(out))), name
