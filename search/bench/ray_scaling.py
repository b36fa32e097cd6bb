"""Benchmark: scoring through Ray workers against scoring in-process.

The same fixed list of candidates (valid mutants of AdamW) is scored three ways
in one run: in this process, on one Ray worker, and on two Ray workers, each
after its workers have compiled. Reports candidates per second, the 2-worker
speedup, and the per-candidate overhead of the Ray path as a fraction of an
in-process evaluation, split into its parts (one worker, timed by the worker
itself):

- `ray_overhead_worker_scoring`: the worker's own scoring against the same
  scoring in this process (thread settings, a process of its own);
- `ray_overhead_parse`: parsing the program text the worker is sent;
- `ray_overhead_call`: everything else, the remote call around the work
  (argument and result serialization, scheduling, the driver's submit and wait).

The parts add up to `ray_overhead_fraction`.
"""

from __future__ import annotations

import time

import numpy as np

from search.config import EvaluatorConfig, config_from_dict
from search.scoring import ScorerSpec, build_scorer


def _candidates(count: int, seed: int = 0):
    from dsl.library import load_builtin
    from search.evolution import Evolution

    config = config_from_dict({"population": 2, "max_length": 16, "seed": seed})
    evolution = Evolution(config, load_builtin("adamw"))
    seed_candidate = evolution.ask_seed()
    evolution.tell(seed_candidate, _ok())
    out = []
    while len(out) < count:
        candidate, _ = evolution.ask()
        out.append(candidate)
        evolution.pending.clear()
    return out


def _ok():
    from search.records import Result

    return Result("ok", 0.0)


def _time_ray(spec, candidates, workers: int) -> tuple[float, list[dict]]:
    """Seconds to score `candidates` on `workers` warm workers, and the workers'
    own timings of that work."""
    from search.ray_evaluator import RayEvaluator

    evaluator = RayEvaluator(spec, EvaluatorConfig(kind="ray", workers=workers))
    try:
        # Compile on every worker before timing.
        warm = candidates[:workers]
        for c in warm:
            evaluator.submit(c)
        done = 0
        while done < len(warm):
            done += len(evaluator.collect())
        evaluator.worker_stats()  # reset: the timed work only
        started = time.perf_counter()
        for c in candidates:
            evaluator.submit(c)
        done = 0
        while done < len(candidates):
            done += len(evaluator.collect())
        seconds = time.perf_counter() - started
        return seconds, evaluator.worker_stats()
    finally:
        evaluator.close()


def measure_ray(num_candidates: int = 60, task: str = "heavy-tail-regression") -> dict:
    spec = ScorerSpec(((task, 1.0),), num_seeds=2, executor_length=16, time_budget_s=10.0)
    candidates = _candidates(num_candidates)
    scorer = build_scorer(spec)
    scorer.score(candidates[0].program)  # compile
    started = time.perf_counter()
    for c in candidates:
        scorer.score(c.program)
    local_s = time.perf_counter() - started
    one, (stats,) = _time_ray(spec, candidates, 1)
    two, _ = _time_ray(spec, candidates, 2)
    per_local = local_s / num_candidates
    per_one = one / num_candidates
    per_parse = stats["parse_s"] / stats["calls"]
    per_score = stats["score_s"] / stats["calls"]
    return {
        "ray_task": task,
        "in_process_eval_s": per_local,
        "ray_1_worker_candidates_per_s": num_candidates / one,
        "ray_2_workers_candidates_per_s": num_candidates / two,
        "ray_speedup_2_workers": one / two,
        "ray_overhead_fraction": float(np.clip((per_one - per_local) / per_local, -1, None)),
        "ray_overhead_worker_scoring": (per_score - per_local) / per_local,
        "ray_overhead_parse": per_parse / per_local,
        "ray_overhead_call": (per_one - per_score - per_parse) / per_local,
        "ray_worker_eval_s": per_score,
    }
