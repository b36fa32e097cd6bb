"""The memory charge: fitness minus a cost per state slot beyond the first."""

from __future__ import annotations

import pickle

import pytest

from dsl.library import load_builtin
from dsl.parser import parse
from proxy_tasks.multitask import MultiTaskScorer

TASK = "ill-conditioned"  # the cheapest task: a linear model


def scorer(cost: float) -> MultiTaskScorer:
    return MultiTaskScorer({TASK: 1.0}, slot_cost=cost, max_length=16, num_seeds=2)


def test_two_slots_pay_once_one_slot_pays_nothing():
    free, charged = scorer(0.0), scorer(0.05)
    for name, slots in (("adamw", 2), ("lion", 1), ("sgd", 0)):
        program = load_builtin(name)
        plain, priced = free.score(program), charged.score(program)
        assert priced.metrics["state_slots"] == slots
        assert priced.metrics["performance"] == pytest.approx(plain.fitness)
        assert priced.fitness == pytest.approx(plain.fitness - 0.05 * max(0, slots - 1))
    assert "state_slots" not in free.score(load_builtin("adamw")).metrics


def test_a_slot_written_but_never_read_back_costs_nothing():
    # v is updated every step but no later step reads it into the update: dead.
    program = parse(
        "def train(w, g, m, v, lr):\n"
        "    m = interp(g, m, 0.9)\n"
        "    v = interp(g, v, 0.999)\n"
        "    update = sign(m)\n"
        "    update = update * lr\n"
        "    return update, m, v\n"
    )
    assert scorer(0.05).score(program).metrics["state_slots"] == 1


def test_the_charge_survives_pickling_and_refuses_negative_costs():
    assert pickle.loads(pickle.dumps(scorer(0.02))).slot_cost == 0.02
    with pytest.raises(ValueError, match="slot_cost"):
        scorer(-0.1)
