"""Every bad config is one line on stderr, exit status 2, and leaves no run directory.

The fixtures are literal files under tests/hostile/configs/, one per way a config
can be wrong (NaN or absurd numbers, empty or nested task lists, zero weights, an
executor shorter than the seed, unknown ops, seed programs that are missing, a
directory, not a program or not a run, non-UTF-8 bytes, 5,000-deep nesting, unknown
keys of different types). Each goes through the CLI as a user would run it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optsearch.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "tests" / "hostile" / "configs").glob("*.yaml"))


def test_there_are_fixtures():
    assert len(FIXTURES) >= 20


@pytest.mark.parametrize("config", FIXTURES, ids=lambda p: p.stem)
def test_a_bad_config_is_one_line_exit_2_and_creates_nothing(
    config, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(ROOT)  # fixtures name repository paths (configs/programs, ...)
    run_dir = tmp_path / "run"
    name = str(config.relative_to(ROOT))
    status = main(["run", name, "--run-dir", str(run_dir), "--quiet"])
    out, err = capsys.readouterr()
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("optsearch run: error: "), err
    assert name in err  # names the file
    assert "Traceback" not in err and len(err) < 1000
    assert not run_dir.exists()
