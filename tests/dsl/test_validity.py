"""Abstract execution: kinds, validity reasons with their lines, cross-step liveness."""

from __future__ import annotations

import pytest

from dsl import InvalidProgram, Kind, ProgramError, analyze, check, parse
from dsl.library import load_builtin
from dsl.loading import check_located


def _program(*lines: str):
    return parse("def train(w, g, m, v, lr):\n" + "".join(f"    {l}\n" for l in lines)
                 + "    return update, m, v\n")


def test_kinds_follow_the_ops():
    facts = analyze(_program("n = global_norm(g)", "s = n * lr", "update = g * s"))
    assert facts.kinds == (Kind.SCALAR, Kind.SCALAR, Kind.TENSOR)


@pytest.mark.parametrize(
    "lines,reason",
    [
        (["update = global_norm(lr)"], "argument 1 of `global_norm` must be a tensor"),
        (["update = clip_by_global_norm(g, w)"], "argument 2 of `clip_by_global_norm` must be a scalar"),
        (["update = g * x"], "reads `x` before it is written"),
        (["update = lr * 2.0"], "`update` must be a tensor"),
        (["u = g * 2.0"], "`update` is never written"),
        (["m = lr * 0.5", "update = g * 1.0"], "`m` must stay a tensor"),
    ],
)
def test_invalid_programs_are_rejected_with_a_reason(lines, reason):
    with pytest.raises(InvalidProgram, match=reason.replace("(", r"\(")):
        check(_program(*lines))


def test_length_limit():
    with pytest.raises(InvalidProgram, match="9 statements exceed the maximum of 5"):
        check(load_builtin("adamw"), max_length=5)


def test_semantic_errors_point_at_the_statement_line():
    text = "def train(w, g, m, v, lr):\n    a = sqrt(g)\n    update = a * zz\n    return update, m, v\n"
    with pytest.raises(ProgramError, match=r"^p\.py:3:1: reads `zz` before it is written$"):
        check_located(text, "p.py")


def test_program_4_cosh_is_dead_across_steps():
    facts = analyze(load_builtin("program4"))
    texts = [st.to_text() for st, live in zip(load_builtin("program4"), facts.live) if not live]
    assert texts == ["m = cosh(update)"]
    assert facts.state_slots_used == ("v",)


def test_a_state_slot_that_never_reaches_the_update_is_dead_with_its_feeders():
    facts = analyze(_program("a = square(g)", "v = interp(a, v, 0.9)", "update = g * lr"))
    assert facts.live == (False, False, True)
    assert facts.state_slots_used == ()
    assert facts.redundant_fraction == pytest.approx(2 / 3)


def test_a_state_slot_read_next_step_is_live():
    facts = analyze(load_builtin("adamw"))
    assert all(facts.live)
    assert facts.state_slots_used == ("m", "v")


def test_a_slot_read_only_after_being_overwritten_carries_nothing():
    facts = analyze(_program("m = g * 2.0", "update = m * lr", "m = sqrt(update)"))
    assert facts.live == (True, True, False)
    assert facts.state_slots_used == ()
