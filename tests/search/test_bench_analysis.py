"""The analysis throughput figure of `optsearch bench`."""

from __future__ import annotations

import pytest

from search.bench.analysis import measure_analysis_throughput


def test_reports_programs_analysed_per_second_and_phase_costs():
    figures = measure_analysis_throughput(num_programs=40, length=20, seed=1)
    assert figures["analysed_per_s"] > 0
    assert figures["analysis_programs"] == 40
    for phase in ["abstract_execution", "semantic_hash", "fingerprint"]:
        assert figures[f"analysis_us_{phase}"] > 0
    assert 0 <= figures["analysis_redundant_fraction"] <= 1


@pytest.mark.slow
def test_analyses_at_least_2000_programs_per_second_on_one_core():
    assert measure_analysis_throughput()["analysed_per_s"] >= 2000
