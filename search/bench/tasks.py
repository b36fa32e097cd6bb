"""Measured versus declared cost of every task: one evaluation, compile excluded.

Owns the check behind the registry's `declared_cost_s`: each task is scored with
AdamW through the default `TaskScorer` (4 seeds, one lr multiplier) after a
warm-up, taking the fastest of a few evaluations, and reported next to what the
registry declares, per task and per tier.
"""

from __future__ import annotations

import math
import time

from dsl.library import load_builtin
from proxy_tasks.fitness import TaskScorer
from proxy_tasks.registry import TIERS, get_task, task_names


def measure_task_cost(task_name: str, repeats: int = 3) -> dict:
    """Compile and evaluation seconds of one task."""
    scorer = TaskScorer(task_name, time_budget_s=math.inf)
    start = time.perf_counter()
    scorer.warmup()
    compile_s = time.perf_counter() - start
    program = load_builtin("adamw")
    seconds = min(scorer.score(program, seed).seconds for seed in range(repeats))
    declared = get_task(task_name).declared_cost_s
    return {
        "tier": scorer.task.tier,
        "declared_cost_s": declared,
        "measured_cost_s": seconds,
        "measured_over_declared": seconds / declared,
        "compile_s": compile_s,
    }


def measure_task_costs(tiers: tuple[str, ...] = TIERS, repeats: int = 3) -> dict:
    """Measured vs declared cost per task, and per tier.

    Returns:
        {"tasks": {name: {...}}, "tiers": {tier: {"declared_cost_s": mean,
        "measured_cost_s": mean, "max_measured_over_declared": ...}}}; the
        100x tier is timed once per task (each evaluation takes seconds).
    """
    tasks = {}
    for tier in tiers:
        for name in task_names(tier):
            tasks[name] = measure_task_cost(
                name, 1 if tier == "metaval-100x" else repeats
            )
    summary = {}
    for tier in tiers:
        rows = [r for r in tasks.values() if r["tier"] == tier]
        if rows:
            summary[tier] = {
                "declared_cost_s": sum(r["declared_cost_s"] for r in rows) / len(rows),
                "measured_cost_s": sum(r["measured_cost_s"] for r in rows) / len(rows),
                "max_measured_over_declared": max(
                    r["measured_over_declared"] for r in rows
                ),
            }
    return {"tasks": tasks, "tiers": summary}


def format_report(result: dict) -> str:
    """Per task and per tier, measured next to declared."""
    lines = [
        f"{'task':<28} {'tier':<13} {'declared':>10} {'measured':>10} {'ratio':>6} {'compile':>8}"
    ]
    for name, r in result["tasks"].items():
        lines.append(
            f"{name:<28} {r['tier']:<13} {1e3 * r['declared_cost_s']:8.0f}ms "
            f"{1e3 * r['measured_cost_s']:8.0f}ms {r['measured_over_declared']:6.2f} "
            f"{r['compile_s']:7.1f}s"
        )
    lines.append("per tier (mean seconds per evaluation):")
    for tier, r in result["tiers"].items():
        lines.append(
            f"  {tier:<13} declared {r['declared_cost_s']:.3f} s, measured "
            f"{r['measured_cost_s']:.3f} s (worst task {r['max_measured_over_declared']:.2f}x declared)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    tiers = tuple(sys.argv[1:]) or TIERS
    print(format_report(measure_task_costs(tiers)), flush=True)
