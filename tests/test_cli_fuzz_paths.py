"""Hostile run names, run directories and checkpoints, fed to `run`, `run --resume`,
`show` and `export` as an attacker would.

Every case must end in exit status 0 or 2, with a refusal being exactly one line
on stderr, no traceback, no terminal control byte in anything printed, and no
file created anywhere but the run directory the user asked for. Names are drawn
from fixed lists plus a seeded random sample (the same cases on every run).
"""

from __future__ import annotations

import json
import os
import random
import traceback
from pathlib import Path

import pytest

from optsearch.cli import main
from tests.test_cli_runs import CONFIG

#: Names a run must refuse (each breaks the one-path-component rule).
BAD_NAMES = [
    "../escape", "../../../../tmp/optsearch-fuzz-escape", "/tmp/optsearch-fuzz-abs",
    "a/b", "..", ".", "", "-rf", "x" * 65, "\x1b]0;pwned\x07", "\x1b[2J", "tab\there",
    "new\nline", "ünïcode", "sp ace", "$(touch pwned)", "`touch pwned`", "a\x00b",
]
ALPHABET = "ab./\\~$`\x1b\x07\n\r\t \x00é;|&*?-_"


def random_bad_names(count: int, seed: int = 29) -> list[str]:
    """Names of 1-12 characters from a hostile alphabet, each with at least one
    character the rule forbids (so every one must be refused)."""
    rng = random.Random(seed)
    names = []
    while len(names) < count:
        name = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))
        if any(c not in "ab.-_" for c in name) or name[0] in ".-_":
            names.append(name)
    return names


def tree(root: Path) -> set[str]:
    """Every path under `root`, relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def call(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit status, stdout, stderr); a traceback fails."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    except BaseException:  # noqa: BLE001 - the point of the test
        pytest.fail(f"optsearch {args!r} raised:\n{traceback.format_exc()}")
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean(code: int, out: str, err: str, refused: bool | None = None) -> None:
    assert code in (0, 2), (code, out, err)
    if refused is not None:
        assert (code == 2) == refused, (code, out, err)
    for text in (out, err):
        assert "Traceback" not in text, text
        assert not any(c in text for c in "\x1b\x07\x00"), repr(text)
    if code == 2:
        assert err.count("\n") == 1, repr(err)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory holding the tiny config; the current directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(CONFIG.format(budget=30))
    return tmp_path


@pytest.mark.parametrize("name", BAD_NAMES + random_bad_names(24), ids=repr)
def test_a_bad_run_name_is_refused_and_creates_nothing(workdir, capsys, name):
    before = tree(workdir)
    config = workdir / "named.yaml"
    # JSON strings are YAML strings: every byte of the name reaches the config.
    config.write_text(CONFIG.format(budget=30).replace("name: tiny", f"name: {json.dumps(name)}"))
    before.add("named.yaml")
    assert_clean(*call(capsys, "run", str(config)), refused=True)
    if "\x00" not in name and "\n" not in name:
        assert_clean(*call(capsys, "run", "tiny.yaml", f"name={name}"), refused=True)
    assert tree(workdir) == before
    assert not Path("/tmp/optsearch-fuzz-escape").exists()
    assert not Path("/tmp/optsearch-fuzz-abs").exists()


def test_a_fresh_run_refuses_a_directory_that_is_not_a_run(workdir, capsys):
    (workdir / "project").mkdir()
    (workdir / "project" / "notes.txt").write_text("mine\n")
    (workdir / "afile").write_text("mine\n")
    before = tree(workdir)
    for run_dir in ["/", "/etc", "project", "runs/../project", "afile", "afile/run",
                    "x" * 300, "runs/" + "y" * 300]:
        code, out, err = call(capsys, "run", "tiny.yaml", "--run-dir", run_dir)
        assert_clean(code, out, err, refused=True)
    assert tree(workdir) == before
    assert (workdir / "project" / "notes.txt").read_text() == "mine\n"
    assert not Path("/candidates.sqlite").exists() and not Path("/etc/candidates.sqlite").exists()


def test_hostile_run_directories_run_inside_themselves_and_print_escaped(workdir, capsys):
    names = ["runs/\x1b]0;pwned\x07title", "runs/new\nline", "deep/a b/c"]
    for run_dir in names:
        before = tree(workdir)
        assert_clean(*call(capsys, "run", "tiny.yaml", "--run-dir", run_dir), refused=False)
        created = tree(workdir) - before
        assert created and all(
            (workdir / c).resolve().is_relative_to((workdir / run_dir).resolve())
            or (workdir / run_dir).resolve().is_relative_to((workdir / c).resolve())
            for c in created
        ), created
        for command in (["show", run_dir], ["show", run_dir, "--json"],
                        ["export", f"{run_dir}:0"], ["run", "--resume", run_dir]):
            assert_clean(*call(capsys, *command), refused=False)


@pytest.mark.parametrize("target", ["\x1b[2J", "../../../etc", "/etc", "\x1b]0;x\x07:3",
                                    "runs/../../x:1", "nothing:0", "a" * 5000])
def test_show_export_and_resume_of_hostile_targets_are_one_line(workdir, capsys, target):
    before = tree(workdir)
    for command in (["show", target], ["export", target], ["run", "--resume", target]):
        assert_clean(*call(capsys, *command), refused=True)
    assert tree(workdir) == before


def checkpoints() -> dict[str, bytes]:
    rng = random.Random(28)
    return {
        "random-bytes": bytes(rng.randrange(256) for _ in range(4096)),
        "list-200000-deep": b"[" * 200_000 + b"]" * 200_000,
        "object-100000-deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "20-MB-of-whitespace": b" " * 20_000_000 + b"{}",
        "escape-bytes-in-keys": json.dumps({"\x1b[2J": 1, "population": "\x1b]0;x\x07"}).encode(),
    }


def test_a_hostile_checkpoint_is_rebuilt_and_the_run_still_reads(workdir, capsys):
    assert_clean(*call(capsys, "run", "tiny.yaml", "--run-dir", "runs/victim"), refused=False)
    checkpoint = workdir / "runs" / "victim" / "checkpoint.json"
    for name, content in checkpoints().items():
        checkpoint.write_bytes(content)
        before = tree(workdir)
        for command in (["run", "--resume", "runs/victim"], ["show", "runs/victim"],
                        ["export", "runs/victim:0"]):
            code, out, err = call(capsys, *command)
            assert_clean(code, out, err, refused=False)
        assert tree(workdir) <= before | {"runs/victim/checkpoint.json"}, name
        assert os.path.getsize(checkpoint) < 1_000_000, name  # rewritten whole, not kept
