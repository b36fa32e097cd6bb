"""The numpy interpreter computes what the reference JAX interpreter computes."""

from __future__ import annotations

import numpy as np

from dsl import LeafLayout, load_program, parse
from dsl.generate import random_program
from dsl.host import compile_host, run_host
from dsl.reference import run_steps

LAYOUT = LeafLayout.from_sizes([4, 3])


def _inputs(seed: int, steps: int = 3):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(7).astype(np.float32)
    grads = rng.standard_normal((steps, 7)).astype(np.float32)
    lrs = rng.uniform(0.1, 1.0, steps).astype(np.float32)
    return w, grads, lrs


def _agree(program, seed: int) -> bool:
    w, grads, lrs = _inputs(seed)
    expected = np.asarray(run_steps(program, w, grads, lrs, LAYOUT))
    got = run_host(compile_host(program, np.float32), w, grads, lrs, LAYOUT)
    scale = np.nanmax(
        np.abs(np.where(np.isfinite(expected), expected, 0.0)), initial=1.0
    )
    close = np.isclose(got, expected, rtol=1e-4, atol=1e-4 * scale, equal_nan=True)
    return bool(close.all())


def test_shipped_programs_agree_with_the_reference():
    for name in ["adamw", "lion", "program4", "rmsprop", "adagrad", "sgd_momentum"]:
        assert _agree(load_program(name), seed=0), name


def test_random_programs_agree_with_the_reference():
    for seed in range(25):
        p = random_program(np.random.default_rng(seed), 10)
        assert _agree(p, seed), f"seed {seed}\n{p}"


def test_float64_is_the_default_and_dead_code_is_skipped():
    p = parse(
        "def train(w, g, m, v, lr):\n"
        "    junk = exp(w)\n"
        "    update = g * lr\n"
        "    return update, m, v\n"
    )
    step = compile_host(p)
    assert step.dtype is np.float64 and len(step.code) == 1
    w, grads, lrs = _inputs(1)
    updates = run_host(p, w, grads, lrs, LAYOUT)
    assert updates.dtype == np.float64
    np.testing.assert_allclose(updates, grads * lrs[:, None], rtol=1e-6)
