"""Whether a run's checkpoint can be trusted, judged against its database.

Owns the rule that the database is the record and the checkpoint only a shortcut.
A checkpoint is used when it parses within the bounds its config sets (size,
nesting) and has a checkpoint's shape (`search.checkpoint_shape`: no unknown or
missing key, every field of its type), carries this run's id (or none, from
before ids existed) and agrees with the rows it claims to summarise: how many
were told, how many were cache hits, failures and invalid children, which was
best and when, the restarts, the program text and fitness of every member it
keeps, the next id, and candidates in flight that an ask could have made.
Otherwise the search state is rebuilt by replaying every
row from the start (`SearchRunner.replay`), which ends where the rows end, exactly
as an intact checkpoint would have. The one case that cannot be rebuilt is a
checkpoint whose database has lost every row (deleted or replaced): resuming would
silently start over, so it is refused.
"""

from __future__ import annotations

import math
import sqlite3

from dsl.analysis import analyze
from dsl.parser import parse
from dsl.program import Program
from search.checkpoint_shape import max_checkpoint_bytes, shape_problem
from search.config import SearchConfig
from search.errors import UserError
from search.evolution import (
    Evolution, cache_value, is_cacheable, program_key, tuned_cache_entry,
)
from search.mutation import MUTATIONS
from search.records import TUNED_CONSTANTS, Candidate, tuned_program
from search.store import CHECKPOINT_FILE, DB_FILE, RunStore


class LostDatabase(UserError):
    """The checkpoint describes rows the database does not have at all."""


def restore_evolution(
    config: SearchConfig, seed: Program, store: RunStore
) -> tuple[Evolution, str | None]:
    """The search state to continue from, and why the checkpoint was not used.

    Returns:
        the evolution (from the checkpoint, or fresh for a replay from the start)
        and None, or a reason (one clause) when a checkpoint exists but was not
        trusted and the state must be rebuilt from the database.

    Raises:
        LostDatabase: the checkpoint has told rows but the database has none.
    """
    fresh = Evolution(config, seed)
    try:
        state = store.load_checkpoint(max_checkpoint_bytes(config))
    except (ValueError, UnicodeDecodeError) as exc:
        return fresh, f"{CHECKPOINT_FILE} is unreadable ({_short(exc)})"
    if state is None:
        return fresh, None
    shape = shape_problem(state, set(fresh.state()))
    if shape:
        return fresh, f"{CHECKPOINT_FILE} is damaged ({shape})"
    told = state["counters"]["told"]
    try:
        evolution = Evolution.from_state(config, seed, state, _cache_entries(store, told, config))
    except sqlite3.DatabaseError:
        raise  # the database is damaged, not the checkpoint
    except Exception as exc:  # noqa: BLE001 - any malformed field means "not usable"
        return fresh, f"{CHECKPOINT_FILE} is damaged ({type(exc).__name__}: {_short(exc)})"
    if told > 0 and store.last_told() == 0:
        raise LostDatabase(
            f"{store.dir}: {CHECKPOINT_FILE} records {told} told candidates but "
            f"{DB_FILE} holds none (deleted or replaced?); refusing to resume, "
            "which would start the search over"
        )
    try:
        problem = disagreement(store, state, evolution)
    except sqlite3.DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - a field that cannot even be compared
        problem = f"{CHECKPOINT_FILE} is damaged ({type(exc).__name__}: {_short(exc)})"
    return (fresh, problem) if problem else (evolution, None)


def disagreement(store: RunStore, state: dict, evolution: Evolution) -> str | None:
    """How the checkpoint disagrees with the database, or None if it agrees."""
    run_id = state.get("run_id")
    if run_id is not None and run_id != store.run_id:
        return f"{CHECKPOINT_FILE} belongs to another run (run id {str(run_id)[:12]})"
    counters = evolution.counters
    rows = store.told_summary(counters.told)
    if rows["told"] != counters.told:
        return (
            f"{CHECKPOINT_FILE} counts {counters.told} told candidates, "
            f"{DB_FILE} holds {rows['told']}"
        )
    if counters.generated != counters.told + len(evolution.pending):
        return f"{CHECKPOINT_FILE} counters do not add up"
    if (rows["cache_hits"], rows["failed"]) != (counters.cache_hits, counters.failed) or (
        counters.evaluated != counters.told - counters.cache_hits
    ):
        return f"{CHECKPOINT_FILE} counters disagree with {DB_FILE}"
    if _best(rows["best"]) != _best_of(evolution):
        return f"{CHECKPOINT_FILE} names a different best candidate than {DB_FILE}"
    for candidate_id, program in evolution.programs.items():
        # A member keeps the constants tuning wrote into it (`kept_program`).
        if store.kept_program(candidate_id) != program.to_text():
            return f"{CHECKPOINT_FILE} holds a program {DB_FILE} does not (candidate {candidate_id})"
    return _inconsistency(store, state, evolution)


