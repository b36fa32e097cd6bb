"""Redundancy counts per program and accumulated over a search."""

from __future__ import annotations

import numpy as np
import pytest

from dsl import load_program, parse
from dsl.analysis import RedundancyStats, analyze
from dsl.generate import random_program


def program(*lines: str):
    body = "".join(f"    {line}\n" for line in lines)
    return parse(f"def train(w, g, m, v, lr):\n{body}    return update, m, v\n")


def test_an_empty_record_reports_zero():
    stats = RedundancyStats()
    assert stats.statement_fraction == 0.0 and stats.mean_program_fraction == 0.0


def test_accumulates_pooled_and_per_program_fractions():
    program4 = analyze(load_program("program4"))  # 1 of 12 statements dead
    half_dead = analyze(program("a = exp(w)", "update = g * lr"))  # 1 of 2
    stats = RedundancyStats().add(program4).add(half_dead)
    assert (stats.num_programs, stats.num_statements, stats.num_redundant) == (2, 14, 2)
    assert stats.statement_fraction == pytest.approx(2 / 14)
    assert stats.mean_program_fraction == pytest.approx((1 / 12 + 1 / 2) / 2)


def test_add_returns_a_new_record():
    stats = RedundancyStats()
    stats.add(analyze(load_program("sgd")))
    assert stats.num_programs == 0


def test_merging_two_halves_equals_adding_everything():
    facts = [analyze(random_program(np.random.default_rng(s), 12)) for s in range(20)]
    whole = RedundancyStats()
    first, second = RedundancyStats(), RedundancyStats()
    for i, f in enumerate(facts):
        whole = whole.add(f)
        if i < 7:
            first = first.add(f)
        else:
            second = second.add(f)
    merged = first.merge(second)
    assert merged.num_statements == whole.num_statements
    assert merged.num_redundant == whole.num_redundant
    assert merged.mean_program_fraction == pytest.approx(whole.mean_program_fraction)


def test_state_round_trips():
    stats = RedundancyStats().add(analyze(load_program("program4")))
    assert RedundancyStats.from_state(stats.state()) == stats


def test_random_programs_are_mostly_redundant_like_evolved_ones():
    # Long random programs are mostly dead code, as the paper's evolved ones
    # are (~70%); the exact figure depends on the generator.
    stats = RedundancyStats()
    for seed in range(100):
        stats = stats.add(analyze(random_program(np.random.default_rng(seed), 20)))
    assert 0.5 < stats.statement_fraction < 0.95
