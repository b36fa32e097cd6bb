"""Benchmark: the driver's ceiling, the candidates per second one search process sustains.

A cluster's workers are only useful while the driver can feed them: every
candidate costs the driver a tournament, mutations until a valid child, abstract
execution, the semantic hash and the fingerprint, a cache lookup, and a row in the
run store (plus checkpoints). This part runs the real search loop of a config
(the golden `lion.yaml` by default: its population, mutations and fingerprint
cache) against an evaluator that costs nothing and holds `workers x depth`
candidates in flight, so the driver's own work is all there is. The fitness it
returns is a pseudo-random number fixed by each program's cache key, so the
population turns over and selection works as with real scores.

Reports the sustained rate (candidates per second over the search, the final
report excluded), and the driver's seconds per candidate by phase: asking
(mutation and analysis), telling (population, cache and run store), and
checkpoints.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections import deque
from pathlib import Path

from search.config import config_from_dict, read_config
from search.loop import SearchRunner
from search.records import Result
from search.store import RunStore

#: The golden config's name under `configs/`.
GOLDEN = "lion.yaml"


class ZeroCostEvaluator:
    """Holds `capacity` candidates in flight and answers each at once with a
    fitness drawn from its cache key (the same key, the same fitness)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.queue: deque = deque()

    def submit(self, candidate, spec=None) -> None:
        self.queue.append(candidate)

    def collect(self):
        done = list(self.queue)
        self.queue.clear()
        return [(c, Result("ok", _fitness(c.key), worker="zero-cost")) for c in done]

    def close(self) -> None:
        self.queue.clear()


def _fitness(key: str) -> float:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class _PhaseTimedRunner(SearchRunner):
    """The search loop, adding up the seconds spent in each of its phases."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phase_s = {"ask": 0.0, "tell": 0.0, "checkpoint": 0.0, "close": 0.0}

    def _timed(self, phase: str, call, *args, **kwargs):
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self.phase_s[phase] += time.perf_counter() - started

    def ask(self):
        return self._timed("ask", super().ask)

    def tell(self, candidate, result, record=True):
        return self._timed("tell", super().tell, candidate, result, record)

    def checkpoint(self):
        return self._timed("checkpoint", super().checkpoint)

    def close_session(self, started):
        return self._timed("close", super().close_session, started)


def measure_driver(
    num_candidates: int = 3000, workers: int = 64, depth: int = 2, config_path: Path | None = None
) -> dict:
    """Run `num_candidates` of the golden config's search at zero evaluation cost.

    Args:
        workers, depth: simulated workers and calls queued per worker; the search
            asks `workers x depth` candidates ahead so all of them are busy.

    Returns:
        a flat dict: `driver_candidates_per_s` (sustained, final report excluded)
        and seconds per candidate by phase.
    """
    from dsl.library import configs_dir

    config_path = config_path or configs_dir() / GOLDEN
    raw = read_config(
        config_path,
        [f"max_candidates={num_candidates}", f"ask_ahead={workers * depth}",
         f"restarts.best_for_last_candidates={num_candidates // 10}"],
    )
    # The search's own sections only: the funnel's are not the driver's work.
    config = config_from_dict(
        {k: v for k, v in raw.items() if k not in ("funnel", "metaval")}, str(config_path)
    )
    evaluator = ZeroCostEvaluator(workers * depth)
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "run")
        runner = _PhaseTimedRunner(config, store, evaluator, notify=lambda line: None)
        started = time.perf_counter()
        outcome = runner.run()
        wall = time.perf_counter() - started
        store.close()
    phases = runner.phase_s
    search_s = wall - phases["close"]
    per = 1e6 / outcome.generated
    return {
        "driver_candidates": outcome.generated,
        "driver_simulated_workers": workers,
        "driver_cache_hits": outcome.cache_hits,
        "driver_invalid_children": outcome.invalid,
        "driver_candidates_per_s": outcome.generated / search_s,
        "driver_us_ask": per * phases["ask"],
        "driver_us_tell": per * (phases["tell"] - phases["checkpoint"]),
        "driver_us_checkpoint": per * phases["checkpoint"],
        "driver_us_other": per * (search_s - phases["ask"] - phases["tell"]),
        "driver_final_report_s": phases["close"],
    }