def _inconsistency(store: RunStore, state: dict, evolution: Evolution) -> str | None:
    """What in the checkpoint contradicts itself or the database beyond the
    counters: members without programs, when the best was found, the restarts,
    ids, and candidates in flight whose keys are not their programs'."""
    counters = evolution.counters
    told = counters.told
    if counters.invalid != store.invalid_below(evolution.next_id) or not (
        counters.redundant_sum <= counters.generated
        and counters.duplicates_skipped
        <= counters.generated * evolution.config.mutation.max_attempts
    ):
        return f"{CHECKPOINT_FILE} counters disagree with {DB_FILE}"
    members = {m.candidate_id for m in evolution.population}
    best = evolution.best
    if best is not None:
        members.add(best.candidate_id)
    if not members <= set(evolution.programs) or (told > 0 and not evolution.population):
        return f"{CHECKPOINT_FILE} keeps a member without its program"
    fitness = store.told_fitness(told)
    for member in evolution.population:
        if member.candidate_id not in fitness or not _same(
            fitness[member.candidate_id], member.fitness
        ):
            return (
                f"{CHECKPOINT_FILE} gives candidate {member.candidate_id} a fitness "
                f"{DB_FILE} does not"
            )
    best_at = 0 if best is None else store.told_seq_of(best.candidate_id)
    if evolution.best_at_told != best_at:
        return f"{CHECKPOINT_FILE} says the best was found elsewhere than {DB_FILE} does"
    recorded = [
        (at, d.get("source"), d.get("candidate_id"))
        for at, d in store.events("restart") if at is not None and at <= told
    ]
    if recorded != [(r.at_told, r.source, r.candidate_id) for r in evolution.restarts]:
        return f"{CHECKPOINT_FILE} restarts disagree with {DB_FILE}"
    ids = members | set(evolution.pending) | {store.max_told_id(told)}
    last = evolution.next_id - 1
    if last < max(ids):
        return f"{CHECKPOINT_FILE} would hand out an id already used"
    # The id before the next was handed out: recorded, or still in flight (else
    # the ids of a resumed run would not be an intact one's).
    if last not in evolution.pending and store.program_text(last) is None:
        return f"{CHECKPOINT_FILE} would skip ids {DB_FILE} never saw"
    for candidate in evolution.pending.values():
        if not _is_asked(candidate, evolution.config, fitness):
            return f"{CHECKPOINT_FILE} has a candidate in flight that is not its program"
    # A cache answer is held only until its candidate is told.
    if not set(evolution.answered) <= set(evolution.pending):
        return f"{CHECKPOINT_FILE} holds a cache answer for no candidate in flight"
    return None


def _is_asked(candidate: Candidate, config: SearchConfig, told: dict[int, float]) -> bool:
    """Whether a candidate in flight is what an ask makes: the seed, or a child of
    a told candidate by a known mutation, with its program's own keys and sizes."""
    if candidate.mutation == "seed":
        lineage = candidate.id == 0 and candidate.parent_id is None
    else:
        lineage = candidate.mutation in MUTATIONS and candidate.parent_id in told
    program = candidate.program
    return (
        lineage
        and candidate.attempts >= 1
        and candidate.hash == program_key(program, "hash")
        and candidate.fingerprint == program_key(program, "fingerprint")
        and candidate.key == program_key(program, config.cache_key)
        and candidate.num_statements == len(program)
        and candidate.num_live == analyze(program).num_live
    )


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _best(row: tuple | None) -> tuple[int, float] | None:
    return None if row is None else (int(row[0]), float(row[1]))


def _best_of(evolution: Evolution) -> tuple[int, float] | None:
    best = evolution.best
    if best is None or not math.isfinite(best.fitness):
        return None
    return best.candidate_id, best.fitness


def _cache_entries(store: RunStore, told: int, config: SearchConfig):
    seen: set[str] = set()
    for key, result, text in store.evaluated_up_to(told, config.cache_key):
        if is_cacheable(result):
            seen.add(key)
            yield key, cache_value(result)
            # A tuned child also answers for its tuned program, if that key was
            # new then (as `Evolution.tell` does it). Only tuned rows are parsed.
            if result.metrics.get(TUNED_CONSTANTS):
                tuned = tuned_program(parse(text), result.metrics)
                key, value = tuned_cache_entry(tuned, result, config.cache_key)
                if key not in seen:
                    seen.add(key)
                    yield key, value


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:80]
