"""Run directories as a user meets them: shared by two processes, damaged, or with
their database gone. Every refusal is one line and exit status 2; a damaged
checkpoint is rebuilt from the database and the run ends as an intact one."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli import optsearch
from tests.test_cli_runs import CONFIG, rows

DAMAGED = Path(__file__).parent / "search" / "damaged"


def one_line_error(result, says: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert says in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr


def told(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "candidates.sqlite", timeout=1) as db:
            return db.execute("SELECT COUNT(told_seq) FROM candidates").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def start(*args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "optsearch", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )


def wait_until(condition, what: str, limit_s: float = 240) -> None:
    deadline = time.time() + limit_s
    while not condition():
        assert time.time() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """An intact 120-candidate run and the same search stopped at 60."""
    tmp = tmp_path_factory.mktemp("rundirs")
    config = tmp / "tiny.yaml"
    config.write_text(CONFIG.format(budget=120))
    for name, budget in (("full", 120), ("half", 60)):
        result = optsearch(
            "run", str(config), f"max_candidates={budget}", "--run-dir", str(tmp / name), "--quiet"
        )
        assert result.returncode == 0, result.stderr
    return tmp, config


@pytest.mark.slow  # 40 s; the fast race test below covers the lock
def test_a_second_writer_is_refused_whatever_the_first_is_doing(runs, tmp_path):
    _, config = runs
    run_dir = tmp_path / "shared"
    first = start("run", str(config), "max_candidates=100000", "--run-dir", str(run_dir), "--quiet")
    try:
        wait_until(lambda: told(run_dir) >= 3, "the first run to record candidates")
        one_line_error(optsearch("run", "--resume", str(run_dir)), "another optsearch process")
        one_line_error(optsearch("run", str(config), "--run-dir", str(run_dir)), str(run_dir))
        one_line_error(optsearch("funnel", str(run_dir)), "another optsearch process")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # The kernel dropped the lock with the killed process: resuming works at once.
    done = told(run_dir)
    resumed = optsearch("run", "--resume", str(run_dir), f"max_candidates={done + 5}", "--quiet")
    assert resumed.returncode == 0, resumed.stderr


def test_two_fresh_runs_into_one_directory_never_both_run(runs, tmp_path):
    _, config = runs
    run_dir = tmp_path / "race"
    both = [
        start("run", str(config), "max_candidates=30", f"seed={seed}", "--run-dir", str(run_dir))
        for seed in (1, 2)
    ]
    codes = sorted(p.wait(timeout=300) for p in both)
    assert codes == [0, 2], codes
    assert told(run_dir) == 30


@pytest.mark.parametrize(
    "damage",
    # One runs by default; tests/search/test_run_recovery.py covers every kind fast.
    ["truncated"] + [
        pytest.param(name, marks=pytest.mark.slow)
        for name in ("garbage.bin", "empty.json", "empty_object.json")
    ],
)
def test_a_damaged_checkpoint_is_rebuilt_and_the_run_ends_as_an_intact_one(runs, tmp_path, damage):
    tmp, _ = runs
    run_dir = tmp_path / "damaged"
    shutil.copytree(tmp / "half", run_dir)
    checkpoint = run_dir / "checkpoint.json"
    if damage == "truncated":
        checkpoint.write_bytes(checkpoint.read_bytes()[:300])
    else:
        shutil.copy(DAMAGED / damage, checkpoint)
    result = optsearch("run", "--resume", str(run_dir), "max_candidates=120", "--quiet")
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "rebuilding" in line]
    assert len(notices) == 1 and "checkpoint.json" in notices[0], result.stderr
    assert rows(run_dir) == rows(tmp / "full")
    summary = [optsearch("show", str(d), "--json").stdout for d in (run_dir, tmp / "full")]
    strip = lambda text: [l for l in text.splitlines() if '"wall_s"' not in l and "run_dir" not in l]
    assert strip(summary[0]) == strip(summary[1])


@pytest.mark.slow
def test_a_checkpoint_copied_from_another_run_is_not_trusted(runs, tmp_path):
    tmp, _ = runs
    run_dir = tmp_path / "copied"
    shutil.copytree(tmp / "half", run_dir)
    shutil.copy(tmp / "full" / "checkpoint.json", run_dir / "checkpoint.json")
    result = optsearch("run", "--resume", str(run_dir), "max_candidates=120", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "another run" in result.stderr
    assert rows(run_dir) == rows(tmp / "full")


def test_a_deleted_database_with_its_checkpoint_kept_is_refused(runs, tmp_path):
    tmp, _ = runs
    run_dir = tmp_path / "lost"
    shutil.copytree(tmp / "half", run_dir)
    for path in run_dir.glob("candidates.sqlite*"):
        path.unlink()
    one_line_error(optsearch("run", "--resume", str(run_dir)), "candidates.sqlite is missing")
    assert not (run_dir / "candidates.sqlite").exists(), "the refusal must create nothing"


def test_a_garbage_database_is_one_line_for_show_and_resume(runs, tmp_path):
    tmp, _ = runs
    run_dir = tmp_path / "garbage"
    shutil.copytree(tmp / "half", run_dir)
    for path in run_dir.glob("candidates.sqlite*"):
        path.unlink()
    shutil.copy(DAMAGED / "not_a_database.sqlite", run_dir / "candidates.sqlite")
    one_line_error(optsearch("show", str(run_dir)), "not a readable run database")
    one_line_error(optsearch("run", "--resume", str(run_dir)), "not a readable run database")


def test_a_database_with_malformed_pages_is_one_line(runs, tmp_path):
    tmp, _ = runs
    run_dir = tmp_path / "malformed"
    shutil.copytree(tmp / "full", run_dir)
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray((run_dir / "candidates.sqlite").read_bytes())
    for page in range(1, len(data) // 4096):  # every page header but the first
        data[page * 4096 + 8 : page * 4096 + 40] = b"\xff" * 32
    (run_dir / "candidates.sqlite").write_bytes(bytes(data))
    one_line_error(optsearch("show", str(run_dir)), "the run database cannot be read")
    one_line_error(optsearch("run", "--resume", str(run_dir)), "the run database cannot be read")


def test_an_edited_row_is_one_line_on_resume(runs, tmp_path):
    tmp, _ = runs
    run_dir = tmp_path / "edited"
    shutil.copytree(tmp / "half", run_dir)
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        db.execute("UPDATE candidates SET program = 'u = g\n' WHERE told_seq = 30")
    (run_dir / "checkpoint.json").unlink()
    one_line_error(optsearch("run", "--resume", str(run_dir)), "was the run directory edited")


def test_a_run_dir_that_cannot_hold_a_run_is_one_line(runs, tmp_path):
    _, config = runs
    (tmp_path / "a_file").write_text("")
    (tmp_path / "lock_is_a_dir" / "lock").mkdir(parents=True)
    for run_dir in (tmp_path / "a_file", tmp_path / "lock_is_a_dir"):
        result = optsearch("run", str(config), "--run-dir", str(run_dir))
        one_line_error(result, "cannot be used as a run directory")


def test_a_run_with_constant_tuning_resumes_from_its_checkpoint_without_a_rebuild(runs, tmp_path):
    # Members keep the constants tuning wrote into them, which their stored text
    # (the generated program) lacks: the checkpoint must still be trusted.
    _, config = runs
    run_dir = tmp_path / "tuned"
    args = ["tasks.constant_draws=2", "--quiet"]
    first = optsearch("run", str(config), "max_candidates=30", "--run-dir", str(run_dir), *args)
    assert first.returncode == 0, first.stderr
    resumed = optsearch("run", "--resume", str(run_dir), "max_candidates=35", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "rebuilding" not in resumed.stderr, resumed.stderr


def test_a_run_on_a_read_only_disk_can_be_shown_and_exported(runs, tmp_path):
    from tests.search.read_only import read_only_tree
    from tests.search.test_read_only_store import snapshot

    tmp, _ = runs
    run_dir = tmp_path / "archived"
    shutil.copytree(tmp / "full", run_dir)
    before = snapshot(run_dir)
    with read_only_tree(run_dir):
        shown = optsearch("show", str(run_dir))
        exported = optsearch("export", f"{run_dir}:0")
    assert shown.returncode == 0 and "hall of fame" in shown.stdout, shown.stderr
    assert exported.returncode == 0 and "def " in exported.stdout, exported.stderr
    assert snapshot(run_dir) == before


def test_a_config_edited_to_another_fitness_is_refused_on_resume(runs, tmp_path):
    tmp, _ = runs
    run_dir = tmp_path / "edited_config"
    shutil.copytree(tmp / "half", run_dir)
    config = run_dir / "config.yaml"
    config.write_text(config.read_text().replace("num_seeds: 1", "num_seeds: 2"))
    database = (run_dir / "candidates.sqlite").read_bytes()
    result = optsearch("run", "--resume", str(run_dir), "max_candidates=120")
    one_line_error(result, "cannot resume with `tasks.num_seeds` changed (1 -> 2)")
    assert (run_dir / "candidates.sqlite").read_bytes() == database
