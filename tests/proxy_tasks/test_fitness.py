"""Fitness: deterministic, picklable, and a bad candidate is data, never an exception."""

from __future__ import annotations

import dataclasses
import math
import pickle

import numpy as np
import pytest

from dsl import parse
from dsl.library import load_builtin
from dsl.program import Program, Statement, Var
from proxy_tasks.fitness import WORST_FITNESS, Evaluation, TaskScorer
from proxy_tasks.multitask import MultiTaskScorer
from proxy_tasks.training import log_ratio

TASK = "ill-conditioned"  # the cheapest task: a linear model


@pytest.fixture(scope="module")
def scorer():
    return TaskScorer(TASK, max_length=16, num_seeds=2)


def program(body: str) -> Program:
    lines = "".join(f"    {line}\n" for line in body.strip().splitlines())
    return parse(f"def train(w, g, m, v, lr):\n{lines}    return update, m, v\n")


def test_adamw_learns_and_reports_its_metrics(scorer):
    result = scorer.score(load_builtin("adamw"))
    assert result.status == "ok" and result.message == ""
    assert result.fitness > 0.1
    assert {"val_loss", "train_loss", "seed_std", "lr_multiplier"} <= set(
        result.metrics
    )
    assert result.fitness == pytest.approx(
        math.log(scorer._compiled().dataset.chance_loss / result.metrics["val_loss"])
    )


def test_evaluations_are_deterministic_for_a_fixed_seed(scorer):
    lion = load_builtin("lion")
    first, again, other = (
        scorer.score(lion, 3),
        scorer.score(lion, 3),
        scorer.score(lion, 4),
    )
    assert first.fitness == again.fitness and first.metrics == again.metrics
    assert other.fitness != first.fitness


def test_a_nan_producing_program_gets_the_worst_fitness_with_a_reason(scorer):
    # exp(g) * 1e30, squared, overflows to inf; inf - inf is NaN.
    nan = program("big = exp(g)\nbig = big * 1e30\nbig = big * big\nupdate = big - big")
    result = scorer.score(nan)
    assert result.status == "nonfinite"
    assert result.fitness == WORST_FITNESS
    assert "non-finite" in result.message


def test_a_diverging_program_is_stopped_and_reported(scorer):
    result = scorer.score(program("update = g * -0.05"))  # gradient *ascent*
    assert result.status in ("diverged", "nonfinite")
    assert result.fitness == WORST_FITNESS and result.message


def test_invalid_and_too_long_programs_are_invalid_not_errors(scorer):
    reads_undefined = Program((Statement("update", "sign", (Var("nowhere"),)),))
    assert scorer.score(reads_undefined).status == "invalid"
    long = program(
        "\n".join(["u = g * 1.0"] + ["u = u * 1.0"] * 20 + ["update = u * lr"])
    )
    result = scorer.score(long)
    assert result.status == "invalid" and "exceed" in result.message
    assert result.fitness == WORST_FITNESS


def test_the_time_budget_stops_a_run_between_chunks():
    result = TaskScorer(TASK, max_length=16, num_seeds=2, time_budget_s=0.0).score(
        load_builtin("adamw")
    )
    assert result.status == "timeout" and "budget" in result.message


def test_scorers_and_evaluations_pickle(scorer):
    result = scorer.score(load_builtin("sgd"))
    assert pickle.loads(pickle.dumps(result)) == result
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone.config() == scorer.config()
    assert clone.score(load_builtin("sgd")).fitness == result.fitness


def test_lr_multipliers_run_together_and_the_best_counts():
    multi = TaskScorer(TASK, max_length=16, num_seeds=2, lr_multipliers=(1.0, 10.0))
    result = multi.score(load_builtin("adamw"))
    per = [result.metrics["fitness@lr_x1"], result.metrics["fitness@lr_x10"]]
    assert result.fitness == max(per)
    assert result.metrics["lr_multiplier"] == (1.0, 10.0)[int(np.argmax(per))]


def test_a_task_mix_is_the_weighted_mean_with_per_task_metrics():
    mix = MultiTaskScorer(
        {TASK: 1.0, "heavy-tail-regression": 3.0}, max_length=16, num_seeds=2
    )
    result = mix.score(load_builtin("adamw"))
    assert result.ok
    expected = (
        result.metrics[TASK] + 3.0 * result.metrics["heavy-tail-regression"]
    ) / 4.0
    assert result.fitness == pytest.approx(expected)
    assert f"{TASK}/val_loss" in result.metrics
    failed = mix.score(program("update = g * -0.05"))
    assert failed.fitness == WORST_FITNESS and failed.message.startswith(TASK)
    assert pickle.loads(pickle.dumps(mix)).task_weights == mix.task_weights


def test_evaluation_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Evaluation("ok", 1.0).fitness = 2.0  # type: ignore[misc]


def test_new_programs_never_recompile(scorer):
    scorer.warmup()
    compiled = scorer._compiled()
    sizes = compiled._chunk._cache_size(), compiled._init._cache_size()
    for name in ("adamw", "lion", "rmsprop", "program4", "signsgd"):
        assert scorer.score(load_builtin(name)).status in (
            "ok",
            "diverged",
            "nonfinite",
        )
    assert (compiled._chunk._cache_size(), compiled._init._cache_size()) == sizes


def test_a_loss_below_an_error_rates_floor_still_ranks():
    # The ill-conditioned regression is solved to losses far below 1e-4; an
    # absolute floor there tied AdamW with every rule that solved it.
    assert log_ratio(1.0, 1e-6, "loss") > log_ratio(1.0, 1e-5, "loss") > 9.3
    assert log_ratio(1.0, 0.0, "loss") == pytest.approx(math.log(1e8))


def test_an_error_rate_of_zero_is_floored_at_one_in_ten_thousand():
    assert log_ratio(0.5, 0.0, "error") == pytest.approx(math.log(0.5 / 1e-4))
    assert log_ratio(0.5, 1e-6, "error") == log_ratio(0.5, 0.0, "error")
