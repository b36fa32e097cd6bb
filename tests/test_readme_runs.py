"""The README's "Inspecting a run" and "Programs" blocks run, after its quick start.

`test_readme_commands.py` checks that every example parses; this one runs the
block a new user runs first: the quick start's search at its written size (so
its best, candidate 1662, exists), then every command of the block, word for word, in a
fresh directory laid out like a checkout (`configs/` and `docs/` linked in). The
`plot` line names three seeded runs, which are made first, small: the block
says nothing about their size.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _block_after(heading: str) -> str:
    section = README.split(heading, 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def _commands(block: str) -> list[str]:
    """Each command line of a block, continuations joined, comments kept out."""
    lines = block.replace("\\\n", " ").splitlines()
    return [line.split("  #")[0].strip() for line in lines if line.strip()]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    home = tmp_path_factory.mktemp("readme")
    for name in ("configs", "docs"):
        (home / name).symlink_to(ROOT / name)
    for seed in range(3):
        made = cli.optsearch(
            "run", "configs/quickstart.yaml", f"seed={seed}", "max_candidates=40",
            "--run-dir", f"runs/quickstart-seed{seed}", cwd=home, timeout=300,
        )
        assert made.returncode == 0, made.stderr
    # The quick start's own search, as written (its last command), made last so
    # that it is the run `latest` names.
    quick = _commands(_block_after("## Quick start"))[0].split("&&")[-1].split()
    assert quick[:2] == ["optsearch", "run"]
    result = cli.optsearch(*quick[1:], cwd=home, timeout=600)
    assert result.returncode == 0, result.stderr
    return home


@pytest.mark.parametrize(
    "command", _commands(_block_after("## Inspecting a run")), ids=lambda c: c[:50]
)
def test_every_inspecting_command_runs_as_written(checkout, command):
    words = shlex.split(command)
    assert words[0] == "optsearch"
    redirect = words.index(">") if ">" in words else None
    argv = words[1:redirect] if redirect else words[1:]
    result = subprocess.run(
        [sys.executable, "-m", "optsearch", *argv],
        cwd=checkout, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"`{command}`: {result.stderr}"
    assert result.stdout.strip() or (checkout / "seeds.png").exists()


#: The Programs block's placeholders, filled as a reader would fill them.
PLACEHOLDERS = {"my_lion.py": "configs/programs/lion.py", "RUN_DIR:1662": "latest:1662"}


@pytest.mark.parametrize(
    "command", _commands(_block_after("## Programs")), ids=lambda c: c[:50]
)
def test_every_programs_command_runs_with_its_placeholders_filled(checkout, command):
    words = [PLACEHOLDERS.get(w, w) for w in shlex.split(command)]
    assert words[0] == "optsearch"
    redirect = words.index(">") if ">" in words else None
    argv = words[1:redirect] if redirect else words[1:]
    result = subprocess.run(
        [sys.executable, "-m", "optsearch", *argv],
        cwd=checkout, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"`{command}`: {result.stderr}"
    assert result.stdout.strip()
