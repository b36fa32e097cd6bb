"""Pricing programs on a search objective: the state-slot charge, the spread over
fresh seeds, and the "leads by more than the summed spreads" rule."""

from __future__ import annotations

import pytest

from dsl.library import load_builtin
from proxy_tasks.fitness import TaskScorer
from proxy_tasks.full_tuning import CHECK_SEED
from proxy_tasks.objective_prices import Objective, Price, leads, price, price_table
from tests.cli import optsearch

SGD = load_builtin("sgd")


def made_up(label, charged, slots=1):
    return Price(label, SGD, slots, tuple(charged), tuple(charged))


def test_a_lead_counts_only_beyond_the_summed_spreads():
    target = made_up("t", [1.0, 1.2])             # mean 1.1, spread 0.141
    close = made_up("c", [0.9, 1.1])              # 0.1 behind: within the spreads
    far = made_up("f", [0.5, 0.52])               # 0.59 behind
    assert not leads(target, close) and leads(target, far)
    table = price_table([close, far, target], "t")
    rows = table.splitlines()[2:]
    assert rows[0].startswith("| **t** |")        # best first, the target in bold
    assert "| +0.1000 | **no** |" in rows[1] and "| yes |" in rows[2]


def test_a_program_that_fails_on_a_fresh_seed_is_led_and_says_so():
    target = made_up("t", [1.0, 1.2])
    broken = made_up("b", [2.0, float("-inf")])
    assert leads(target, broken) and not leads(broken, target)
    row = [r for r in price_table([target, broken], "t").splitlines() if "| b |" in r][0]
    assert "failed on 1 of 2 seeds" in row and row.endswith("| yes |")


def test_the_charge_is_per_slot_beyond_the_first_and_spreads_come_from_fresh_seeds():
    objective = Objective({"heavy-tail-regression": 1.0}, (1.0,), 0.5, 16)
    found = price(load_builtin("sgd_momentum"), "momentum", objective, tuning_seeds=1,
                  check_seeds=2, max_rounds=1)
    assert found.slots == 1
    assert found.charged == found.performance   # one slot: no charge
    adam = price(load_builtin("adamw"), "adamw", objective, tuning_seeds=1, check_seeds=2,
                 max_rounds=1)
    assert adam.slots == 2
    assert adam.charged == pytest.approx(tuple(p - 0.5 for p in adam.performance))
    assert adam.spread > 0 and len(set(adam.performance)) == 2


def test_the_command_refuses_a_target_that_is_not_priced(tmp_path):
    shown = optsearch("baselines", "--objective", "configs/quickstart.yaml",
                      "--programs", "sgd", "--target", "lion")
    assert shown.returncode != 0 and "--target 'lion'" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_each_check_is_scored_as_the_search_scores_a_candidate():
    # With tasks.num_seeds 2 the search averages two runs per score; a check
    # seed's score, and so the spread a ranking needs, must be that average.
    objective = Objective({"heavy-tail-regression": 1.0}, (1.0,), 0.0, 16, num_seeds=2)
    found = price(load_builtin("sgd"), "sgd", objective, tuning_seeds=1, check_seeds=2,
                  max_rounds=0)
    scorer = TaskScorer("heavy-tail-regression", 16, 2, (1.0,))
    expected = [scorer.score(found.program, CHECK_SEED + k).fitness for k in range(2)]
    assert found.performance == pytest.approx(tuple(expected))
    one_run = TaskScorer("heavy-tail-regression", 16, 1, (1.0,))
    assert found.performance[0] != pytest.approx(one_run.score(found.program, CHECK_SEED).fitness)
