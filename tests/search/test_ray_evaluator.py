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


def test_ray_and_serial_evaluators_agree_on_the_same_candidates(tmp_path, two_node_cluster):
    from search.evaluators import SerialEvaluator

    config = make_config(max_candidates=12)
    run_search(tmp_path, config)
    # Asynchronous results reorder the search, so match candidates by program text.
    ray_rows = {r[7]: (r[6], r[5]) for r in told_rows(tmp_path / "run") if not r[2]}

    serial = SerialEvaluator(ScorerSpec.from_config(config))
    store = RunStore(tmp_path / "serial")
    SearchRunner(config, store, serial).run()
    store.close()
    serial_rows = {r[7]: (r[6], r[5]) for r in told_rows(tmp_path / "serial") if not r[2]}
    common = set(ray_rows) & set(serial_rows)
    assert len(common) >= 2  # the seed and at least one child
    for text in common:
        (ray_status, ray_fitness), (serial_status, serial_fitness) = (
            ray_rows[text], serial_rows[text])
        if "timeout" in (ray_status, serial_status):
            continue  # wall-time budgets depend on machine load, not on the evaluator
        assert ray_status == serial_status, text
        if ray_status == "ok":
            assert ray_fitness == pytest.approx(serial_fitness, rel=1e-6)
