"""The one codec for floats JSON and SQLite cannot hold."""

import json
import math

import pytest

from proxy_tasks import WORST_FITNESS as exported
from proxy_tasks.floats import WORST_FITNESS, exact, from_exact, from_nullable, nullable
from search.records import WORST_FITNESS as in_records


def test_there_is_one_worst_fitness():
    assert WORST_FITNESS == -math.inf
    assert exported is WORST_FITNESS and in_records is WORST_FITNESS


@pytest.mark.parametrize("value", [0.0, -1.5, 3.25e-7, 1e300])
def test_finite_values_pass_through_both_forms(value):
    assert nullable(value) == value and from_nullable(nullable(value)) == value
    assert exact(value) == value and from_exact(exact(value)) == value


def test_nullable_writes_every_non_finite_value_as_null_and_reads_it_as_the_worst():
    for value in (-math.inf, math.inf, math.nan):
        assert nullable(value) is None
    assert from_nullable(None) == WORST_FITNESS


def test_exact_round_trips_non_finite_values_through_strict_json():
    for value in (-math.inf, math.inf, math.nan):
        text = json.dumps(exact(value), allow_nan=False)
        back = from_exact(json.loads(text))
        assert back == value or (math.isnan(back) and math.isnan(value))
