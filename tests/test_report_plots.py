"""The report's figures say what a reader needs: fitness.png names the task and
marks the seed's fitness and the restarts; baselines.png labels bars past its
axis; metaval.png has no offset ticks and says when its task is a search task."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from funnel.metaval import MetavalPoint, metaval_figure  # noqa: E402
from proxy_tasks.baselines import Tuned, baseline_figure  # noqa: E402
from search.report import fitness_figure  # noqa: E402
from search.store import RunStore  # noqa: E402
from search.summary import curves  # noqa: E402
from tests.probe_runs import TASK, probe_run  # noqa: E402


def _vertical_xs(ax) -> list[float]:
    return [line.get_xdata()[0] for line in ax.lines
            if len(set(line.get_xdata())) == 1 and len(line.get_xdata()) == 2]


def _horizontal_ys(ax) -> list[float]:
    return [line.get_ydata()[0] for line in ax.lines
            if len(set(line.get_ydata())) == 1 and len(line.get_ydata()) == 2]


def test_fitness_png_names_the_task_and_marks_the_seed_and_restarts(tmp_path):
    run_dir = probe_run(tmp_path / "run", max_candidates=80,
                        restarts={"plateau_candidates": 20})
    store = RunStore(run_dir)
    try:
        restarts = [at for at, _ in store.events("restart")]
        seed_fitness = store.candidate_result(0)[0]
        fig = fitness_figure(store, curves(store, 12))
    finally:
        store.close()
    ax = fig.axes[0]
    assert restarts
    assert TASK in ax.get_title()
    assert _horizontal_ys(ax) == [pytest.approx(seed_fitness)]
    assert _vertical_xs(ax) == restarts
    assert (run_dir / "report" / "fitness.png").is_file()
    plt.close(fig)


def test_baselines_png_labels_bars_past_the_axis_with_their_value():
    results = [
        Tuned(p, task, fitness, 0.5, 0.01, 1.0, 1.0)
        for task, values in {"a": (2.0, 0.05, -4.5), "b": (1.0, 1.1, 0.9)}.items()
        for p, fitness in zip(("adamw", "lion", "found"), values)
    ]
    fig = baseline_figure(results, ("adamw", "lion", "found"))
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert (low, high) == pytest.approx((-0.8, 0.8))
    labels = {t.get_text() for t in ax.texts}
    # Lion (-1.95) and the found program (-6.5) no longer draw the same bar.
    assert {"-1.95", "-6.5"} <= labels
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 2
    plt.close(fig)


POINTS = [MetavalPoint(20, 3, 0.35211, 0.34934), MetavalPoint(40, 9, 0.35390, 0.35285),
          MetavalPoint(60, 9, 0.35390, 0.35285)]


def test_metaval_png_on_a_search_task_shares_one_axis_and_says_so():
    fig = metaval_figure(POINTS, "teacher-const", None, ("teacher-const",))
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert "IS the search task" in ax.get_title()
    assert not ax.yaxis.get_major_formatter().get_useOffset()
    assert not ax.xaxis.get_major_formatter().get_useOffset()
    plt.close(fig)


def test_metaval_png_on_a_held_out_task_has_its_own_axis_without_offsets():
    fig = metaval_figure(POINTS, "teacher-const-10x", None, ("teacher-const",))
    assert len(fig.axes) == 2
    assert "search task" not in fig.axes[0].get_title()
    for ax in fig.axes:
        assert not ax.yaxis.get_major_formatter().get_useOffset()
    fig.canvas.draw()
    offsets = [ax.yaxis.get_offset_text().get_text() for ax in fig.axes]
    assert offsets == ["", ""]
    assert np.isfinite(fig.axes[1].get_ylim()).all()
    plt.close(fig)
