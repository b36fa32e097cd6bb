"""Distributed scoring on a real Ray: a local instance, a two-node cluster on this
machine, and a worker killed with SIGKILL mid-search."""

from __future__ import annotations

import os
import signal
import sqlite3

import pytest

ray = pytest.importorskip("ray")

from search.config import config_from_dict  # noqa: E402
from search.loop import SearchRunner  # noqa: E402
from search.ray_evaluator import RayEvaluator  # noqa: E402
from search.scoring import ScorerSpec  # noqa: E402
from search.store import RunStore  # noqa: E402

TASK = "heavy-tail-regression"


def make_config(**overrides):
    raw = {
        "population": 8,
        "tournament": 4,
        "max_candidates": 30,
        "ask_ahead": 4,  # both workers busy, two calls queued each
        "max_length": 12,
        "checkpoint_every": 5,
        "report_every": 1000,
        "tasks": {"proxy": TASK, "num_seeds": 1, "executor_length": 12},
        "evaluator": {"kind": "ray", "workers": 2, "cpus_per_worker": 1},
    }
    raw.update(overrides)
    return config_from_dict(raw)


def told_rows(run_dir):
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        return db.execute(
            "SELECT id, told_seq, cache_hit, node, worker, fitness, status, program FROM candidates"
            " WHERE told_seq IS NOT NULL ORDER BY told_seq"
        ).fetchall()


@pytest.fixture(scope="module")
def two_node_cluster():
    """A head and a second raylet on this machine, one CPU each."""
    from ray.cluster_utils import Cluster

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False},
    )
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def run_search(tmp_path, config, hooks=()):
    spec = ScorerSpec.from_config(config)
    evaluator = RayEvaluator(spec, config.evaluator, address=None)
    store = RunStore(tmp_path / "run")
    try:
        runner = SearchRunner(config, store, evaluator, hooks=list(hooks))
        outcome = runner.run()
    finally:
        evaluator.close()
        store.close()
    return outcome, evaluator


def test_candidates_are_scored_on_both_nodes_and_recorded_once(tmp_path, two_node_cluster):
    config = make_config()
    outcome, _ = run_search(tmp_path, config)
    rows = told_rows(tmp_path / "run")
    assert len(rows) == len({r[0] for r in rows}) == outcome.generated == 30
    nodes = {r[3] for r in rows if not r[2]}
    assert len(nodes) == 2, f"evaluations ran on {nodes}"

    from search.summary import run_summary

    store = RunStore(tmp_path / "run")
    assert run_summary(store)["nodes"] == 2
    store.close()


def test_a_worker_killed_mid_search_loses_nothing(tmp_path, two_node_cluster):
    config = make_config(max_candidates=40)
    killed = []

    def kill_a_worker(runner):
        # After 10 results, SIGKILL a worker process while candidates are in flight.
        if runner.evolution.counters.told == 10 and not killed and runner.in_flight:
            pid = runner.evaluator.worker_pids()[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    outcome, evaluator = run_search(tmp_path, config, hooks=[kill_a_worker])
    assert killed
    rows = told_rows(tmp_path / "run")
    assert len(rows) == len({r[0] for r in rows}) == 40
    assert [r[1] for r in rows] == list(range(1, 41))
    assert evaluator._spawned > config.evaluator.workers, "the dead worker was replaced"


def test_the_quickstart_walks_identically_serially_and_on_one_and_two_ray_workers(
    tmp_path, two_node_cluster
):
    # Results are told in ask order (`ask_ahead`), so the evaluator cannot change
    # the walk: the same seed gives the same candidate table, row for row.
    from dsl.library import configs_dir
    from search.config import load_config
    from search.evaluators import SerialEvaluator

    config = load_config(configs_dir() / "quickstart.yaml", ["max_candidates=80"])
    assert config.ask_ahead > 1, "the quickstart keeps several candidates in flight"
    columns = "id, parent_id, mutation, program, status, fitness, cache_hit, told_seq"

    def table(run_dir):
        with sqlite3.connect(run_dir / "candidates.sqlite") as db:
            return db.execute(f"SELECT {columns} FROM candidates ORDER BY id").fetchall()

    store = RunStore(tmp_path / "serial")
    SearchRunner(config, store, SerialEvaluator(ScorerSpec.from_config(config))).run()
    store.close()
    serial = table(tmp_path / "serial")
    assert len(serial) > 80 and sum(1 for r in serial if r[6] == 0) > 20
    for workers in (1, 2):
        evaluator = RayEvaluator(
            ScorerSpec.from_config(config),
            config_from_dict({"evaluator": {"kind": "ray", "workers": workers}}).evaluator,
        )
        store = RunStore(tmp_path / f"ray{workers}")
        try:
            SearchRunner(config, store, evaluator).run()
        finally:
            evaluator.close()
            store.close()
        assert table(tmp_path / f"ray{workers}") == serial, f"{workers} worker(s)"
