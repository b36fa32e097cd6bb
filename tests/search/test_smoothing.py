"""The `smooth` mutation: a tensor value is averaged in a state slot the program
does not carry across steps (scratch uses of it moved to a fresh name), one
later reader reads the average, and the child is a valid program; with no such
slot, no `interp` or no room, there is no child."""

from __future__ import annotations

import numpy as np

from dsl.analysis import analyze
from dsl.library import load_builtin
from dsl.ops import OPS
from dsl.parser import parse
from search.mutation import MUTATIONS, MutationContext
from search.smoothing import BETAS, smooth_statement

CONTEXT = MutationContext(max_length=20)
# signum from heavy-ball momentum, its sign written out as m / sqrt(square(m))
EXPANDED_SIGN = parse(
    "def train(w, g, m, v, lr):\n    m = m * 0.9\n    m = m + g\n    a = square(m)\n"
    "    b = sqrt(a)\n    s = m / b\n    lr = lr * 0.01\n    update = s * lr\n"
    "    return update, m, v\n"
)


def children(parent, n=40, context=CONTEXT):
    rng = np.random.default_rng(0)
    return [smooth_statement(rng, parent, context) for _ in range(n)]


def test_the_average_goes_into_the_free_slot_and_one_reader_reads_it():
    for child in children(EXPANDED_SIGN):
        assert child is not None and len(child) == len(EXPANDED_SIGN) + 1
        (average,) = [st for st in child if st.op == "interp"]
        assert average.target == "v" and average.args[1].name == "v"
        assert average.args[2].value in BETAS
        analyze(child)  # valid: raises otherwise


def test_averaging_the_square_of_the_momentum_makes_v_a_live_second_moment():
    wanted = ("    a = square(m)\n    v = interp(a, v, 0.99)\n    b = sqrt(v)\n")
    texts = [c.to_text() for c in children(EXPANDED_SIGN, n=200)]
    assert any(wanted in t for t in texts)
    child = parse(next(t for t in texts if wanted in t))
    assert analyze(child).state_slots_used == ("m", "v")


def test_no_child_without_a_free_slot_interp_or_room():
    # AdamW carries both slots.
    assert all(c is None for c in children(load_builtin("adamw"), n=5))
    no_interp = MutationContext(max_length=20, ops=OPS.subset(
        [name for name in OPS if name != "interp"]))
    assert all(c is None for c in children(EXPANDED_SIGN, n=5, context=no_interp))
    full = MutationContext(max_length=len(EXPANDED_SIGN))
    assert all(c is None for c in children(EXPANDED_SIGN, n=5, context=full))


def test_smooth_is_a_registered_mutation():
    assert MUTATIONS["smooth"] is smooth_statement


def test_a_slot_used_as_scratch_is_moved_aside_so_it_carries_the_average_alone():
    scratch = parse(
        "def train(w, g, m, v, lr):\n    m = interp(g, m, 0.9)\n    a = square(m)\n"
        "    v = cos(a)\n    b = sqrt(a)\n    s = m / b\n    update = s * lr\n"
        "    return update, m, v\n"
    )
    for child in children(scratch):
        writes = [st for st in child if st.target == "v"]
        assert [st.op for st in writes] == ["interp"]
        assert any(st.op == "cos" and st.target not in ("m", "v") for st in child)
        analyze(child)
