"""Hostile program files through the CLI: one clear line, exit 2, and exports that
contain nothing but what the program determines."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jax.numpy as jnp
import pytest

from dsl.parser import MAX_STATEMENTS
from optsearch.cli import main

HOSTILE = Path(__file__).parent / "dsl" / "hostile"


def _program(body: str) -> str:
    return f"def train(w, g, m, v, lr):\n{body}    return update, m, v\n"


def _fails_with_one_line(capsys, argv: list[str], fragment: str) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.endswith("\n")
    assert fragment in captured.err
    return captured.err


@pytest.mark.parametrize(
    "name,fragment",
    [
        ("big_integer.py", ":3:18: number out of range"),
        ("inf_literal.py", ":3:18: number out of range"),
        ("underflow_literal.py", ":3:18: number out of range"),
        ("nested_parens.py", ":3:218: syntax error: too many nested parentheses"),
    ],
)
def test_hostile_fixtures_are_one_located_line(capsys, name, fragment):
    _fails_with_one_line(capsys, ["show", str(HOSTILE / name)], fragment)


@pytest.mark.parametrize(
    "rhs",
    [" + ".join(["g"] * 100_000), "g * " + "-" * 100_000 + "1"],
    ids=["100k-chained-additions", "100k-nested-unary-minus"],
)
def test_expressions_python_cannot_nest_are_one_located_line(capsys, tmp_path, rhs):
    path = tmp_path / "deep.py"
    path.write_text(_program(f"    update = {rhs}\n"))
    _fails_with_one_line(capsys, ["show", str(path)], "deep.py:2:5: statement too long")


@pytest.mark.parametrize("command", ["show", "simplify"])
def test_a_10001_statement_chain_is_one_line_naming_the_cap(capsys, tmp_path, command):
    path = tmp_path / "long.py"
    path.write_text(_program("    update = g * 0.5\n" + "    update = update + g\n" * 10_000))
    _fails_with_one_line(
        capsys, [command, str(path)],
        f"long.py:{MAX_STATEMENTS + 2}:5: program too long: 10001 statements",
    )


def test_the_longest_program_the_parser_accepts_still_simplifies(capsys, tmp_path):
    path = tmp_path / "longest.py"
    chain = "    update = update + g\n" * (MAX_STATEMENTS - 1)
    path.write_text(_program("    update = g * 0.5\n" + chain))
    assert main(["simplify", str(path)]) == 0
    assert f"{MAX_STATEMENTS} statements" in capsys.readouterr().out


def test_a_300_character_file_name_is_one_line(capsys, tmp_path):
    name = str(tmp_path / ("p" * 297 + ".py"))
    _fails_with_one_line(capsys, ["show", name], "cannot read: File name too long")


def test_a_file_name_with_a_newline_is_escaped_onto_one_line(capsys, tmp_path):
    path = tmp_path / "bad\nname.py"
    path.write_text(_program("    update = foo(g)\n"))
    err = _fails_with_one_line(capsys, ["show", str(path)], ":2:14: unknown op `foo`")
    assert "bad\\nname.py" in err


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the generated export, not the program text
    return module


def test_export_never_pastes_the_file_name_into_the_module(capsys, tmp_path):
    # A file name holding a newline and code: pasted into a comment or docstring,
    # the code would run when the exported module is imported.
    path = tmp_path / "x.py\nraise SystemExit('the file name ran')\n#"
    path.write_text(_program("    update = g * lr\n"))
    assert main(["export", str(path)]) == 0
    source = capsys.readouterr().out
    assert "SystemExit" not in source and "x.py" not in source
    module_path = tmp_path / "exported.py"
    module_path.write_text(source)
    tx = _import(module_path, "exported_from_evil_name").optimizer()
    params = {"a": jnp.ones(3)}
    updates, _ = tx.update(params, tx.init(params))
    assert updates["a"].tolist() == [-1.0, -1.0, -1.0]


@pytest.mark.parametrize("fmt", ["python", "latex", "text"])
def test_export_formats_run_on_a_program_shadowing_module_names(capsys, tmp_path, fmt):
    path = tmp_path / "shadow.py"
    path.write_text(_program(
        "    jnp = g * 2.0\n    segment_ids = norm(jnp)\n    e = segment_ids * lr\n"
        "    update = e * 1.0\n"
    ))
    assert main(["export", str(path), "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "python":
        module_path = tmp_path / "shadow_module.py"
        module_path.write_text(out)
        tx = _import(module_path, "shadow_module").optimizer()
        params = {"a": jnp.asarray([3.0, 4.0])}
        updates, _ = tx.update(params, tx.init(params))
        assert updates["a"].tolist() == pytest.approx([-10.0, -10.0])
    elif fmt == "latex":
        assert r"\mathit{segment\_ids} \gets \mathrm{norm}(\mathit{jnp})" in out
    else:
        assert "segment_ids = norm(jnp)" in out
