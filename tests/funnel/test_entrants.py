"""Who enters the funnel: the search's top programs, plus (if asked) the programs
meta-validation scored highest, run through stages on a fixed fitness table."""

from __future__ import annotations

import math

from dsl.library import load_builtin
from funnel.config import funnel_config
from funnel.stages import BASELINE_ID, metaval_best, run_funnel, search_entrants
from search.records import Candidate, Result
from search.store import RunStore

NAMES = {1: "lion", 2: "sgd", 3: "rmsprop", 4: "signsgd"}
SEARCH_FITNESS = {1: 0.9, 2: 0.8, 3: 0.3, 4: 0.2}
# On the larger task: the search's best (1) is overfit; 3 transfers best.
STAGE_FITNESS = {1: 0.1, 2: 0.2, 3: 0.7, 4: 0.5, BASELINE_ID: 0.4}


class TableEvaluator:
    """Scores a funnel candidate from `STAGE_FITNESS` by its id (no training)."""

    def __init__(self):
        self.done = []
        self.seen = []

    def submit(self, candidate, spec=None):
        self.seen.append(candidate.id)
        self.done.append((candidate, Result("ok", STAGE_FITNESS[candidate.id], {}, 0.0)))

    def collect(self):
        out, self.done = self.done, []
        return out


def make_store(tmp_path, metaval):
    store = RunStore(tmp_path / "run")
    for told, (cid, name) in enumerate(NAMES.items(), start=1):
        program = load_builtin(name)
        candidate = Candidate(cid, None, "insert", program, f"h{cid}", f"f{cid}", f"f{cid}",
                              len(program), len(program))
        store.record_told(candidate, Result("ok", SEARCH_FITNESS[cid], {}, 0.0), told, told)
    for told, cid, value in metaval:
        store.record_event("metaval", told, {"candidate_id": cid, "search_fitness": 0.0,
                                             "metaval_fitness": value})
    return store


FUNNEL_SECTION = {
    "top_k": 2,
    "stages": [{"name": "big", "tasks": {"teacher-noisy-10x": 1.0}, "promote": 1}],
}


def funnel(metaval_top_k):
    return funnel_config({**FUNNEL_SECTION, "metaval_top_k": metaval_top_k})


METAVAL = [(100, 3, 0.7), (200, 2, 0.5), (300, 1, None), (400, 4, 0.6), (500, 3, 0.7)]


def test_metaval_best_orders_by_metaval_fitness_once_each_and_skips_failures(tmp_path):
    store = make_store(tmp_path, METAVAL)
    assert list(metaval_best(store, 3)) == [3, 4, 2]
    assert list(metaval_best(store, 2, exclude={3})) == [4, 2]
    assert metaval_best(store, 0) == {}
    assert metaval_best(store, 1)[3] == load_builtin("rmsprop").to_text()


def test_by_search_fitness_alone_the_overfit_top_programs_all_lose(tmp_path):
    store = make_store(tmp_path, METAVAL)
    outcome = run_funnel(store, funnel(0), TableEvaluator(), 16, "adamw", log=lambda _: None)
    assert outcome.stages[0].entrants == (1, 2)
    assert outcome.winner is None


def test_metaval_entrants_let_a_transferring_program_win(tmp_path):
    store = make_store(tmp_path, METAVAL)
    evaluator = TableEvaluator()
    outcome = run_funnel(store, funnel(1), evaluator, 16, "adamw", log=lambda _: None)
    assert outcome.stages[0].entrants == (1, 2, 3)
    assert outcome.stages[0].baseline_fitness == 0.4
    assert outcome.winner == 3
    # Resuming with one more metaval entrant evaluates only the new one.
    evaluator = TableEvaluator()
    outcome = run_funnel(store, funnel(2), evaluator, 16, "adamw", log=lambda _: None)
    assert evaluator.seen == [4]
    assert outcome.winner == 3 and not math.isnan(outcome.stages[0].fitness[4])


def test_children_tuned_to_one_program_enter_once_when_asked(tmp_path):
    # Candidate 5 is stored under its own cache key but keeps the same program
    # as candidate 1 (tuning at birth wrote the same constants into both).
    store = make_store(tmp_path, [])
    program = load_builtin("lion")
    twin = Candidate(5, 1, "modify", program, "h5", "f5", "f5", len(program), len(program))
    store.record_told(twin, Result("ok", 0.85, {}, 0.0), 5, 5)
    assert list(search_entrants(store, 3)) == [1, 5, 2]
    assert list(search_entrants(store, 3, distinct_tuned=True)) == [1, 2, 3]
    # Asking for more than there are returns every distinct program once.
    assert list(search_entrants(store, 10, distinct_tuned=True)) == [1, 2, 3, 4]
    section = {**FUNNEL_SECTION, "top_k": 3, "distinct_tuned": True}
    outcome = run_funnel(store, funnel_config(section), TableEvaluator(), 16, "adamw",
                         log=lambda _: None)
    assert outcome.stages[0].entrants == (1, 2, 3)
