"""`optsearch run configs/lion.yaml --smoke`, `optsearch funnel RUN`, `show --json`,
and `simplify --ablate`, as a user runs them."""

from __future__ import annotations

import json
import sqlite3
from functools import partial
from pathlib import Path

import pytest

from tests import cli

ROOT = Path(__file__).resolve().parents[2]


# The funnel runs whole pipelines (the smoke run included): allow them longer.
optsearch = partial(cli.optsearch, timeout=600)


def stage_rows(run_dir):
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        return db.execute(
            "SELECT stage, candidate_id, role, status, created_at FROM stage_evaluations"
            " ORDER BY stage_index, candidate_id"
        ).fetchall()


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("lion") / "smoke"
    result = optsearch("run", str(ROOT / "configs/lion.yaml"), "--smoke",
                       "--run-dir", str(run_dir), "--quiet")
    assert result.returncode == 0, result.stderr
    return run_dir, result.stdout


def test_the_lion_smoke_run_goes_through_the_whole_pipeline(smoke_run):
    run_dir, out = smoke_run
    assert "funnel stage metaval-10x" in out
    assert "verdict:" in out and "Lion (Chen et al. 2023, Program 1)" in out
    report = run_dir / "report"
    for name in ("final.json", "metaval.png", "fitness.png"):
        assert (report / name).is_file(), name
    rows = stage_rows(run_dir)
    assert any(role == "baseline" for _, _, role, _, _ in rows)
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        kinds = {k for (k,) in db.execute("SELECT DISTINCT kind FROM events")}
        restarts = dict(db.execute("SELECT at_told, detail FROM events WHERE kind = 'restart'"))
    assert "metaval" in kinds and "funnel" in kinds
    # Smoke caps: walks of 40 from AdamW, then the last 15 of 60 from the best.
    assert json.loads(restarts[40])["source"] == "seed"
    assert json.loads(restarts[45])["source"] == "best"
    assert len(restarts) == 2


def test_show_json_has_the_final_program_and_the_lion_verdict(smoke_run):
    run_dir, _ = smoke_run
    result = optsearch("show", str(run_dir), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["final_program"].startswith("def train(")
    assert summary["lion_family"] in (True, False)


def test_the_funnel_command_resumes_without_reevaluating(smoke_run):
    run_dir, _ = smoke_run
    before = stage_rows(run_dir)
    result = optsearch("funnel", str(run_dir))
    assert result.returncode == 0, result.stderr
    assert stage_rows(run_dir) == before


@pytest.mark.slow  # 13 s for two null fields
def test_a_run_without_a_funnel_section_has_null_final_fields(tmp_path):
    run_dir = tmp_path / "plain"
    config = tmp_path / "plain.yaml"
    config.write_text("population: 8\ntournament: 2\nmax_candidates: 10\nmax_length: 12\n"
                      "tasks:\n  proxy: heavy-tail-regression\n  num_seeds: 1\n"
                      "  executor_length: 12\n")
    assert optsearch("run", str(config), "--run-dir", str(run_dir), "--quiet").returncode == 0
    summary = json.loads(optsearch("show", str(run_dir), "--json").stdout)
    assert summary["final_program"] is None and summary["lion_family"] is None
    result = optsearch("funnel", str(run_dir))
    assert result.returncode == 2 and "no `funnel` section" in result.stderr


def test_a_bad_funnel_key_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text((ROOT / "configs/lion.yaml").read_text().replace("  top_k:", "  topk:"))
    result = optsearch("run", str(config), "--smoke", "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 2
    assert "funnel.topk" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert str(config) in result.stderr  # the file the user wrote, not the run's copy


def test_simplify_ablate_prints_the_table_and_the_result():
    result = optsearch("simplify", "program4", "--ablate", "heavy-tail-regression",
                       "--seeds", "2", "--lr-multipliers", "3,10,30")
    assert result.returncode == 0, result.stderr
    assert "# ablation on heavy-tail-regression" in result.stdout
    assert "clip_by_global_norm" in result.stdout.split("kept")[0]
    assert "sign(" in result.stdout


def test_simplify_ablate_with_an_unknown_task_is_a_user_error():
    result = optsearch("simplify", "program4", "--ablate", "no-such-task")
    assert result.returncode == 2 and "no-such-task" in result.stderr


def test_simplify_ablate_with_negative_tune_rounds_is_a_user_error():
    result = optsearch("simplify", "lion", "--ablate", "ill-conditioned", "--tune-rounds", "-1")
    assert result.returncode == 2 and "--tune-rounds" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_funnel_crash_keeps_the_search_and_says_how_to_rerun(tmp_path, monkeypatch, capsys):
    import optsearch.pipeline
    from optsearch.cli import main

    def crash(store, config, evaluator, log=print):
        raise RuntimeError("stage scorer exploded")

    monkeypatch.setattr(optsearch.pipeline, "finish_run", crash)
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "name: tiny\npopulation: 4\nmax_candidates: 6\nmax_length: 12\n"
        "evaluator: {kind: serial}\n"
        "tasks: {proxy: ill-conditioned, num_seeds: 1, executor_length: 12}\n"
        "funnel:\n  top_k: 2\n  stages:\n    - {name: s, tasks: {ill-conditioned-10x: 1.0}}\n"
    )
    run_dir = tmp_path / "run"
    assert main(["run", str(config), "--run-dir", str(run_dir), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "stage scorer exploded" in err and f"optsearch funnel {run_dir}" in err
    assert "Traceback" not in err
    assert "RuntimeError" in (run_dir / "report" / "funnel_error.txt").read_text()
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM candidates WHERE told_seq IS NOT NULL").fetchone()[0] == 6
