"""Whether a run's checkpoint can be trusted, judged against its database.

Owns the rule that the database is the record and the checkpoint only a shortcut.
A checkpoint is used when it parses, carries this run's id (or none, from before
ids existed) and agrees with the rows it claims to summarise: how many were told,
how many were cache hits and failures, which was best, and the program text of
every member it keeps. Otherwise the search state is rebuilt by replaying every
row from the start (`SearchRunner.replay`), which ends where the rows end, exactly
as an intact checkpoint would have. The one case that cannot be rebuilt is a
checkpoint whose database has lost every row (deleted or replaced): resuming would
silently start over, so it is refused.
"""

from __future__ import annotations

import math
import sqlite3

from dsl.parser import parse
from dsl.program import Program
from search.config import SearchConfig
from search.errors import UserError
from search.evolution import Evolution, cache_value, is_cacheable, tuned_cache_entry
from search.records import TUNED_CONSTANTS, tuned_program
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
    try:
        state = store.load_checkpoint()
    except (ValueError, UnicodeDecodeError) as exc:
        return Evolution(config, seed), f"{CHECKPOINT_FILE} is unreadable ({_short(exc)})"
    if state is None:
        return Evolution(config, seed), None
    try:
        told = int(state["counters"]["told"])
        evolution = Evolution.from_state(config, seed, state, _cache_entries(store, told, config))
    except sqlite3.DatabaseError:
        raise  # the database is damaged, not the checkpoint
    except Exception as exc:  # noqa: BLE001 - any malformed field means "not usable"
        return Evolution(config, seed), (
            f"{CHECKPOINT_FILE} is damaged ({type(exc).__name__}: {_short(exc)})"
        )
    if told > 0 and store.last_told() == 0:
        raise LostDatabase(
            f"{store.dir}: {CHECKPOINT_FILE} records {told} told candidates but "
            f"{DB_FILE} holds none (deleted or replaced?); refusing to resume, "
            "which would start the search over"
        )
    problem = disagreement(store, state, evolution)
    if problem:
        return Evolution(config, seed), problem
    return evolution, None


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
    return None


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
