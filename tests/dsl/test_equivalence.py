"""The equivalence check: same updates on the same gradients, to a stated tolerance."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import InvalidProgram, load_program, parse
from dsl.equivalence import (
    Equivalence,
    EquivalenceConfig,
    check_equivalence,
    compare_updates,
    probe_runs,
)
from dsl.generate import random_program
from tests.dsl._program_edits import meaning_preserving_edit


def program(*lines: str):
    body = "".join(f"    {line}\n" for line in lines)
    return parse(f"def train(w, g, m, v, lr):\n{body}    return update, m, v\n")


LION_BY_HAND = program(
    "c = interp(g, v, 0.899)",
    "update = sign(c)",
    "wd = w * 0.4602",
    "update = update + wd",
    "lr = lr * 0.0002",
    "update = update * lr",
    "v = interp(g, v, 0.996991)",
)


def test_a_program_is_equivalent_to_itself():
    verdict = check_equivalence(load_program("adamw"), load_program("adamw"))
    assert verdict == Equivalence(True, num_compared=4 * 30)


def test_momentum_in_v_is_equivalent_to_momentum_in_m():
    in_m = program(
        "c = interp(g, m, 0.9)", "update = sign(c)", "m = interp(g, m, 0.99)"
    )
    in_v = program(
        "c = interp(g, v, 0.9)", "update = sign(c)", "v = interp(g, v, 0.99)"
    )
    assert check_equivalence(in_m, in_v).equivalent


def exchange_slots(text: str) -> str:
    """The program with its state slots exchanged: every `m` is `v` and back."""
    lines = text.splitlines(keepends=True)
    body = [re.sub(r"\b[mv]\b", lambda s: "v" if s.group() == "m" else "m", line)
            for line in lines[1:-1]]
    return "".join([lines[0], *body, lines[-1]])


@pytest.mark.parametrize("name", ["adamw", "program4"])
def test_exchanging_the_slots_of_a_program_that_uses_both_changes_no_update(name):
    # Only updates are compared and both slots start at zero, so which slot holds
    # what cannot matter; Program 4 writes each slot from the other.
    text = load_program(name).to_text()
    assert exchange_slots(text) != text
    assert check_equivalence(parse(text), parse(exchange_slots(text))).equivalent


def test_reading_the_other_slot_does_change_the_updates():
    text = load_program("adamw").to_text()
    misread = text.replace("update = m / sqrt_v", "update = v / sqrt_v")
    assert misread != text
    assert not check_equivalence(parse(text), parse(misread)).equivalent


def test_interp_is_equivalent_to_its_expansion():
    interp = program("m = interp(g, m, 0.9)", "update = m * lr")
    expanded = program("a = g * 0.1", "b = m * 0.9", "m = a + b", "update = m * lr")
    assert check_equivalence(interp, expanded).equivalent


def test_reports_the_first_step_where_updates_differ():
    # The momentum constants only matter from step 1 on: at step 0, m is zero.
    slow = program("update = g + m", "m = interp(g, m, 0.9)")
    fast = program("update = g + m", "m = interp(g, m, 0.8)")
    verdict = check_equivalence(slow, fast)
    assert not verdict.equivalent
    assert (verdict.seed, verdict.step) == (0, 1)
    assert verdict.magnitude > 0.01 and verdict.scale > 1.0
    assert "step 1" in verdict.describe()


def test_dropping_arcsin_and_clip_from_program_4_changes_its_updates():
    program4 = load_program("program4")
    # arcsin and clip_by_global_norm change the updates; removing them is a
    # fitness-based, not a semantic, simplification.
    assert not check_equivalence(program4, LION_BY_HAND).equivalent


def test_each_program_moves_its_own_weights():
    plain = program("update = g * lr")
    decayed = program("wd = w * 0.01", "s = g + wd", "update = s * lr")
    assert not check_equivalence(plain, decayed).equivalent


def test_tolerance_is_relative_to_the_steps_largest_update():
    a = np.array([100.0, 1e-3])
    assert compare_updates(a, a + [0.0, 5e-5], rtol=1e-6, atol=0.0) is None
    worst, scale = compare_updates(a, a + [0.0, 5e-3], rtol=1e-6, atol=0.0)
    assert worst == pytest.approx(5e-3) and scale == pytest.approx(100.0)


def test_a_looser_tolerance_accepts_near_identical_programs():
    a = program("m = interp(g, m, 0.9)", "update = m * lr")
    b = program("m = interp(g, m, 0.90001)", "update = m * lr")
    assert not check_equivalence(a, b).equivalent
    assert check_equivalence(a, b, EquivalenceConfig(rtol=1e-3)).equivalent


def test_matching_non_finite_updates_agree_and_mismatched_ones_do_not():
    nan_a = program("a = exp(w)", "b = a * 1e300", "c = b * 1e300", "update = c - c")
    nan_b = program("a = exp(g)", "b = a * 1e300", "c = b * 1e300", "update = c - c")
    assert check_equivalence(nan_a, nan_b).equivalent
    verdict = check_equivalence(nan_a, program("update = g * lr"))
    assert not verdict.equivalent and math.isnan(verdict.magnitude)


def test_runs_vary_the_learning_rate_and_gradients():
    runs = probe_runs(EquivalenceConfig(num_seeds=3, num_steps=5))
    base_lrs = [np.median(lrs) for _, _, lrs, _ in runs]
    assert len(set(np.round(base_lrs, 12))) == 3
    assert all(len(set(lrs)) == 5 for _, _, lrs, _ in runs)
    assert not np.allclose(runs[0][1], runs[1][1])


def test_rejects_invalid_programs_and_configs():
    with pytest.raises(InvalidProgram):
        check_equivalence(program("update = lr * 2.0"), load_program("sgd"))
    with pytest.raises(ValueError):
        EquivalenceConfig(num_seeds=0)
    with pytest.raises(ValueError):
        EquivalenceConfig(rtol=-1.0)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(1, 20))
def test_meaning_preserving_edits_are_equivalent(seed, length):
    rng = np.random.default_rng(seed)
    p = random_program(rng, length)
    assert check_equivalence(p, meaning_preserving_edit(p, rng)).equivalent
