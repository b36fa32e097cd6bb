"""Random mutation walks towards the Lion family (funnel/reachability.py)."""

from __future__ import annotations

from dsl.analysis import check
from dsl.library import load_builtin
from dsl.program import Const, Statement, Var
from funnel.lion_family import match_lion
from funnel.reachability import format_counts, random_walks
from search.config import config_from_dict

CONFIG = config_from_dict({"name": "walks", "max_length": 12, "tasks": {"proxy": "ill-conditioned"}})


def test_most_one_step_children_of_lion_stay_in_the_family():
    # A modify of a constant keeps Lion's structure; so do most dead insertions.
    counts = random_walks(CONFIG, load_builtin("lion"), walks=300, steps=1)
    assert counts[0].walks == 300
    assert 0.2 < counts[0].rate < 0.9
    assert counts[0].distinct_betas > 0
    for program in counts[0].programs.values():
        check(program, CONFIG.max_length)
        assert match_lion(program).lion_family


def test_one_mutation_cannot_give_stateless_sgd_a_sign_momentum():
    counts = random_walks(CONFIG, load_builtin("sgd"), walks=300, steps=1)
    assert counts[0].walks == 300 and counts[0].lion_family == 0


def test_walks_are_reproducible_and_tabulated_per_step():
    first = random_walks(CONFIG, load_builtin("lion"), walks=50, steps=2, seed=3)
    again = random_walks(CONFIG, load_builtin("lion"), walks=50, steps=2, seed=3)
    assert [c.lion_family for c in first] == [c.lion_family for c in again]
    table = format_counts(first)
    assert table.splitlines()[2].startswith("| 1 | 50 |")
    assert table.splitlines()[3].startswith("| 2 |")


def test_walks_from_a_lion_without_decay_count_the_children_that_add_one():
    lion = load_builtin("lion")
    wd = lion.statements[2]  # `wd = w * 0.1`: decay 0 until a modify redraws it
    decayless = lion.replace_statement(2, Statement(wd.target, wd.op, (Var("w"), Const(0.0))))
    assert match_lion(decayless).lion_family and not match_lion(decayless).weight_decay
    counts = random_walks(CONFIG, decayless, walks=600, steps=1, seed=1)[0]
    assert 0 < counts.decayed < counts.lion_family
    # Every arrival here is a decay added (the start is already Lion family),
    # and each is credited to the mutation that made it: a redrawn constant.
    assert counts.by_mutation.get("modify", 0) > 0
    assert sum(counts.by_mutation.values()) == counts.decayed
    assert any(match_lion(p).weight_decay for p in counts.programs.values())
    table = format_counts([counts])
    assert f"| {counts.decayed} |" in table and "modify" in table
