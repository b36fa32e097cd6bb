"""Baseline tuning helpers: weight-decay variants of shipped programs."""

from __future__ import annotations

import pytest

from dsl.analysis import check
from dsl.library import load_builtin
from proxy_tasks.baselines import (
    Tuned,
    decay_constant,
    lion_vs_adamw,
    markdown_table,
    run_baselines,
    with_weight_decay,
)


def test_programs_with_a_decay_statement_get_it_rescaled():
    lion = load_builtin("lion")
    assert decay_constant(lion)[1] == 0.1
    assert decay_constant(with_weight_decay(lion, 10.0))[1] == 1.0
    assert decay_constant(with_weight_decay(lion, 0.0))[1] == 0.0


def test_programs_without_one_get_decoupled_decay_appended():
    sgd = load_builtin("sgd_momentum")
    assert decay_constant(sgd) is None
    assert with_weight_decay(sgd, 0.0) == sgd
    decayed = with_weight_decay(sgd, 3.0)
    check(decayed)
    assert len(decayed) == len(sgd) + 3


def test_a_win_needs_a_gap_beyond_the_seed_spread():
    def tuned(mean, std):
        return Tuned("p", "t", 0.0, mean, std, 1.0, 1.0)

    assert lion_vs_adamw(tuned(1.0, 0.01), tuned(1.1, 0.01)) == "lion"
    assert lion_vs_adamw(tuned(1.1, 0.01), tuned(1.0, 0.01)) == "adamw"
    assert lion_vs_adamw(tuned(1.0, 0.1), tuned(1.1, 0.1)) == "tie"


def test_programs_are_named_by_label_or_by_what_was_typed(tmp_path):
    from optsearch.commands.task_commands import _labelled_programs
    from search.errors import UserError

    path = tmp_path / "mine.py"
    path.write_text(load_builtin("sgd").to_text())
    programs = _labelled_programs(f"adamw, found={path}")
    assert list(programs) == ["adamw", "found"]
    assert programs["found"] == load_builtin("sgd")
    assert list(_labelled_programs(str(path))) == [str(path)]
    for bad, says in (("a=adamw,a=lion", "used twice"), ("=adamw", "not LABEL=PROGRAM"),
                      ("nosuch", "no such program")):
        with pytest.raises(UserError, match=says):
            _labelled_programs(bad)


def test_a_found_program_is_tuned_under_its_label():
    results = run_baselines(["ill-conditioned"], {"mine": load_builtin("sgd")})
    assert [(r.program, r.task, r.status) for r in results] == [("mine", "ill-conditioned", "ok")]
    assert markdown_table(results, ("mine",)).count("ill-conditioned") == 1
