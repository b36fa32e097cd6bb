"""Regularized evolution: the ask/tell core and exactly the state a checkpoint holds.

Owns the population and how it changes (Chen et al. 2023, Sec. 2.2, after Real et
al. 2019): a tournament of T members picks the fittest as parent, its mutated
child joins, the oldest member leaves. Steady state, no generations, so results
may arrive in any order from asynchronous workers. Children are re-mutated until
they pass abstract execution (invalid ones are reported to the caller, never
evaluated); a child whose cache key was seen before is answered from the cache
(or, with `require_new`, re-mutated). Restarts reset the population to copies of
the best program (plateau, or once for the budget's last candidates) or of the
seed (schedule).

`Evolution` performs no I/O: the loop records what it reports. Given the same
state and the same sequence of asks and tells it makes the same decisions, which
is what makes runs reproducible and resumable.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from dsl.fingerprint import fingerprint_unchecked
from dsl.hashing import semantic_hash_unchecked
from dsl.parser import parse
from dsl.program import Program
from proxy_tasks.floats import exact, from_exact
from search.cache import EvaluationCache
from search.config import SearchConfig
from search.proposal import (
    REDRAW_SAME,
    ChildContext,
    check_child,
    mutation_context,
    mutation_weights,
    propose_valid_child,
)
from search.records import (
    TUNED_CONSTANTS,
    WORST_FITNESS,
    Candidate,
    Member,
    Result,
    tuned_program,
)

#: Parents drawn in one ask before concluding mutation cannot make a valid child.
MAX_PARENT_DRAWS = 1000

#: Mutations whose children are meant to be neutral (an exact twin, an
#: expansion): `neutral_redraws` never redraws them.
NEUTRAL_BY_DESIGN = ("duplicate", "expand")


@dataclass(frozen=True)
class InvalidChild:
    """A generated child that failed abstract execution (recorded, never evaluated)."""

    id: int
    parent_id: int
    mutation: str
    program: Program
    reason: str


@dataclass
class Counters:
    """What the search has done so far (the paper's Fig. 2 curves come from these)."""

    generated: int = 0  # valid candidates asked (the seed included)
    evaluated: int = 0  # candidates scored by an evaluator
    cache_hits: int = 0  # candidates answered from the cache
    invalid: int = 0  # children rejected by abstract execution
    duplicates_skipped: int = 0  # children re-mutated under `require_new`
    neutral_redrawn: int = 0  # children re-mutated for behaving as their parent
    failed: int = 0  # evaluations with a failure status
    told: int = 0  # results integrated into the population
    redundant_sum: float = 0.0  # sum of redundant-statement fractions over candidates


@dataclass
class Restart:
    """A population reset: when (candidates told), from what, and why."""

    at_told: int
    source: str  # "best" or "seed"
    candidate_id: int


class Evolution:
    """The population and everything needed to continue the search exactly."""

    def __init__(self, config: SearchConfig, seed_program: Program):
        self.config = config
        self.context = mutation_context(config)
        self.ops = self.context.ops
        self.weights = mutation_weights(config)
        self.seed_program = seed_program
        self.rng = np.random.default_rng(config.seed)
        self.population: deque[Member] = deque()
        self.programs: dict[int, Program] = {}
        self.cache = EvaluationCache()
        self.counters = Counters()
        self.next_id = 0
        self.best: Member | None = None
        self.best_at_told = 0
        self.restarts: list[Restart] = []
        self.pending: dict[int, Candidate] = {}
        # Cache answers of pending candidates, as looked up when they were asked:
        # with several candidates asked ahead, a hit waits for the older ones to
        # be told, and a resume must not look it up again in a cache that has
        # grown since (nor count the lookup twice).
        self.answered: dict[int, Result] = {}
        # Candidates asked from a population a restart from the seed replaced,
        # not told yet: under `restarts.independent_walks` they do not join.
        self.stale: set[int] = set()
        # Fitnesses told so far, for the "shuffled" selection control: a member
        # ranks by one of them drawn at random, so selection sees the same
        # values as the real search, detached from the programs that earned them.
        self.told_fitnesses: list[float] = []
        # Cache keys of parents as they are kept (tuned constants written in);
        # a member's program never changes, so a key once computed stays right.
        self._parent_keys: dict[int, str] = {}

    # -- candidates -----------------------------------------------------------

    def make_candidate(
        self, program: Program, parent_id, mutation: str, attempts=1, unless_hash=None
    ) -> Candidate | None:
        """Analyse `program` into a candidate with the next id (raises InvalidProgram).

        Returns None, before the fingerprint (the dearer key) is computed and
        without using an id, if the program's semantic hash is `unless_hash`.
        """
        facts = check_child(program, self.config.max_length, self.config.tasks.executor_length)
        # `analyze` has checked the program; skip the keys' own re-check.
        program_hash = semantic_hash_unchecked(program)
        if program_hash == unless_hash:
            return None
        program_fingerprint = fingerprint_unchecked(program)
        key = self._cache_key(program_hash, program_fingerprint)
        candidate = Candidate(
            id=self.next_id,
            parent_id=parent_id,
            mutation=mutation,
            program=program,
            hash=program_hash,
            fingerprint=program_fingerprint,
            key=key,
            num_statements=facts.num_statements,
            num_live=facts.num_live,
            attempts=attempts,
        )
        self.next_id += 1
        return candidate

    def ask_seed(self) -> Candidate:
        """The seed candidate (id 0): it is evaluated before the search starts."""
        candidate = self.make_candidate(self.seed_program, None, "seed")
        self._asked(candidate)
        return candidate

    def ask(self) -> tuple[Candidate, list[InvalidChild]]:
        """Draw a parent by tournament and mutate it until a valid child appears.

        Returns:
            the child, and the invalid children generated on the way (to record).

        Raises:
            RuntimeError: no valid child after many parents (a broken op set).
        """
        invalid: list[InvalidChild] = []
        for _ in range(MAX_PARENT_DRAWS):
            parent = self.tournament()
            proposal = propose_valid_child(
                self.programs[parent.candidate_id], self.rng,
                self._child_context(parent.candidate_id, invalid),
            )
            if proposal is not None:
                self._asked(proposal.accepted)
                return proposal.accepted, invalid
        raise RuntimeError(
            f"no valid child after {MAX_PARENT_DRAWS} parents: check the op set and max_length"
        )

    def _child_context(self, parent_id: int, invalid: list[InvalidChild]) -> ChildContext:
        """Children of `parent_id` become candidates; invalid ones are numbered and
        collected in `invalid`; under `require_new` a known child is re-drawn, and
        with `mutation.neutral_redraws` a neutral one (see `_parent_keys_of`)."""
        redraws = self.config.mutation.neutral_redraws
        neutral_left = [redraws]

        def accept(child: Program, name: str, attempt: int) -> Candidate | None:
            # Neutral children are spotted by the parent's semantic hash first (an
            # edit of dead code keeps it), before the fingerprint is computed.
            parent = self._parent_keys_of(parent_id) if (
                neutral_left[0] and name not in NEUTRAL_BY_DESIGN) else None
            candidate = self.make_candidate(
                child, parent_id, name, attempt, unless_hash=parent and parent[0])
            if candidate is None or (parent and candidate.key == parent[1]):
                if candidate is not None:
                    self.next_id -= 1  # the id was never handed out
                neutral_left[0] -= 1
                self.counters.neutral_redrawn += 1
                return REDRAW_SAME  # the same kind of edit, elsewhere
            if self.config.require_new and self.is_known(candidate.key):
                self.counters.duplicates_skipped += 1
                self.next_id -= 1  # the id was never handed out
                return None
            return candidate

        def on_invalid(child: Program, name: str, reason: str) -> None:
            invalid.append(InvalidChild(self.next_id, parent_id, name, child, reason))
            self.next_id += 1
            self.counters.invalid += 1

        return ChildContext(
            self.context, self.weights, self.config.mutation.max_attempts, accept, on_invalid
        )

    def _parent_keys_of(self, parent_id: int) -> tuple[str, str]:
        """(semantic hash, cache key) of a parent as it is kept (tuned constants
        written in): a child with either behaves exactly as its parent, a
        neutral child, which the cache would answer at the parent's fitness
        (most edits of dead code). Duplication's children are never asked about:
        its exact copies are neutral on purpose (twins for later children to pull
        apart, `search.mutation`)."""
        keys = self._parent_keys.get(parent_id)
        if keys is None:
            if len(self._parent_keys) > 4096:
                self._parent_keys.clear()
            program = self.programs[parent_id]
            keys = (semantic_hash_unchecked(program), program_key(program, self.config.cache_key))
            self._parent_keys[parent_id] = keys
        return keys

    def _asked(self, candidate: Candidate) -> None:
        self.counters.generated += 1
        self.counters.redundant_sum += candidate.redundant_fraction
        self.pending[candidate.id] = candidate

    def is_known(self, key: str) -> bool:
        """Whether `key` was evaluated already or is being evaluated now."""
        return self.cache.peek(key) is not None or any(c.key == key for c in self.pending.values())

    def lookup(self, candidate: Candidate) -> Result | None:
        """The cache's answer for a just-asked candidate (counted, and kept with
        the candidate until it is told), or None when it must be evaluated."""
        found = self.cached_result(candidate)
        if found is not None:
            self.answered[candidate.id] = found
        return found

    def cached_result(self, candidate: Candidate) -> Result | None:
        """The cached result for `candidate`'s key, counting the hit or miss."""
        found = self.cache.get(candidate.key)
        if found is None:
            return None
        # Tuned constants belong to the program that was evaluated; a hit may be
        # another text with the same behaviour key, so it keeps its own constants.
        metrics = {k: v for k, v in found["metrics"].items() if k != TUNED_CONSTANTS}
        return Result(
            status=found["status"],
            fitness=found["fitness"],
            metrics=metrics,
            cache_hit=True,
        )

    def tournament(self) -> Member:
        """The fittest of T members drawn at random (earlier draw wins ties)."""
        size = min(self.config.tournament, len(self.population))
        picks = self.rng.choice(len(self.population), size=size, replace=False)
        return max((self.population[int(i)] for i in picks), key=lambda m: m.fitness)

    # -- results -------------------------------------------------------------

    def tell(self, candidate: Candidate, result: Result) -> list[Restart]:
        """Integrate a result: the child joins, the oldest leaves; maybe restart.

        Returns:
            the restarts this result triggered (usually none).
        """
        self.pending.pop(candidate.id, None)
        self.answered.pop(candidate.id, None)
        counters = self.counters
        counters.told += 1
        if result.cache_hit:
            counters.cache_hits += 1
        else:
            counters.evaluated += 1
            if is_cacheable(result):
                self.cache.put(candidate.key, cache_value(result))
        if result.status != "ok":
            counters.failed += 1
        fitness = result.fitness if result.status == "ok" else WORST_FITNESS
        member = Member(candidate.id, self._selection_fitness(fitness))
        self.programs[candidate.id] = self._inherited(candidate, result)
        if candidate.mutation == "seed":
            self.population = deque([member] * self.config.population)
        elif candidate.id in self.stale:
            self.stale.discard(candidate.id)  # a child of the walk a restart ended
        else:
            self.population.append(member)
            if len(self.population) > self.config.population:
                self.population.popleft()
        self._forget_unreferenced()
        if member.fitness > (self.best.fitness if self.best else -math.inf):
            self.best = member
            self.best_at_told = counters.told
        return self._maybe_restart()

    def _selection_fitness(self, fitness: float, told: bool = True) -> float:
        """What a member ranks by in tournaments and as the best: its fitness, or
        under a control (`selection`) a constant or a shuffled fitness. `told`:
        the fitness is a new result's (it joins the shuffled pool), not the
        seed's again at a restart."""
        if self.config.selection == "none":
            return 0.0
        if self.config.selection == "shuffled":
            if told or not self.told_fitnesses:
                self.told_fitnesses.append(fitness)
            return self.told_fitnesses[int(self.rng.integers(len(self.told_fitnesses)))]
        return fitness

    def _inherited(self, candidate: Candidate, result: Result) -> Program:
        """What the child passes on: its program with the tuned constants written
        in (Lamarckian), which also answers from the cache any later child that
        is exactly it, so a tuned structure is not re-tuned for nothing."""
        tuned = tuned_program(candidate.program, result.metrics)
        if tuned is not candidate.program and is_cacheable(result):
            key, value = tuned_cache_entry(tuned, result, self.config.cache_key)
            if self.cache.peek(key) is None:
                self.cache.put(key, value)
        return tuned

    def _maybe_restart(self) -> list[Restart]:
        restarts = []
        cfg = self.config.restarts
        told = self.counters.told
        exploit_from = self.config.max_candidates - cfg.best_for_last_candidates
        if cfg.best_for_last_candidates and told == exploit_from and self.best is not None:
            restarts.append(self._restart("best", self.best))
        elif (
            cfg.seed_every_candidates
            and told % cfg.seed_every_candidates == 0
            and not (cfg.best_for_last_candidates and told > exploit_from)
        ):
            seed = Member(0, self._selection_fitness(self._seed_fitness(), told=False))
            restarts.append(self._restart("seed", seed))
        elif (
            cfg.plateau_candidates
            and self.best is not None
            and told - max(self.best_at_told, self._last_restart_at()) >= cfg.plateau_candidates
        ):
            restarts.append(self._restart("best", self.best))
        return restarts

    def _seed_entry(self) -> dict | None:
        """The seed's cached result if it scored ok, else None."""
        found = self.cache.peek(self._seed_key)
        return found if found and found["status"] == "ok" else None

    def _seed_fitness(self) -> float:
        found = self._seed_entry()
        return found["fitness"] if found else WORST_FITNESS

    def _inherited_seed(self) -> Program:
        # The seed as the run first held it: with the constants its tuning picked
        # (Lamarckian, as every member), so a restart from the seed is the start
        # of an independent walk, not a walk from the untuned text.
        found = self._seed_entry()
        if found is None:
            return self.seed_program
        return tuned_program(self.seed_program, found["metrics"])

    @property
    def _seed_key(self) -> str:
        # The seed passed analysis as candidate 0, so the unchecked keys apply.
        return program_key(self.seed_program, self.config.cache_key)

    def _cache_key(self, program_hash: str, program_fingerprint: str) -> str:
        """The key the config's `cache_key` names."""
        return program_hash if self.config.cache_key == "hash" else program_fingerprint

    def _last_restart_at(self) -> int:
        return self.restarts[-1].at_told if self.restarts else 0

    def _restart(self, source: str, member: Member) -> Restart:
        self.population = deque([member] * self.config.population)
        if source == "seed":
            self.programs[0] = self._inherited_seed()
            self._parent_keys.pop(0, None)  # the seed is now kept tuned
            if self.config.restarts.independent_walks:
                self.stale = set(self.pending) | set(self.answered)
        self._forget_unreferenced()
        restart = Restart(self.counters.told, source, member.candidate_id)
        self.restarts.append(restart)
        return restart

    def _forget_unreferenced(self) -> None:
        # Programs are kept only while a member or the best refers to them.
        keep = {m.candidate_id for m in self.population}
        if self.best is not None:
            keep.add(self.best.candidate_id)
        if len(self.programs) > 2 * len(keep) + 16:
            self.programs = {i: p for i, p in self.programs.items() if i in keep}

    # -- summaries -----------------------------------------------------------

    def median_fitness(self) -> float:
        finite = [m.fitness for m in self.population if math.isfinite(m.fitness)]
        return float(np.median(finite)) if finite else WORST_FITNESS

    @property
    def redundant_fraction(self) -> float:
        """Mean redundant-statement fraction over all generated candidates."""
        n = self.counters.generated
        return self.counters.redundant_sum / n if n else 0.0

    # -- checkpoint state ------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything needed to continue exactly: plain data for a JSON checkpoint."""
        ids = {m.candidate_id for m in self.population} | set(
            [self.best.candidate_id] if self.best else []
        )
        return {
            "population": [[m.candidate_id, exact(m.fitness)] for m in self.population],
            "programs": {str(i): self.programs[i].to_text() for i in sorted(ids)},
            "rng": self.rng.bit_generator.state,
            # Cache entries are not stored: every one is a recorded evaluation, and
            # the run store rebuilds them (`from_state(..., cache_entries)`), which
            # keeps checkpoints the size of the population, not of the search.
            "cache_counters": {"hits": self.cache.hits, "misses": self.cache.misses},
            "counters": asdict(self.counters),
            "next_id": self.next_id,
            "best": [self.best.candidate_id, exact(self.best.fitness)] if self.best else None,
            "best_at_told": self.best_at_told,
            "restarts": [asdict(r) for r in self.restarts],
            "pending": [candidate_to_dict(c) for c in self.pending.values()],
            "answered": {str(i): answer_to_dict(r) for i, r in self.answered.items()},
            "told_fitnesses": [exact(f) for f in self.told_fitnesses],
            "stale": sorted(self.stale),
        }

    @classmethod
    def from_state(
        cls, config: SearchConfig, seed_program: Program, state: dict, cache_entries=()
    ) -> "Evolution":
        """Rebuild from `state()`; `cache_entries` are (key, value) pairs in the
        order they were put (the evaluations told up to the checkpoint)."""
        evolution = cls(config, seed_program)
        evolution.population = deque(
            Member(int(i), from_exact(f)) for i, f in state["population"]
        )
        evolution.programs = {int(i): parse(t) for i, t in state["programs"].items()}
        evolution.rng.bit_generator.state = state["rng"]
        evolution.cache = EvaluationCache.from_state(
            {"entries": list(cache_entries), **state["cache_counters"]}
        )
        evolution.counters = Counters(**state["counters"])
        evolution.next_id = state["next_id"]
        if state["best"] is not None:
            evolution.best = Member(int(state["best"][0]), from_exact(state["best"][1]))
        evolution.best_at_told = state["best_at_told"]
        evolution.restarts = [Restart(**r) for r in state["restarts"]]
        evolution.pending = {
            c["id"]: candidate_from_dict(c) for c in state["pending"]
        }
        # Checkpoints written before asking ahead existed hold no answers (every
        # cache hit was told at once, so none was pending).
        evolution.answered = {
            int(i): answer_from_dict(a) for i, a in state.get("answered", {}).items()
        }
        # Only shuffled selection reads the told fitnesses; any other run keeps
        # none, whatever the checkpoint holds.
        if config.selection == "shuffled":
            evolution.told_fitnesses = [
                from_exact(f) for f in state.get("told_fitnesses", [])]
        # Likewise the stale children: only independent walks read them.
        if config.restarts.independent_walks:
            evolution.stale = {int(i) for i in state.get("stale", [])}
        return evolution


def is_cacheable(result: Result) -> bool:
    """Evaluated results are cached, except losses of a worker (not the program's doing)."""
    return not result.cache_hit and result.status != "worker_lost"


def program_key(program: Program, cache_key: str) -> str:
    """The cache key of a valid program under the config's `cache_key`."""
    if cache_key == "hash":
        return semantic_hash_unchecked(program)
    return fingerprint_unchecked(program)


def tuned_cache_entry(tuned: Program, result: Result, cache_key: str):
    """(key, value) under which a tuned child's result also answers for `tuned`,
    its program with the tuned constants written in (the constants themselves are
    left out: `tuned` already holds them)."""
    own = {k: v for k, v in result.metrics.items() if k != TUNED_CONSTANTS}
    return program_key(tuned, cache_key), cache_value(replace(result, metrics=own))


def cache_value(result: Result) -> dict[str, Any]:
    return {"status": result.status, "fitness": result.fitness, "metrics": result.metrics}


def answer_to_dict(result: Result) -> dict[str, Any]:
    """A pending candidate's cache answer as checkpoint data (fitness exact)."""
    return {"status": result.status, "fitness": exact(result.fitness), "metrics": result.metrics}


def answer_from_dict(data: dict[str, Any]) -> Result:
    return Result(
        status=data["status"], fitness=from_exact(data["fitness"]),
        metrics=dict(data["metrics"]), cache_hit=True,
    )


def candidate_to_dict(candidate: Candidate) -> dict[str, Any]:
    data = {k: v for k, v in candidate.__dict__.items() if k != "program"}
    data["text"] = candidate.program.to_text()
    return data


def candidate_from_dict(data: dict[str, Any]) -> Candidate:
    fields = dict(data)
    fields["program"] = parse(fields.pop("text"))
    return Candidate(**fields)

