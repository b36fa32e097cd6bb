"""Rows from archives: a seed's run is archived, read back and tabled, and the
success rule is applied per arm (the search must get its hit through the funnel
and ablation; a control only needs the hit)."""

from __future__ import annotations

import json

from dsl.library import load_builtin
from dsl.parser import parse
from optsearch.rediscovery.archive import read_archive, write_archive
from optsearch.rediscovery.rows import CPU_BUDGET_S, seed_row
from optsearch.rediscovery.targets import TARGETS, signum_text
from search.records import Candidate, Result
from search.store import RunStore

LION = TARGETS["lion"]
SIGNUM = parse(signum_text(0.9, 0.001))


def tell(store, told, cid, program, seconds=2.0, hit=False, status="ok", parent=0,
         mutation="insert"):
    """Record candidate `cid` as told `told`th (the seed, with no parent, for id 0)."""
    key = f"f{program.to_text()}"
    candidate = Candidate(cid, parent if cid else None, mutation if cid else "seed",
                          program, key, key, key, len(program), len(program))
    store.record_told(candidate, Result(status, 0.1 * cid, {}, seconds, cache_hit=hit),
                      told, told)


def make_run(path, rows, final=None):
    """A run directory holding `rows` ((id, program, seconds, cache hit)) and
    `final` as its report/final.json."""
    store = RunStore(path)
    store.write_config({"name": "test", "seed": 10})
    for told, (cid, program, seconds, hit) in enumerate(rows, start=1):
        tell(store, told, cid, program, seconds, hit)
    store.close()
    if final is not None:
        (path / "report").mkdir(exist_ok=True)
        (path / "report" / "final.json").write_text(json.dumps(final))
    return path


ROWS = [(0, load_builtin("adamw"), 10.0, False), (1, SIGNUM, 3.0, False),
        (2, load_builtin("adamw"), 0.0, True), (3, load_builtin("lion"), 5.0, False),
        (4, load_builtin("lion"), 0.0, True)]


def final_with(winner_program: str, promoted=(3,)):
    return {"winner_id": 3, "passed_funnel": True, "final_program": winner_program,
            "funnel": {"stages": [{"name": "s", "promoted": list(promoted)}]},
            "survivors": [{"candidate_id": 1, "final_program": SIGNUM.to_text()}]}


def archived(tmp_path, rows=ROWS, final=None, arm="search"):
    run = make_run(tmp_path / "run", rows, final)
    write_archive(run, tmp_path / "archive", {"target": "lion", "arm": arm, "seed": 10})
    return read_archive(tmp_path / "archive")


def test_the_first_hit_is_counted_in_candidates_evaluations_and_cpu(tmp_path):
    row = seed_row(archived(tmp_path, final=final_with(load_builtin("lion").to_text())),
                   LION)
    first = row["first"]
    # Told: AdamW, signum (b1 = b2: not Lion), AdamW from the cache, Lion.
    assert (first["candidate_id"], first["told"], first["evaluated"]) == (3, 4, 3)
    assert first["cpu_s"] == 18.0  # the cache hit cost nothing
    assert first["constants"]["b2"] == 0.99
    assert row["funnel"]["kept"] == [3] and row["funnel"]["winner_hit"]
    assert row["funnel"]["survivors_hit"] == []  # the signum survivor is not Lion
    assert row["success"]


def test_a_winner_not_ablated_to_the_target_is_no_success(tmp_path):
    row = seed_row(archived(tmp_path, final=final_with(load_builtin("adamw").to_text())),
                   LION)
    assert row["first"] and row["funnel"]["kept"] == [3]
    assert not row["funnel"]["winner_hit"] and not row["success"]


def test_a_funnel_that_drops_the_hit_is_no_success(tmp_path):
    final = final_with(load_builtin("lion").to_text(), promoted=(0,))
    row = seed_row(archived(tmp_path, final=final), LION)
    assert row["funnel"]["kept"] == [] and not row["success"]


def test_the_search_without_its_funnel_is_no_success_but_a_control_needs_none(tmp_path):
    search = seed_row(archived(tmp_path / "a"), LION)
    control = seed_row(archived(tmp_path / "b", arm="random"), LION)
    assert search["first"] and search["funnel"] is None and not search["success"]
    assert control["first"] and control["success"]


def test_a_hit_after_the_cpu_budget_is_no_success(tmp_path):
    slow = [(0, load_builtin("adamw"), CPU_BUDGET_S, False), *ROWS[1:]]
    row = seed_row(archived(tmp_path, rows=slow, arm="random"), LION)
    assert row["first"]["cpu_s"] > CPU_BUDGET_S and not row["success"]


def test_a_run_without_a_hit_says_never(tmp_path):
    row = seed_row(archived(tmp_path, rows=ROWS[:3], arm="shuffled"), LION)
    assert row["first"] is None and not row["success"]


def test_one_program_is_archived_per_behaviour(tmp_path):
    archive = archived(tmp_path)
    with_program = [r["id"] for r in archive.rows if "program" in r]
    assert with_program == [0, 1, 3]  # the cache hits repeat a key already archived


def test_archiving_the_same_run_twice_gives_the_same_bytes(tmp_path):
    run = make_run(tmp_path / "run", ROWS, final_with(load_builtin("lion").to_text()))
    meta = {"target": "lion", "arm": "search", "seed": 10, "commit": "abc"}
    write_archive(run, tmp_path / "one", meta)
    write_archive(run, tmp_path / "two", meta)
    for name in ("candidates.jsonl.gz", "final.json", "config.yaml", "meta.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_two_archives_of_one_walk_differ_only_in_timing(tmp_path):
    from dataclasses import replace

    from optsearch.rediscovery.archive import walk_differences

    archive = archived(tmp_path, final=final_with(load_builtin("lion").to_text()))
    slower = replace(archive, rows=[{**r, "cpu_s": r["cpu_s"] * 2, "wall_s": r["wall_s"] + 1}
                                    for r in archive.rows])
    assert walk_differences(archive, slower) == []
    other = replace(archive, rows=[{**r, "fitness": 0.5} if r["told"] == 4 else r
                                   for r in archive.rows])
    assert walk_differences(archive, other) == ["candidate told 4: fitness differ"]
    shorter = replace(archive, rows=archive.rows[:-1], final=None)
    assert walk_differences(archive, shorter) == [
        "5 candidates told against 4", "the funnel's results differ"]
