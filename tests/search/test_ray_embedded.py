"""The embedded Ray instance: started when no address is given, loopback only,
shut down at close."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

ray = pytest.importorskip("ray")

from search.config import EvaluatorConfig  # noqa: E402
from search.ray_evaluator import RayEvaluator  # noqa: E402
from search.scoring import ScorerSpec  # noqa: E402

SPEC = ScorerSpec((("heavy-tail-regression", 1.0),), 1, 12, 10.0)


def descendants(root: int) -> set[int]:
    """This process and every process started under it (Ray's servers and workers)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in found]
        found.update(children)
        frontier.extend(children)
    return found


def ray_listening_addresses() -> list[str]:
    """Listening TCP addresses of processes started by this test (other Ray
    instances on the machine are not ours to judge)."""
    ours = descendants(os.getpid())
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
    addresses = []
    for line in out.splitlines():
        pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if pids & ours:
            addresses.append(line.split()[3])
    return addresses


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs `ss` to list sockets")
def test_the_embedded_instance_listens_on_loopback_only_and_stops_at_close():
    if ray.is_initialized():
        ray.shutdown()
    evaluator = RayEvaluator(SPEC, EvaluatorConfig(kind="ray", workers=1))
    try:
        assert evaluator.started_ray
        assert evaluator.capacity == 2, "one worker with two calls queued (pipeline_depth)"
        assert ray.is_initialized()
        addresses = ray_listening_addresses()
        assert addresses, "expected Ray's servers to be listening"
        for address in addresses:
            host = address.rsplit(":", 1)[0].strip("[]").removeprefix("::ffff:")
            assert host in ("127.0.0.1", "::1"), f"Ray listens on {address}"
    finally:
        evaluator.close()
    assert not ray.is_initialized()
