"""The static simplifier: equivalent, shorter, canonical programs.

Every rewrite is checked with the equivalence check, on literal programs and on
hundreds of random ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from dsl import InvalidProgram, load_program, parse
from dsl.analysis import live_program
from dsl.equivalence import check_equivalence
from dsl.generate import random_program
from dsl.simplify import simplify
from tests.dsl._program_edits import meaning_preserving_edit


def program(*lines: str):
    body = "".join(f"    {line}\n" for line in lines)
    return parse(f"def train(w, g, m, v, lr):\n{body}    return update, m, v\n")


def body_of(p) -> list[str]:
    return [st.to_text() for st in p.statements]


def simplified(*lines: str) -> list[str]:
    """The simplified body of a literal program, after checking it is equivalent."""
    before = program(*lines)
    after = simplify(before)
    verdict = check_equivalence(before, after)
    assert verdict.equivalent, verdict.describe()
    return body_of(after)


PROGRAM_4_SIMPLIFIED = """\
def train(w, g, m, v, lr):
    t0 = clip_by_global_norm(g, lr)
    t1 = arcsin(t0)
    t2 = interp(t1, m, 0.899)
    t3 = sign(t2)
    t4 = w * 0.4602
    t5 = t3 + t4
    t6 = lr * 0.0002
    update = t5 * t6
    m = interp(t1, m, 0.996991)
    return update, m, v
"""


def test_program_4_becomes_sign_momentum_with_one_interp():
    program4 = load_program("program4")
    result = simplify(program4)
    assert result.to_text() == PROGRAM_4_SIMPLIFIED
    assert check_equivalence(program4, result).equivalent
    ops = [st.op for st in result.statements]
    assert "cosh" not in ops  # overwritten by the next step before it is read
    assert "sqrt" not in ops and "divide" not in ops and "sign" in ops
    assert ops.count("interp") == 2  # the update's mix and the one momentum update
    # beta2 = 0.899 * 1.109: v_new = interp(g, interp(g, v, 0.899), 1.109).
    assert result.statements[-1].args[2].value == pytest.approx(
        0.899 * 1.109, abs=1e-12
    )
    # What only fitness can remove stays.
    assert {"clip_by_global_norm", "arcsin"} <= set(ops)


def test_x_over_its_magnitude_becomes_sign():
    assert simplified("sq = g * g", "root = sqrt(sq)", "update = g / root") == [
        "update = sign(g)"
    ]
    assert simplified("sq = square(g)", "root = sqrt(sq)", "update = g / root") == [
        "update = sign(g)"
    ]
    assert simplified("a = abs(g)", "update = g / a") == ["update = sign(g)"]


def test_constant_scalings_in_front_of_sign_are_dropped():
    assert simplified("a = g * 3.0", "update = sign(a)") == ["update = sign(g)"]
    assert simplified("a = 0.5 * g", "b = a / 7.0", "update = sign(b)") == [
        "update = sign(g)"
    ]
    assert simplified("a = g * -3.0", "update = sign(a)") == [
        "t0 = sign(g)",
        "update = negative(t0)",
    ]
    # A scaling whose sign is unknown stays.
    assert simplified("a = g * lr", "update = sign(a)") == [
        "t0 = g * lr",
        "update = sign(t0)",
    ]


def test_chained_interps_compose():
    assert simplified(
        "m = interp(g, v, 0.5)", "v = interp(g, m, 0.8)", "update = v * lr"
    ) == ["m = interp(m, g, 0.6)", "update = m * lr"]  # the larger weight last
    # interp(interp(x, y, a), y, b) = interp(x, y, 1 - (1 - a)(1 - b)).
    assert simplified("a = interp(g, w, 0.5)", "update = interp(a, w, 0.5)") == [
        "update = interp(g, w, 0.75)"
    ]


def test_no_ops_are_removed():
    assert simplified(
        "a = g + 0.0", "b = a * 1.0", "c = b - 0.0", "d = c / 1.0", "update = d * lr"
    ) == ["update = g * lr"]
    assert simplified(
        "a = max(g, g)", "b = negative(a)", "c = negative(b)", "update = c * lr"
    ) == ["update = g * lr"]
    assert simplified("a = interp(g, w, 0.0)", "update = a * lr") == ["update = g * lr"]
    assert simplified("a = interp(w, g, 1.0)", "update = a * lr") == ["update = g * lr"]


def test_constants_are_folded():
    assert simplified("c = pi()", "d = c * 2.0", "r = sqrt(d)", "update = g * r") == [
        f"update = g * {float(np.sqrt(2 * np.pi))!r}"
    ]
    assert simplified("s = norm(lr)", "update = g * s") == [
        "t0 = abs(lr)",
        "update = g * t0",
    ]


def test_common_subexpressions_are_merged():
    assert simplified("a = g * lr", "b = lr * g", "c = a + b", "update = c * 1.0") == [
        "t0 = g * lr",
        "update = t0 + t0",
    ]


def test_dead_code_is_removed_including_state_the_next_step_overwrites():
    assert simplified("t = exp(w)", "update = g * lr", "m = cosh(update)") == [
        "update = g * lr"
    ]
    assert simplified("m = interp(g, m, 0.9)", "update = g * lr") == ["update = g * lr"]


def test_a_slot_never_written_is_zero():
    assert simplified("update = g + m") == ["update = g * 1.0"]
    assert simplified("m = m * 1.0", "update = g + m") == ["update = g * 1.0"]


def test_a_single_state_lives_in_m_and_is_updated_in_place():
    assert simplified(
        "c = interp(g, v, 0.9)", "update = sign(c)", "v = interp(g, v, 0.99)"
    ) == ["t0 = interp(g, m, 0.9)", "update = sign(t0)", "m = interp(g, m, 0.99)"]
    assert body_of(simplify(load_program("sgd_momentum"))) == [
        "t0 = lr * 0.01",
        "t1 = m * 0.9",
        "m = g + t1",
        "update = t0 * m",
    ]


def test_state_writes_that_swap_slots_are_ordered_safely():
    result = simplified("t = m * 1.0", "m = v * 1.0", "v = t + g", "update = v * g")
    assert len(result) <= 4


def test_equal_programs_print_the_same():
    lion = load_program("lion")
    rewritten = program(
        "step = 0.0001 * lr",
        "decay = 0.1 * w",
        "mix = interp(g, v, 0.9)",
        "direction = sign(mix)",
        "v = interp(g, v, 0.99)",
        "junk = exp(decay)",
        "update = decay + direction",
        "update = step * update",
    )
    assert simplify(rewritten).to_text() == simplify(lion).to_text()


# Lion obfuscated three ways; each must simplify to Lion's own canonical text.
OBFUSCATED_LIONS = {
    "dead code, renamed temporaries, x / sqrt(x * x), constant arithmetic, "
    "the momentum in v": """\
