"""Every route by which a config's `seed_program` can bring in a constant that is
not a number or cannot run (a `RUN:ID` whose stored row has NaN, infinite, too
few or unreadable tuned constants; a file constant float32 cannot hold) or a seed
that fails on the tasks is one line, exit status 2, and leaves no run directory;
`show` and `export` of such a row are one line too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from optsearch import pipeline
from optsearch.cli import main
from search.records import WORST_FITNESS, Result
from tests.search.probe_evaluator import ProbeEvaluator
from tests.search.test_run_recovery import search

CONFIG = """\
name: seeded
population: 12
tournament: 4
max_candidates: 20
tasks: {{proxy: heavy-tail-regression, num_seeds: 1}}
seed_program: {seed}
"""

#: Stored metrics of the source run's rows 0-4, as a hand edit might leave them.
EDITED_METRICS = {
    0: '{"tuned_constants": [NaN, 0.999, 0.01, 0.001]}',
    1: '{"tuned_constants": [Infinity, 0.999, 0.01, 0.001]}',
    2: '{"tuned_constants": [0.5]}',
    3: '{"tuned_constants": ["x", 0.999, 0.01, 0.001]}',
    4: "{not json",
}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("seeds") / "source"
    search(run_dir, max_candidates=30)
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        for cid, metrics in EDITED_METRICS.items():
            db.execute("UPDATE candidates SET metrics = ? WHERE id = ?", (metrics, cid))
    return run_dir


def refused(capsys, argv: list[str], says: str) -> str:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert says in err, err
    return err


def run_seeded(tmp_path: Path, seed: str, run_dir: Path) -> list[str]:
    config = tmp_path / "seeded.yaml"
    config.write_text(CONFIG.format(seed=seed))
    return ["run", str(config), "--run-dir", str(run_dir), "--quiet"]


@pytest.mark.parametrize("cid", sorted(EDITED_METRICS))
def test_a_run_candidate_with_edited_constants_is_one_line_and_no_run_dir(
    source, tmp_path, capsys, cid
):
    run_dir = tmp_path / "runs" / "new"
    argv = run_seeded(tmp_path, f"{source}:{cid}", run_dir)
    err = refused(capsys, argv, f"candidate {cid} cannot be read back")
    assert "`seed_program`" in err and "seeded.yaml" in err
    assert not (tmp_path / "runs").exists()


def test_show_and_export_of_an_edited_row_are_one_line(source, capsys):
    refused(capsys, ["export", f"{source}:0"], "candidate 0 cannot be read back")
    refused(capsys, ["show", str(source)], "cannot be read back")


@pytest.mark.parametrize(
    "constant,becomes", [("1e39", "inf"), ("-1e300", "inf"), ("1e-50", "0")]
)
def test_a_seed_constant_float32_cannot_hold_is_one_line_and_no_run_dir(
    tmp_path, capsys, constant, becomes
):
    program = tmp_path / "seed.py"
    program.write_text(
        f"def train(w, g, m, v, lr):\n    update = g * {constant}\n    return update, m, v\n"
    )
    run_dir = tmp_path / "runs" / "new"
    refused(
        capsys,
        run_seeded(tmp_path, str(program), run_dir),
        f"statement 1: the constant {float(constant)!r} is out of float32 range",
    )
    assert not (tmp_path / "runs").exists()


class FailingEvaluator(ProbeEvaluator):
    """Every program fails, as a seed whose updates blow up on the tasks does."""

    def collect(self):
        return [
            (
                c,
                Result(
                    "nonfinite", WORST_FITNESS, {}, 0.0, "non-finite loss\nby step 3"
                ),
            )
            for c, _ in super().collect()
        ]


def test_a_seed_that_fails_on_the_tasks_leaves_no_run_dir(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(pipeline, "make_evaluator", lambda *a, **k: FailingEvaluator())
    run_dir = tmp_path / "runs" / "new"
    err = refused(capsys, run_seeded(tmp_path, "adamw", run_dir), "fails on the tasks")
    assert "`seed_program` adamw" in err and "non-finite loss by step 3" in err
    assert not (tmp_path / "runs").exists()


def test_a_failed_seed_in_a_directory_that_existed_removes_only_what_the_run_wrote(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(pipeline, "make_evaluator", lambda *a, **k: FailingEvaluator())
    # A fresh run may go only where nothing but a run's own files are: here a
    # `report/` folder made ahead, with the user's notes in it.
    run_dir = tmp_path / "mine"
    (run_dir / "report").mkdir(parents=True)
    (run_dir / "report" / "notes.txt").write_text("keep me")
    refused(capsys, run_seeded(tmp_path, "adamw", run_dir), "fails on the tasks")
    assert sorted(p.name for p in run_dir.iterdir()) == ["report"]
    assert (run_dir / "report" / "notes.txt").read_text() == "keep me"


def test_a_fresh_run_into_a_folder_of_other_files_is_refused_before_writing(tmp_path, capsys):
    run_dir = tmp_path / "mine"
    run_dir.mkdir()
    (run_dir / "notes.txt").write_text("keep me")
    refused(capsys, run_seeded(tmp_path, "adamw", run_dir), "not empty and not a run directory")
    assert sorted(p.name for p in run_dir.iterdir()) == ["notes.txt"]
