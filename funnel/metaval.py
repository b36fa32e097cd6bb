"""Meta-validation during the search, and when meta-overfitting began.

Owns the `SearchRunner` hook that, every `every` told candidates, scores the
current best program on a meta-validation task (in this process, with a scorer
compiled once), records a `metaval` event, and redraws `report/metaval.png`:
search fitness and meta-validation fitness against candidates, so the paper's
meta-overfitting (Chen et al. 2023, Fig. 3: search fitness rising while
meta-validation falls) is visible.

The rule for when meta-overfitting began (`overfit_onset`): take the check with
the highest meta-validation fitness so far, the peak. If after it the search's
best fitness rose at `patience` or more later checks, while every later
meta-validation stayed below the peak, meta-overfitting began at the peak's
candidate count. A meta-validation that fails (the program diverges on the
larger task) counts as -inf, a fall. The first time the rule fires the run
records a `meta_overfit` event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from funnel.config import MetavalConfig
from proxy_tasks.floats import from_nullable, nullable


@dataclass(frozen=True)
class MetavalPoint:
    """One check: candidates told, the best's id, its search and meta-validation fitness."""

    told: int
    candidate_id: int
    search_fitness: float
    metaval_fitness: float


def overfit_onset(points: list[MetavalPoint], patience: int) -> int | None:
    """The candidate count at which meta-overfitting began (see module docstring)."""
    if not any(math.isfinite(p.metaval_fitness) for p in points):
        return None
    # A failed meta-validation (-inf: the program diverges on the larger task) is
    # the worst value, so it counts as a fall.
    peak = max(range(len(points)), key=lambda i: (points[i].metaval_fitness, -i))
    finite = points
    later = finite[peak + 1 :]
    rises, previous = 0, finite[peak].search_fitness
    for p in later:
        if p.search_fitness > previous:
            rises += 1
        previous = max(previous, p.search_fitness)
    if rises >= patience and all(p.metaval_fitness < finite[peak].metaval_fitness for p in later):
        return finite[peak].told
    return None


def read_points(store) -> list[MetavalPoint]:
    """The run's `metaval` events, in candidate order."""
    points = []
    for told, d in store.events("metaval"):
        points.append(MetavalPoint(
            told, d["candidate_id"], from_nullable(d["search_fitness"]), from_nullable(d["metaval_fitness"])
        ))
    return points


class MetavalHook:
    """`hook(runner)` for `SearchRunner`: meta-validate the best every N candidates."""

    def __init__(self, config: MetavalConfig, executor_length: int):
        from proxy_tasks.fitness import TaskScorer

        self.config = config
        self.scorer = TaskScorer(
            config.task, max_length=executor_length, num_seeds=config.num_seeds,
            lr_multipliers=config.lr_multipliers, time_budget_s=600.0,
        )
        self._warm = False
        self._seen: dict[int, object] = {}  # the best often stays the best for a while

    def __call__(self, runner) -> None:
        told = runner.evolution.counters.told
        if told % self.config.every or runner.evolution.best is None:
            return
        store = runner.store
        if store.has_event("metaval", told):
            return  # a resumed run has this check already
        best = runner.evolution.best
        program = runner.evolution.programs.get(best.candidate_id)
        if program is None:
            return
        if not self._warm:
            self.scorer.warmup()
            self._warm = True
        evaluation = self._seen.get(best.candidate_id) or self.scorer.score(program)
        self._seen[best.candidate_id] = evaluation
        store.record_event("metaval", told, {
            "candidate_id": best.candidate_id,
            "task": self.config.task,
            "search_fitness": nullable(best.fitness),
            "metaval_fitness": nullable(evaluation.fitness),
            "status": evaluation.status,
        })
        points = read_points(store)
        onset = overfit_onset(points, self.config.patience)
        if onset is not None and not store.events("meta_overfit"):
            store.record_event("meta_overfit", told, {"began_at": onset})
        plot_metaval(points, store.report_dir / "metaval.png", self.config.task, onset,
                     search_tasks=tuple(runner.config.tasks.proxy))


def plot_metaval(
    points: list[MetavalPoint], path, task: str, onset: int | None,
    search_tasks: tuple[str, ...] = (),
) -> None:
    """Search fitness and meta-validation fitness of the best, against candidates.

    The title says when the meta-validation task is a search task (`search_tasks`),
    as in the smoke run: then it is no held-out check and the curves move together.
    """
    import matplotlib

    matplotlib.use("Agg")
    import os

    import matplotlib.pyplot as plt

    if not points:
        return
    fig = metaval_figure(points, task, onset, search_tasks)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=90, bbox_inches="tight")
    os.replace(tmp, path)
    plt.close(fig)


def metaval_figure(
    points: list[MetavalPoint], task: str, onset: int | None,
    search_tasks: tuple[str, ...] = (),
):
    """The figure `plot_metaval` saves.

    A held-out task gets its own y axis (its fitness lives on another scale). A
    task the search also trains on shares the search fitness's axis: two axes
    scaled apart would draw the same curve twice, which reads as agreement.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    told = [p.told for p in points]
    shared = task in search_tasks
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(told, [p.search_fitness for p in points], "o-", label="search fitness (best)")
    ax2 = ax if shared else ax.twinx()
    ax2.plot(told, [p.metaval_fitness for p in points], "s--", color="C1",
             label=f"meta-validation ({task})")
    if onset is not None:
        ax.axvline(onset, color="C3", ls="--", label=f"meta-overfitting from {onset}")
    ax.set_xlabel("candidates")
    if shared:
        ax.set_ylabel("fitness")
    else:
        ax.set_ylabel("search fitness")
        ax2.set_ylabel("meta-validation fitness")
    # Fitness moves in the 4th digit: plain ticks, not an offset like "+3.5e-1".
    for axis in {ax, ax2}:
        axis.ticklabel_format(axis="both", style="plain", useOffset=False)
    title = "Meta-validation (cf. Chen et al. 2023, Fig. 3)"
    if tuple(search_tasks) == (task,):
        title += f"\nmeta-validation task {task} IS the search task: not a held-out check"
    elif shared:
        title += f"\nmeta-validation task {task} is one of the search tasks"
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if not shared:
        more = ax2.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return fig
