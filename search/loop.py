"""The search loop: ask -> evaluate -> tell -> record -> maybe checkpoint -> maybe restart.

Owns running a search to its budget against a run store and an evaluator, and
resuming one. Resume is a replay: the checkpoint gives the state after its last
told candidate; the rows told after it are fed back in their recorded order, with
the asks that preceded each (the RNG regenerates the same candidates). So a kill
(even `kill -9` mid-write) loses at most the evaluations in flight, and a resumed
serial run ends identical to an uninterrupted one.

A checkpoint that is damaged, from another run, or disagrees with the database is
not used (`search.recovery`): the state is rebuilt by replaying every row from the
start, and the run says so in one line. A full disk stops the run with one line
(`DiskFull`); the last good checkpoint and every committed row stay, so the run
resumes once there is space.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dsl.program import Program
from search.config import SearchConfig
from search.errors import UserError
from search.evaluators import Evaluator
from search.programs import load_named
from search.progress import Progress
from search.records import Candidate, Result
from search.recovery import restore_evolution
from search.report import write_report
from search.resume_config import config_for_row
from search.store import DB_FILE, RunStore, disk_full_as_user_error, is_disk_full


#: Least wall time between two periodic reports.
REPORT_MIN_INTERVAL_S = 20.0


class StoreMismatch(UserError):
    """The database does not replay as this run's search (the run directory was edited)."""


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
        notify=None,
    ):
        self.config = config
        self.store = store
        self.evaluator = evaluator
        self.progress = progress or Progress(config.max_candidates, enabled=False)
        # Callables `hook(runner)` run after every tell (meta-validation uses this).
        self.hooks = hooks or []
        # One-line notices for the user (stderr by default).
        self.notify = notify or (lambda line: print(line, file=sys.stderr, flush=True))
        seed = load_named(config.seed_program, config.max_length)
        self.evolution, problem = restore_evolution(config, seed, store)
        if problem:
            self.notify(
                f"{store.dir}: {problem}; rebuilding the search state from {DB_FILE} "
                f"({store.last_told()} told candidates)"
            )
        # Submitted to the evaluator, result not collected yet.
        self.in_flight: dict[int, Candidate] = {}
        if evaluator.capacity > config.ask_ahead:
            self.notify(
                f"note: ask_ahead is {config.ask_ahead}, so at most {config.ask_ahead} "
                f"candidate{'s' * (config.ask_ahead != 1)} can be scored at once, while "
                f"the evaluator takes {evaluator.capacity}; set ask_ahead="
                f"{2 * evaluator.capacity} to keep its workers busy (a different walk)"
            )
        # Collected results waiting for older candidates to be told first.
        self.results: dict[int, Result] = {}
        self._stop = False
        self._seed_submitted = time.time()  # when the seed (and compiling) started
        self._last_report = time.time()

    # -- phases ---------------------------------------------------------------

    def run(self) -> RunOutcome:
        started = time.time()
        previous_handler = signal.signal(signal.SIGTERM, self._request_stop)
        interrupted = False
        try:
            with disk_full_as_user_error(self.store.dir):
                try:
                    self.replay()
                    self.announce_resume()
                    self.resubmit_pending()
                    while not self._stop and not self.done():
                        self.step()
                except KeyboardInterrupt:
                    interrupted = True
                except BaseException as exc:
                    # On a full disk nothing more can be written: the last good
                    # checkpoint stays, and resume replays the rows committed after it.
                    if not is_disk_full(exc):
                        self.close_session(started)
                    raise
                wall_s = self.close_session(started)
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
            self.progress.close()
        return self.outcome(wall_s, interrupted or self._stop)

    def close_session(self, started: float) -> float:
        """Checkpoint, record the session's wall time and write the report."""
        self.checkpoint()
        wall_s = time.time() - started
        counters = self.evolution.counters
        self.store.record_event(
            "session", counters.told,
            {"wall_s": wall_s, "neutral_redrawn": counters.neutral_redrawn},
        )
        write_report(self.store, self.config.population)
        return wall_s

    def replay(self) -> None:
        """Feed back rows told after the checkpoint, with the asks that preceded them."""
        evolution = self.evolution
        try:
            rows = list(self.store.told_after(evolution.counters.told))
        except (ValueError, TypeError) as exc:  # a hand-edited column (JSON, type)
            raise StoreMismatch(
                f"{self.store.dir / DB_FILE}: a told row cannot be read back ({exc}); "
                "was the database edited?"
            ) from None
        if len(rows) > 100:
            self.progress.note(f"replaying {len(rows)} recorded candidates...")
        # A row is told again under its session's population and budget (a resume
        # may change them; `search.resume_config`), the search goes on under ours.
        sessions = self.store.session_configs()
        for row in rows:
            evolution.config = config_for_row(self.config, sessions, row.told_seq)
            if not isinstance(row.generated_at_tell, int):
                raise StoreMismatch(
                    f"{self.store.dir / DB_FILE}: candidate {row.id} has no valid "
                    "generated_at_tell; was the database edited?"
                )
            while evolution.counters.generated < row.generated_at_tell:
                self.ask()
            candidate = evolution.pending.get(row.id)
            if candidate is None or candidate.text != row.text:
                raise StoreMismatch(
                    f"{self.store.dir}: candidate {row.id} in the database does not match "
                    "the replayed search; was the run directory edited?"
                )
            self.tell(candidate, row.result(), record=False)
        evolution.config = self.config

    def announce_resume(self) -> None:
        """Say where a resumed run picks up (its first evaluation compiles again)."""
        counters = self.evolution.counters
        if counters.told and not self.done():
            tasks = len(self.config.tasks.proxy)
            self.progress.note(
                f"resuming at {counters.generated} of {self.config.max_candidates} "
                f"candidates (the first evaluation compiles {tasks} "
                f"task{'s' * (tasks != 1)} again)..."
            )

    def resubmit_pending(self) -> None:
        """Send out candidates that were asked but never told (in flight at the
        kill); one the cache answered when it was asked keeps that answer."""
        for candidate in list(self.evolution.pending.values()):
            if candidate.id not in self.evolution.answered:
                self.submit(candidate)

    def done(self) -> bool:
        counters = self.evolution.counters
        return counters.generated >= self.config.max_candidates and not self.evolution.pending

    def step(self) -> None:
        """Ask ahead, then tell the oldest pending candidate if its result is in,
        else wait for results. One tell per step, and asks after every tell, is
        what makes the schedule independent of the evaluator (`ask_ahead`)."""
        self.fill()
        if not self.tell_oldest():
            self.collect()

    def fill(self) -> None:
        """Ask until `ask_ahead` candidates are pending (cache hits included)."""
        evolution = self.evolution
        while (
            len(evolution.pending) < self.config.ask_ahead
            and evolution.counters.generated < self.config.max_candidates
            and not self._stop
        ):
            if evolution.counters.told == 0 and evolution.counters.generated > 0:
                return  # the seed is being scored; nothing to select parents from yet
            candidate, cached = self.ask()
            if cached is None:
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
        return candidate, evolution.lookup(candidate)

    def submit(self, candidate: Candidate) -> None:
        if candidate.mutation == "seed":
            tasks = len(self.config.tasks.proxy)
            self.progress.note(
                f"scoring the seed program (compiling {tasks} task{'s' * (tasks != 1)} "
                "on first use, typically 10-30 s)..."
            )
            self._seed_submitted = time.time()
        self.in_flight[candidate.id] = candidate
        self.evaluator.submit(candidate)

    def collect(self) -> None:
        """Wait for results and keep them until their candidates' turn to be told."""
        for candidate, result in self.evaluator.collect():
            self.in_flight.pop(candidate.id, None)
            self.results[candidate.id] = result

    def tell_oldest(self) -> bool:
        """Tell the oldest pending candidate if its result (or cache answer) is in."""
        evolution = self.evolution
        if not evolution.pending:
            return False
        oldest = next(iter(evolution.pending.values()))  # dicts keep ask order
        result = self.results.pop(oldest.id, None) or evolution.answered.get(oldest.id)
        if result is None:
            return False
        self.tell(oldest, result)
        return True

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
        if candidate.mutation == "seed" and record:
            self.progress.note(
                f"seed fitness {result.fitness:.4f} "
                f"({time.time() - self._seed_submitted:.1f} s); "
                f"searching {self.config.max_candidates} candidates..."
            )
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
