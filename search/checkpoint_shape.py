"""What `checkpoint.json` must look like before any of it is used.

Owns the bounds and the shape a checkpoint is held to: its size (derived from
the config: a checkpoint holds the population's programs, the candidates in
flight and the restarts, so a file far larger than those is not one), its top-level
keys (exactly those `Evolution.state` writes, plus the run id) and the type of
every field. A checkpoint outside them is damage, not a crash: `search.recovery`
rebuilds the state from the database instead.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable

from search.config import MAX_POPULATION, SearchConfig
from search.evolution import Counters, Restart

#: Bytes a checkpoint may take whatever its population (RNG state, counters, ...).
BASE_BYTES = 1 << 20
#: Bytes one program may take per statement (a statement is ~40 characters;
#: JSON escapes and long constants stay far below this).
BYTES_PER_STATEMENT = 256
#: Bytes one restart record may take.
BYTES_PER_RESTART = 128

#: Keys a checkpoint written before they existed lacks (`Evolution.from_state`
#: reads them as empty).
ADDED_KEYS = {"told_fitnesses", "stale"}
#: Bytes one told fitness may take in `told_fitnesses` (a float's repr, a comma).
BYTES_PER_FITNESS = 32

#: Values `proxy_tasks.floats.exact` writes for a non-finite fitness.
_NON_FINITE = ("inf", "-inf", "nan")


def max_checkpoint_bytes(config: SearchConfig) -> int:
    """The most bytes a checkpoint of a run with `config` can take.

    Generous (several times a real checkpoint) so that no intact checkpoint is
    refused, yet bounded by the population rather than by whatever is on disk.
    Programs: each member's, the best's and those in flight on the evaluator.
    Restarts: at most one per restart interval over the budget.
    """
    evaluator = config.evaluator
    # Candidates in flight: the evaluator's calls, and any the search asks ahead.
    in_flight = evaluator.workers * evaluator.pipeline_depth + getattr(
        config, "ask_ahead", 1
    )
    programs = config.population + in_flight + 1
    per_program = BYTES_PER_STATEMENT * (config.max_length + 4)
    restart = config.restarts
    intervals = [
        n for n in (restart.plateau_candidates, restart.seed_every_candidates) if n
    ]
    restarts = 2 + (config.max_candidates // min(intervals) if intervals else 0)
    # The shuffled-selection control keeps every told fitness.
    told = config.max_candidates if getattr(config, "selection", "") == "shuffled" else 0
    return (BASE_BYTES + programs * per_program + restarts * BYTES_PER_RESTART
            + told * BYTES_PER_FITNESS)


def shape_problem(state: dict[str, Any], expected_keys: set[str]) -> str | None:
    """Why `state` (a parsed checkpoint) does not have a checkpoint's shape, or None.

    `expected_keys` are the top-level keys a checkpoint holds; every one must be
    there and no other. Fields this module knows are type-checked here; the rest
    are left to `Evolution.from_state`.
    """
    unknown = sorted(set(state) - expected_keys - {"run_id"})
    if unknown:
        return f"unknown key {_short(unknown[0])!r}"
    missing = sorted(expected_keys - set(state) - ADDED_KEYS)
    if missing:
        return f"no `{missing[0]}`"
    for key, check in _FIELDS.items():
        if key in state and not check(state[key]):
            return f"`{key}` is not what a checkpoint writes there"
    return None


#: Above any count or id a run reaches (SQLite's integers stop at 2^63).
_MAX_INT = 2**63 - 1


def _is_int(value: Any, low: int = 0) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and low <= value <= _MAX_INT
    )


def _is_fitness(value: Any) -> bool:
    if isinstance(value, str):
        return value in _NON_FINITE
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_member(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and _is_int(value[0])
        and _is_fitness(value[1])
    )


def _is_population(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= MAX_POPULATION
        and all(_is_member(m) for m in value)
    )


def _is_programs(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and k.isdigit() and k.isascii() and isinstance(t, str)
        for k, t in value.items()
    )


def _is_cache_counters(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"hits", "misses"}
        and all(_is_int(v) for v in value.values())
    )


_COUNTER_FIELDS = {f.name: f.type for f in fields(Counters)}


def _is_counters(value: Any) -> bool:
    if not isinstance(value, dict) or set(value) != set(_COUNTER_FIELDS):
        return False
    return all(
        _is_int(v)
        if _COUNTER_FIELDS[k] in (int, "int")
        else (_is_fitness(v) and not isinstance(v, str) and 0 <= v <= _MAX_INT)
        for k, v in value.items()
    )


_RESTART_FIELDS = {f.name for f in fields(Restart)}


def _is_restarts(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(r, dict)
        and set(r) == _RESTART_FIELDS
        and _is_int(r["at_told"])
        and _is_int(r["candidate_id"])
        and r["source"] in ("best", "seed")
        for r in value
    )


_CANDIDATE_TYPES: dict[str, Callable[[Any], bool]] = {
    "id": _is_int,
    "parent_id": lambda v: v is None or _is_int(v),
    "mutation": lambda v: isinstance(v, str),
    "text": lambda v: isinstance(v, str),
    "hash": lambda v: isinstance(v, str),
    "fingerprint": lambda v: isinstance(v, str),
    "key": lambda v: isinstance(v, str),
    "num_statements": _is_int,
    "num_live": _is_int,
    "attempts": lambda v: _is_int(v, 1),
}


def _is_pending(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(c, dict)
        and set(c) == set(_CANDIDATE_TYPES)
        and all(check(c[k]) for k, check in _CANDIDATE_TYPES.items())
        for c in value
    )


def _is_answer(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"status", "fitness", "metrics"}
        and isinstance(value["status"], str)
        and _is_fitness(value["fitness"])
        and isinstance(value["metrics"], dict)
    )


def _is_answered(value: Any) -> bool:
    """Cache answers of candidates still in flight, keyed by candidate id."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and k.isdigit() and k.isascii() and _is_answer(a)
        for k, a in value.items()
    )


_FIELDS: dict[str, Callable[[Any], bool]] = {
    "population": _is_population,
    "programs": _is_programs,
    "rng": lambda v: isinstance(v, dict),  # numpy checks the state itself
    "cache_counters": _is_cache_counters,
    "counters": _is_counters,
    "next_id": _is_int,
    "best": lambda v: v is None or _is_member(v),
    "best_at_told": _is_int,
    "restarts": _is_restarts,
    "pending": _is_pending,
    "answered": _is_answered,
    "told_fitnesses": lambda v: isinstance(v, list) and all(_is_fitness(f) for f in v),
    "stale": lambda v: isinstance(v, list) and all(_is_int(i) for i in v),
    "run_id": lambda v: v is None or isinstance(v, str),
}


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
