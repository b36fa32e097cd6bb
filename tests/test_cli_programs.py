"""The `optsearch` commands about single programs, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from optsearch.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optsearch", *args], capture_output=True, text=True, timeout=120
    )


def test_ops_json_lists_45_ops_with_name_and_arity(capsys):
    assert main(["ops", "--json"]) == 0
    ops = json.loads(capsys.readouterr().out)
    assert len(ops) == 45
    assert {"name": "interp", "arity": 3} .items() <= next(o for o in ops if o["name"] == "interp").items()


def test_show_marks_dead_code_and_counts_state_slots(capsys):
    assert main(["show", "program4"]) == 0
    out = capsys.readouterr().out
    assert "m = cosh(update)" in out and "# dead" in out
    assert "12 statements, 11 live; state slots used: 1 (v)" in out


def test_show_json_reports_counts(capsys):
    assert main(["show", "adamw", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["statements"] == 9
    assert summary["live_statements"] == 9
    assert summary["state_slots_used"] == 2


def test_export_python_prints_a_module(capsys):
    assert main(["export", "lion", "--format", "python"]) == 0
    out = capsys.readouterr().out
    assert "def optimizer(lr_schedule=1.0, *, learning_rate=None):" in out
    assert "jnp.sign(" in out


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("def train(w, g, m, v, lr):\n    update = foo(g)\n    return update, m, v\n", ":2:14: unknown op `foo`"),
        ("def train(w, g, m, v, lr):\n    update = g * zz\n    return update, m, v\n", ":2:1: reads `zz`"),
        ("def train(w, g, m, v, lr:\n", ":1:"),
    ],
)
def test_bad_programs_exit_2_with_one_line_and_no_traceback(tmp_path, text, fragment):
    path = tmp_path / "bad.py"
    path.write_text(text)
    result = run_cli("show", str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2():
    result = run_cli("show", "/no/such/file.py")
    assert result.returncode == 2
    assert "no such program file" in result.stderr


def test_show_json_says_whether_any_program_is_lion_and_with_what_constants(tmp_path, capsys):
    lion_via_reciprocal = tmp_path / "mine.py"
    lion_via_reciprocal.write_text(
        "def train(w, g, m, v, lr):\n"
        "    c = interp(g, m, 0.9)\n    c = reciprocal(c)\n    update = sign(c)\n"
        "    wd = w * 0.5\n    update = update + wd\n    lr = lr * 0.0003\n"
        "    update = update * lr\n    m = interp(g, m, 0.99)\n    return update, m, v\n"
    )
    assert main(["show", str(lion_via_reciprocal), "--json"]) == 0
    lion = json.loads(capsys.readouterr().out)["lion"]
    assert lion["lion_family"] and lion["distinct_betas"]
    assert (lion["b1"], lion["b2"], lion["weight_decay"], lion["lr_scale"]) == (
        0.9, 0.99, 0.5, 0.0003
    )
    assert main(["show", "adamw", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lion"]["lion_family"] is False
