"""`Evolution`, regularized evolution's state machine, on its own (no evaluator).

Fitness here is made up (a function of the program text), so each rule is
checked exactly: the tournament's winner is the fittest member drawn, the oldest
member leaves when a child joins, restarts reset the population, and a state
written to JSON and read back continues identically.
"""

from __future__ import annotations

import json
import zlib

import numpy as np

from dsl.library import load_builtin
from search.config import config_from_dict
from search.evolution import Evolution
from search.records import Member, Result

SEED = load_builtin("adamw")


def make(**overrides) -> Evolution:
    raw = {"population": 8, "tournament": 2, "max_length": 16, "seed": 5,
           "tasks": {"executor_length": 16}}
    raw.update(overrides)
    return Evolution(config_from_dict(raw), SEED)


def fitness_of(candidate) -> float:
    return (zlib.crc32(candidate.program.to_text().encode()) % 1000) / 1000.0


def started(evolution: Evolution, fitness: float = 0.5) -> Evolution:
    seed = evolution.ask_seed()
    evolution.tell(seed, Result("ok", fitness, {}))
    return evolution


def step(evolution: Evolution, fitness=fitness_of):
    child, _ = evolution.ask()
    evolution.tell(child, Result("ok", fitness(child), {}))
    return child


def test_a_tournament_as_large_as_the_population_picks_the_fittest():
    evolution = started(make(population=6, tournament=6))
    evolution.population.clear()
    fitness = [0.3, 0.9, -1.0, 0.5, 0.1, 0.8]
    evolution.population.extend(Member(i, f) for i, f in enumerate(fitness))
    for _ in range(20):
        assert evolution.tournament() == Member(1, 0.9)


def test_a_tournament_picks_the_fitter_of_the_members_it_draws():
    evolution = started(make(population=8, tournament=2))
    evolution.population.clear()
    evolution.population.extend(Member(i, float(i)) for i in range(8))
    wins = np.zeros(8, int)
    for _ in range(400):
        # The same draw the tournament makes, from a copy of its generator.
        mirror = np.random.default_rng()
        mirror.bit_generator.state = evolution.rng.bit_generator.state
        drawn = mirror.choice(8, size=2, replace=False)
        winner = evolution.tournament()
        assert winner.candidate_id == max(int(i) for i in drawn)
        wins[winner.candidate_id] += 1
    assert wins[0] == 0 and wins[7] > wins[1]  # the worst never wins; fitter wins more


def test_a_child_joins_and_the_oldest_member_leaves():
    evolution = started(make(population=4))
    for _ in range(4):
        step(evolution)
    before = list(evolution.population)
    child = step(evolution, fitness=lambda c: -5.0)
    after = list(evolution.population)
    assert len(after) == 4
    assert after[:-1] == before[1:]  # the oldest left, the rest kept their order
    assert after[-1] == Member(child.id, -5.0)


def test_a_failed_child_joins_with_the_worst_fitness():
    evolution = started(make(population=4))
    child, _ = evolution.ask()
    evolution.tell(child, Result("nonfinite", float("-inf"), {}, message="boom"))
    assert evolution.population[-1].fitness == float("-inf")
    assert evolution.counters.failed == 1


def test_a_plateau_restart_fills_the_population_with_the_best():
    evolution = make(population=4, restarts={"plateau_candidates": 3})
    started(evolution, fitness=10.0)
    restarts = []
    for _ in range(3):
        child, _ = evolution.ask()
        restarts += evolution.tell(child, Result("ok", 0.0, {}))
    assert [r.source for r in restarts] == ["best"]
    assert list(evolution.population) == [Member(0, 10.0)] * 4
    assert evolution.restarts[-1].at_told == evolution.counters.told


def test_a_seed_restart_fills_the_population_with_the_seed():
    evolution = make(population=4, restarts={"seed_every_candidates": 5})
    started(evolution, fitness=0.25)
    for _ in range(3):
        step(evolution, fitness=lambda c: 9.0)
    child, _ = evolution.ask()
    restarts = evolution.tell(child, Result("ok", 9.0, {}))
    assert [r.source for r in restarts] == ["seed"]
    assert list(evolution.population) == [Member(0, 0.25)] * 4
    assert evolution.programs[0] == SEED
    assert evolution.best.fitness == 9.0  # a restart keeps the best found


def test_the_budgets_last_candidates_continue_from_the_best_with_no_seed_restart():
    # 20 candidates, walks of 5 from the seed, the last 8 from the best so far.
    evolution = make(population=4, max_candidates=20,
                     restarts={"seed_every_candidates": 5, "best_for_last_candidates": 8})
    started(evolution, fitness=0.25)
    fitness = iter([0.1, 0.2, 0.3, 0.9] + [0.4] * 15)  # the fourth child is the best
    sources = {}
    for _ in range(19):
        child, _ = evolution.ask()
        for restart in evolution.tell(child, Result("ok", next(fitness), {})):
            sources[restart.at_told] = restart.source
            if restart.source == "best":
                held = list(evolution.population)
    # Seed restarts at 5 and 10; at 12 (= 20 - 8) the best; none at 15 or 20.
    assert sources == {5: "seed", 10: "seed", 12: "best"}
    assert evolution.best.fitness == 0.9
    assert held == [evolution.best] * 4


def test_a_seed_restart_restores_the_seed_with_its_tuned_constants():
    from search.records import TUNED_CONSTANTS

    evolution = make(population=4, restarts={"seed_every_candidates": 3})
    seed = evolution.ask_seed()
    tuned = [0.99, 0.999, 1.0, 0.002]  # AdamW's live constants, as tuning picked them
    evolution.tell(seed, Result("ok", 0.25, {TUNED_CONSTANTS: tuned}))
    held = evolution.programs[0]
    assert held != SEED and "w * 1.0" in held.to_text()
    restarts = []
    while not restarts:
        child, _ = evolution.ask()
        restarts = evolution.tell(child, Result("ok", 9.0, {}))
    # Every walk starts from the seed the first one started from, not its text.
    assert evolution.programs[0] == held


def test_state_round_trips_through_json_and_continues_identically():
    evolution = started(make())
    for _ in range(30):
        step(evolution)
    pending, _ = evolution.ask()  # one in flight at the checkpoint
    state = json.loads(json.dumps(evolution.state()))
    entries = list(evolution.cache.state()["entries"])
    copy = Evolution.from_state(evolution.config, SEED, state, entries)
    assert json.loads(json.dumps(copy.state())) == state
    for original in (evolution, copy):
        original.tell(pending, Result("ok", fitness_of(pending), {}))
    for _ in range(10):
        a, b = step(evolution), step(copy)
        assert (a.id, a.program, a.parent_id) == (b.id, b.program, b.parent_id)
    assert list(evolution.population) == list(copy.population)
    assert evolution.best == copy.best
