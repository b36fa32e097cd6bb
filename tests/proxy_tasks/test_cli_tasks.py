"""The task commands: `tasks`, `eval`, and one-line errors for bad input."""

from __future__ import annotations

import json

from optsearch.cli import main


def test_tasks_json_lists_every_task_with_tier_and_declared_cost(capsys):
    assert main(["tasks", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"heavy-tail-regression", "digits-mlp-10x", "chars-transformer-100x"} <= {
        r["name"] for r in rows
    }
    assert all({"name", "tier", "declared_cost_s"} <= set(r) for r in rows)


def test_tasks_hides_the_experiment_tasks_and_says_how_many(capsys):
    assert main(["tasks", "--tier", "proxy"]) == 0
    out = capsys.readouterr().out
    assert "teacher-const-x10 " in out and "chars-const" not in out
    assert "experiment tasks hidden; --all lists them" in out.splitlines()[-1]


def test_tasks_all_lists_the_experiment_tasks_after_the_product(capsys):
    assert main(["tasks", "--all", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    flags = [r["experiment"] for r in rows]
    assert flags == sorted(flags) and any(flags) and not all(flags)
    assert "teacher-bigbatch-long-100x" in {r["name"] for r in rows if r["experiment"]}


def test_tasks_filters_by_tier(capsys):
    assert main(["tasks", "--tier", "metaval-100x"]) == 0
    out = capsys.readouterr().out
    assert "digits-mlp-100x" in out and "digits-mlp-10x " not in out


def test_eval_prints_fitness_and_cost(capsys):
    assert main(["eval", "adamw", "--task", "ill-conditioned", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "status    ok" in out and "fitness" in out and "ms per evaluation" in out


def test_eval_json(capsys):
    assert (
        main(["eval", "sgd", "--task", "ill-conditioned", "--seeds", "2", "--json"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "ok" and result["fitness"] is not None


def test_unknown_task_is_one_line_and_exit_2(capsys):
    assert main(["eval", "adamw", "--task", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "unknown task 'nope'" in err and "digits-mlp" in err


def test_bad_lr_multipliers_are_refused(capsys):
    assert (
        main(["eval", "adamw", "--task", "ill-conditioned", "--lr-multipliers", "x"])
        == 2
    )
    assert "--lr-multipliers" in capsys.readouterr().err
