"""Run a small probe search and SIGKILL this process at a named point (a test helper).

    python -m tests.search.kill_at RUN_DIR POINT

POINT is one of KILL_POINTS. The kill is a real `kill -9` of this process: no
handler, `finally` or atexit runs, exactly as when a user or the OOM killer ends
a run.
"""

from __future__ import annotations

import os
import signal
import sys

import search.loop
import search.store
from search.loop import SearchRunner
from search.store import RunStore
from tests.search.probe_evaluator import ProbeEvaluator
from tests.search.test_search_loop import make_config

#: name -> (what is patched, when it kills)
KILL_POINTS = {
    "seed-before-commit": "the seed's row is inserted but not committed",
    "row-1-after-commit": "the seed's row is committed, nothing else",
    "row-37-before-commit": "mid-search, a row inserted but not committed",
    "row-37-after-commit": "mid-search, right after a commit, before the checkpoint",
    "row-40-after-commit": "right after the row that triggers a checkpoint",
    "checkpoint-40-written-not-renamed": "the new checkpoint written, not yet in place",
    "invalid-child-uncommitted": "an invalid child inserted, its commit pending",
    "row-149-after-commit": "the last but one row committed",
    "final-report": "every row committed, in the final report",
}


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    record_told = RunStore.record_told
    record_invalid = RunStore.record_invalid
    replace = os.replace

    def told(self, candidate, result, told_seq, generated):
        if point == "seed-before-commit" and told_seq == 1:
            self.db.execute("INSERT INTO events (kind, created_at) VALUES ('x', 0)")
            die()
        if point == "row-37-before-commit" and told_seq == 37:
            self.db.execute("INSERT INTO events (kind, created_at) VALUES ('x', 0)")
            die()
        record_told(self, candidate, result, told_seq, generated)
        if point == f"row-{told_seq}-after-commit":
            die()

    def invalid(self, child):
        record_invalid(self, child)
        if point == "invalid-child-uncommitted" and child.id > 30:
            die()

    def checkpoint_replace(src, dst, *args, **kwargs):
        if point == "checkpoint-40-written-not-renamed" and '"told": 40,' in open(src).read():
            die()
        return replace(src, dst, *args, **kwargs)

    def report(store, population):
        die()

    RunStore.record_told = told
    RunStore.record_invalid = invalid
    search.store.os.replace = checkpoint_replace
    if point == "final-report":
        search.loop.write_report = report


def main(run_dir: str, point: str) -> None:
    assert point in KILL_POINTS, point
    arm(point)
    store = RunStore(run_dir)
    SearchRunner(make_config(), store, ProbeEvaluator()).run()
    sys.exit(f"{point}: the run ended without reaching its kill point")


if __name__ == "__main__":
    main(*sys.argv[1:])
