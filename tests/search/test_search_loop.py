"""The search loop against a cheap deterministic evaluator: evolution rules,
caching, invalid children, restarts, determinism and resume."""

from __future__ import annotations

import math
import sqlite3

import pytest

from search.config import config_from_dict
from search.loop import SearchRunner
from search.store import RunStore
from tests.search.probe_evaluator import ProbeEvaluator


def make_config(**overrides):
    raw = {
        "population": 16,
        "tournament": 4,
        "max_candidates": 150,
        "max_length": 14,
        "checkpoint_every": 10,
        "report_every": 1000,
        "tasks": {"executor_length": 14},
    }
    raw.update(overrides)
    return config_from_dict(raw)


def run(tmp_path, name="run", evaluator=None, **overrides):
    config = make_config(**overrides)
    store = RunStore(tmp_path / name)
    evaluator = evaluator or ProbeEvaluator()
    try:
        runner = SearchRunner(config, store, evaluator)
        outcome = runner.run()
    finally:
        store.close()
    return outcome, runner, evaluator


def rows(run_dir, columns="id, parent_id, mutation, program, status, fitness, cache_hit, told_seq"):
    with sqlite3.connect(run_dir / "candidates.sqlite") as db:
        return db.execute(f"SELECT {columns} FROM candidates ORDER BY id").fetchall()


def test_a_search_runs_to_its_budget_and_records_every_candidate(tmp_path):
    outcome, runner, evaluator = run(tmp_path)
    assert outcome.generated == 150
    told = [r for r in rows(tmp_path / "run") if r[7] is not None]
    assert len(told) == 150
    assert sorted(r[7] for r in told) == list(range(1, 151))
    assert outcome.evaluated + outcome.cache_hits == 150
    assert (tmp_path / "run" / "report" / "best.py").exists()
    assert (tmp_path / "run" / "report" / "fitness.png").exists()
    assert (tmp_path / "run" / "report" / "pruning.png").exists()


def test_the_search_improves_on_its_seed(tmp_path):
    outcome, runner, _ = run(tmp_path, max_candidates=300)
    seed_fitness = rows(tmp_path / "run")[0][5]
    assert outcome.best_fitness > seed_fitness


def test_duplicates_are_answered_from_the_cache_never_evaluated_twice(tmp_path):
    outcome, runner, evaluator = run(tmp_path)
    assert outcome.cache_hits > 0
    assert len(evaluator.submitted) == outcome.evaluated
    with sqlite3.connect(tmp_path / "run" / "candidates.sqlite") as db:
        keys = db.execute(
            "SELECT fingerprint, COUNT(*) FROM candidates WHERE cache_hit = 0 AND valid = 1"
            " GROUP BY fingerprint HAVING COUNT(*) > 1"
        ).fetchall()
    assert keys == [], "a program with a known fingerprint was evaluated again"


def test_invalid_children_are_recorded_with_a_reason_but_never_evaluated(tmp_path):
    outcome, runner, evaluator = run(tmp_path)
    invalid = [r for r in rows(tmp_path / "run", "id, reason, status") if r[2] == "invalid"]
    assert outcome.invalid == len(invalid) > 0
    assert all(r[1] for r in invalid)
    assert not set(r[0] for r in invalid) & set(evaluator.submitted)


def test_require_new_re_mutates_instead_of_using_the_cache(tmp_path):
    outcome, runner, _ = run(tmp_path, require_new=True, max_candidates=80)
    assert outcome.cache_hits == 0
    assert runner.evolution.counters.duplicates_skipped > 0


def test_the_oldest_member_leaves_and_the_population_size_is_constant(tmp_path):
    outcome, runner, _ = run(tmp_path, max_candidates=60)
    population = runner.evolution.population
    assert len(population) == 16
    told_ids = [r[0] for r in sorted((r for r in rows(tmp_path / "run") if r[7]), key=lambda r: r[7])]
    assert [m.candidate_id for m in population] == told_ids[-16:]


def test_tournament_parents_are_never_the_worst_of_a_full_tournament(tmp_path):
    # With T = P the parent is always the fittest member.
    outcome, runner, _ = run(tmp_path, population=4, tournament=4, max_candidates=40)
    fitness = {r[0]: (r[5] if r[5] is not None else -math.inf) for r in rows(tmp_path / "run")}
    for r in rows(tmp_path / "run"):
        if r[1] is not None and r[2] != "seed":
            assert fitness[r[1]] > -math.inf or all(v == -math.inf for v in fitness.values())


def test_serial_runs_are_deterministic(tmp_path):
    run(tmp_path, "a")
    run(tmp_path, "b")
    assert rows(tmp_path / "a") == rows(tmp_path / "b")


def test_results_arriving_out_of_order_are_integrated(tmp_path):
    outcome, runner, _ = run(tmp_path, evaluator=ProbeEvaluator(capacity=3, order="lifo"))
    assert outcome.generated == 150
    told = [r for r in rows(tmp_path / "run") if r[7] is not None]
    assert len(told) == len({r[0] for r in told}) == 150


def test_restart_from_best_on_plateau(tmp_path):
    outcome, runner, _ = run(tmp_path, restarts={"plateau_candidates": 20}, max_candidates=200)
    restarts = runner.evolution.restarts
    assert restarts and all(r.source == "best" for r in restarts)
    with sqlite3.connect(tmp_path / "run" / "candidates.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE kind = 'restart'").fetchone()[0] == len(restarts)


