"""Funnel selection: the search's best programs through ever larger tasks.

Owns the multi-stage selection of Chen et al. 2023 (Sec. 3): the top programs by
search fitness (and, if asked, the programs meta-validation scored highest during
the search) are evaluated on a larger task; only those that beat the baseline
there (the seed program, AdamW, evaluated the same way and on the same seeds)
move on to the next stage, at most `promote` of them, best first.

"Beat" means by more than the noise: a program is promoted when its fitness
exceeds the baseline's by more than the two seed spreads combined, each spread
being the standard deviation over seeds of the task metric relative to its mean
(in fitness units, since fitness is log(chance / metric)), weighted over the
stage's tasks as the fitness is. With one seed there is no spread and any
positive gap counts, so stages that decide should run two seeds or more. Gaps of
1e-5 on one seed promoted programs that were AdamW in all but name. The winner is
the best program of the last stage's survivors (None if no program got through).

Evaluations go through the run's evaluator (the same Ray workers as the search,
each scoring with a per-stage `ScorerSpec`) and are recorded in the run store's
`stage_evaluations` table (through `RunStore`). Running the funnel again
on the same run skips every (stage, candidate) already recorded, so a killed
funnel resumes where it stopped.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

from dsl.loading import load_program
from dsl.parser import parse
from dsl.program import Program
from funnel.config import FunnelConfig, StageConfig
from proxy_tasks.floats import nullable
from proxy_tasks.registry import get_task
from search.progress import Pace
from search.records import Candidate, Result
from search.scoring import ScorerSpec
from search.store import RunStore
from search.summary import top_programs

#: `candidate_id` of the baseline's rows (it is not one of the search's candidates).
BASELINE_ID = -1


@dataclass(frozen=True)
class StageOutcome:
    """One stage: who entered, their fitness, the baseline's, and who moved on."""

    name: str
    entrants: tuple[int, ...]
    fitness: dict[int, float]
    baseline_fitness: float
    promoted: tuple[int, ...]
    spread: dict[int, float] | None = None  # per entrant, the baseline's under BASELINE_ID


@dataclass(frozen=True)
class FunnelOutcome:
    """All stages, the winner's candidate id (None: nothing beat the baseline) and
    the programs by id."""

    stages: tuple[StageOutcome, ...]
    winner: int | None
    programs: dict[int, str]

    def to_dict(self) -> dict:
        return {
            "winner": self.winner,
            "stages": [
                {
                    "name": s.name,
                    "entrants": list(s.entrants),
                    "fitness": {str(k): nullable(v) for k, v in s.fitness.items()},
                    "baseline_fitness": nullable(s.baseline_fitness),
                    "promoted": list(s.promoted),
                    "spread": {str(k): v for k, v in (s.spread or {}).items()},
                }
                for s in self.stages
            ],
        }


def promote(
    fitness: dict[int, float],
    baseline: float,
    limit: int,
    spread: dict[int, float] | None = None,
) -> tuple[int, ...]:
    """The ids that beat `baseline` by more than the noise, best first (ties by
    id), at most `limit`.

    Args:
        spread: seed spread of each id's fitness, and of the baseline's under
            `BASELINE_ID` (see the module docstring); a program must beat the
            baseline by more than its spread plus the baseline's. None or a
            missing id: no margin (a strictly larger fitness beats it).

    A failed evaluation has fitness -inf and never beats anything; a failed
    baseline is beaten by every program that ran.
    """
    spread = spread or {}
    base_spread = spread.get(BASELINE_ID, 0.0)

    def beats(i: int, f: float) -> bool:
        if not math.isfinite(f):
            return False
        if not math.isfinite(baseline):
            return True
        return f - baseline > spread.get(i, 0.0) + base_spread

    winners = [i for i, f in fitness.items() if beats(i, f)]
    winners.sort(key=lambda i: (-fitness[i], i))
    return tuple(winners[:limit])


