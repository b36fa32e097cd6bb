"""Per-candidate constant tuning: variants in one call, the best kept, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from dsl.constants import constant_slots, with_constants
from dsl.library import load_builtin
from proxy_tasks.fitness import TaskScorer
from proxy_tasks.multitask import MultiTaskScorer
from proxy_tasks.tuning import ConstantTuning, constant_variants

TASK = "ill-conditioned"  # the cheapest task: a linear model


@pytest.fixture(scope="module")
def scorer():
    return TaskScorer(TASK, max_length=16, num_seeds=2)


def test_each_variant_scores_as_that_program_would_alone(scorer):
    adamw = load_builtin("adamw")
    own = [s.value for s in constant_slots(adamw)]
    slower = [own[0], own[1], own[2], own[3] * 0.1]  # lr scale / 10
    evaluation, by_variant = scorer.score_variants(adamw, np.array([own, slower]))
    alone = [scorer.score(with_constants(adamw, row)).fitness for row in (own, slower)]
    assert by_variant == pytest.approx(alone, abs=1e-5)
    assert evaluation.fitness == pytest.approx(max(alone), abs=1e-5)
    assert evaluation.metrics["variant"] == float(np.argmax(alone))


def test_tuning_keeps_the_best_constants_and_writes_them_back():
    mix = MultiTaskScorer({TASK: 1.0}, ConstantTuning(8, 2.0), max_length=16, num_seeds=2)
    adamw = load_builtin("adamw")
    tuned = mix.score(adamw)
    untuned = MultiTaskScorer({TASK: 1.0}, max_length=16, num_seeds=2).score(adamw)
    assert tuned.ok and tuned.fitness >= untuned.fitness
    assert tuned.constants is not None, "8 draws at 2 octaves should beat lr 1e-3 here"
    child = with_constants(adamw, tuned.constants)
    again = MultiTaskScorer({TASK: 1.0}, max_length=16, num_seeds=2).score(child)
    assert again.fitness == pytest.approx(tuned.fitness, abs=1e-5)


def test_tuning_is_a_function_of_the_program_text_and_seed():
    program = load_builtin("lion")
    tuning = ConstantTuning(6, 1.0)
    a, b = constant_variants(program, tuning), constant_variants(program, tuning)
    assert (a == b).all() and a.shape == (7, len(constant_slots(program)))
    assert not (constant_variants(program, tuning, seed=1) == a).all()
    assert (a[0] == [s.value for s in constant_slots(program)]).all()


def test_no_variants_without_tuning_or_without_live_constants():
    assert constant_variants(load_builtin("adamw"), ConstantTuning()) is None
    assert constant_variants(load_builtin("signsgd"), ConstantTuning(4)) is not None
    from dsl.parser import parse

    bare = parse("def train(w, g, m, v, lr):\n    update = g * lr\n    return update, m, v\n")
    assert constant_variants(bare, ConstantTuning(4)) is None


def test_a_mix_tunes_on_its_first_task_and_scores_the_pick_on_the_rest():
    mix = MultiTaskScorer(
        {TASK: 1.0, "heavy-tail-regression": 1.0},
        ConstantTuning(4, 2.0), max_length=16, num_seeds=2,
    )
    result = mix.score(load_builtin("adamw"))
    assert result.ok
    assert {"tuning_gain", "tuned_variant", TASK, "heavy-tail-regression"} <= set(
        result.metrics
    )
    assert result.metrics["tuning_gain"] >= 0


def test_tuning_on_all_tasks_picks_by_the_weighted_fitness_of_every_variant():
    weights = {TASK: 1.0, "heavy-tail-regression": 2.0}
    tuning = ConstantTuning(3, 2.0, on="all")
    mix = MultiTaskScorer(weights, tuning, max_length=16, num_seeds=2)
    adamw = load_builtin("adamw")
    result = mix.score(adamw)
    assert result.ok
    rows = constant_variants(adamw, tuning)
    alone = {
        name: TaskScorer(name, max_length=16, num_seeds=2).score_variants(adamw, rows)[1]
        for name in weights
    }
    totals = sum(w * alone[name] for name, w in weights.items()) / 3.0
    best = int(np.argmax(totals))
    assert result.metrics["tuned_variant"] == best
    assert result.fitness == pytest.approx(totals[best], abs=1e-5)
    assert (result.constants is None) == (best == 0)


def test_grid_rows_are_own_first_then_the_sweep_padded_to_a_bucket():
    from dsl.constants import grid_constants
    from proxy_tasks.tuning import VARIANT_BUCKET

    adamw = load_builtin("adamw")
    rows = constant_variants(adamw, ConstantTuning(kind="grid"))
    own = [s.value for s in constant_slots(adamw)]
    sweep = grid_constants(constant_slots(adamw))
    assert len(rows) % VARIANT_BUCKET == 0
    assert (rows[0] == own).all()
    assert (rows[1:1 + len(sweep)] == sweep).all()
    assert (rows[1 + len(sweep):] == own).all(), "padding repeats the own constants"
    again = constant_variants(adamw, ConstantTuning(kind="grid"))
    assert (again == rows).all()


def test_a_grid_larger_than_max_variants_is_sampled_the_same_way_every_time():
    adamw = load_builtin("adamw")  # 14 grid rows
    tuning = ConstantTuning(kind="grid", max_variants=8)
    rows = constant_variants(adamw, tuning)
    assert rows.shape == (8, 4)
    assert (rows == constant_variants(adamw, tuning)).all()
    assert len({tuple(r) for r in rows}) == 8, "a sample, not padding"


def test_grid_tuning_keeps_the_best_row_and_its_child_scores_the_same():
    tuning = ConstantTuning(kind="grid")
    mix = MultiTaskScorer({TASK: 1.0}, tuning, max_length=16, num_seeds=2)
    adamw = load_builtin("adamw")
    tuned = mix.score(adamw)
    rows = constant_variants(adamw, tuning)
    _, by_variant = TaskScorer(TASK, max_length=16, num_seeds=2).score_variants(adamw, rows)
    assert tuned.ok and tuned.fitness == pytest.approx(by_variant.max(), abs=1e-5)
    assert tuned.constants is not None, "a decade grid should beat lr 1e-3 here"
    assert list(tuned.constants) in rows.tolist()
    child = with_constants(adamw, tuned.constants)
    again = MultiTaskScorer({TASK: 1.0}, max_length=16, num_seeds=2).score(child)
    assert again.fitness == pytest.approx(tuned.fitness, abs=1e-5)


def test_unknown_tuning_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        ConstantTuning(kind="bayes")


def _far_lion():
    """Lion with its lr scale (the one magnitude constant below 0.01) a hundred
    times too small: one round of the grid cannot bring every constant home."""
    lion = load_builtin("lion")
    off = [s.value * 0.01 if not s.mixing and abs(s.value) < 0.01 else s.value
           for s in constant_slots(lion)]
    return with_constants(lion, off)


def test_rounds_descend_from_each_pick_and_never_score_worse_than_one_round():
    program = _far_lion()
    one = MultiTaskScorer({TASK: 1.0}, ConstantTuning(kind="grid"), max_length=16, num_seeds=2)
    three = MultiTaskScorer(
        {TASK: 1.0}, ConstantTuning(kind="grid", rounds=3), max_length=16, num_seeds=2
    )
    a, b = one.score(program), three.score(program)
    assert a.ok and b.ok
    assert a.metrics["tuning_rounds"] == 1.0
    assert b.metrics["tuned_variant"] == a.metrics["tuned_variant"], "round 1 is the same call"
    assert b.metrics["tuning_rounds"] >= 2.0, "round 1 moved a constant, so round 2 ran"
    assert b.fitness >= a.fitness - 1e-6
    assert b.metrics["tuning_gain"] >= a.metrics["tuning_gain"] - 1e-6
    # The constants written back are the last pick: the child alone scores the same.
    child = with_constants(program, b.constants)
    again = MultiTaskScorer({TASK: 1.0}, max_length=16, num_seeds=2).score(child)
    assert again.fitness == pytest.approx(b.fitness, abs=1e-5)


def test_rounds_stop_once_a_round_keeps_its_centre():
    eight = MultiTaskScorer(
        {TASK: 1.0}, ConstantTuning(kind="grid", rounds=8), max_length=16, num_seeds=2
    )
    first = eight.score(_far_lion())
    assert 2.0 <= first.metrics["tuning_rounds"] < 8.0, "descends, then settles early"
    # From where it settled, the first round keeps the centre: one call, no constants.
    again = eight.score(with_constants(_far_lion(), first.constants))
    assert again.metrics["tuning_rounds"] == 1.0 and again.constants is None
    assert again.fitness == pytest.approx(first.fitness, abs=1e-5)


def test_several_rounds_need_tuning_on_the_first_task():
    with pytest.raises(ValueError, match="rounds"):
        ConstantTuning(kind="grid", rounds=2, on="all")
    with pytest.raises(ValueError, match="rounds"):
        ConstantTuning(rounds=0)
