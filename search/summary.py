"""Reading a run back: summary figures, top programs, lineage and curves.

Owns every figure that inspection (`optsearch show RUN`, `optsearch lineage`)
and the report compute from a run, so they agree by construction. All figures
come from the database rows (read through `RunStore`, which owns the SQL), the
run's ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsl.analysis import redundant_fraction
from search.store import RunStore


@dataclass(frozen=True)
class TopProgram:
    id: int
    fitness: float
    text: str
    metrics: dict


def run_summary(store: RunStore) -> dict:
    """The headline figures of a run (the keys of `optsearch show RUN --json`)."""
    c = store.counts()
    told, hits, sessions = c["told"], c["cache_hits"], c["session_seconds"]
    top = top_programs(store, 1)
    return {
        "run_dir": str(store.dir),
        "generated": told,
        "evaluated": c["evaluated"],
        "cache_hits": hits,
        "invalid": c["invalid"],
        "failed": c["failed"],
        "cache_hit_rate": hits / told if told else 0.0,
        # Mean over valid rows with statements (an empty program has no fraction).
        "redundant_fraction": _mean(
            [redundant_fraction(n, live) for n, live in c["sizes"] if n]
        ),
        "restarts": c["restarts"],
        "best_fitness": top[0].fitness if top else None,
        "best_id": top[0].id if top else None,
        "best_program": top[0].text if top else None,
        # Sum of the run's sessions (compile included); while the first session is
        # still running, the span of its rows.
        "wall_s": sum(sessions) if sessions else ((c["last_at"] - c["first_at"]) if told else 0.0),
        "nodes": c["nodes"],
    }


@dataclass(frozen=True)
class MutationYield:
    """What one mutation's children came to: valid children split into new
    behaviours (evaluated) and cache hits (a behaviour already scored, most often
    the parent's own), and the invalid children abstract execution threw away."""

    mutation: str
    valid: int
    invalid: int
    cache_hits: int

    @property
    def new(self) -> int:
        return self.valid - self.cache_hits

    @property
    def new_share(self) -> float:
        """New behaviours per valid child."""
        return self.new / self.valid if self.valid else 0.0


def mutation_yields(store: RunStore) -> list[MutationYield]:
    """Per mutation, how many of its children were new behaviours."""
    return [
        MutationYield(name, children - invalid, invalid, hits)
        for name, children, invalid, hits in store.mutation_outcomes()
    ]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def top_programs(store: RunStore, count: int) -> list[TopProgram]:
    """The `count` fittest distinct programs (by cache key), best first."""
    return [TopProgram(*row) for row in store.top_rows(count)]


@dataclass(frozen=True)
class HallEntry:
    """One row of the hall of fame: a distinct behaviour the search found."""

    id: int
    fitness: float
    gain: float | None  # over the seed program (candidate 0); None if the seed failed
    task_fitness: dict[str, float | None]  # per proxy task (metrics[task])
    val_loss: dict[str, float | None]  # per proxy task (metrics[task/val_loss])
    live: int  # live statements of the kept program
    slots: int  # state slots the simplified program carries between steps
    one_liner: str  # the simplified program on one line (`dsl.one_liner`)
    text: str  # the kept program (tuned constants written in)
    simplified: str  # the simplified program's text


def hall_of_fame(store: RunStore, count: int) -> list[HallEntry]:
    """The `count` fittest distinct behaviours (one per fingerprint), best first,
    each with its gain over the seed, per-task fitness and validation loss (None
    where the row's metrics lack it) and simplified form."""
    from dsl.analysis import InvalidProgram, analyze
    from dsl.one_liner import one_liner
    from dsl.parser import ProgramError, parse
    from dsl.simplify import simplify

    seed = store.candidate_result(0)
    seed_fitness = seed[0] if seed else None
    tasks = run_tasks(store)
    entries = []
    for top in top_programs(store, count):
        program = parse(top.text)
        try:
            simple = simplify(program)
        except (ProgramError, InvalidProgram):  # rejected by today's checker: as is
            simple = program
        names = tasks or sorted(k.split("/")[0] for k in top.metrics if "/" in k)
        entries.append(HallEntry(
            id=top.id, fitness=top.fitness,
            gain=None if seed_fitness is None else top.fitness - seed_fitness,
            task_fitness={t: top.metrics.get(t) for t in names},
            val_loss={t: top.metrics.get(f"{t}/val_loss") for t in names},
            live=analyze(program).num_live,
            slots=len(analyze(simple).state_slots_used),
            one_liner=one_liner(simple), text=top.text, simplified=simple.to_text(),
        ))
    return entries


def run_tasks(store: RunStore) -> list[str]:
    """The proxy tasks a run searched on (from its `config.yaml`), or [] if unknown."""
    import yaml

    try:
        raw = yaml.safe_load(store.config_path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return []
    proxy = (raw.get("tasks") or {}).get("proxy") if isinstance(raw, dict) else None
    if isinstance(proxy, str):
        return [proxy]
    return [str(t) for t in proxy] if isinstance(proxy, (dict, list)) else []


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
        row = store.row(current)
        if row is None:
            if not chain:
                raise KeyError(f"no candidate {candidate_id} in {store.dir}")
            break
        id_, parent, mutation, fitness, status, text = row
        chain.append(LineageStep(id_, parent, mutation, fitness, status, text))
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
    rows = store.told_series()
    if not rows:
        empty = np.zeros(0)
        return Curves(empty, empty, empty, empty, empty)
    fitness = np.array([r[0] for r in rows], float)
    hits = np.array([r[1] for r in rows], float)
    redundant = np.array([redundant_fraction(r[2], r[3]) for r in rows], float)
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
