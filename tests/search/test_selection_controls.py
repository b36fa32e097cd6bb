"""The selection controls of the rediscovery benchmark: `selection: none` (no
selection: every member ranks the same) and `selection: shuffled` (a member
ranks by a fitness drawn from those told so far), against `tournament`.

Fitness is made up (a function of the program text), as in test_evolution.
"""

from __future__ import annotations

import json

from search.resume_config import check_resume
from tests.search.test_evolution import SEED, fitness_of, make, started, step

from search.evolution import Evolution


def walk(evolution: Evolution, steps: int) -> list[str]:
    return [step(evolution).program.to_text() for _ in range(steps)]


def test_without_selection_every_member_ranks_the_same_and_the_best_stays_the_seed():
    evolution = started(make(selection="none", population=6, tournament=3))
    walk(evolution, 30)
    assert {m.fitness for m in evolution.population} == {0.0}
    assert evolution.best.candidate_id == 0  # a "restart from the best" returns to the seed


def test_a_restart_under_no_selection_gives_the_seed_no_edge_over_its_children():
    evolution = started(make(selection="none", population=4,
                             restarts={"seed_every_candidates": 5}))
    walk(evolution, 5)  # the fifth tell restarts from the seed
    assert evolution.restarts and evolution.restarts[-1].source == "seed"
    assert {m.fitness for m in evolution.population} == {0.0}


def test_shuffled_fitness_ranks_members_by_told_values_not_their_own():
    evolution = started(make(selection="shuffled", population=50, tournament=2), fitness=0.5)
    children = [step(evolution) for _ in range(200)]
    told = {0.5} | {fitness_of(c) for c in children}
    ranks = {m.candidate_id: m.fitness for m in evolution.population}
    assert set(ranks.values()) <= told  # only values the search really told
    own = {c.id: fitness_of(c) for c in children}
    mismatched = sum(ranks[i] != own[i] for i in ranks if i in own)
    assert mismatched > len(ranks) // 2  # detached from the program that earned them


def test_the_controls_walk_differently_from_tournament_selection():
    walks = {kind: walk(started(make(selection=kind, population=8, tournament=4)), 40)
             for kind in ("tournament", "none", "shuffled")}
    assert walks["tournament"] != walks["none"] != walks["shuffled"] != walks["tournament"]


def test_a_shuffled_search_continues_identically_from_its_state():
    evolution = started(make(selection="shuffled", population=8))
    walk(evolution, 25)
    state = json.loads(json.dumps(evolution.state()))
    again = Evolution.from_state(evolution.config, SEED, state)
    assert walk(again, 25) == walk(evolution, 25)


def test_a_run_recorded_before_selection_existed_resumes_as_tournament_selection():
    recorded = {"seed": 1, "tournament": 4}
    assert check_resume(recorded, {**recorded, "selection": "tournament"}, "c.yaml") is None
    try:
        check_resume(recorded, {**recorded, "selection": "none"}, "c.yaml")
    except Exception as exc:  # ConfigChanged: the control is another walk
        assert "selection" in str(exc)
    else:
        raise AssertionError("a resume switching selection off went ahead")
