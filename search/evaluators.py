"""The evaluator contract, and the serial (in-process) evaluator.

Owns how the search loop hands candidates out and gets results back. Every
evaluator has the same contract, so the loop cannot tell them apart and both give
the same results on the same inputs:

    capacity                 how many candidates may be in flight
    submit(candidate)        start scoring a candidate
    collect() -> [(candidate, result), ...]
                             block until at least one result is ready
    close()                  release workers

The Ray evaluator (`search.ray_evaluator`, the one module that imports ray)
implements it with a pool of worker actors.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from search.records import Candidate, Result
from search.scoring import ScorerSpec, build_scorer, score


class Evaluator(Protocol):
    capacity: int

    def submit(self, candidate: Candidate) -> None: ...

    def collect(self) -> list[tuple[Candidate, Result]]: ...

    def close(self) -> None: ...


class SerialEvaluator:
    """Scores candidates one at a time in this process (deterministic order)."""

    capacity = 1

    def __init__(self, spec: ScorerSpec):
        self.spec = spec
        self.scorer = build_scorer(spec)
        self.queue: deque[Candidate] = deque()

    def submit(self, candidate: Candidate) -> None:
        self.queue.append(candidate)

    def collect(self) -> list[tuple[Candidate, Result]]:
        if not self.queue:
            return []
        candidate = self.queue.popleft()
        return [(candidate, score(self.scorer, candidate.program, worker="serial"))]

    def close(self) -> None:
        self.queue.clear()
