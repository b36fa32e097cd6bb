"""A hit is decided by behaviour: the target's reference, written with constants
read off the program, must make the same updates (positive and negative cases
per target)."""

from __future__ import annotations

import pytest

from dsl.library import load_builtin
from dsl.parser import parse
from funnel.lion_family import lion_text
from optsearch.rediscovery.targets import (
    TARGETS, Target, get_target, propose_lion, propose_signum, signum_text,
)
from search.errors import UserError
from search.programs import load_named

LION = TARGETS["lion"]
SIGNUM = Target("signum", "signum from SGD with momentum", "sgd_momentum", "signum",
                propose_signum)

HEAVY_BALL_SIGN = parse(
    "def train(w, g, m, v, lr):\n    m = m * 0.9\n    m = m + g\n    update = sign(m)\n"
    "    lr = lr * 0.01\n    update = update * lr\n    return update, m, v\n"
)
SIGNUM_TEXT = parse(signum_text(0.9, 0.001))


@pytest.mark.parametrize("name", [
    "lion", "configs/programs/found/lion_from_adamw_2w_seed1.py",
    "configs/programs/found/lion_from_adamw_2w_seed3.py",
])
def test_lion_and_the_lions_the_search_found_hit_the_lion_target(name):
    match = LION.match(load_named(name))
    assert match.hit, match.reason
    assert match.constants["b1"] != match.constants["b2"]


def test_the_hit_carries_the_constants_read_off_the_program():
    match = LION.match(load_builtin("lion"))
    assert match.constants == {"b1": 0.9, "b2": 0.99, "weight_decay": 0.1, "lr_scale": 0.0001}


@pytest.mark.parametrize("program, why", [
    (load_builtin("adamw"), "not sign"),
    (SIGNUM_TEXT, "signum, not Lion"),
    (load_builtin("signsgd"), "moving average"),
    (load_builtin("sgd_momentum"), "not sign"),
])
def test_programs_other_than_lion_miss_the_lion_target(program, why):
    match = LION.match(program)
    assert not match.hit and why in match.reason


@pytest.mark.parametrize("rival", ["lion_sign_decay_seed0", "cubed_adam_twin_seed10"])
def test_the_rivals_searches_found_on_the_lion_objective_miss_the_lion_target(rival):
    # Lion's update with sign(w) as its decay; a cubed Adam with a momentum twin.
    assert not LION.match(load_named(f"configs/programs/found/{rival}.py")).hit


@pytest.mark.parametrize("program, beta", [(SIGNUM_TEXT, 0.9), (HEAVY_BALL_SIGN, 0.9)])
def test_signum_in_either_form_hits_the_signum_target(program, beta):
    match = SIGNUM.match(program)
    assert match.hit, match.reason
    assert match.constants["beta"] == pytest.approx(beta)


@pytest.mark.parametrize("program, why", [
    (load_builtin("lion"), "Lion, not signum"),
    (load_builtin("sgd_momentum"), "not sign"),
    (parse(signum_text(0.9, 0.001).replace("    update = sign(m)\n",
           "    update = sign(m)\n    wd = w * 0.1\n    update = update + wd\n")),
     "weight decay"),
])
def test_programs_other_than_signum_miss_the_signum_target(program, why):
    match = SIGNUM.match(program)
    assert not match.hit and why in match.reason


def test_constants_that_do_not_behave_as_the_program_are_a_miss():
    # A reading that proposes the wrong constants: the equivalence check, not
    # the reading, has the last word.
    def wrong(program):
        constants, _ = propose_lion(program)
        return constants, load_builtin("lion").to_text().replace("0.99", "0.5")

    liar = Target("lion", "Lion", "adamw", "lion", wrong)
    match = liar.match(parse(LION.match(load_builtin("lion")).reference))
    assert not match.hit and "constants read but different" in match.reason


def test_an_unknown_target_is_one_line_naming_the_targets():
    with pytest.raises(UserError, match="targets: lion"):
        get_target("adam")


def test_a_config_is_frozen_only_when_its_header_says_so():
    assert TARGETS["lion"].frozen()
    header = TARGETS["adaptive"].config_path().read_text().splitlines()[0]
    assert TARGETS["adaptive"].frozen() == header.startswith("# FROZEN")
    missing = Target("no-such-target", "none", "sgd", "sgd", propose_signum)
    assert not missing.frozen()


def test_lion_s_near_miss_is_its_one_beta_form_only():
    near = TARGETS["lion"].near_miss
    assert near(parse(lion_text(0.9, 0.9, 0.01, 0.001)))
    assert not near(load_builtin("lion")) and not near(load_builtin("adamw"))
