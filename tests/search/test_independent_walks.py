"""`restarts.independent_walks`: children asked before a restart from the seed
and told after it do not join the restarted population, so no lineage crosses a
restart; off (as runs walked before the key), some do. A run cut in the middle
of a window resumes to the same table."""

from __future__ import annotations

import json

from search.loop import SearchRunner
from search.store import RunStore
from tests.search.probe_evaluator import ProbeEvaluator
from tests.search.test_ask_ahead import ShuffledEvaluator
from tests.search.test_search_loop import make_config, rows, run

WALK = 20
SETTINGS = dict(ask_ahead=8, max_candidates=200, population=8, tournament=4)


def restarts(independent: bool) -> dict:
    return {"seed_every_candidates": WALK, "independent_walks": independent}


def crossing_parents(run_dir) -> list[tuple[int, int]]:
    """(child, parent) pairs where the parent was told in an earlier walk than
    the child and the child went on to have children of its own: a lineage
    that crossed a restart."""
    table = rows(run_dir, "id, parent_id, told_seq")
    told = {i: t for i, _, t in table if t is not None}
    parents = {p for _, p, _ in table if p is not None}
    walk = lambda t: (t - 1) // WALK  # noqa: E731
    return [
        (i, p) for i, p, t in table
        if t is not None and p not in (None, 0) and walk(told[p]) < walk(t) and i in parents
    ]


def test_with_independent_walks_no_lineage_crosses_a_restart(tmp_path):
    run(tmp_path, "leaky", ShuffledEvaluator(seed=2), restarts=restarts(False), **SETTINGS)
    run(tmp_path, "independent", ShuffledEvaluator(seed=2), restarts=restarts(True),
        **SETTINGS)
    assert crossing_parents(tmp_path / "leaky"), "the leak this key closes must show here"
    assert crossing_parents(tmp_path / "independent") == []


def test_a_cut_mid_window_with_independent_walks_resumes_to_the_same_table(tmp_path):
    config = make_config(restarts=restarts(True), **SETTINGS)
    run(tmp_path, "full", ShuffledEvaluator(seed=4), restarts=restarts(True), **SETTINGS)
    seen = {}

    def hook(runner):
        # Stop just after a restart, with stale children still in flight.
        if runner.evolution.stale and runner.evolution.counters.told > 2 * WALK:
            seen["stale"] = sorted(runner.evolution.stale)
            runner._stop = True

    store = RunStore(tmp_path / "cut")
    SearchRunner(config, store, ShuffledEvaluator(seed=4), hooks=[hook]).run()
    store.close()
    assert seen["stale"], "the cut must leave stale children in flight"
    checkpoint = json.loads((tmp_path / "cut" / "checkpoint.json").read_text())
    assert checkpoint["stale"] == seen["stale"]
    store = RunStore(tmp_path / "cut")
    SearchRunner(config, store, ProbeEvaluator(capacity=8, order="lifo")).run()
    store.close()
    assert rows(tmp_path / "cut") == rows(tmp_path / "full")
