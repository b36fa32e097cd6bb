"""A run killed with SIGKILL at any point resumes to the candidate table of an
uninterrupted run: nothing lost, nothing evaluated twice (see kill_at.py for the
points), and a chain of kills resumes the same way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from search.loop import SearchRunner
from search.store import RunStore
from tests.search.kill_at import KILL_POINTS
from tests.search.probe_evaluator import ProbeEvaluator
from tests.search.test_search_loop import make_config, rows

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kill_at(run_dir, point: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.search.kill_at", str(run_dir), point],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr)


def resume(run_dir) -> ProbeEvaluator:
    store = RunStore(run_dir)
    evaluator = ProbeEvaluator()
    notices: list[str] = []
    try:
        SearchRunner(make_config(), store, evaluator, notify=notices.append).run()
    finally:
        store.close()
    assert notices == [], notices
    return evaluator


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("kill") / "full"
    store = RunStore(run_dir)
    SearchRunner(make_config(), store, ProbeEvaluator()).run()
    store.close()
    return rows(run_dir)


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_a_kill_at_any_point_resumes_to_the_uninterrupted_table(full, tmp_path, point):
    kill_at(tmp_path / "run", point)
    committed = {r[0] for r in rows(tmp_path / "run") if r[7] is not None}
    evaluator = resume(tmp_path / "run")
    assert rows(tmp_path / "run") == full
    assert not committed & set(evaluator.submitted), "a committed row was evaluated again"


def test_a_chain_of_kills_resumes_to_the_uninterrupted_table(full, tmp_path):
    for point in ("row-1-after-commit", "row-37-after-commit", "row-40-after-commit",
                  "row-149-after-commit"):
        kill_at(tmp_path / "run", point)
    committed = {r[0] for r in rows(tmp_path / "run") if r[7] is not None}
    evaluator = resume(tmp_path / "run")
    assert rows(tmp_path / "run") == full
    assert not committed & set(evaluator.submitted), "a committed row was evaluated again"
