"""`optsearch rediscover --report-only DIR` rebuilds the tables from archives
alone, and a damaged archive is one line naming the file."""

from __future__ import annotations

import json

from dsl.library import load_builtin
from dsl.parser import parse
from optsearch.rediscovery.archive import write_archive
from optsearch.rediscovery.report import TABLES_JSON, TABLES_MD, write_tables
from tests.cli import optsearch
from tests.rediscovery.test_rows import ROWS, final_with, make_run


def archives(tmp_path):
    out = tmp_path / "out"
    runs = [("search", 10, final_with(load_builtin("lion").to_text())),
            ("search", 11, final_with(load_builtin("adamw").to_text())),
            ("random", 10, None)]
    for arm, seed, final in runs:
        run = make_run(tmp_path / f"run-{arm}-{seed}", ROWS, final)
        write_archive(run, out / "lion" / arm / f"seed-{seed}",
                      {"target": "lion", "arm": arm, "seed": seed, "commit": "abc"})
    write_tables(out)
    return out


def test_the_report_is_rebuilt_from_the_archives_alone(tmp_path):
    out = archives(tmp_path)
    shown = optsearch("rediscover", "--report-only", str(out))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (out / TABLES_MD).read_text()
    assert "| Lion from AdamW | search | 10, 11 | 2 of 2 | 1 of 2 |" in shown.stdout
    as_json = optsearch("rediscover", "--report-only", str(out), "--json")
    assert json.loads(as_json.stdout) == json.loads((out / TABLES_JSON).read_text())


def test_each_seed_s_first_hit_and_final_program_are_written_beside_its_archive(tmp_path):
    out = archives(tmp_path)
    first = parse((out / "lion" / "search" / "seed-10" / "first.py").read_text())
    assert first.to_text() == load_builtin("lion").to_text()
    assert (out / "lion" / "search" / "seed-11" / "final.py").is_file()
    assert not (out / "lion" / "random" / "seed-10" / "final.py").exists()  # no funnel


def test_a_damaged_archive_is_one_line_naming_the_file(tmp_path):
    out = archives(tmp_path)
    damaged = out / "lion" / "search" / "seed-11" / "candidates.jsonl.gz"
    damaged.write_bytes(b"not gzip")
    shown = optsearch("rediscover", "--report-only", str(out))
    assert shown.returncode != 0
    assert str(damaged) in shown.stderr and "Traceback" not in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1


def test_a_folder_without_archives_is_one_line(tmp_path):
    shown = optsearch("rediscover", "--report-only", str(tmp_path))
    assert shown.returncode != 0 and "no archived seeds" in shown.stderr
