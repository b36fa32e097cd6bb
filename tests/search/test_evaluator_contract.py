"""The evaluator contract (`search.evaluators`), checked on every evaluator.

The serial evaluator, the Ray evaluator (slow: it starts Ray) and the probe
double the loop tests use must be interchangeable: a positive capacity; every
submitted candidate comes back exactly once with a `Result`; a failure is a
result, never an exception; the same program scores the same; a funnel stage's
`spec` is accepted; and nothing in flight means nothing to collect.
"""

from __future__ import annotations

import math

import pytest

from dsl.library import load_builtin
from dsl.parser import parse
from proxy_tasks.fitness import STATUSES
from proxy_tasks.floats import WORST_FITNESS
from search.config import EvaluatorConfig, config_from_dict
from search.records import Candidate, Result
from search.scoring import ScorerSpec
from tests.search.probe_evaluator import ProbeEvaluator

TASK = "ill-conditioned"
SPEC = ScorerSpec.from_config(config_from_dict(
    {"tasks": {"proxy": TASK, "num_seeds": 1, "executor_length": 12}}
))
# A funnel stage scores on other tasks; the 10x version is the cheapest other one.
STAGE_SPEC = ScorerSpec.from_config(config_from_dict(
    {"tasks": {"proxy": f"{TASK}-10x", "num_seeds": 1, "executor_length": 12}}
))
# Divides by zero on every step: training goes non-finite.
BROKEN = parse("def train(w, g, m, v, lr):\n    t = g / 0.0\n    update = t * lr\n"
               "    return update, m, v\n")


def _serial():
    from search.evaluators import SerialEvaluator

    return SerialEvaluator(SPEC)


def _ray():
    pytest.importorskip("ray")
    from search.ray_evaluator import RayEvaluator

    return RayEvaluator(SPEC, EvaluatorConfig(kind="ray", workers=2, cpus_per_worker=0.5))


EVALUATORS = {
    "serial": _serial,
    "probe": lambda: ProbeEvaluator(capacity=2),
    "ray": _ray,
}


@pytest.fixture(
    scope="module",
    params=["serial", "probe", pytest.param("ray", marks=pytest.mark.slow)],
)
def evaluator(request):
    made = EVALUATORS[request.param]()
    yield made
    made.close()


def _candidate(cid: int, program) -> Candidate:
    return Candidate(cid, None, "seed", program, "", "", "", len(program), len(program))


def _collect_all(evaluator, count: int) -> list[tuple[Candidate, Result]]:
    got: list[tuple[Candidate, Result]] = []
    while len(got) < count:
        batch = evaluator.collect()
        assert batch, "collect returned nothing while candidates were in flight"
        got += batch
    return got


def test_capacity_is_a_positive_int(evaluator):
    assert isinstance(evaluator.capacity, int) and evaluator.capacity >= 1


def test_nothing_in_flight_means_nothing_to_collect(evaluator):
    assert evaluator.collect() == []


def test_every_candidate_comes_back_once_with_a_result(evaluator):
    programs = [load_builtin("adamw"), load_builtin("sgd"), load_builtin("lion"), BROKEN]
    for i, program in enumerate(programs):
        evaluator.submit(_candidate(100 + i, program))
    got = _collect_all(evaluator, len(programs))
    assert sorted(c.id for c, _ in got) == [100, 101, 102, 103]
    for candidate, result in got:
        assert isinstance(result, Result) and result.status in STATUSES
        if result.status == "ok":
            assert math.isfinite(result.fitness)
        else:
            assert result.fitness == WORST_FITNESS and result.message
    by_id = {c.id: r for c, r in got}
    assert by_id[100].status == "ok"
    if not isinstance(evaluator, ProbeEvaluator):  # the probe's ops stay finite
        assert by_id[103].status != "ok"  # a failure is a result, not an exception
    assert evaluator.collect() == []


def test_the_same_program_scores_the_same(evaluator):
    adamw = load_builtin("adamw")
    evaluator.submit(_candidate(200, adamw))
    evaluator.submit(_candidate(201, adamw))
    got = {c.id: r.fitness for c, r in _collect_all(evaluator, 2)}
    assert got[200] == got[201]


def test_a_stage_spec_is_accepted(evaluator):
    evaluator.submit(_candidate(300, load_builtin("adamw")), STAGE_SPEC)
    [(candidate, result)] = _collect_all(evaluator, 1)
    assert candidate.id == 300 and result.status == "ok"
