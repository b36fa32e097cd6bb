"""`optsearch show RUN` as a hall of fame (one row per distinct behaviour, gain
over the seed, per-task metric, simplified one-liner, failures by reason, the
funnel's verdict), `--csv` and `--json`; and `diff` on simplified forms."""

from __future__ import annotations

import csv
import io
import json

import pytest

from dsl import parse
from dsl.one_liner import one_liner
from dsl.simplify import simplify
from optsearch.cli import main
from optsearch.targets import load
from search.store import RunStore
from tests.probe_runs import TASK, probe_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return probe_run(tmp_path_factory.mktemp("hall") / "run", max_candidates=120)


def show(capsys, *args) -> str:
    assert main(["show", *args]) == 0
    return capsys.readouterr().out


def test_lion_on_one_line():
    assert one_liner(simplify(load("lion"))) == (
        "update = lr * 0.0001 * (sign(interp(g, m, 0.9)) + w * 0.1); m = interp(g, m, 0.99)"
    )


def test_one_liner_keeps_operator_grouping_and_shared_long_temporaries():
    program = parse(
        "def train(w, g, m, v, lr):\n"
        "    a = g - w\n    b = lr - a\n    b = square(b)\n    c = interp(a, b, 0.5)\n"
        "    d = sqrt(c)\n    update = d + d\n    return update, m, v\n"
    )
    line = one_liner(program)
    assert "lr - (g - w)" in line
    # `d` is read twice and long: a clause of its own, not written out twice.
    assert line.count("interp(") == 1
    assert line.endswith("; update = d + d")


def test_a_long_state_value_read_twice_comes_first_and_is_named():
    program = parse(
        "def train(w, g, m, v, lr):\n"
        "    g2 = square(g)\n    m = interp(g2, m, 0.999)\n    t = m * m\n    update = t / m\n"
        "    return update, m, v\n"
    )
    assert one_liner(program) == "m = interp(square(g), m, 0.999); update = m * m / m"


def test_show_lists_one_row_per_behaviour_with_gain_over_the_seed(run_dir, capsys):
    data = json.loads(show(capsys, str(run_dir), "--json", "--top", "6"))
    top = data["top"]
    assert len(top) == 6
    assert data["seed_fitness"] is not None
    for row in top:
        assert row["gain"] == pytest.approx(row["fitness"] - data["seed_fitness"])
        assert row["task_fitness"][TASK] == pytest.approx(row["fitness"])
        assert row["val_loss"][TASK] == pytest.approx(10 ** -row["fitness"])
        # The kept program, simplified: the one-liner carries no dead code.
        assert row["one_liner"] == one_liner(simplify(parse(row["program"])))
        assert row["live"] <= len(parse(row["program"]).statements)
    store = RunStore(run_dir)
    with store.db:
        fingerprints = [store.db.execute(
            "SELECT COALESCE(fingerprint, hash) FROM candidates WHERE id = ?", (row["id"],)
        ).fetchone()[0] for row in top]
    store.close()
    assert len(set(fingerprints)) == len(top)
    text = show(capsys, str(run_dir), "--top", "6")
    assert f"{TASK} val_loss" in text
    assert "seed program (candidate 0) fitness" in text
    for row in top:
        assert row["one_liner"] in text


def test_show_explains_failures_by_reason(run_dir, capsys):
    data = json.loads(show(capsys, str(run_dir), "--json"))
    assert data["failures_by_status"]["diverged"] > 0
    assert sum(data["failures_by_status"].values()) == data["failed"]
    assert sum(r["count"] for r in data["invalid_by_reason"]) <= data["invalid"]
    text = show(capsys, str(run_dir))
    assert f"failed by reason: {data['failures_by_status']['diverged']} diverged" in text
    assert "invalid children, commonest reasons:" in text


def test_show_json_keeps_its_old_keys(run_dir, capsys):
    data = json.loads(show(capsys, str(run_dir), "--json", "--top", "2"))
    for key in ("generated", "evaluated", "best_fitness", "best_program", "final_program",
                "lion_family"):
        assert key in data
    assert {"id", "fitness", "program"} <= set(data["top"][0])


def test_show_csv_is_the_hall_of_fame(run_dir, capsys):
    data = json.loads(show(capsys, str(run_dir), "--json", "--top", "4"))
    rows = list(csv.DictReader(io.StringIO(show(capsys, str(run_dir), "--csv", "--top", "4"))))
    assert [int(r["id"]) for r in rows] == [t["id"] for t in data["top"]]
    assert [float(r["fitness"]) for r in rows] == [t["fitness"] for t in data["top"]]
    assert [r["program"] for r in rows] == [t["one_liner"] for t in data["top"]]
    assert float(rows[0][f"{TASK}/val_loss"]) == data["top"][0]["val_loss"][TASK]


def test_show_prints_the_funnel_verdict_and_final_program(run_dir, capsys, tmp_path):
    assert f"funnel: not run yet (no report/final.json); optsearch funnel {run_dir}" in show(
        capsys, str(run_dir))
    final = {
        "winner_id": 7, "passed_funnel": True, "lion_family": True,
        "funnel": {"winner": 7, "stages": [{"name": "metaval-10x", "entrants": [7, 3, 0],
                                            "baseline_fitness": 0.25, "promoted": [7]}]},
        "final_program": load("lion").to_text(),
        "lion_match": {"b1": 0.9, "b2": 0.99, "weight_decay": 0.1, "lr_scale": 0.0001,
                       "distinct_betas": True},
        "first_lion_family": None,
    }
    report = run_dir / "report" / "final.json"
    report.write_text(json.dumps(final))
    try:
        text = show(capsys, str(run_dir))
    finally:
        report.unlink()
    assert "funnel stage metaval-10x: 3 entrants, baseline 0.25; promoted 7" in text
    assert "final program (candidate 7, passed every funnel stage)" in text
    assert "verdict: IN the Lion family" in text


def test_csv_of_a_program_is_a_clear_error(capsys):
    assert main(["show", "adamw", "--csv"]) == 2
    assert "--csv is for a run directory" in capsys.readouterr().err


LION_WITH_DEAD_CODE = """\
def train(w, g, m, v, lr):
    c = interp(g, m, 0.9)
    unused = square(w)
    update = sign(c)
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0001
    update = update * lr
    m = interp(g, m, 0.99)
    return update, m, v
"""


def test_diff_compares_simplified_programs_unless_raw(tmp_path, capsys):
    path = tmp_path / "lion_dead.py"
    path.write_text(LION_WITH_DEAD_CODE)
    assert main(["diff", "lion", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "the programs are identical"
    assert main(["diff", "--raw", "lion", str(path)]) == 0
    raw = capsys.readouterr().out
    assert "+    unused = square(w)" in raw
    assert main(["diff", "lion", "signsgd"]) == 0
    assert "(simplified)" in capsys.readouterr().out.splitlines()[0]
