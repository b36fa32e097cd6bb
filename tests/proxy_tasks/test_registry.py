"""The task registry: names, tiers, the funnel's families, picklable records, and
the experiment tasks kept apart from the product suite."""

from __future__ import annotations

import pickle

import pytest

from proxy_tasks.registry import TIERS, all_tasks, get_task, task_names


def test_unknown_task_names_list_the_valid_ones():
    with pytest.raises(KeyError, match="valid: .*digits-mlp"):
        get_task("no-such-task")


@pytest.mark.parametrize("experiments", [False, True])
def test_tiers_partition_the_suite(experiments):
    by_tier = [task_names(tier, experiments) for tier in TIERS]
    assert sorted(name for names in by_tier for name in names) == sorted(
        task_names(experiments=experiments)
    )
    assert all(by_tier)


def test_experiment_tasks_resolve_by_name_and_are_listed_only_on_request():
    product = task_names()
    experiments = [n for n in task_names(experiments=True) if n not in product]
    assert task_names(experiments=True) == product + experiments  # product first
    assert {"chars-const-x10", "teacher-spread", "teacher-bigbatch-long-100x",
            "teacher-const-long"} <= set(experiments)
    assert all(get_task(name).name == name for name in experiments)
    assert not {t.name for t in all_tasks()} & set(experiments)
    assert len(all_tasks(experiments=True)) == len(product) + len(experiments)


def test_the_product_suite_holds_every_task_a_shipped_config_names():
    # The golden objective, its funnel and the quickstart; the planned
    # Adam/RMSProp target needs the ill-conditioned family.
    for name in ("teacher-const", "teacher-const-x0.1", "teacher-const-x10",
                 "teacher-const-10x", "teacher-const-100x", "heavy-tail-regression",
                 "ill-conditioned", "teacher-noisy"):
        assert name in task_names(), name


def test_unknown_tier_is_refused():
    with pytest.raises(ValueError, match="valid: proxy"):
        task_names("huge")


@pytest.mark.parametrize("name", task_names("proxy", experiments=True))
def test_every_proxy_task_has_both_meta_validation_versions(name):
    for suffix, tier in (("10x", "metaval-10x"), ("100x", "metaval-100x")):
        bigger = get_task(f"{name}-{suffix}")
        assert bigger.tier == tier and bigger.family == name
        proxy = get_task(name)
        assert bigger.num_steps > proxy.num_steps
        assert bigger.declared_cost_s > proxy.declared_cost_s


def test_proxy_tasks_declare_at_most_about_100_ms_per_100_steps_of_batch_512():
    # "About": the tiny Transformer's many small kernels put it at ~120 ms. The
    # long-horizon proxies (300 steps) pay for their steps and the big-batch ones
    # (2048, where Lion's edge shows) for their batch, no more.
    for name in task_names("proxy", experiments=True):
        task = get_task(name)
        steps, batch = max(1.0, task.num_steps / 100), max(1.0, task.batch_size / 512)
        assert task.declared_cost_s <= 0.125 * steps * batch, name


def test_the_suite_covers_vision_language_and_synthetic_data():
    data = {task.data for task in all_tasks()}
    assert {"digits", "stdlib_text"} <= data
    assert data & {"teacher", "heavy_tail_regression", "ill_conditioned"}
    assert {"mlp", "char_mlp", "transformer"} <= {task.model for task in all_tasks()}


def test_tasks_are_small_picklable_records():
    task = get_task("digits-mlp")
    assert pickle.loads(pickle.dumps(task)) == task
    assert len(pickle.dumps(task)) < 2000