def fitness_spread(metrics: dict, task_weights: dict[str, float]) -> float:
    """The seed spread of a stage evaluation's fitness: per task, the std over
    seeds of its metric over the metric's mean, weighted like the fitness."""
    total = weight_sum = 0.0
    for name, weight in task_weights.items():
        std = metrics.get(f"{name}/seed_std")
        key = "val_error" if get_task(name).metric == "error" else "val_loss"
        mean = metrics.get(f"{name}/{key}")
        if std is None or not mean:
            continue
        total += weight * abs(std / mean)
        weight_sum += weight
    return total / weight_sum if weight_sum else 0.0


def stage_spec(stage: StageConfig, executor_length: int) -> ScorerSpec:
    """The scorer a stage's evaluations use."""
    return ScorerSpec(
        task_weights=tuple(sorted(stage.tasks.items())),
        num_seeds=stage.num_seeds,
        executor_length=executor_length,
        time_budget_s=stage.time_budget_s,
        lr_multipliers=stage.lr_multipliers,
        state_slot_cost=stage.state_slot_cost,
    )


def recorded(store: RunStore, stage: str) -> dict[int, float]:
    """Fitness of every candidate already evaluated in `stage` (resume skips them)."""
    return store.stage_fitness(stage)


def run_funnel(
    store: RunStore,
    funnel: FunnelConfig,
    evaluator,
    executor_length: int,
    seed_program: str,
    log: Callable[[str], None] = print,
) -> FunnelOutcome:
    """Run (or resume) every stage of the funnel on a finished search.

    Args:
        store: the run (its `candidates` table gives the search's top programs).
        funnel: the validated `funnel` section.
        evaluator: an evaluator accepting `submit(candidate, spec)`.
        executor_length: the scorer's program length limit.
        seed_program: the baseline when `funnel.baseline` is not set.
        log: called with one line per stage.
    """
    programs = search_entrants(store, funnel.top_k, funnel.distinct_tuned)
    programs.update(metaval_best(store, funnel.metaval_top_k, exclude=programs))
    baseline = load_program(funnel.baseline or seed_program, executor_length)
    entrants = tuple(programs)
    stages = []
    for index, stage in enumerate(funnel.stages):
        spec = stage_spec(stage, executor_length)
        done = recorded(store, stage.name)
        todo = [(cid, parse(programs[cid]), "candidate") for cid in entrants if cid not in done]
        if BASELINE_ID not in done:
            todo.append((BASELINE_ID, baseline, "baseline"))
        started = time.perf_counter()
        if todo:
            log(
                f"funnel stage {index + 1}/{len(funnel.stages)} {stage.name}: scoring "
                f"{len(todo)} programs on {', '.join(stage.tasks)} ({spec.num_seeds} seeds; "
                "the first result waits for the stage's tasks to compile)..."
            )
        _evaluate(store, evaluator, spec, stage, index, todo, log)
        done = recorded(store, stage.name)
        fitness = {cid: done[cid] for cid in entrants}
        base = done[BASELINE_ID]
        metrics = store.stage_metrics(stage.name)
        spread = {
            cid: fitness_spread(metrics.get(cid, {}), stage.tasks)
            for cid in (*entrants, BASELINE_ID)
        }
        promoted = promote(fitness, base, stage.promote, spread)
        stages.append(
            StageOutcome(stage.name, entrants, fitness, base, promoted, spread)
        )
        beat = len(promote(fitness, base, len(fitness), spread))
        log(
            f"funnel stage {stage.name}: {len(entrants)} programs, baseline {base:.4f} "
            f"(spread {spread[BASELINE_ID]:.4f}), {beat} beat it by more than the "
            f"spreads, promoted: {', '.join(map(str, promoted)) or 'none'} "
            f"[{time.perf_counter() - started:.1f} s]"
        )
        for cid in sorted(entrants, key=lambda i: -fitness[i])[:8]:
            gap = fitness[cid] - base
            margin = spread[cid] + spread[BASELINE_ID]
            verdict = "promoted" if cid in promoted else "kept out"
            log(f"  {cid}: gap {gap:+.4f}, spreads {margin:.4f}: {verdict}")
        entrants = promoted
        if not entrants:
            break
    winner = None
    if stages and len(stages) == len(funnel.stages) and stages[-1].promoted:
        winner = stages[-1].promoted[0]
    return FunnelOutcome(tuple(stages), winner, programs)


