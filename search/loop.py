"""The search loop: ask -> evaluate -> tell -> record -> maybe checkpoint -> maybe restart.

Owns running a search to its budget against a run store and an evaluator, and
resuming one. Resume is a replay: the checkpoint gives the state after its last
told candidate; the rows told after it are fed back in their recorded order, with
the asks that preceded each (the RNG regenerates the same candidates). So a kill
(even `kill -9` mid-write) loses at most the evaluations in flight, and a resumed
serial run ends identical to an uninterrupted one.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path

from dsl.loading import load_program
from dsl.program import Program
from search.config import SearchConfig
from search.errors import UserError
from search.evaluators import Evaluator
from search.evolution import Evolution, cache_value, is_cacheable
from search.progress import Progress
from search.records import Candidate, Result
from search.report import write_report
from search.store import RunStore


#: Least wall time between two periodic reports.
REPORT_MIN_INTERVAL_S = 20.0


class StoreMismatch(RuntimeError):
    """The run store and the checkpoint disagree (the run directory was edited)."""


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended."""

    run_dir: Path
    generated: int
    evaluated: int
    cache_hits: int
    invalid: int
    best_fitness: float
    best_program: Program | None
    wall_s: float
    interrupted: bool


class SearchRunner:
    """Drives one run; holds the evolution, the store and the evaluator."""

    def __init__(
        self,
        config: SearchConfig,
        store: RunStore,
        evaluator: Evaluator,
        progress: Progress | None = None,
        hooks: list | None = None,
    ):
        self.config = config
        self.store = store
        self.evaluator = evaluator
        self.progress = progress or Progress(config.max_candidates, enabled=False)
        # Callables `hook(runner)` run after every tell (meta-validation uses this).
        self.hooks = hooks or []
        seed = load_program(config.seed_program, config.max_length)
        checkpoint = store.load_checkpoint()
        if checkpoint is None:
            self.evolution = Evolution(config, seed)
        else:
            entries = (
                (key, cache_value(result))
                for key, result in store.evaluated_up_to(
                    checkpoint["counters"]["told"], config.cache_key
                )
                if is_cacheable(result)
            )
            self.evolution = Evolution.from_state(config, seed, checkpoint, entries)
        self.in_flight: dict[int, Candidate] = {}
        self._stop = False
        self._last_report = time.time()

    # -- phases ---------------------------------------------------------------

    def run(self) -> RunOutcome:
        started = time.time()
        previous_handler = signal.signal(signal.SIGTERM, self._request_stop)
        interrupted = False
        try:
            self.replay()
            self.resubmit_pending()
            while not self._stop and not self.done():
                self.fill()
                self.integrate(self.evaluator.collect())
        except KeyboardInterrupt:
            interrupted = True
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
            interrupted = interrupted or self._stop
            self.checkpoint()
            wall_s = time.time() - started
            self.store.record_event("session", self.evolution.counters.told, {"wall_s": wall_s})
            write_report(self.store, self.config.population)
            self.progress.close()
        return self.outcome(wall_s, interrupted)

    def replay(self) -> None:
        """Feed back rows told after the checkpoint, with the asks that preceded them."""
        evolution = self.evolution
        for row in self.store.told_after(evolution.counters.told):
            while evolution.counters.generated < row.generated_at_tell:
                self.ask()
            candidate = evolution.pending.get(row.id)
            if candidate is None or candidate.text != row.text:
                raise StoreMismatch(
                    f"{self.store.dir}: candidate {row.id} in the database does not match "
                    "the replayed search; was the run directory edited?"
                )
            self.tell(candidate, row.result(), record=False)

    def resubmit_pending(self) -> None:
        """Send out candidates that were asked but never told (in flight at the kill)."""
        for candidate in list(self.evolution.pending.values()):
            self.submit(candidate)

    def done(self) -> bool:
        counters = self.evolution.counters
        return counters.generated >= self.config.max_candidates and not self.evolution.pending

    def fill(self) -> None:
        """Ask until the evaluator is full, telling cache hits at once."""
        evolution = self.evolution
        while (
            len(self.in_flight) < self.evaluator.capacity
            and evolution.counters.generated < self.config.max_candidates
            and not self._stop
        ):
            if evolution.counters.told == 0 and evolution.counters.generated > 0:
                return  # the seed is being scored; nothing to select parents from yet
            candidate, cached = self.ask()
            if cached is not None:
                self.tell(candidate, cached)
            else:
                self.submit(candidate)

    def ask(self) -> tuple[Candidate, Result | None]:
        """One ask (the seed first), its invalid siblings recorded, its cache lookup."""
        evolution = self.evolution
        if evolution.counters.generated == 0:
            candidate = evolution.ask_seed()
        else:
            candidate, invalid = evolution.ask()
            for child in invalid:
                self.store.record_invalid(child)
        return candidate, evolution.cached_result(candidate)

    def submit(self, candidate: Candidate) -> None:
        self.in_flight[candidate.id] = candidate
        self.evaluator.submit(candidate)

    def integrate(self, results: list[tuple[Candidate, Result]]) -> None:
        for candidate, result in results:
            self.in_flight.pop(candidate.id, None)
            self.tell(candidate, result)

    def tell(self, candidate: Candidate, result: Result, record: bool = True) -> None:
        evolution = self.evolution
        generated_at_tell = evolution.counters.generated
        restarts = evolution.tell(candidate, result)
        told = evolution.counters.told
        if record:
            self.store.record_told(candidate, result, told, generated_at_tell)
        for restart in restarts:
            if not self.store.has_event("restart", told):
                self.store.record_event(
                    "restart", told, {"source": restart.source, "candidate_id": restart.candidate_id}
                )
        if candidate.mutation == "seed" and result.status != "ok":
            raise SeedFailed(f"the seed program fails on the tasks: {result.status}: {result.message}")
        if record:
            for hook in self.hooks:
                hook(self)
            if told % self.config.checkpoint_every == 0:
                self.checkpoint()
            if told % self.config.report_every == 0 and self._report_due():
                write_report(self.store, self.config.population)
                self._last_report = time.time()
            self.progress.update(evolution)

    def _report_due(self) -> bool:
        # Plotting costs ~0.3 s; at most one periodic report per interval keeps it a
        # small share of a fast search's wall time (the final report always runs).
        return time.time() - self._last_report >= REPORT_MIN_INTERVAL_S

    def checkpoint(self) -> None:
        self.store.save_checkpoint(self.evolution.state())

    def _request_stop(self, signum, frame) -> None:
        self._stop = True

    def outcome(self, wall_s: float, interrupted: bool) -> RunOutcome:
        evolution = self.evolution
        best = evolution.best
        counters = evolution.counters
        return RunOutcome(
            run_dir=self.store.dir,
            generated=counters.generated,
            evaluated=counters.evaluated,
            cache_hits=counters.cache_hits,
            invalid=counters.invalid,
            best_fitness=best.fitness if best else float("-inf"),
            best_program=evolution.programs.get(best.candidate_id) if best else None,
            wall_s=wall_s,
            interrupted=interrupted,
        )


class SeedFailed(UserError):
    """The seed program cannot be scored on the configured tasks."""
