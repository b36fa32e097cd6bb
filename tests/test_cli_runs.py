"""`optsearch run`, `show RUN`, `lineage` and `diff` as a user runs them, including a
run killed with SIGKILL and resumed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.cli import optsearch

CONFIG = """\
name: tiny
population: 12
tournament: 4
max_candidates: {budget}
max_length: 12
checkpoint_every: 7
report_every: 50
tasks:
  proxy: heavy-tail-regression
  num_seeds: 1
  executor_length: 12
"""


def rows(run_dir):
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        return db.execute(
            "SELECT id, parent_id, mutation, program, status, fitness, cache_hit, told_seq"
            " FROM candidates ORDER BY id"
        ).fetchall()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("runs")
    config = tmp / "tiny.yaml"
    config.write_text(CONFIG.format(budget=120))
    result = optsearch("run", str(config), "--run-dir", str(tmp / "full"), "--quiet")
    assert result.returncode == 0, result.stderr
    return tmp, config


def test_run_prints_a_summary_and_writes_a_report(finished_run):
    tmp, _ = finished_run
    report = tmp / "full" / "report"
    for name in ("best.py", "fitness.png", "pruning.png", "summary.json"):
        assert (report / name).is_file(), name
    best = (report / "best.py").read_text()
    assert "def train(w, g, m, v, lr):" in best


def test_show_run_json_has_the_summary_keys(finished_run):
    tmp, _ = finished_run
    result = optsearch("show", str(tmp / "full"), "--json", "--top", "3")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    for key in ("generated", "evaluated", "cache_hits", "invalid", "best_fitness",
                "best_program", "wall_s", "nodes"):
        assert key in summary
    assert summary["generated"] == 120
    assert summary["evaluated"] + summary["cache_hits"] == 120
    assert len(summary["top"]) == 3
    assert summary["top"][0]["fitness"] == summary["best_fitness"]


def test_lineage_walks_back_to_the_seed(finished_run):
    tmp, _ = finished_run
    best_id = json.loads(optsearch("show", str(tmp / "full"), "--json").stdout)["best_id"]
    result = optsearch("lineage", str(tmp / "full"), str(best_id))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# candidate 0 (seed)")
    assert f"# candidate {best_id} " in result.stdout


def test_diff_between_a_run_candidate_and_a_builtin(finished_run):
    tmp, _ = finished_run
    result = optsearch("diff", "adamw", f"{tmp / 'full'}:0")
    assert result.returncode == 0
    assert result.stdout.strip() == "the programs are identical"
    best_id = json.loads(optsearch("show", str(tmp / "full"), "--json").stdout)["best_id"]
    result = optsearch("diff", "adamw", f"{tmp / 'full'}:{best_id}")
    assert result.stdout.startswith("--- adamw")


def test_a_run_candidate_is_a_program_for_every_command(finished_run):
    tmp, _ = finished_run
    best_id = json.loads(optsearch("show", str(tmp / "full"), "--json").stdout)["best_id"]
    spec = f"{tmp / 'full'}:{best_id}"
    exported = optsearch("export", spec)
    assert exported.returncode == 0, exported.stderr
    assert "optax.GradientTransformation" in exported.stdout
    scored = optsearch("eval", spec, "--task", "ill-conditioned", "--seeds", "1", "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["status"] in ("ok", "nonfinite", "diverged")
    for bad, says in ((f"{tmp / 'full'}:99999", "no such candidate"),
                      (f"{tmp / 'full'}:best", "must be a number")):
        result = optsearch("export", bad)
        assert result.returncode == 2
        assert says in result.stderr and "Traceback" not in result.stderr


def test_a_run_killed_with_sigkill_resumes_to_the_same_end(finished_run):
    tmp, config = finished_run
    cut = tmp / "cut"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "optsearch", "run", str(config), "--run-dir", str(cut), "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    deadline = time.time() + 240
    while time.time() < deadline:
        if (cut / "candidates.sqlite").exists():
            try:
                with sqlite3.connect(cut / "candidates.sqlite", timeout=1) as db:
                    told = db.execute("SELECT COUNT(told_seq) FROM candidates").fetchone()[0]
            except sqlite3.OperationalError:
                told = 0
            if told >= 45:
                break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len([r for r in rows(cut) if r[7]]) < 120, "the run finished before it was killed"
    result = optsearch("run", "--resume", str(cut), "--quiet")
    assert result.returncode == 0, result.stderr
    assert rows(cut) == rows(tmp / "full")


def test_resuming_a_directory_that_is_not_a_run_is_a_clear_error(tmp_path):
    result = optsearch("run", "--resume", str(tmp_path))
    assert result.returncode == 2
    assert "not a run directory" in result.stderr


def test_starting_over_an_existing_run_is_refused(finished_run):
    tmp, config = finished_run
    result = optsearch("run", str(config), "--run-dir", str(tmp / "full"))
    assert result.returncode == 2
    assert "--resume" in result.stderr


def test_an_unknown_task_is_a_config_error(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG.format(budget=10).replace("heavy-tail-regression", "imagenet"))
    result = optsearch("run", str(config), "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 2
    assert "imagenet" in result.stderr and result.stderr.count("\n") == 1


def test_run_with_the_embedded_ray(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG.format(budget=16))
    result = optsearch(
        "run", str(config), "--run-dir", str(tmp_path / "r"), "--quiet",
        "evaluator.kind=ray", "evaluator.workers=2",
    )
    assert result.returncode == 0, result.stderr
    told = [r for r in rows(tmp_path / "r") if r[7]]
    assert len(told) == 16
