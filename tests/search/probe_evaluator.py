"""A cheap, deterministic evaluator for testing the search logic without training.

It honours the evaluator contract (capacity / submit(candidate, spec=None) /
collect / close; `tests/search/test_evaluator_contract.py` checks it) and scores
a program by how close its updates on the fingerprint probe come to a fixed
target size (1e-3 per coordinate), so evolution has something to climb in
milliseconds. Tests of the real scorers use real tasks; this one tests the loop.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from dsl.fingerprint import probe_updates
from search.records import WORST_FITNESS, Result


def probe_fitness(program) -> Result:
    with np.errstate(all="ignore"):
        updates = probe_updates(program)
    if not np.all(np.isfinite(updates)):
        return Result("nonfinite", WORST_FITNESS, {}, 0.0, "non-finite probe update")
    size = float(np.mean(np.abs(updates)))
    fitness = -abs(np.log10(size + 1e-30) + 3.0)
    return Result("ok", fitness, {"probe_size": size}, 0.0, worker="probe")


class ProbeEvaluator:
    """Scores in submit order; `capacity` > 1 lets several candidates be in flight."""

    def __init__(self, capacity: int = 1, order: str = "fifo"):
        self.capacity = capacity
        self.order = order
        self.queue: deque = deque()
        self.submitted: list[int] = []

    def submit(self, candidate, spec=None) -> None:
        # The probe has no tasks, so a funnel stage's `spec` changes nothing.
        self.submitted.append(candidate.id)
        self.queue.append(candidate)

    def collect(self):
        if not self.queue:
            return []
        # "lifo" returns the newest first: results out of submission order, as
        # asynchronous workers deliver them.
        candidate = self.queue.pop() if self.order == "lifo" else self.queue.popleft()
        return [(candidate, probe_fitness(candidate.program))]

    def close(self) -> None:
        self.queue.clear()