def train(w, g, m, v, lr):
    junk = cosh(g)
    m = junk * w
    mix = interp(g, v, 0.9)
    sq = mix * mix
    mag = sqrt(sq)
    step = mix / mag
    half = 0.05 + 0.05
    decay = w * half
    step = step + decay
    tiny = 0.001 * 0.1
    lr = lr * tiny
    update = step * lr
    v = interp(g, v, 0.99)
    return update, m, v
""",
    "both interps written out (a sum of scaled terms, the lerp form), double "
    "negations, chained scalings": """\
def train(w, g, m, v, lr):
    a = m * 0.9
    b = g * 0.1
    c = a + b
    nc = negative(c)
    nnc = negative(nc)
    s = sign(nnc)
    d = 0.0 - w
    d = d * -0.1
    u = s + d
    l = lr * 0.01
    l = l * 0.01
    update = u * l
    diff = g - m
    diff = diff * 0.01
    m = m + diff
    return update, m, v
""",
    "a split interp, min and max with the lr, x / abs(x), negations across a "
    "product, the momentum in v": """\
def train(w, g, m, v, lr):
    k = interp(g, v, 0.5)
    k = interp(k, v, 0.8)
    k = min(k, lr)
    t = abs(k)
    dir = k / t
    n = negative(dir)
    wd = w * 0.1
    n = n - wd
    lr2 = max(lr, lr)
    step = lr2 * 0.0001
    update = n * step
    update = negative(update)
    v = v * 0.99
    gg = g * 0.01
    v = v + gg
    m = sign(g)
    return update, m, v
