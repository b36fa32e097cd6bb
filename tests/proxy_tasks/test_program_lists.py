"""`--programs @FILE`: a committed list of the programs an objective is priced
against, so a target's rivals are named in the repository, not in a command
line someone has to remember."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.library import load_builtin
from dsl.loading import load_program
from optsearch.commands.task_commands import _labelled_programs
from search.errors import UserError
from tests.cli import optsearch

ROOT = Path(__file__).resolve().parents[2]
LION_CLEAN_LIST = ROOT / "configs" / "rediscover" / "lion-clean.programs"


def test_the_lion_clean_list_names_every_rival_and_each_loads():
    programs = _labelled_programs(f"@{LION_CLEAN_LIST}")
    assert list(programs)[:2] == ["lion", "lion_one_beta"]
    assert {"normmom", "lion_sign_decay", "rmsprop_decay", "adamw"} <= set(programs)
    found = ROOT / "configs" / "programs" / "found" / "normalized_momentum_clean_seed0.py"
    assert programs["normmom"] == load_program(str(found))
    assert programs["lion"] == load_builtin("lion")


def test_paths_in_a_list_are_read_from_its_folder_whatever_the_cwd(tmp_path, monkeypatch):
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "mine.py").write_text((ROOT / "configs" / "programs" / "lion_one_beta.py")
                                    .read_text())
    (folder / "rivals.programs").write_text(
        "# a comment line\n\nmine=mine.py   # the hand-written one\nsgd\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    programs = _labelled_programs(f"adamw,@{folder / 'rivals.programs'}")
    assert list(programs) == ["adamw", "mine", "sgd"]
    assert programs["mine"] == load_program(str(folder / "mine.py"))


def test_a_list_item_without_a_program_is_refused_in_one_line(tmp_path):
    listed = tmp_path / "bad.programs"
    listed.write_text("lion\nhalf=\n")
    with pytest.raises(UserError, match="'half=' is not LABEL=PROGRAM"):
        _labelled_programs(f"@{listed}")


def test_a_missing_list_is_a_one_line_error_not_a_traceback(tmp_path):
    missing = tmp_path / "nowhere.programs"
    shown = optsearch("baselines", "--objective", "configs/quickstart.yaml",
                      "--programs", f"@{missing}", cwd=ROOT)
    assert shown.returncode != 0
    assert f"cannot read the program list {missing}" in shown.stderr
    assert "Traceback" not in shown.stderr
