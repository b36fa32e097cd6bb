"""`optsearch plot RUN...`: several runs (seeds) of one search on one axis: each
run's best-so-far fitness, their mean and min-max band, the seed program's and
tuned baselines' fitness (the paper's Fig. 2 left)."""

from __future__ import annotations

import json
import sqlite3

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from optsearch.cli import main  # noqa: E402
from search.compare import compare, comparison_figure  # noqa: E402
from search.store import RunStore  # noqa: E402
from tests.probe_runs import TASK, probe_run  # noqa: E402


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seeds")
    # Different budgets: the mean covers only the candidates every run reached.
    return [probe_run(tmp / f"seed{s}", seed=s, max_candidates=60 + 10 * s) for s in range(3)]


def best_so_far(run_dir) -> np.ndarray:
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        rows = db.execute(
            "SELECT fitness FROM candidates WHERE told_seq IS NOT NULL ORDER BY told_seq"
        ).fetchall()
    values = np.array([-np.inf if f is None else f for (f,) in rows])
    return np.maximum.accumulate(values)


def test_mean_and_band_are_over_the_candidates_every_run_reached(runs):
    stores = [(str(r), RunStore(r)) for r in runs]
    try:
        comparison = compare(stores)
    finally:
        for _, s in stores:
            s.close()
    curves = [best_so_far(r) for r in runs]
    n = min(len(c) for c in curves)
    assert n == 60 and comparison.told[-1] == n
    stack = np.stack([c[:n] for c in curves])
    assert np.allclose(comparison.mean, stack.mean(axis=0))
    assert np.allclose(comparison.low, stack.min(axis=0))
    assert np.allclose(comparison.high, stack.max(axis=0))
    assert comparison.tasks == [TASK]
    # Seeds differ, so the runs do too: a band, not a line.
    assert (comparison.high > comparison.low).any()

    fig = comparison_figure(comparison, {"lion": -0.1}, "adamw")
    ax = fig.axes[0]
    flat = sorted(line.get_ydata()[0] for line in ax.lines if len(set(line.get_ydata())) == 1
                  and len(line.get_ydata()) == 2)
    seed = comparison.runs[0].seed_fitness
    assert flat == pytest.approx(sorted([seed, -0.1]))
    assert TASK in ax.get_title()
    plt.close(fig)


def test_plot_writes_the_png_and_prints_the_figures(runs, tmp_path, capsys):
    out = tmp_path / "fig2.png"
    code = main(["plot", *map(str, runs), "--out", str(out), "--baseline", "lion=-0.1"])
    assert code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = capsys.readouterr().out
    curves = [best_so_far(r) for r in runs]
    mean = np.mean([c[59] for c in curves])
    assert f"after 60 candidates: mean best {mean:.6g}" in text
    assert "baseline lion: -0.1" in text


def test_baselines_come_from_an_optsearch_baselines_json(runs, tmp_path, capsys):
    table = tmp_path / "baselines.json"
    table.write_text(json.dumps([
        {"program": "lion", "task": TASK, "fitness": -0.2, "status": "ok"},
        {"program": "sgd", "task": "other-task", "fitness": 5.0, "status": "ok"},
    ]))
    out = tmp_path / "b.png"
    assert main(["plot", *map(str, runs), "--out", str(out), "--baselines", str(table)]) == 0
    text = capsys.readouterr().out
    assert "baseline lion: -0.2" in text
    assert "sgd" not in text  # tuned on another task only


def test_bad_input_is_one_line_and_exit_2(runs, tmp_path, capsys):
    assert main(["plot", str(runs[0]), "--baseline", "lion", "--out", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    other = probe_run(tmp_path / "other", max_candidates=30,
                      tasks={"proxy": {"another-task": 1.0}, "executor_length": 12})
    assert main(["plot", str(runs[0]), str(other), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "same tasks" in err
    assert not (tmp_path / "x.png").exists()
    assert main(["plot", str(tmp_path / "nothing")]) == 2
    assert "not a run directory" in capsys.readouterr().err
