"""`optsearch equiv`, `simplify` and the analysis fields of `show --json`,
run as a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dsl import parse
from optsearch.cli import main

LION_IN_V = """\
def train(w, g, m, v, lr):
    c = interp(g, v, 0.9)
    update = sign(c)
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0001
    update = update * lr
    v = interp(g, v, 0.99)
    return update, m, v
"""

SLOWER_MOMENTUM = LION_IN_V.replace("0.99)", "0.999)")

BROKEN = """\
def train(w, g, m, v, lr):
    update = frobnicate(g)
    return update, m, v
"""


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in {
        "lion_v": LION_IN_V,
        "slower": SLOWER_MOMENTUM,
        "broken": BROKEN,
    }.items():
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(text)
    return paths


def test_show_json_reports_hash_fingerprint_and_counts(capsys):
    assert main(["show", "program4", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["hash"]) == 32 and len(summary["fingerprint"]) == 32
    assert (summary["statements"], summary["live_statements"]) == (12, 11)
    assert summary["state_slots_used"] == 1


def test_show_json_hash_ignores_which_slot_holds_the_state(capsys, files):
    main(["show", "lion", "--json"])
    lion = json.loads(capsys.readouterr().out)
    main(["show", str(files["lion_v"]), "--json"])
    lion_v = json.loads(capsys.readouterr().out)
    assert (
        lion["hash"] == lion_v["hash"] and lion["fingerprint"] == lion_v["fingerprint"]
    )


def test_equiv_exits_0_for_the_same_optimizer(capsys, files):
    assert main(["equiv", "lion", str(files["lion_v"])]) == 0
    assert capsys.readouterr().out.startswith("equivalent")


def test_equiv_exits_1_and_names_the_first_difference(capsys, files):
    assert main(["equiv", "lion", str(files["slower"])]) == 1
    out = capsys.readouterr().out
    # Lion's update is a sign: the slower momentum shows once a sign flips.
    assert re.match(
        r"different: first at step \d+ of run \d+, max \|difference\| ", out
    )


def test_equiv_takes_a_tolerance(capsys, files):
    assert main(["equiv", "lion", str(files["slower"]), "--rtol", "10"]) == 0


def test_simplify_prints_a_parseable_equivalent_program(capsys, tmp_path):
    assert main(["simplify", "program4"]) == 0
    text = capsys.readouterr().out
    simplified = parse(text)
    assert "interp(t1, m, 0.996991)" in text and len(simplified) == 9
    out_file = tmp_path / "p4s.py"
    out_file.write_text(text)
    assert main(["equiv", "program4", str(out_file)]) == 0


def test_simplify_prints_an_obfuscated_lion_as_it_prints_lion(capsys, tmp_path):
    from tests.dsl.test_simplify import OBFUSCATED_LIONS

    assert main(["simplify", "lion"]) == 0
    lion = capsys.readouterr().out.split("\n", 1)[1]  # below the "# simplified" line
    for index, text in enumerate(OBFUSCATED_LIONS.values()):
        path = tmp_path / f"obfuscated{index}.py"
        path.write_text(text)
        assert main(["simplify", str(path)]) == 0
        out = capsys.readouterr().out
        assert out.split("\n", 1)[1] == lion, out
        assert main(["equiv", "lion", str(path)]) == 0
        assert capsys.readouterr().out.startswith("equivalent")


def test_simplify_verify_reports_on_stderr(capsys):
    assert main(["simplify", "adamw", "--verify"]) == 0
    assert "equivalent" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["equiv", "lion", "no_such_file.py"],
        ["equiv", "lion", "BROKEN"],
        ["simplify", "BROKEN"],
        ["simplify", "no_such_file.py"],
        ["equiv", "lion", "lion", "--seeds", "0"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, files, argv):
    argv = [str(files["broken"]) if a == "BROKEN" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err


def test_the_installed_command_reports_bad_input_with_exit_2(files):
    # The console script pip installed beside this interpreter, so the test
    # needs no activated environment on PATH.
    command = Path(sys.executable).parent / "optsearch"
    assert command.is_file(), f"no installed `optsearch` beside {sys.executable}"
    done = subprocess.run(
        [str(command), "simplify", str(files["broken"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith("unknown op `frobnicate`")
    assert "Traceback" not in done.stderr
