"""Runs by name: `latest`, a run's directory name under runs/, or a unique prefix.

Every command that takes a run (show, lineage, diff and the other RUN:ID users,
run --resume, funnel) resolves it the same way (`search.programs.resolve_run`);
a prefix naming several runs is one line listing them.
"""

from __future__ import annotations

import json
import os

import pytest

from dsl.library import load_builtin
from optsearch.cli import main
from search.errors import UserError
from search.programs import resolve_run
from search.records import Candidate, Result
from search.store import RunStore

RUNS = ["quickstart-20260101-000000", "quickstart-20260102-000000", "lion-20260101-000000"]


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """Three small runs under tmp_path/runs, the second quickstart the latest."""
    monkeypatch.chdir(tmp_path)
    for age, (name, seed) in enumerate(zip(RUNS, ["sgd", "adamw", "lion"])):
        store = RunStore(tmp_path / "runs" / name)
        store.write_config({"name": name.split("-")[0]})
        program = load_builtin(seed)
        size = len(program)
        candidate = Candidate(0, None, "seed", program, "h", "f", "k", size, size)
        store.record_told(candidate, Result("ok", 1.0 + age, {}), 1, 1)
        store.close()
        stamp = 1_000_000 + {0: 10, 1: 30, 2: 20}[age]  # quickstart-0102 written last
        os.utime(tmp_path / "runs" / name / "config.yaml", (stamp, stamp))
    return tmp_path / "runs"


def test_names_resolve_to_run_directories(runs):
    def run(i):
        return runs.relative_to(runs.parent) / RUNS[i]  # relative to the working dir

    assert resolve_run("latest") == run(1)
    assert resolve_run("lion") == run(2)
    assert resolve_run("quickstart-20260101") == run(0)
    assert resolve_run(str(runs / RUNS[0])) == runs / RUNS[0]
    assert resolve_run("nothing") is None
    with pytest.raises(UserError, match="names 2 runs"):
        resolve_run("quickstart")


def test_show_lineage_diff_and_export_take_run_names(runs, capsys):
    assert main(["show", "latest", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["run_dir"] == os.path.join("runs", RUNS[1])
    assert main(["lineage", "lion", "0"]) == 0
    assert "candidate 0 (seed)" in capsys.readouterr().out
    assert main(["diff", "lion", "lion-2026:0"]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["export", "latest:0", "--format", "text"]) == 0
    assert capsys.readouterr().out == load_builtin("adamw").to_text()


def test_a_prefix_of_several_runs_is_one_line_listing_them(runs, capsys):
    assert main(["show", "quickstart"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and RUNS[0] in err and RUNS[1] in err


def test_a_built_in_program_name_is_still_the_program(runs, capsys):
    (runs / "adamw-20260101-000000").mkdir()  # not a run: no database
    assert main(["show", "adamw", "--json"]) == 0
    assert "statements" in json.loads(capsys.readouterr().out)
