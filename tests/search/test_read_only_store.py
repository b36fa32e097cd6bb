"""Reading a run changes nothing in it: every command that only reads opens the
database read-only (`mode=ro`, and `immutable` when no `-wal` file holds rows),
so an archived run or a run on a read-only disk can be inspected, and the rows a
live or killed run left in its `-wal` file are still seen."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from optsearch.cli import main
from search.programs import candidate_text
from search.store import RunStore
from search.summary import hall_of_fame, run_summary
from tests.search.read_only import read_only_tree
from tests.search.test_run_recovery import search


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file and folder under `root`: its content digest and mtime."""
    found = {}
    for path in sorted([root, *root.rglob("*")]):
        digest = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        )
        found[str(path.relative_to(root))] = (digest, path.stat().st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("readonly") / "run"
    search(run_dir, max_candidates=40)
    return run_dir


def told_ids(run_dir: Path) -> list[int]:
    store = RunStore(run_dir, read_only=True)
    try:
        return [
            r[0]
            for r in store.db.execute(
                "SELECT id FROM candidates WHERE status = 'ok' ORDER BY told_seq"
            )
        ]
    finally:
        store.close()


def test_every_reading_command_opens_the_database_read_only_and_changes_nothing(
    run, tmp_path, monkeypatch, capsys
):
    opened = []
    connect = sqlite3.connect

    def spy(database, *args, **kwargs):
        opened.append((str(database), kwargs.get("uri", False)))
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", spy)
    last = told_ids(run)[-1]
    before = snapshot(run)
    for argv in (
        ["show", str(run)],
        ["show", str(run), "--json"],
        ["export", f"{run}:0"],
        ["lineage", str(run), str(last)],
        ["diff", f"{run}:0", f"{run}:{last}"],
        ["simplify", f"{run}:{last}"],
        ["plot", str(run), "--out", str(tmp_path / "p.png")],
    ):
        assert main(argv) == 0, (argv, capsys.readouterr().err)
    assert len(opened) >= 7
    assert all(uri and "mode=ro" in name for name, uri in opened), opened
    assert snapshot(run) == before, "no file created, removed or touched"


def test_a_run_in_a_read_only_directory_can_be_read(run, tmp_path):
    archived = tmp_path / "archived"
    shutil.copytree(run, archived)
    with read_only_tree(archived):
        store = RunStore(archived, read_only=True)
        try:
            assert run_summary(store)["generated"] == 40
            assert hall_of_fame(store, 3)
        finally:
            store.close()
        assert candidate_text(f"{archived}:0").startswith("def train(")


def wal_copy(run: Path, copy: Path) -> int:
    """Copy `run` while a writer holds it open with a row only in its `-wal` file
    (what `kill -9` leaves behind); returns that row's id."""
    shutil.copytree(run, copy)
    writer = RunStore(copy)
    try:
        writer.db.execute("PRAGMA wal_autocheckpoint=0")
        writer.db.execute(
            "INSERT INTO candidates (id, mutation, program, valid, created_at)"
            " VALUES (999, 'insert', 'def train(w, g, m, v, lr):\n', 0, 0)"
        )
        writer.db.commit()
        killed = copy.with_name(copy.name + "-killed")
        shutil.copytree(copy, killed)
    finally:
        writer.close()
    shutil.rmtree(copy)
    killed.rename(copy)
    assert (copy / "candidates.sqlite-wal").stat().st_size > 0
    return 999


@pytest.mark.parametrize("read_only_dir", [False, True], ids=["writable", "read-only"])
def test_rows_a_killed_run_left_in_its_wal_are_read(run, tmp_path, read_only_dir):
    killed = tmp_path / "killed"
    row = wal_copy(run, killed)
    before = snapshot(killed)

    def read() -> str | None:
        store = RunStore(killed, read_only=True)
        try:
            return store.program_text(row)
        finally:
            store.close()

    if read_only_dir:
        with read_only_tree(killed):
            assert read() is not None
    else:
        assert read() is not None
    after = snapshot(killed)
    shm = "candidates.sqlite-shm"  # readers share locks through it; its bytes may move
    assert {k: v for k, v in after.items() if k != shm} == {
        k: v for k, v in before.items() if k != shm
    }
