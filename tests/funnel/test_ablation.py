"""Fitness-based simplification: clearly useless statements go, useful ones stay."""

import numpy as np
import pytest

from dsl.library import load_builtin
from dsl.parser import parse
from funnel.ablation import ablate, task_score
from funnel.lion_family import match_lion

TASK = "heavy-tail-regression"

# Lion with a gradient transform that changes (almost) nothing: tanh of a tiny
# multiple of g keeps its sign, and sign() discards the magnitude.
LION_WITH_USELESS_TANH = """\
def train(w, g, m, v, lr):
    s = g * 0.001
    s = tanh(s)
    c = interp(s, m, 0.9)
    update = sign(c)
    lr = lr * 0.003
    update = update * lr
    m = interp(s, m, 0.99)
    return update, m, v
"""


@pytest.fixture(scope="module")
def score():
    return task_score(TASK, num_seeds=2, lr_multipliers=(1.0,))


def test_a_useless_statement_is_removed_and_a_useful_one_kept(score):
    result = ablate(parse(LION_WITH_USELESS_TANH), score, tolerance=0.02, task=TASK)
    removed = [r.statement for r in result.removals]
    assert any("tanh" in s for s in removed)
    assert "tanh" not in result.final.to_text()
    assert "sign(" in result.final.to_text()  # removing the sign costs far more than 0.02
    assert abs(result.final_fitness - result.original_fitness) <= 0.02


def test_zero_tolerance_still_removes_exact_no_ops_only_statically(score):
    result = ablate(parse(LION_WITH_USELESS_TANH), score, tolerance=0.0, task=TASK)
    for removal in result.removals:
        assert removal.cost == 0.0


def test_program4_ablates_to_lion():
    score = task_score(TASK, num_seeds=4, lr_multipliers=(3.0, 10.0, 30.0))
    result = ablate(load_builtin("program4"), score, tolerance=0.02, task=TASK)
    removed = " ".join(r.statement for r in result.removals)
    assert "clip_by_global_norm" in removed and "arcsin" in removed
    match = match_lion(result.final)
    assert match.lion_family and match.weight_decay > 0
    assert match.preprocess == ()
    assert (match.b1, match.b2) == (0.899, 0.996991)


def test_evolving_with_insertions_off_never_lengthens_or_drops_below_the_floor():
    # A score that only asks "is it Lion?": the tuning phase may delete and modify
    # freely, but every change it keeps must stay within the tolerance.
    def lion_score(program):
        return 1.0 if match_lion(program).lion_family else 0.0

    greedy = ablate(load_builtin("program4"), lion_score, tolerance=0.5)
    tuned = ablate(load_builtin("program4"), lion_score, tolerance=0.5, tune_rounds=60,
                   rng=np.random.default_rng(0))
    assert match_lion(tuned.final).lion_family
    assert len(tuned.final) <= len(greedy.final)
    assert tuned.evaluations > greedy.evaluations
    assert all(r.fitness >= 0.5 for r in tuned.removals)
    with pytest.raises(ValueError, match="rng"):
        ablate(load_builtin("lion"), lion_score, tolerance=0.5, tune_rounds=1)


# A statement with two bypasses: `a := g` raises fitness by 0.35, `a := w` lowers it
# by 0.1. Neither is "of little effect" at tolerance 0.02, so the statement stays;
# the cost of its removal of smallest effect is +0.1, not the -0.35 of the bypass
# that helps most.
TWO_BYPASSES = """\
def train(w, g, m, v, lr):
    a = g + w
    update = a * lr
    return update, m, v
"""


def _text_score(table: dict[str, float]):
    from dsl.simplify import simplify

    known = {simplify(parse(text)).to_text(): f for text, f in table.items()}
    return lambda program: known.get(program.to_text(), -np.inf)


def _bypass(body: str) -> str:
    return f"def train(w, g, m, v, lr):\n    update = {body}\n    return update, m, v\n"


def test_kept_cost_is_the_removal_of_smallest_effect_even_when_one_raises_fitness():
    from funnel.ablation import removal_costs

    score = _text_score({TWO_BYPASSES: 1.0, _bypass("g * lr"): 1.35, _bypass("w * lr"): 0.9})
    result = ablate(parse(TWO_BYPASSES), score, tolerance=0.02)
    assert result.removals == ()
    # (The static simplifier names the temporary t0.)
    kept = {k.statement: k.cost for k in result.kept}
    assert kept["t0 = g + w"] == pytest.approx(0.1)
    assert kept["update = t0 * lr"] == np.inf  # its bypass fails
    costs, spent = removal_costs(result.static, score, original=1.0)
    assert costs == kept and spent == 3