def search_entrants(store: RunStore, count: int, distinct_tuned: bool = False) -> dict[int, str]:
    """id -> kept text of the search's `count` fittest programs, best first.

    By default one per cache key (`top_programs`). With `distinct_tuned`, one per
    behaviour of the kept program: tuning at birth writes its pick into the
    program, so children whose written constants differed (distinct keys) can
    be tuned to one program, and ten rows by key have held five programs,
    pushing a fitter-than-most rival out of the funnel (the lion-clean notes).
    """
    if not distinct_tuned:
        return {t.id: t.text for t in top_programs(store, count)}
    chosen: dict[int, str] = {}
    seen: set[str] = set()
    looked, asked = 0, count
    while len(chosen) < count:
        # Each pass asks for more rows from the top and reads only the new ones.
        rows = top_programs(store, asked)
        for top in rows[looked:]:
            behaviour = _behaviour(top.text)
            if behaviour not in seen and len(chosen) < count:
                seen.add(behaviour)
                chosen[top.id] = top.text
        if len(rows) < asked:  # every program looked at
            break
        looked, asked = len(rows), asked * 4
    return chosen


def _behaviour(text: str) -> str:
    """The fingerprint of a kept program (its text if today's checker rejects it)."""
    from dsl.fingerprint import fingerprint

    try:
        return fingerprint(parse(text))
    except Exception:  # noqa: BLE001 -- an old row the checker now rejects: by text
        return text


def metaval_best(store: RunStore, count: int, exclude=()) -> dict[int, str]:
    """id -> text of the `count` distinct programs meta-validation scored highest.

    Programs in `exclude` (already entering) and failed checks are skipped.
    """
    if count <= 0:
        return {}
    from funnel.metaval import read_points

    points = [p for p in read_points(store) if math.isfinite(p.metaval_fitness)]
    points.sort(key=lambda p: (-p.metaval_fitness, p.told))
    chosen: dict[int, str] = {}
    for point in points:
        if len(chosen) == count:
            break
        if point.candidate_id in exclude or point.candidate_id in chosen:
            continue
        text = store.kept_program(point.candidate_id)
        if text is not None:
            chosen[point.candidate_id] = text
    return chosen


def _evaluate(store, evaluator, spec, stage, index, todo, log=None, clock=time.monotonic):
    """Score `todo` through the evaluator, recording each result as it arrives
    (and saying how far it is at a steady pace: `search.progress.Pace`)."""
    roles = {}
    for cid, program, role in todo:
        roles[cid] = role
        evaluator.submit(_candidate(cid, program), spec)
    remaining = len(todo)
    started = clock()
    pace = Pace(len(todo), clock=clock)
    while remaining:
        for candidate, result in evaluator.collect():
            _record(store, stage, index, candidate, roles[candidate.id], spec, result)
            remaining -= 1
            done = len(todo) - remaining
            if log and remaining and pace.due(done):
                log(f"  {stage.name}: {done}/{len(todo)} scored "
                    f"[{clock() - started:.0f} s]")


def _candidate(cid: int, program: Program) -> Candidate:
    # The evaluator needs only the id and the program; the search's keys are unused.
    return Candidate(cid, None, "funnel", program, "", "", "", len(program), len(program))


def _record(store, stage, index, candidate, role, spec, result: Result) -> None:
    store.record_stage_evaluation(
        stage.name, index, candidate.id, role, candidate.text,
        dict(spec.task_weights), spec.num_seeds, result,
    )
