"""Run a search on a real two-node Ray cluster on this machine, then stop it.

Two raylets (a head and a second node, one CPU each) are started with Ray's own
cluster utility, as the tests do; the search joins them by address, exactly as it
would join a cloud cluster, and every evaluation is recorded with its node:

    python scripts/local_cluster.py configs/quickstart.yaml max_candidates=100
    optsearch show latest --json     # "nodes": 2
"""

from __future__ import annotations

import os
import sys

from ray.cluster_utils import Cluster

from optsearch.cli import main


def run(argv: list[str]) -> int:
    config = argv[0] if argv else "configs/quickstart.yaml"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        return main(
            ["run", config, *argv[1:], "--address", cluster.address, "evaluator.workers=2"]
        )
    finally:
        import ray

        ray.shutdown()  # the driver must leave before its nodes are removed
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
