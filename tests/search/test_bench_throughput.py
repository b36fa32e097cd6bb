"""The driver-ceiling and Ray-overhead figures of `optsearch bench`, in smoke mode:
they run, on a real search loop and a real local Ray, and their parts add up."""

from __future__ import annotations

import pytest

from search.bench.driver import ZeroCostEvaluator, measure_driver


def test_the_driver_ceiling_runs_the_golden_search_at_zero_evaluation_cost():
    figures = measure_driver(num_candidates=150, workers=4, depth=2)
    assert figures["driver_candidates"] == 150
    assert figures["driver_simulated_workers"] == 4
    assert figures["driver_candidates_per_s"] > 0
    assert figures["driver_cache_hits"] > 0, "the golden config's neutral children hit the cache"
    for phase in ("ask", "tell", "checkpoint"):
        assert figures[f"driver_us_{phase}"] > 0
    # Asking (mutation, analysis, hashing) and telling are the driver's work: the
    # loop around them is a small rest.
    assert figures["driver_us_other"] < figures["driver_us_ask"]


def test_the_zero_cost_evaluator_answers_the_same_key_with_the_same_fitness():
    from types import SimpleNamespace

    evaluator = ZeroCostEvaluator(capacity=3)
    for i, key in enumerate(["a", "b", "a"]):
        evaluator.submit(SimpleNamespace(id=i, key=key))
    results = evaluator.collect()
    assert [c.id for c, _ in results] == [0, 1, 2]
    assert results[0][1].fitness == results[2][1].fitness != results[1][1].fitness
    assert evaluator.collect() == []


@pytest.mark.slow  # two local Ray starts and three compiles: a minute or more on 2 cores
def test_the_ray_overhead_splits_into_parts_that_add_up():
    pytest.importorskip("ray")
    from search.bench.ray_scaling import measure_ray

    figures = measure_ray(num_candidates=6)
    parts = sum(figures[f"ray_overhead_{p}"] for p in ("worker_scoring", "parse", "call"))
    assert parts == pytest.approx(figures["ray_overhead_fraction"], abs=1e-9)
    assert figures["ray_overhead_parse"] > 0
    assert figures["ray_worker_eval_s"] > 0
