"""A seed's archive cut into the walks its restarts made, and the per-walk hit
rate read off them (`optsearch rediscover --report-only DIR --walks`)."""

from __future__ import annotations

import math

import yaml

from dsl.library import load_builtin
from dsl.parser import parse
from funnel.lion_family import lion_text
from optsearch.rediscovery.archive import CONFIG_FILE, read_archive, write_archive
from optsearch.rediscovery.targets import TARGETS
from optsearch.rediscovery.walks import hit_rate, walk_rows, walks_needed, walks_of
from tests.cli import optsearch
from search.store import RunStore
from tests.rediscovery.test_rows import make_run, tell

ADAMW, LION = load_builtin("adamw"), load_builtin("lion")
ONE_BETA = parse(lion_text(0.9, 0.9, 0.01, 0.001))  # Lion with b1 = b2: a near miss
# Walks of 3 from the seed, the last 3 of 10 from the best: told 1-3, 4-6, 7, 8-10.
RESTARTS = {"name": "test", "seed": 10, "max_candidates": 10,
            "restarts": {"seed_every_candidates": 3, "best_for_last_candidates": 3}}


def archive_with(tmp_path, hits_at=(5, 9), near_at=(2, 4)):
    def program(told):
        return LION if told in hits_at else ONE_BETA if told in near_at else ADAMW

    rows = [(told, program(told), 1.0, False) for told in range(1, 11)]
    run = make_run(tmp_path / "run", rows)
    dest = tmp_path / "out" / "lion" / "search" / "seed-10"
    write_archive(run, dest, {"target": "lion", "arm": "search", "seed": 10})
    (dest / CONFIG_FILE).write_text(yaml.safe_dump(RESTARTS))
    return tmp_path / "out", read_archive(dest)


def archive_of_lineages(tmp_path, told_rows, config):
    """The archive of a run that told `told_rows` ((id, program, parent,
    mutation)) in order, under `config`."""
    store = RunStore(tmp_path / "run")
    store.write_config({"name": "test", "seed": 10})
    for told, (cid, program, parent, mutation) in enumerate(told_rows, start=1):
        tell(store, told, cid, program, parent=parent, mutation=mutation)
    store.close()
    dest = tmp_path / "out" / "lion" / "search" / "seed-10"
    write_archive(tmp_path / "run", dest, {"target": "lion", "arm": "search", "seed": 10})
    (dest / CONFIG_FILE).write_text(yaml.safe_dump(config))
    return read_archive(dest)


def test_a_run_is_cut_where_its_config_restarts_it(tmp_path):
    _, archive = archive_with(tmp_path)
    assert [(w.kind, w.start, w.end) for w in walks_of(archive)] == [
        ("seed", 1, 3), ("seed", 4, 6), ("seed", 7, 7), ("best", 8, 10)]


def test_each_walk_names_its_first_hit_and_the_tail_is_not_counted_as_a_walk(tmp_path):
    _, archive = archive_with(tmp_path)
    rows = walk_rows(archive, TARGETS["lion"])
    assert [r["first_hit"] for r in rows] == [None, 5, None, 9]
    assert [r["first_near_miss"] for r in rows] == [2, 4, None, None]
    assert hit_rate(rows) == (1, 3)


def test_a_walk_counts_the_children_of_its_near_misses_and_the_duplicates_among_them(
        tmp_path):
    # told 1 AdamW (id 0); told 2 the near miss (id 1); told 3-6 its children by
    # duplicate, insert, duplicate, and one child of AdamW; told 7-10 a second walk
    # whose one child of the near miss (id 1, asked before the restart) counts there.
    archive = archive_of_lineages(tmp_path, [
        (0, ADAMW, None, None), (1, ONE_BETA, 0, "modify"),
        (2, ADAMW, 1, "duplicate"), (3, ADAMW, 1, "insert"),
        (4, ADAMW, 1, "duplicate"), (5, ADAMW, 0, "duplicate"),
        (6, ADAMW, 0, "insert"), (7, ADAMW, 1, "duplicate"),
        (8, ADAMW, 6, "insert"), (9, ADAMW, 8, "insert")],
        {**RESTARTS, "restarts": {"seed_every_candidates": 6}})
    rows = walk_rows(archive, TARGETS["lion"])
    assert [(r["near_miss_children"], r["near_miss_duplicates"]) for r in rows] == [
        (3, 2), (1, 1)]
    shown = optsearch("rediscover", "--report-only", str(tmp_path / "out"), "--walks")
    assert "| 10 | 2 | 0: none | 1 | 4 (3) | - |" in shown.stdout, shown.stdout


def test_a_hit_names_where_its_lineage_began_even_in_an_earlier_walk(tmp_path):
    # Walks of 3: told 1-3, 4-6. The hit told 5 (id 4) is a child of id 3 (told
    # 4), a child of id 2 (told 3, the first walk), a child of the seed.
    archive = archive_of_lineages(tmp_path, [
        (0, ADAMW, None, None), (1, ADAMW, 0, "insert"), (2, ONE_BETA, 0, "insert"),
        (3, ONE_BETA, 2, "insert"), (4, LION, 3, "insert"), (5, ADAMW, 0, "insert")],
        {**RESTARTS, "max_candidates": 6, "restarts": {"seed_every_candidates": 3}})
    rows = walk_rows(archive, TARGETS["lion"])
    assert [(r["first_hit"], r["first_hit_lineage_from"]) for r in rows] == [
        (None, None), (5, 3)]
    shown = optsearch("rediscover", "--report-only", str(tmp_path / "out"), "--walks")
    assert "| 10 | 2 | 1: 1 (5, 3) |" in shown.stdout, shown.stdout
    assert "1 of those 1 first hits descend from a candidate told before" in shown.stdout


def test_the_walks_a_run_needs_follow_from_the_per_walk_rate():
    assert math.ceil(walks_needed(1, 84, 0.8)) == 135
    assert walks_needed(0, 84, 0.8) == math.inf
    assert walks_needed(3, 3, 0.8) == 1.0


def test_the_walk_report_is_printed_from_the_archives(tmp_path):
    out, _ = archive_with(tmp_path)
    shown = optsearch("rediscover", "--report-only", str(out), "--walks")
    assert shown.returncode == 0, shown.stderr
    assert "| 10 | 3 | 1: 1 (5, 5) | 2 | 0 (0) | yes |" in shown.stdout
    assert "1 of 3 walks from the seed hit (33.3% a walk)" in shown.stdout
    assert "0 of those 1 first hits descend from a candidate told before" in shown.stdout
    assert "2 of 3 reached Lion with b1 = b2." in shown.stdout