def test_restart_from_seed_on_schedule(tmp_path):
    outcome, runner, _ = run(tmp_path, restarts={"seed_every_candidates": 50}, max_candidates=120)
    assert [r.source for r in runner.evolution.restarts] == ["seed", "seed"]


def resume_from_a_lagging_checkpoint(tmp_path, make_evaluator=ProbeEvaluator):
    """Stop after 73 candidates with the checkpoint left at 65 (as if the process
    died before writing a newer one), resume; returns the resumed evaluator."""
    import json

    saved = {}

    def remember_state_at_65(runner):
        if runner.evolution.counters.told == 65:
            saved["state"] = json.dumps(runner.evolution.state())

    store = RunStore(tmp_path / "cut")
    SearchRunner(make_config(max_candidates=73), store, make_evaluator(),
                 hooks=[remember_state_at_65]).run()
    store.close()
    (tmp_path / "cut" / "checkpoint.json").write_text(saved["state"])
    store = RunStore(tmp_path / "cut")
    evaluator = make_evaluator()
    SearchRunner(make_config(), store, evaluator).run()
    store.close()
    return evaluator


def test_resume_from_a_lagging_checkpoint_ends_identical(tmp_path):
    # Resume must replay the rows told after the checkpoint and end exactly as an
    # uninterrupted run.
    run(tmp_path, "full")
    evaluator = resume_from_a_lagging_checkpoint(tmp_path)
    assert rows(tmp_path / "cut") == rows(tmp_path / "full")
    assert min(evaluator.submitted) > 72, "recorded evaluations must not be redone"


def test_resume_without_any_checkpoint_replays_every_row(tmp_path):
    run(tmp_path, "full")
    store = RunStore(tmp_path / "cut")
    SearchRunner(make_config(max_candidates=41), store, ProbeEvaluator()).run()
    store.close()
    (tmp_path / "cut" / "checkpoint.json").unlink()
    store = RunStore(tmp_path / "cut")
    evaluator = ProbeEvaluator()
    SearchRunner(make_config(), store, evaluator).run()
    store.close()
    assert rows(tmp_path / "cut") == rows(tmp_path / "full")
    assert min(evaluator.submitted) > 40, "replayed candidates must not be evaluated again"


def test_a_failing_seed_is_a_clear_error(tmp_path):
    from search.errors import UserError

    class Failing(ProbeEvaluator):
        def collect(self):
            from search.records import Result

            candidate = self.queue.popleft()
            return [(candidate, Result("nonfinite", -math.inf, {}, 0.0, "loss became nan"))]

    with pytest.raises(UserError, match="seed program fails on the tasks: nonfinite: loss became nan"):
        run(tmp_path, evaluator=Failing())


def test_top_programs_are_distinct_even_when_cache_hits_repeat_the_best(tmp_path):
    from search.summary import top_programs

    outcome, runner, _ = run(tmp_path, max_candidates=300)
    store = RunStore(tmp_path / "run")
    top = top_programs(store, 5)
    store.close()
    assert len(top) == 5
    assert len({t.text for t in top}) == 5
    assert [t.fitness for t in top] == sorted((t.fitness for t in top), reverse=True)
    assert top[0].fitness == outcome.best_fitness


class TuningProbe(ProbeEvaluator):
    """The probe with Lamarckian constant tuning: every live constant x 1.25,
    scored as the tuned program, reported as `tuned_constants`."""

    def collect(self):
        from dataclasses import replace

        from dsl.constants import constant_slots, with_constants
        from search.records import TUNED_CONSTANTS
        from tests.search.probe_evaluator import probe_fitness

        done = []
        for candidate, _ in super().collect():
            slots = constant_slots(candidate.program)
            if not slots:
                done.append((candidate, probe_fitness(candidate.program)))
                continue
            values = [s.value * 1.25 for s in slots]
            tuned = with_constants(candidate.program, values)
            kept = [s.value for s in constant_slots(tuned)]
            result = probe_fitness(tuned)
            metrics = dict(result.metrics, **{TUNED_CONSTANTS: kept})
            done.append((candidate, replace(result, metrics=metrics)))
        return done


def test_tuned_constants_are_inherited_and_a_copy_of_the_tuned_program_hits_the_cache(
    tmp_path,
):
    from dsl.constants import constant_slots

    _, runner, evaluator = run(tmp_path, evaluator=TuningProbe(), max_candidates=120)
    kept = runner.evolution.programs
    seed_values = [s.value for s in constant_slots(runner.evolution.seed_program)]
    members = [kept[m.candidate_id] for m in runner.evolution.population]
    # Members carry constants the probe wrote in, not the seed's own.
    assert any(
        [s.value for s in constant_slots(p)] != seed_values for p in members
    )
    assert runner.evolution.counters.cache_hits > 0


def test_a_tuned_search_resumes_identical_from_a_checkpoint(tmp_path):
    # The checkpoint holds no cache: resume rebuilds it from the database, and
    # must rebuild the entries under tuned programs' keys too.
    run(tmp_path, "full", evaluator=TuningProbe())
    resume_from_a_lagging_checkpoint(tmp_path, TuningProbe)
    assert rows(tmp_path / "cut") == rows(tmp_path / "full")
