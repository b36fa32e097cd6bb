"""A real, shrunken rediscovery run of each target and each control (minutes:
`-m slow`): the command runs the seeds, archives them, and the report rebuilt
from the archives is the one the run wrote."""

from __future__ import annotations

import json

import pytest

from optsearch.rediscovery.targets import TARGETS
from tests.cli import optsearch

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_smoke_run_of_each_target_archives_and_reports(tmp_path, target):
    out, runs = tmp_path / "out", tmp_path / "runs"
    done = optsearch("rediscover", target, "evaluator.kind=serial", "--smoke", "--seeds", "3",
                     "--arms", "search,random,shuffled", "--runs", str(runs), "--out", str(out),
                     "--poll", "5", timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    for arm in ("search", "random", "shuffled"):
        meta = json.loads((out / target / arm / "seed-3" / "meta.json").read_text())
        assert meta["candidates"] > 0 and meta["seed"] == 3
    config = (out / target / "random" / "seed-3" / "config.yaml").read_text()
    assert "selection: none" in config
    assert "selection: shuffled" in (out / target / "shuffled" / "seed-3" / "config.yaml").read_text()
    rebuilt = optsearch("rediscover", "--report-only", str(out))
    assert rebuilt.stdout == (out / "tables.md").read_text()
    # A rerun from scratch walks the same way: every candidate and the funnel.
    verified = optsearch("rediscover", target, "--verify", "--seeds", "3", "--arms", "search",
                         "--runs", str(runs), "--out", str(out), timeout=1200)
    assert verified.returncode == 0 and "reproduced" in verified.stdout, verified.stdout
    # Run again: every seed is archived, so nothing runs and the tables stand.
    again = optsearch("rediscover", target, "--smoke", "--seeds", "3", "--arms", "search",
                      "--runs", str(runs), "--out", str(out))
    assert again.returncode == 0 and "running" not in again.stderr
