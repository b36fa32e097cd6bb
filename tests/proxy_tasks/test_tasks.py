"""Every task trains: AdamW beats chance clearly, and the executor equals the reference."""

from __future__ import annotations

from dataclasses import replace

import jax.numpy as jnp
import numpy as np
import pytest

from dsl.executor import encode
from dsl.library import load_builtin
from proxy_tasks import registry
from proxy_tasks.fitness import TaskScorer
from proxy_tasks.training import (
    TaskProgram,
    reference_stepper,
    run_keys,
    train_and_evaluate,
)

# AdamW at its own lr and 10x it; the better must be clearly above chance: a loss
# (or error) at most ~90% of the best input-independent predictor's.
LEARNS = 0.1


def _assert_adamw_learns(name: str):
    scorer = TaskScorer(name, max_length=12, num_seeds=2, lr_multipliers=(1.0, 10.0))
    result = scorer.score(load_builtin("adamw"))
    assert result.status == "ok", result.message
    assert result.fitness > LEARNS, result.metrics


def _variants_slow(names: list[str]) -> list:
    """Every task, the variants of a task (a name extending another's with `-x10`,
    `-long`, ...) marked slow: the default run keeps one task of each family."""
    def variant(name):
        return any(name != other and name.startswith(other + "-") for other in names)
    return [pytest.param(n, marks=pytest.mark.slow) if variant(n) else n for n in names]


def _experiments_slow(tier: str) -> list:
    """The experiment tasks of `tier`, all marked slow: kept so old runs resolve,
    they need not cost the default run anything."""
    product = set(registry.task_names(tier))
    return [pytest.param(n, marks=pytest.mark.slow)
            for n in registry.task_names(tier, experiments=True) if n not in product]


@pytest.mark.parametrize(
    "name", _variants_slow(registry.task_names("proxy")) + _experiments_slow("proxy")
)
def test_adamw_beats_chance_on_every_proxy_task(name):
    _assert_adamw_learns(name)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    registry.task_names("metaval-10x", experiments=True)
    + registry.task_names("metaval-100x", experiments=True),
)
def test_adamw_beats_chance_on_every_meta_validation_task(name):
    _assert_adamw_learns(name)


# A short digits run: long enough to move, short enough that float32 reassociation
# between fused and eager code cannot flip a sign() decision.
SHORT_TASK = replace(registry.get_task("digits-mlp"), num_steps=8, num_chunks=2)


@pytest.fixture(scope="module")
def executor():
    return TaskProgram(SHORT_TASK, 16)


@pytest.mark.parametrize(
    "program_name",
    [
        "lion",
        "program4",
        pytest.param("adamw", marks=pytest.mark.slow),
        pytest.param("rmsprop", marks=pytest.mark.slow),
    ],
)
def test_the_executor_trains_exactly_like_the_reference_interpreter(
    executor, program_name
):
    program = load_builtin(program_name)
    code = encode(program, 16)
    keys, scales = run_keys(0, 2, 1), jnp.ones(2)
    reference = TaskProgram(SHORT_TASK, 16, make_stepper=reference_stepper(program))
    got = train_and_evaluate(executor, code, keys, scales)
    want = train_and_evaluate(reference, code, keys, scales)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
    np.testing.assert_array_equal(got[1], want[1])


@pytest.fixture(scope="module")
def scaled_executors():
    return {
        scale: TaskProgram(replace(SHORT_TASK, grad_scale=scale), 16)
        for scale in (1.0, 10.0)
    }


def _val_loss(tp: TaskProgram, name: str) -> np.ndarray:
    code = encode(load_builtin(name), 16)
    return train_and_evaluate(tp, code, run_keys(0, 2, 1), jnp.ones(2))[0]


def test_a_gradient_scale_is_invisible_to_a_sign_method(scaled_executors):
    # sign(10 g) == sign(g): the same steps, the same weights, the same loss.
    plain, scaled = (_val_loss(scaled_executors[s], "signsgd") for s in (1.0, 10.0))
    np.testing.assert_array_equal(plain, scaled)


def test_a_gradient_scale_changes_plain_sgd(scaled_executors):
    plain, scaled = (_val_loss(scaled_executors[s], "sgd") for s in (1.0, 10.0))
    assert np.all(np.abs(plain - scaled) > 1e-4), (plain, scaled)


def test_a_gradient_scale_must_be_positive_and_finite():
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="grad_scale"):
            replace(SHORT_TASK, grad_scale=bad)


def test_the_big_batch_horizons_see_gradients_a_hundredfold_apart():
    short, long = (registry.get_task(n) for n in ("teacher-bigbatch", "teacher-bigbatch-long"))
    assert (short.batch_size, long.batch_size) == (2048, 2048)
    assert long.grad_scale / short.grad_scale == pytest.approx(100.0)
    # Meta-validation versions keep the proxy's batch and gradient scale.
    assert registry.get_task("teacher-bigbatch-100x").grad_scale == short.grad_scale


def test_a_seed_offset_moves_a_task_onto_other_runs(monkeypatch):
    # sign(10 g) == sign(g), so only the seed can tell the two scaled tasks
    # apart: at offset 5 the x10 task at seed 0 replays the x1 task at seed 5.
    for name, task in (
        ("short-x1", SHORT_TASK),
        ("short-x10", replace(SHORT_TASK, name="short-x10", grad_scale=10.0, seed_offset=5)),
    ):
        monkeypatch.setitem(registry._TASKS, name, task)
    program = load_builtin("signsgd")
    plain, scaled = (TaskScorer(n, 16, num_seeds=1) for n in ("short-x1", "short-x10"))
    shifted = scaled.score(program, seed=0).metrics["val_loss"]
    assert shifted == plain.score(program, seed=5).metrics["val_loss"]
    assert shifted != plain.score(program, seed=0).metrics["val_loss"]


@pytest.mark.parametrize("family, batch", [("chars-const", 64), ("teacher-const", 512)])
def test_a_gradient_scale_pair_differs_in_scale_and_seeds_only(family, batch):
    low, high = (registry.get_task(f"{family}-{s}") for s in ("x0.1", "x10"))
    assert high.grad_scale / low.grad_scale == pytest.approx(100.0)
    assert low.seed_offset != high.seed_offset
    assert replace(high, name=low.name, family=low.family, grad_scale=low.grad_scale,
                   seed_offset=low.seed_offset, description=low.description) == low
    assert replace(low, name=family, family=family, grad_scale=1.0, seed_offset=0,
                   description="") == replace(registry.get_task(family), description="")
    assert (low.schedule, low.batch_size) == ("constant", batch)
    assert registry.get_task(f"{family}-x10-100x").grad_scale == high.grad_scale
