"""The search's records: candidates, their results, and population members.

Owns the small immutable values the loop passes around and the run store
persists. A `Candidate` is fixed when it is generated (ask time); a `Result` is
what came back for it (tell time), from an evaluation or from the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dsl.constants import with_constants
from dsl.analysis import redundant_fraction
from dsl.program import Program
from proxy_tasks.floats import WORST_FITNESS  # noqa: F401 - the records' failure value

#: `Result.metrics` key of the live constants constant tuning picked (a list, in
#: `dsl.constants.constant_slots` order); absent when the program's own won.
TUNED_CONSTANTS = "tuned_constants"


@dataclass(frozen=True)
class Candidate:
    """A generated program with its identity and lineage.

    Attributes:
        id: unique in the run, in generation order (the seed is 0).
        parent_id: the parent's id (None for the seed).
        mutation: how it was made: "seed" or a name in `search.mutation.MUTATIONS`.
        program: the program, dead code included (scaffolding for later mutations).
        hash: semantic hash; fingerprint: behavioural fingerprint; key: the one the
            cache is keyed by (per the config's `cache_key`).
        num_statements, num_live: length and live length.
        attempts: mutations tried before this valid child appeared.
    """

    id: int
    parent_id: int | None
    mutation: str
    program: Program
    hash: str
    fingerprint: str
    key: str
    num_statements: int
    num_live: int
    attempts: int = 1

    @property
    def text(self) -> str:
        return self.program.to_text()

    @property
    def redundant_fraction(self) -> float:
        return redundant_fraction(self.num_statements, self.num_live)


@dataclass(frozen=True)
class Result:
    """The outcome for one candidate.

    Attributes:
        status: "ok", or the failure kind ("nonfinite", "diverged", "timeout",
            "invalid", "error", "worker_lost").
        fitness: higher is better; `WORST_FITNESS` for failures.
        metrics: per-task numbers from the scorer.
        seconds: evaluation wall time (0 for a cache hit).
        message: the reason for a failure.
        cache_hit: answered from the cache without evaluation.
        worker, node: who evaluated it ("" for cache hits and serial runs' node).
    """

    status: str
    fitness: float
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""
    cache_hit: bool = False
    worker: str = ""
    node: str = ""


def tuned_program(program: Program, metrics: dict[str, Any]) -> Program:
    """`program` as the search keeps it: with the constants tuning picked, if any."""
    constants = metrics.get(TUNED_CONSTANTS) if metrics else None
    return with_constants(program, constants) if constants else program


@dataclass(frozen=True)
class Member:
    """A population slot: which candidate, and its fitness (what tournaments compare)."""

    candidate_id: int
    fitness: float
