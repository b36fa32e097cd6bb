"""Several runs on one axis: the paper's Fig. 2 left (`optsearch plot RUN...`).

Owns the curves of independent runs (seeds) of one search: each run's best-so-far
fitness against candidates told, their mean and min-max spread over the
candidates every run reached, and the reference lines drawn with them (the seed
program's fitness, tuned baselines). Fitness only compares across runs on the
same proxy tasks, so runs on different tasks are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.errors import UserError
from search.store import RunStore
from search.summary import run_tasks


@dataclass(frozen=True)
class RunCurve:
    name: str
    best: np.ndarray  # best-so-far fitness after 1, 2, ... told candidates
    seed_fitness: float | None


@dataclass(frozen=True)
class Comparison:
    runs: list[RunCurve]
    tasks: list[str]
    told: np.ndarray  # 1..n, n = the fewest candidates any run told
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


def run_curve(store: RunStore, name: str) -> RunCurve:
    """A run's best-so-far fitness after each told candidate (failures are -inf)."""
    fitness = np.array([row[0] for row in store.told_series()], float)
    best = np.maximum.accumulate(np.where(np.isnan(fitness), -np.inf, fitness))
    seed = store.candidate_result(0)
    return RunCurve(name, best, None if seed is None else seed[0])


def compare(stores: list[tuple[str, RunStore]]) -> Comparison:
    """The runs' curves, and their mean and spread over the common candidates.

    Raises:
        UserError: a run has no told candidate, or the runs searched different tasks.
    """
    curves, tasks = [], None
    for name, store in stores:
        curve = run_curve(store, name)
        if curve.best.size == 0:
            raise UserError(f"{name}: the run has no told candidate yet")
        these = run_tasks(store)
        if tasks is None:
            tasks = these
        elif these != tasks:
            raise UserError(
                f"{name}: searched {', '.join(these) or 'unknown tasks'}, not "
                f"{', '.join(tasks) or 'unknown tasks'}; "
                "fitness only compares on the same tasks"
            )
        curves.append(curve)
    n = min(c.best.size for c in curves)
    stack = np.stack([c.best[:n] for c in curves])
    return Comparison(
        runs=curves, tasks=tasks or [], told=np.arange(1, n + 1),
        mean=stack.mean(axis=0), low=stack.min(axis=0), high=stack.max(axis=0),
    )


def baselines_from_file(path: str | Path, tasks: list[str]) -> dict[str, float]:
    """Tuned baselines' fitness on `tasks` from an `optsearch baselines` JSON.

    A program counts only if the file tunes it on every task; its fitness is the
    mean over the tasks (the search weighs its tasks; baselines files hold one
    fitness per task).

    Raises:
        UserError: the file cannot be read or is not such a list.
    """
    try:
        rows = json.loads(Path(path).read_text())
        per: dict[str, dict[str, float]] = {}
        for row in rows:
            if row.get("status", "ok") == "ok":
                per.setdefault(row["program"], {})[row["task"]] = float(row["fitness"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UserError(
            f"{path}: not a baselines JSON from `optsearch baselines` ({exc})"
        ) from None
    return {
        program: float(np.mean([by_task[t] for t in tasks]))
        for program, by_task in per.items()
        if tasks and all(t in by_task for t in tasks)
    }


def comparison_figure(
    comparison: Comparison, baselines: dict[str, float], seed_label: str
):
    """Best-so-far fitness of every run, mean and min-max band, reference lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    for i, run in enumerate(comparison.runs):
        ax.plot(np.arange(1, run.best.size + 1), run.best, color="C0", alpha=0.25,
                linewidth=0.8, label="single runs" if i == 0 else None)
    runs = len(comparison.runs)
    ax.fill_between(comparison.told, comparison.low, comparison.high, color="C0",
                    alpha=0.2, label=f"min-max over {runs} runs")
    ax.plot(comparison.told, comparison.mean, color="C0", linewidth=2,
            label=f"mean best of {runs} runs")
    seeds = [r.seed_fitness for r in comparison.runs if r.seed_fitness is not None]
    if seeds:
        seed = float(np.mean(seeds))
        ax.axhline(seed, color="gray", linestyle="--", linewidth=1.2,
                   label=f"seed program {seed_label} ({seed:.4g})")
    ranked = sorted(baselines.items(), key=lambda kv: -kv[1])
    for j, (label, value) in enumerate(ranked):
        ax.axhline(value, color=f"C{(j + 1) % 10}", linestyle="-.", linewidth=1.2,
                   label=f"tuned {label} ({value:.4g})")
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    ax.set_xlabel("candidates")
    ax.set_ylabel("best fitness so far (higher is better)")
    where = f" on {', '.join(comparison.tasks)}" if comparison.tasks else ""
    ax.set_title(f"Search progress{where} (cf. Chen et al. 2023, Fig. 2 left)")
    # Beside the axes: inside, the legend would hide the band or a baseline.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    return fig