""",
}


@pytest.mark.parametrize("name", sorted(OBFUSCATED_LIONS))
def test_an_obfuscated_lion_simplifies_to_lions_canonical_text(name):
    obfuscated = parse(OBFUSCATED_LIONS[name])
    lion = simplify(load_program("lion"))
    result = simplify(obfuscated)
    assert result.to_text() == lion.to_text()
    assert len(result) == 7
    assert check_equivalence(obfuscated, result).equivalent


def test_a_mix_written_out_becomes_an_interp_with_its_larger_weight_last():
    assert simplified("a = w * 0.25", "b = g * 0.75", "update = a + b") == [
        "update = interp(w, g, 0.75)"
    ]
    assert simplified("d = g - w", "e = d * 0.25", "update = w + e") == [
        "update = interp(g, w, 0.75)"
    ]
    assert simplified("d = w - g", "e = d * 0.25", "update = w - e") == [
        "update = interp(g, w, 0.75)"
    ]
    assert simplified("update = interp(g, w, 0.25)") == ["update = interp(w, g, 0.75)"]
    # Weights that do not sum to one, or reach outside [0, 1], are not a mix.
    assert len(simplified("a = w * 0.5", "b = g * 0.75", "update = a + b")) == 3
    assert simplified("update = interp(g, w, -0.25)") == [
        "update = interp(g, w, -0.25)"
    ]


def test_constant_factors_merge_and_negations_cancel():
    assert simplified("a = g * 0.5", "b = a * 0.25", "update = b * lr") == [
        "t0 = g * 0.125",
        "update = t0 * lr",
    ]
    assert simplified("a = negative(g)", "update = a * -2.0") == ["update = g * 2.0"]
    assert simplified("a = negative(g)", "b = w - a", "update = b * lr") == [
        "t0 = g + w",
        "update = t0 * lr",
    ]
    assert simplified("a = negative(g)", "b = a * w", "update = negative(b)") == [
        "update = g * w"
    ]
    assert simplified("a = g - w", "update = negative(a)") == ["update = w - g"]


def test_a_negation_stays_where_moving_it_would_cost_a_statement():
    # -m * m' as -(m * m') would read the old m after the new one is computed,
    # which needs a copy of the new m: four statements instead of three.
    result = simplified("n = negative(v)", "v = g * w", "update = n * v")
    assert len(result) == 3 and "negative(m)" in result[0]


def test_a_slot_that_stays_zero_folds_away():
    # m is read but never written: m * w, sign(m) and 3 m are all zero.
    assert simplified("a = m * w", "update = g + a") == ["update = g * 1.0"]
    assert simplified("a = sign(m)", "b = a * 3.0", "update = g - b") == [
        "update = g * 1.0"
    ]
    assert simplified("c = interp(g, m, 0.9)", "update = c * lr") == [
        "t0 = g * 0.1",
        "update = t0 * lr",
    ]
    # Written, but only ever scaled: zero from the zero start, so zero forever.
    assert simplified("m = m * 0.5", "update = g + m") == ["update = g * 1.0"]
    # Two slots that only feed each other.
    swapping = ("t = v * 2.0", "v = m * 0.5", "m = t * 1.0", "update = g + m")
    assert simplified(*swapping) == ["update = g * 1.0"]
    # A slot that counts up is not zero.
    assert len(simplified("m = m + 1.0", "update = g + m")) == 2


def test_rejects_invalid_programs():
    with pytest.raises(InvalidProgram):
        simplify(program("update = lr * 2.0"))


@pytest.mark.parametrize(
    "name",
    [
        "adamw",
        "lion",
        "program4",
        "rmsprop",
        "adagrad",
        "sgd",
        "signsgd",
        "sgd_momentum",
    ],
)
def test_shipped_programs_simplify_to_equivalent_programs_no_longer(name):
    p = load_program(name)
    s = simplify(p)
    assert check_equivalence(p, s).equivalent
    assert len(s) <= len(live_program(p))
    assert simplify(s) == s


def test_random_programs_simplify_to_equivalent_shorter_canonical_programs():
    for seed in range(300):
        rng = np.random.default_rng(seed)
        p = random_program(rng, int(rng.integers(1, 25)))
        s = simplify(p)
        verdict = check_equivalence(p, s)
        assert verdict.equivalent, f"seed {seed}: {verdict.describe()}\n{p}\n{s}"
        assert len(s) <= len(live_program(p)), f"seed {seed}"
        assert simplify(s) == s, f"seed {seed}: not a fixed point"


def test_random_programs_and_their_edited_copies_simplify_alike():
    for seed in range(150):
        rng = np.random.default_rng(10_000 + seed)
        p = random_program(rng, int(rng.integers(1, 20)))
        q = meaning_preserving_edit(p, rng)
        assert simplify(q) == simplify(p), f"seed {seed}"


@pytest.mark.slow
def test_many_random_programs_simplify_to_equivalent_programs():
    for seed in range(5000):
        rng = np.random.default_rng(100_000 + seed)
        p = random_program(rng, int(rng.integers(1, 30)))
        s = simplify(p)
        assert check_equivalence(p, s).equivalent, f"seed {seed}"
        assert len(s) <= len(live_program(p))
