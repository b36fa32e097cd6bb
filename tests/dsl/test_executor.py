"""The compile-once executor: agrees with the reference interpreter, never recompiles."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dsl import LeafLayout, parse
from dsl.executor import encode, init_registers, make_step
from dsl.generate import random_program
from dsl.library import builtin_names, load_builtin
from dsl.reference import run_steps

MAX_LENGTH = 12
NUM_STEPS = 6
SIZES = [7, 13]
LAYOUT = LeafLayout.from_sizes(SIZES)
N = sum(SIZES)


def _make_runner(unroll: bool):
    step = make_step(LAYOUT, MAX_LENGTH, N, unroll=unroll)
    traces = []

    @jax.jit
    def run(code, w, grads, lrs):
        traces.append(1)  # counts traces: a recompile would append again
        regs = init_registers(code, MAX_LENGTH, w)

        def body(carry, inputs):
            w, regs = carry
            g, lr = inputs
            update, regs = step(code, regs, w, g, lr)
            return (w - update, regs), update

        _, updates = jax.lax.scan(body, (w, regs), (grads, lrs))
        return updates

    return run, traces


@pytest.fixture(scope="module")
def runner():
    return _make_runner(unroll=True)


def _inputs(seed: int):
    rng = np.random.default_rng(seed)
    w = jnp.asarray(rng.normal(size=N), jnp.float32)
    grads = jnp.asarray(rng.normal(size=(NUM_STEPS, N)), jnp.float32)
    lrs = jnp.linspace(1.0, 0.2, NUM_STEPS).astype(jnp.float32)
    return w, grads, lrs


def _assert_same_updates(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(actual), finite)
    scale = np.maximum(np.abs(expected[finite]), 1.0)
    np.testing.assert_array_less(np.abs(actual[finite] - expected[finite]) / scale, 1e-3)


@pytest.mark.parametrize("name", builtin_names())
def test_shipped_programs_match_the_reference(runner, name):
    run, _ = runner
    program = load_builtin(name)
    w, grads, lrs = _inputs(1)
    expected = run_steps(program, w, grads, lrs, LAYOUT)
    _assert_same_updates(run(encode(program, MAX_LENGTH), w, grads, lrs), expected)


def test_random_programs_match_the_reference_without_recompiling(runner):
    run, traces = runner
    rng = np.random.default_rng(0)
    run(encode(load_builtin("adamw"), MAX_LENGTH), *_inputs(0))  # compile once
    compiled_traces = len(traces)
    checked = 0
    for trial in range(60):
        program = random_program(rng, int(rng.integers(1, MAX_LENGTH + 1)))
        w, grads, lrs = _inputs(trial)
        expected = run_steps(program, w, grads, lrs, LAYOUT)
        actual = run(encode(program, MAX_LENGTH), w, grads, lrs)
        # Chaotic programs (tan of huge values...) amplify last-bit differences
        # between fused and eager arithmetic; compare the well-conditioned ones.
        if np.all(np.abs(np.asarray(expected)[np.isfinite(expected)]) < 1e4):
            _assert_same_updates(actual, expected)
            checked += 1
    assert len(traces) == compiled_traces, "a new program must not trigger a recompile"
    assert checked >= 20


def test_loop_and_unrolled_interpreters_agree():
    run_loop, _ = _make_runner(unroll=False)
    run_unrolled, _ = _make_runner(unroll=True)
    program = load_builtin("program4")
    inputs = _inputs(3)
    code = encode(program, MAX_LENGTH)
    np.testing.assert_allclose(run_loop(code, *inputs), run_unrolled(code, *inputs), rtol=1e-6)


def test_norm_of_a_scalar_is_its_absolute_value(runner):
    run, _ = runner
    program = parse(
        "def train(w, g, m, v, lr):\n"
        "    s = lr * -3.0\n    s = norm(s)\n    t = norm(g)\n"
        "    update = t * s\n    return update, m, v\n"
    )
    w, grads, lrs = _inputs(4)
    expected = run_steps(program, w, grads, lrs, LAYOUT)
    _assert_same_updates(run(encode(program, MAX_LENGTH), w, grads, lrs), expected)


def test_dead_code_is_not_encoded():
    program = load_builtin("program4")  # `m = cosh(update)` is dead across steps
    code = encode(program, MAX_LENGTH)
    from dsl.executor import NOP_CODE

    assert int(np.sum(code.op != NOP_CODE)) == len(program) - 1


def test_non_finite_values_flow_through_without_raising(runner):
    run, _ = runner
    program = parse(
        "def train(w, g, m, v, lr):\n    big = exp(g)\n    big = big * 1e30\n"
        "    big = big * big\n    update = big - big\n    return update, m, v\n"
    )
    updates = run(encode(program, MAX_LENGTH), *_inputs(5))
    assert not np.all(np.isfinite(updates))


def test_programs_longer_than_the_executor_are_refused():
    with pytest.raises(ValueError, match="9 live statements exceed"):
        encode(load_builtin("adamw"), 3)


def test_a_program_that_assigns_e_runs_it_as_a_variable(runner):
    run, _ = runner
    program = parse(
        "def train(w, g, m, v, lr):\n"
        "    e = g * 0.5\n    x = e()\n    e = e * x\n"
        "    update = e * lr\n    return update, m, v\n"
    )
    w, grads, lrs = _inputs(6)
    actual = run(encode(program, MAX_LENGTH), w, grads, lrs)
    np.testing.assert_allclose(actual, grads * 0.5 * np.e * lrs[:, None], rtol=1e-5)
