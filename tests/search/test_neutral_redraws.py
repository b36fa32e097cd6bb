"""Neutral re-draws: children that behave exactly as their parent are drawn again.

Most edits of dead statements leave a program's behaviour unchanged, and the
cache then answers the child at its parent's fitness: a candidate spent on
nothing. With `mutation.neutral_redraws: N` such a child is re-mutated up to N
times per ask (counted, never scored) and kept only after that.
"""

from __future__ import annotations

from dsl.program import Program
from search.evolution import program_key
from tests.search.test_evolution import fitness_of, make, started, step

#: AdamW with three dead statements: edits there change nothing it does.
ADAMW_WITH_DEAD_CODE = """
def train(w, g, m, v, lr):
    g2 = square(g)
    t0 = cosh(g2)
    t1 = t0 * 0.5
    m = interp(g, m, 0.9)
    v = interp(g2, v, 0.999)
    t2 = log(t1)
    sqrt_v = sqrt(v)
    update = m / sqrt_v
    wd = w * 0.01
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    return update, m, v
"""


def neutral_share(redraws: int, asks: int = 300) -> tuple[float, int]:
    """Share of children keyed as their parent, from a population of one program."""
    from dsl.parser import parse

    evolution = make(population=4, tournament=2, **{"mutation": {
        "neutral_redraws": redraws, "insert": 1.0, "delete": 1.0, "modify": 2.0}})
    evolution.seed_program = parse(ADAMW_WITH_DEAD_CODE)
    started(evolution)
    parent_key = program_key(evolution.seed_program, evolution.config.cache_key)
    neutral = 0
    for _ in range(asks):
        child, _ = evolution.ask()
        evolution.pending.clear()  # keep the population as it is: always the seed
        neutral += child.key == parent_key and child.parent_id == 0
    return neutral / asks, evolution.counters.neutral_redrawn


def test_re_drawing_cuts_the_share_of_neutral_children():
    without, redrawn_without = neutral_share(0)
    with_redraws, redrawn = neutral_share(5)
    assert without > 0.3, "dead code makes many children neutral"
    assert redrawn_without == 0
    assert with_redraws < without / 4
    assert redrawn > 0.3 * 300, "every re-drawn child is counted"


def test_re_draws_are_bounded_so_neutral_children_still_happen():
    # One re-draw at most: a neutral child survives when the re-draw is neutral too.
    share, redrawn = neutral_share(1)
    assert 0 < share
    assert redrawn <= 300


def test_re_drawn_children_take_no_candidate_ids():
    evolution = started(make(mutation={"neutral_redraws": 20}))
    ids = [step(evolution).id for _ in range(40)]
    counters = evolution.counters
    # Ids go to candidates and invalid children only, never to re-drawn ones.
    assert ids[-1] == counters.generated - 1 + counters.invalid
    assert counters.neutral_redrawn > 0


def test_duplication_s_exact_twins_are_not_re_drawn():
    evolution = started(make(mutation={
        "neutral_redraws": 50, "insert": 0.0, "delete": 0.0, "modify": 0.0,
        "duplicate": 1.0, "duplicate_exact_prob": 1.0}))
    children = [step(evolution, fitness=lambda c: 0.5) for _ in range(20)]
    assert evolution.counters.neutral_redrawn == 0
    assert all(c.mutation == "duplicate" for c in children)


def test_a_search_with_re_draws_is_deterministic_and_resumes_from_its_state():
    import json

    from search.evolution import Evolution

    a = started(make(mutation={"neutral_redraws": 3}))
    for _ in range(30):
        step(a)
    restored = Evolution.from_state(a.config, a.seed_program, json.loads(json.dumps(a.state())))
    assert restored.counters.neutral_redrawn == a.counters.neutral_redrawn
    assert [step(a, fitness_of).program for _ in range(20)] == [
        step(restored, fitness_of).program for _ in range(20)]


def test_the_parent_key_follows_the_kept_seed_after_a_restart():
    evolution = started(make(mutation={"neutral_redraws": 3}))
    evolution._parent_keys[0] = ("stale", "stale")
    evolution._restart("seed", evolution.population[0])
    assert 0 not in evolution._parent_keys
    assert isinstance(evolution.programs[0], Program)


def test_a_run_s_mutation_yields_count_every_child_and_rise_with_re_draws(tmp_path):
    from search.store import RunStore
    from search.summary import mutation_yields
    from tests.search.test_search_loop import run

    shares = {}
    for redraws in (0, 5):
        outcome, _, _ = run(tmp_path, f"r{redraws}", mutation={"neutral_redraws": redraws})
        store = RunStore(tmp_path / f"r{redraws}")
        yields = mutation_yields(store)
        store.close()
        assert {y.mutation for y in yields} <= {"insert", "delete", "modify"}
        assert sum(y.valid for y in yields) == outcome.generated - 1  # the seed is no child
        assert sum(y.invalid for y in yields) == outcome.invalid
        assert sum(y.cache_hits for y in yields) == outcome.cache_hits
        shares[redraws] = sum(y.new for y in yields) / sum(y.valid for y in yields)
    assert shares[5] > shares[0]


def test_a_neutral_child_is_re_drawn_by_the_same_mutation():
    import numpy as np

    from dsl.parser import parse
    from search.proposal import REDRAW_SAME, ChildContext, propose_valid_child
    from search.mutation import MutationContext

    seen = []

    def accept(child, name, attempt):
        seen.append(name)
        return REDRAW_SAME if attempt < 4 else child

    weights = {"insert": 1.0, "delete": 1.0, "modify": 1.0}
    context = ChildContext(MutationContext(max_length=20), weights, 50, accept)
    proposal = propose_valid_child(parse(ADAMW_WITH_DEAD_CODE), np.random.default_rng(0), context)
    assert proposal is not None and proposal.attempt == 4
    assert len(set(seen)) == 1, f"every re-draw repeats the first mutation: {seen}"


def test_re_draws_keep_the_configured_mix_of_mutations():
    from collections import Counter

    from dsl.parser import parse

    def mix(redraws):
        evolution = make(population=4, tournament=2, **{"mutation": {
            "neutral_redraws": redraws, "insert": 1.0, "delete": 1.0, "modify": 2.0}})
        evolution.seed_program = parse(ADAMW_WITH_DEAD_CODE)
        started(evolution)
        kinds = Counter()
        for _ in range(600):
            child, _ = evolution.ask()
            evolution.pending.clear()
            kinds[child.mutation] += 1
        return {k: v / 600 for k, v in kinds.items()}

    without, with_redraws = mix(0), mix(5)
    for kind in ("insert", "delete", "modify"):
        assert abs(with_redraws[kind] - without[kind]) < 0.08, (kind, without, with_redraws)
