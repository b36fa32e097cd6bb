"""The README's shell examples name commands, options, scripts and configs that exist.

Every `optsearch ...` command in a ```bash block must parse with the real
command-line parser (the subcommand and each option exist, arguments are well
formed); every `python scripts/X.py` and every `configs/...yaml` it names must be
a file of the repository. Placeholders (RUN_DIR, my_lion.py) parse like the
real names they stand for, so this runs nothing and stays fast.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from optsearch.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
_BLOCKS = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def _segments() -> list[list[str]]:
    """Each command of the README's bash blocks, as argv (continuations joined,
    chains split at && and |, output redirection dropped)."""
    found = []
    for block in _BLOCKS:
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            command: list[str] = []
            for word in words + ["&&"]:
                if word in ("&&", "|", ";"):
                    if command:
                        found.append(command)
                    command = []
                elif word.startswith(">"):
                    command.append(">")  # the file after it is output, not an argument
                else:
                    command.append(word)
    return [c[: c.index(">")] if ">" in c else c for c in found]


SEGMENTS = _segments()
OPTSEARCH = [s for s in SEGMENTS if s[0] == "optsearch"]


def test_the_readme_has_optsearch_examples():
    assert len(OPTSEARCH) >= 20


@pytest.mark.parametrize("argv", OPTSEARCH, ids=lambda a: " ".join(a)[:60])
def test_every_optsearch_example_parses(argv, capsys):
    try:
        args, extra = build_parser().parse_known_args(argv[1:])
    except SystemExit:
        pytest.fail(f"`{' '.join(argv)}`: {capsys.readouterr().err.strip()}")
    # KEY=VALUE overrides are the only arguments the CLI collects itself.
    assert all("=" in e and not e.startswith("-") for e in extra), extra
    assert callable(args.func)


def test_every_script_and_config_named_exists():
    pattern = re.compile(r"(scripts|configs)/\S+\.(py|yaml)")
    named = {w for s in SEGMENTS for w in s if pattern.fullmatch(w)}
    assert named, "the README names scripts and configs"
    missing = sorted(n for n in named if not (ROOT / n).is_file())
    assert not missing, missing
