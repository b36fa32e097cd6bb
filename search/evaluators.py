"""The evaluator contract, and the serial (in-process) evaluator.

Owns how the search loop hands candidates out and gets results back. Every
evaluator has the same contract, so the loop cannot tell them apart and both give
the same results on the same inputs:

    capacity                 how many candidates may be in flight
    submit(candidate, spec=None)
                             start scoring a candidate; `spec` scores it on
                             other tasks than the search's (funnel stages),
                             each worker keeping one compiled scorer per spec
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

    def submit(self, candidate: Candidate, spec: ScorerSpec | None = None) -> None: ...

    def collect(self) -> list[tuple[Candidate, Result]]: ...

    def close(self) -> None: ...


class SerialEvaluator:
    """Scores candidates one at a time in this process (deterministic order)."""

    capacity = 1

    def __init__(self, spec: ScorerSpec):
        self.spec = spec
        self.scorer = build_scorer(spec)
        self.scorers = {spec: self.scorer}
        self.queue: deque[tuple[Candidate, ScorerSpec]] = deque()

    def submit(self, candidate: Candidate, spec: ScorerSpec | None = None) -> None:
        self.queue.append((candidate, spec or self.spec))

    def collect(self) -> list[tuple[Candidate, Result]]:
        if not self.queue:
            return []
        candidate, spec = self.queue.popleft()
        if spec not in self.scorers:
            self.scorers[spec] = build_scorer(spec)
        return [(candidate, score(self.scorers[spec], candidate.program, worker="serial"))]

    def close(self) -> None:
        self.queue.clear()
        self.scorers = {self.spec: self.scorer}
