"""Reading a run back: summary figures, top programs, lineage and curves.

Owns every query over a run store that inspection (`optsearch show RUN`,
`optsearch lineage`) and the report need, so they agree by construction. All
figures come from the database rows, which are the run's ground truth.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from search.store import RunStore


@dataclass(frozen=True)
class TopProgram:
    id: int
    fitness: float
    text: str
    metrics: dict


def run_summary(store: RunStore) -> dict:
    """The headline figures of a run (the keys of `optsearch show RUN --json`)."""
    (told, evaluated, hits, failed, first, last) = store.query(
        "SELECT COUNT(*), SUM(cache_hit = 0), SUM(cache_hit = 1),"
        " SUM(status != 'ok'), MIN(created_at), MAX(created_at)"
        " FROM candidates WHERE valid = 1"
    )[0]
    (invalid,) = store.query("SELECT COUNT(*) FROM candidates WHERE valid = 0")[0]
    nodes = store.query(
        "SELECT COUNT(DISTINCT node) FROM candidates WHERE valid = 1 AND cache_hit = 0"
        " AND node IS NOT NULL AND node != ''"
    )[0][0]
    top = top_programs(store, 1)
    redundant = store.query(
        "SELECT AVG(1.0 - CAST(num_live AS REAL) / num_statements) FROM candidates"
        " WHERE valid = 1 AND num_statements > 0"
    )[0][0]
    restarts = store.query("SELECT COUNT(*) FROM events WHERE kind = 'restart'")[0][0]
    sessions = [json.loads(d)["wall_s"] for (d,) in store.query(
        "SELECT detail FROM events WHERE kind = 'session'")]
    return {
        "run_dir": str(store.dir),
        "generated": told or 0,
        "evaluated": evaluated or 0,
        "cache_hits": hits or 0,
        "invalid": invalid or 0,
        "failed": failed or 0,
        "cache_hit_rate": (hits or 0) / told if told else 0.0,
        "redundant_fraction": redundant or 0.0,
        "restarts": restarts,
        "best_fitness": top[0].fitness if top else None,
        "best_id": top[0].id if top else None,
        "best_program": top[0].text if top else None,
        # Sum of the run's sessions (compile included); while the first session is
        # still running, the span of its rows.
        "wall_s": sum(sessions) if sessions else ((last - first) if told else 0.0),
        "nodes": nodes,
    }


def top_programs(store: RunStore, count: int) -> list[TopProgram]:
    """The `count` fittest distinct programs (by cache key), best first.

    Cache hits repeat their program's key, so the fittest key can fill hundreds of
    rows; grouping by key keeps one row per program (SQLite takes the other
    columns from the row that gives MIN(id): the program's first appearance).
    """
    rows = store.query(
        "SELECT MIN(id), fitness, program, metrics FROM candidates"
        " WHERE valid = 1 AND status = 'ok' AND fitness IS NOT NULL"
        " GROUP BY COALESCE(fingerprint, hash) ORDER BY fitness DESC, MIN(id) ASC LIMIT ?",
        (count,),
    )
    return [TopProgram(id_, fitness, text, json.loads(metrics or "{}"))
            for id_, fitness, text, metrics in rows]


@dataclass(frozen=True)
class LineageStep:
    id: int
    parent_id: int | None
    mutation: str
    fitness: float | None
    status: str
    text: str


def lineage(store: RunStore, candidate_id: int) -> list[LineageStep]:
    """The chain from the seed to `candidate_id`, seed first.

    Raises:
        KeyError: no candidate with that id.
    """
    chain = []
    current: int | None = candidate_id
    while current is not None:
        row = store.query(
            "SELECT id, parent_id, mutation, fitness, status, program FROM candidates WHERE id = ?",
            (current,),
        )
        if not row:
            if not chain:
                raise KeyError(f"no candidate {candidate_id} in {store.dir}")
            break
        id_, parent, mutation, fitness, status, text = row[0]
        chain.append(LineageStep(id_, parent, mutation, fitness, status or "", text))
        current = parent
    return chain[::-1]


@dataclass(frozen=True)
class Curves:
    """Per-told-candidate series for the report's plots (x = candidates told)."""

    told: np.ndarray
    best: np.ndarray
    median: np.ndarray
    cache_hit_rate: np.ndarray
    redundant_fraction: np.ndarray


def curves(store: RunStore, population: int, num_points: int = 300) -> Curves:
    """Best and population-median fitness, cache hit rate and redundancy over the run.

    The population of regularized evolution is the last P told candidates (between
    restarts), so the median is taken over that sliding window.
    """
    rows = store.query(
        "SELECT fitness, cache_hit, num_statements, num_live FROM candidates"
        " WHERE told_seq IS NOT NULL ORDER BY told_seq"
    )
    if not rows:
        empty = np.zeros(0)
        return Curves(empty, empty, empty, empty, empty)
    fitness = np.array([r[0] if r[0] is not None else -math.inf for r in rows], float)
    hits = np.array([r[1] for r in rows], float)
    redundant = np.array([1.0 - r[3] / r[2] if r[2] else 0.0 for r in rows], float)
    n = len(rows)
    points = np.unique(np.linspace(1, n, min(n, num_points)).astype(int))
    finite = np.where(np.isfinite(fitness), fitness, np.nan)
    best = np.fmax.accumulate(np.nan_to_num(finite, nan=-np.inf))
    medians = []
    for p in points:
        window = finite[max(0, p - population) : p]
        window = window[~np.isnan(window)]
        medians.append(np.median(window) if window.size else np.nan)
    cumulative = np.arange(1, n + 1)
    return Curves(
        told=points,
        best=best[points - 1],
        median=np.array(medians),
        cache_hit_rate=(np.cumsum(hits) / cumulative)[points - 1],
        redundant_fraction=(np.cumsum(redundant) / cumulative)[points - 1],
    )
