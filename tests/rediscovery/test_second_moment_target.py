"""The `adaptive` target: RMSProp, Adagrad and Adam hit it however a search
writes them (constants folded into gains, rsqrt for a division, a decay term);
momentum SGD, sign methods and near misses do not."""

from __future__ import annotations

import pytest

from dsl.equivalence import check_equivalence
from dsl.library import load_builtin
from dsl.parser import parse
from optsearch.rediscovery.second_moment import (
    SecondMomentReading, read_second_moment, second_moment_text,
)
from optsearch.rediscovery.targets import TARGETS

ADAPTIVE = TARGETS["adaptive"]


def program(*body: str):
    lines = "".join(f"    {line}\n" for line in body)
    return parse(f"def train(w, g, m, v, lr):\n{lines}    return update, m, v\n")


# Adagrad as a search writes it: g * g, the sum doubled, rsqrt, a factor of 3.
ADAGRAD_DOUBLED = program(
    "a = g * g", "b = a * 2.0", "m = m + b", "r = rsqrt(m)", "update = g * r",
    "update = update * 3.0", "lr = lr * 0.01", "update = lr * update",
)
# Adam with heavy-ball moments (v = 0.9 v + g^2, m = 0.8 m + g) and a decay.
ADAM_HEAVY_BALL = program(
    "a = square(g)", "v = v * 0.9", "v = v + a", "m = m * 0.8", "m = m + g",
    "r = sqrt(v)", "update = m / r", "d = w * 0.5", "update = update + d",
    "lr = lr * 0.01", "update = lr * update",
)


@pytest.mark.parametrize("name, kind", [
    ("rmsprop", "rmsprop"), ("adagrad", "adagrad"), ("adamw", "adam"),
])
def test_the_family_members_shipped_hit_the_target_as_their_kind(name, kind):
    match = ADAPTIVE.match(load_builtin(name))
    assert match.hit, match.reason
    assert match.constants["kind"] == kind


def test_adamw_reads_with_its_own_constants():
    assert ADAPTIVE.match(load_builtin("adamw")).constants == {
        "kind": "adam", "b1": 0.9, "b2": 0.999, "weight_decay": 0.01, "lr_scale": 0.001}


def test_gains_and_factors_fold_into_the_lr_scale_and_the_decay():
    adagrad = read_second_moment(ADAGRAD_DOUBLED)
    # 3 g / sqrt(2 sum) = (3 / sqrt 2) g / sqrt(sum)
    assert adagrad.kind == "adagrad"
    assert adagrad.lr_scale == pytest.approx(0.01 * 3 / 2 ** 0.5)
    adam = read_second_moment(ADAM_HEAVY_BALL)
    # m = 5 EMA_0.8(g), v = 10 EMA_0.9(g^2): the ratio is 5 / sqrt(10) of Adam's.
    factor = 5 / 10 ** 0.5
    assert (adam.kind, adam.b1, adam.b2) == ("adam", 0.8, 0.9)
    assert adam.lr_scale == pytest.approx(0.01 * factor)
    assert adam.weight_decay == pytest.approx(0.5 / factor)
    for written in (ADAGRAD_DOUBLED, ADAM_HEAVY_BALL):
        assert ADAPTIVE.match(written).hit


@pytest.mark.parametrize("name", ["sgd_momentum", "sgd", "signsgd", "signum", "lion"])
def test_momentum_sgd_and_sign_methods_miss_the_target(name):
    match = ADAPTIVE.match(load_builtin(name))
    assert not match.hit and "squared gradient" in match.reason


@pytest.mark.parametrize("body, why", [
    # The root of the squared gradient itself is sign descent, not a moment.
    (("a = square(g)", "r = sqrt(a)", "update = g / r", "lr = lr * 0.01",
      "update = update * lr"), "squared gradient"),
    # A sign of the ratio (a Lion-like twist) is not the family.
    (("a = square(g)", "v = interp(a, v, 0.99)", "r = sqrt(v)", "u = g / r",
      "update = sign(u)", "lr = lr * 0.01", "update = update * lr"), "direction"),
    # Stepping along +g / sqrt(v) climbs.
    (("a = square(g)", "v = interp(a, v, 0.99)", "r = sqrt(v)", "u = g / r",
      "lr = lr * -0.01", "update = u * lr"), "against"),
    # A Nesterov-like mix of g and the momentum is not a member.
    (("a = square(g)", "v = interp(a, v, 0.99)", "m = interp(g, m, 0.9)",
      "n = g + m", "r = sqrt(v)", "u = n / r", "lr = lr * 0.01", "update = u * lr"),
     "mixes"),
])
def test_near_misses_miss_the_target_with_the_reason(body, why):
    match = ADAPTIVE.match(program(*body))
    assert not match.hit and why in match.reason, match.reason


def test_dead_code_does_not_hide_a_member_and_a_stale_moment_is_not_one():
    # A dead tail is simplified away: still RMSProp.
    assert ADAPTIVE.match(program(
        "a = square(g)", "v = interp(a, v, 0.99)", "r = sqrt(v)", "u = g / r",
        "lr = lr * 0.01", "update = u * lr", "m = clip_by_global_norm(update, lr)",
    )).hit
    # The root of the moment as it was before this step's gradient came in
    # divides by zero on the first step: another optimizer.
    stale = ADAPTIVE.match(program(
        "a = square(g)", "r = sqrt(v)", "v = interp(a, v, 0.99)", "u = g / r",
        "lr = lr * 0.01", "update = u * lr",
    ))
    assert not stale.hit and "direction" in stale.reason


def test_the_references_written_are_the_members_they_name():
    for name, reading in [
        ("rmsprop", SecondMomentReading("rmsprop", 0.99, None, 0.0, 0.001)),
        ("adagrad", SecondMomentReading("adagrad", None, None, 0.0, 0.01)),
        ("adamw", SecondMomentReading("adam", 0.999, 0.9, 0.01, 0.001)),
    ]:
        assert check_equivalence(load_builtin(name), parse(second_moment_text(reading))).equivalent
