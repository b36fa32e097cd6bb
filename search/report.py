"""The run's report folder, rewritten as the search goes.

Owns `RUN/report/`: `best.py` (the best program so far, as a program file),
`summary.json` (the headline figures), `fitness.png` (best and population-median
fitness against candidates, titled with the proxy tasks, with the seed program's
fitness as a dashed line and restarts as dotted verticals), and `pruning.png` (cache hit rate and redundant-
statement fraction against candidates: the paper's Fig. 2 right shows them rising
to about 90% and 70%). Files are replaced atomically, so a reader never sees a
half-written report.
"""

from __future__ import annotations

import json
import os

from search.store import RunStore, atomic_write_text
from search.summary import curves, run_summary, run_tasks


def write_report(store: RunStore, population: int) -> None:
    """Rewrite every report file from the run store (`population` sizes the
    sliding window of the median-fitness curve)."""
    report = store.report_dir
    summary = run_summary(store)
    atomic_write_text(report / "summary.json", json.dumps(summary, indent=1, default=str))
    if summary["best_program"] is not None:
        header = (
            f"# Best program of {store.dir.name}: candidate {summary['best_id']}, "
            f"fitness {summary['best_fitness']:.6g}\n"
        )
        atomic_write_text(report / "best.py", header + summary["best_program"])
    plot_curves(store, population, report)


def plot_curves(store: RunStore, population: int, folder) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = curves(store, population)
    if series.told.size == 0:
        return
    fig = fitness_figure(store, series)
    _save(fig, folder / "fitness.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(series.told, 100 * series.cache_hit_rate, label="cache hit rate")
    ax.plot(series.told, 100 * series.redundant_fraction, label="redundant statements")
    ax.set_xlabel("candidates")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.set_title("Pruning (cf. Chen et al. 2023, Fig. 2 right)")
    ax.legend()
    ax.grid(alpha=0.3)
    _save(fig, folder / "pruning.png")
    plt.close(fig)


def _save(fig, path) -> None:
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=90, bbox_inches="tight")
    os.replace(tmp, path)


def fitness_figure(store: RunStore, series):
    """`fitness.png`: best and median fitness against candidates, titled with the
    run's proxy tasks, the seed program's fitness dashed, restarts dotted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(series.told, series.best, label="best")
    ax.plot(series.told, series.median, label="population median")
    seed = store.candidate_result(0)
    if seed is not None and seed[0] is not None:
        ax.axhline(seed[0], color="gray", linestyle="--", linewidth=1,
                   label=f"seed program ({seed[0]:.4g})")
    for i, (at_told, _) in enumerate(store.events("restart")):
        ax.axvline(at_told, color="tab:red", linestyle=":", linewidth=1, alpha=0.7,
                   label="restart" if i == 0 else None)
    # Fitness differences are small next to their size: no "+3.5e-1" offset.
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    ax.set_xlabel("candidates")
    ax.set_ylabel("fitness (higher is better)")
    tasks = run_tasks(store)
    ax.set_title(f"Search fitness on {', '.join(tasks)}" if tasks else "Search fitness")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig
