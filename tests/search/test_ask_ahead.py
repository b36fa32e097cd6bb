"""Asking ahead: several candidates in flight, results told in ask order.

With `ask_ahead: K` the search asks up to K candidates before the oldest is told,
buffers results that arrive early and tells them in the order the candidates were
asked. The walk then depends on the seed and K only: any evaluator, delivering
results in any order, produces the same candidate table, and a kill in the middle
of the window resumes to it.
"""

from __future__ import annotations

import json

import numpy as np

from search.loop import SearchRunner
from search.store import RunStore
from tests.search.probe_evaluator import ProbeEvaluator, probe_fitness
from tests.search.test_search_loop import make_config, rows, run


class ShuffledEvaluator(ProbeEvaluator):
    """Returns a random non-empty subset of what is queued, in random order:
    asynchronous workers at their most disorderly."""

    def __init__(self, seed: int = 0):
        super().__init__(capacity=8)
        self.rng = np.random.default_rng(seed)

    def collect(self):
        if not self.queue:
            return []
        queued = list(self.queue)
        take = self.rng.permutation(len(queued))[: int(self.rng.integers(1, len(queued) + 1))]
        chosen = [queued[i] for i in take]
        for candidate in chosen:
            self.queue.remove(candidate)
        return [(c, probe_fitness(c.program)) for c in chosen]


def test_every_delivery_order_gives_the_same_candidate_table(tmp_path):
    run(tmp_path, "fifo", evaluator=ProbeEvaluator(), ask_ahead=6)
    run(tmp_path, "lifo", evaluator=ProbeEvaluator(capacity=6, order="lifo"), ask_ahead=6)
    run(tmp_path, "shuffled", evaluator=ShuffledEvaluator(seed=3), ask_ahead=6)
    fifo = rows(tmp_path / "fifo", "id, parent_id, mutation, program, status, fitness, "
                "cache_hit, told_seq, generated_at_tell")
    assert len(fifo) > 150
    for name in ("lifo", "shuffled"):
        assert rows(tmp_path / name, "id, parent_id, mutation, program, status, fitness, "
                    "cache_hit, told_seq, generated_at_tell") == fifo, name


def test_results_are_told_in_the_order_their_candidates_were_asked(tmp_path):
    run(tmp_path, evaluator=ShuffledEvaluator(seed=1), ask_ahead=5)
    told = [r for r in rows(tmp_path / "run", "id, told_seq") if r[1] is not None]
    assert [r[1] for r in told] == list(range(1, len(told) + 1))
    assert [r[0] for r in told] == sorted(r[0] for r in told)


def test_asking_ahead_walks_differently_from_asking_one_at_a_time(tmp_path):
    # A guard on the test above: the window really changes what parents see.
    run(tmp_path, "one", ask_ahead=1)
    run(tmp_path, "six", ask_ahead=6)
    assert rows(tmp_path / "one") != rows(tmp_path / "six")


def test_the_window_is_kept_full_while_the_budget_lasts(tmp_path):
    seen = []

    def window(runner):
        seen.append(len(runner.evolution.pending))

    store = RunStore(tmp_path / "run")
    SearchRunner(make_config(ask_ahead=4), store, ShuffledEvaluator(), hooks=[window]).run()
    store.close()
    # After each tell (before the refill) the window holds K - 1 until the budget runs out.
    assert seen[0] == 0, "the seed is told alone"
    assert set(seen[1:100]) == {3}
    assert seen[-1] == 0


def stop_mid_window(tmp_path, name: str, stop_at: int, lag_to: int | None = None):
    """Run with ask_ahead 8, stop after `stop_at` tells (as SIGTERM does) with
    cache answers pending; optionally put back the checkpoint of `lag_to` tells,
    as if the process died before writing a newer one. Returns that state."""
    saved = {}

    def hook(runner):
        told = runner.evolution.counters.told
        if told == lag_to:
            saved["state"] = runner.evolution.state()
        if told == stop_at:
            saved["at_stop"] = runner.evolution.state()
            runner._stop = True

    store = RunStore(tmp_path / name)
    SearchRunner(make_config(ask_ahead=8), store, ShuffledEvaluator(seed=5), hooks=[hook]).run()
    store.close()
    if lag_to is not None:
        checkpoint = json.loads((tmp_path / name / "checkpoint.json").read_text())
        checkpoint.update(saved["state"])
        (tmp_path / name / "checkpoint.json").write_text(json.dumps(checkpoint))
    return saved


def resume(tmp_path, name: str) -> ProbeEvaluator:
    store = RunStore(tmp_path / name)
    evaluator = ProbeEvaluator(capacity=8, order="lifo")
    SearchRunner(make_config(ask_ahead=8), store, evaluator).run()
    store.close()
    return evaluator


def test_a_stop_with_cache_answers_pending_resumes_to_the_same_table(tmp_path):
    run(tmp_path, "full", evaluator=ShuffledEvaluator(seed=9), ask_ahead=8)
    saved = stop_mid_window(tmp_path, "cut", stop_at=70)
    assert saved["at_stop"]["answered"], "the stop must leave cache answers pending"
    evaluator = resume(tmp_path, "cut")
    assert rows(tmp_path / "cut") == rows(tmp_path / "full")
    told_before = {r[0] for r in rows(tmp_path / "cut", "id, told_seq") if r[1] and r[1] <= 70}
    assert not told_before & set(evaluator.submitted), "told candidates are not scored again"
    answered = {int(i) for i in saved["at_stop"]["answered"]}
    assert not answered & set(evaluator.submitted), "a pending cache answer is kept, not re-scored"


def test_a_lagging_checkpoint_mid_window_resumes_to_the_same_table(tmp_path):
    run(tmp_path, "full", evaluator=ShuffledEvaluator(seed=9), ask_ahead=8)
    stop_mid_window(tmp_path, "cut", stop_at=77, lag_to=60)
    resume(tmp_path, "cut")
    assert rows(tmp_path / "cut") == rows(tmp_path / "full")
