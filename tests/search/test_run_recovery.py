"""Damaged run directories (the database is the record): a damaged, foreign or
inflated checkpoint is rebuilt from the database and the run ends identical to an
intact one; a lost or unreadable database is refused with one line."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from search.errors import UserError
from search.loop import SearchRunner
from search.store import RunStore
from tests.search.probe_evaluator import ProbeEvaluator
from tests.search.test_search_loop import make_config, rows

DAMAGED = Path(__file__).parent / "damaged"
#: Literal damaged checkpoints (a truncated one is cut from a real one at test time).
CHECKPOINT_FIXTURES = sorted(p.name for p in DAMAGED.iterdir() if p.suffix in (".json", ".bin"))


def search(run_dir, notices=None, **overrides):
    store = RunStore(run_dir)
    evaluator = ProbeEvaluator()
    try:
        runner = SearchRunner(
            make_config(**overrides), store, evaluator,
            notify=(notices.append if notices is not None else None),
        )
        runner.run()
    finally:
        store.close()
    return evaluator


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """An intact 150-candidate run, and one stopped at 73 (checkpoint at 70)."""
    tmp = tmp_path_factory.mktemp("recovery")
    search(tmp / "full")
    search(tmp / "cut", max_candidates=73)
    search(tmp / "other", seed=7, max_candidates=90)
    return tmp


def resume_after(runs, tmp_path, damage) -> tuple[list[str], ProbeEvaluator]:
    run_dir = tmp_path / "cut"
    shutil.copytree(runs / "cut", run_dir)
    damage(run_dir / "checkpoint.json")
    notices: list[str] = []
    evaluator = search(run_dir, notices)
    return notices, evaluator


def assert_rebuilt_identical(runs, tmp_path, notices, evaluator, says):
    assert len(notices) == 1 and "\n" not in notices[0], notices
    assert says in notices[0] and "rebuilding the search state" in notices[0]
    assert rows(tmp_path / "cut") == rows(runs / "full")
    assert min(evaluator.submitted) > 72, "recorded evaluations must not be redone"


@pytest.mark.parametrize("fixture", CHECKPOINT_FIXTURES)
def test_a_damaged_checkpoint_is_rebuilt_from_the_database(runs, tmp_path, fixture):
    notices, evaluator = resume_after(
        runs, tmp_path, lambda path: shutil.copy(DAMAGED / fixture, path)
    )
    assert_rebuilt_identical(runs, tmp_path, notices, evaluator, "checkpoint.json")


def test_a_truncated_checkpoint_is_rebuilt_from_the_database(runs, tmp_path):
    def truncate(path):
        text = path.read_bytes()
        path.write_bytes(text[: len(text) // 2])

    notices, evaluator = resume_after(runs, tmp_path, truncate)
    assert_rebuilt_identical(runs, tmp_path, notices, evaluator, "unreadable")


def test_a_checkpoint_from_another_run_is_not_trusted(runs, tmp_path):
    notices, evaluator = resume_after(
        runs, tmp_path, lambda path: shutil.copy(runs / "other" / "checkpoint.json", path)
    )
    assert_rebuilt_identical(runs, tmp_path, notices, evaluator, "another run")


@pytest.mark.parametrize("field", ["told", "cache_hits", "failed"])
def test_a_checkpoint_with_inflated_counters_is_not_trusted(runs, tmp_path, field):
    def inflate(path):
        state = json.loads(path.read_text())
        state["counters"][field] += 5
        if field == "told":
            state["counters"]["generated"] += 5
        path.write_text(json.dumps(state))

    notices, evaluator = resume_after(runs, tmp_path, inflate)
    assert_rebuilt_identical(runs, tmp_path, notices, evaluator, "checkpoint.json")


def test_a_checkpoint_naming_a_better_best_than_recorded_is_not_trusted(runs, tmp_path):
    def better_best(path):
        state = json.loads(path.read_text())
        state["best"][1] = 0.0  # above every recorded fitness (probe fitness is <= 0)
        path.write_text(json.dumps(state))

    notices, evaluator = resume_after(runs, tmp_path, better_best)
    assert_rebuilt_identical(runs, tmp_path, notices, evaluator, "best")


def test_an_intact_checkpoint_resumes_without_a_notice(runs, tmp_path):
    notices, evaluator = resume_after(runs, tmp_path, lambda path: None)
    assert notices == []
    assert rows(tmp_path / "cut") == rows(runs / "full")


def test_a_deleted_database_with_its_checkpoint_kept_is_refused(runs, tmp_path):
    run_dir = tmp_path / "cut"
    shutil.copytree(runs / "cut", run_dir)
    for name in ("candidates.sqlite", "candidates.sqlite-wal", "candidates.sqlite-shm"):
        (run_dir / name).unlink(missing_ok=True)
    with pytest.raises(UserError, match="holds none") as raised:
        search(run_dir)
    assert "\n" not in str(raised.value)


def test_a_garbage_database_is_one_line(tmp_path):
    (tmp_path / "run").mkdir()
    shutil.copy(DAMAGED / "not_a_database.sqlite", tmp_path / "run" / "candidates.sqlite")
    with pytest.raises(UserError, match="not a readable run database") as raised:
        RunStore(tmp_path / "run")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE candidates SET program = 'u = g\n' WHERE told_seq = 72",
        "UPDATE candidates SET metrics = '{not json' WHERE told_seq = 72",
        "UPDATE candidates SET generated_at_tell = 'x' WHERE told_seq = 72",
        "DELETE FROM candidates WHERE told_seq = 72",
    ],
)
def test_an_edited_row_is_one_line(runs, tmp_path, edit):
    run_dir = tmp_path / "cut"
    shutil.copytree(runs / "cut", run_dir)
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        db.execute(edit)
    (run_dir / "checkpoint.json").unlink()  # every row is replayed, the edited one too
    with pytest.raises(UserError) as raised:
        search(run_dir)
    assert "\n" not in str(raised.value)


def test_a_full_disk_while_recording_is_one_line_and_the_run_resumes(runs, tmp_path, monkeypatch):
    original = RunStore.record_told

    def fills_up(self, candidate, result, told_seq, generated):
        if told_seq == 57:
            raise sqlite3.OperationalError("database or disk is full")
        original(self, candidate, result, told_seq, generated)

    monkeypatch.setattr(RunStore, "record_told", fills_up)
    with pytest.raises(UserError, match="disk is full") as raised:
        search(tmp_path / "cut")
    assert "\n" not in str(raised.value) and "--resume" in str(raised.value)
    assert json.loads((tmp_path / "cut" / "checkpoint.json").read_text())["counters"]["told"] == 50
    monkeypatch.setattr(RunStore, "record_told", original)
    notices: list[str] = []
    evaluator = search(tmp_path / "cut", notices)
    assert notices == []
    assert rows(tmp_path / "cut") == rows(runs / "full")
    assert min(evaluator.submitted) > 55, "committed evaluations must not be redone"


def test_a_full_disk_while_checkpointing_keeps_the_last_checkpoint(runs, tmp_path, monkeypatch):
    import errno

    original = Path.write_text

    def fills_up(path, text, *args, **kwargs):
        if path.name == ".checkpoint.json.tmp" and '"told": 60' in text:
            original(path, text[:100], *args, **kwargs)  # half written, then no space
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(path, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", fills_up)
    with pytest.raises(UserError, match="disk is full") as raised:
        search(tmp_path / "cut")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "cut" / ".checkpoint.json.tmp").exists()
    assert json.loads((tmp_path / "cut" / "checkpoint.json").read_text())["counters"]["told"] == 50
    monkeypatch.setattr(Path, "write_text", original)
    notices: list[str] = []
    search(tmp_path / "cut", notices)
    assert notices == []
    assert rows(tmp_path / "cut") == rows(runs / "full")
