"""Mutations: each registered mutation, run over many seeds, behaves as specified."""

from __future__ import annotations

import numpy as np
import pytest

from dsl import InvalidProgram, check
from dsl.library import load_builtin
from dsl.ops import OPS
from dsl.program import Const, Var
from search.mutation import MUTATIONS, MutationContext, choose_mutation, mutate_constant
from tests.search.test_mutation_battery import NO_CHILD_OF

CONTEXT = MutationContext(max_length=20)
PARENTS = ["adamw", "lion", "program4", "sgd"]


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_mutation_eventually_makes_a_valid_different_child(name):
    rng = np.random.default_rng(0)
    for parent_name in PARENTS:
        parent = load_builtin(parent_name)
        valid_children = 0
        for _ in range(200):
            child = MUTATIONS[name](rng, parent, CONTEXT)
            if child is None:
                continue
            assert child != parent or name == "modify"
            assert len(child) <= CONTEXT.max_length
            try:
                check(child)
            except InvalidProgram:
                continue
            valid_children += 1
        if parent_name in NO_CHILD_OF.get(name, ()):
            assert valid_children == 0, f"{name} on {parent_name}"
        else:
            assert valid_children > 10, f"{name} on {parent_name}"


def test_insert_adds_one_statement_and_respects_the_length_limit():
    rng = np.random.default_rng(1)
    parent = load_builtin("adamw")
    child = MUTATIONS["insert"](rng, parent, CONTEXT)
    assert len(child) == len(parent) + 1
    full = MutationContext(max_length=len(parent))
    assert MUTATIONS["insert"](rng, parent, full) is None


def test_delete_removes_one_statement_and_never_empties_a_program():
    rng = np.random.default_rng(2)
    parent = load_builtin("adamw")
    assert len(MUTATIONS["delete"](rng, parent, CONTEXT)) == len(parent) - 1
    assert MUTATIONS["delete"](rng, load_builtin("sgd").delete(0).delete(0).insert(
        0, load_builtin("sgd").statements[1]), CONTEXT) is None


def test_modify_changes_exactly_one_argument():
    rng = np.random.default_rng(3)
    parent = load_builtin("adamw")
    for _ in range(100):
        child = MUTATIONS["modify"](rng, parent, CONTEXT)
        changed = [(a, b) for a, b in zip(parent, child) if a != b]
        assert len(changed) <= 1
        if changed:
            before, after = changed[0]
            assert before.op == after.op and before.target == after.target
            assert sum(x != y for x, y in zip(before.args, after.args)) == 1


def test_constants_are_redrawn_or_scaled_by_a_power_of_two():
    rng = np.random.default_rng(4)
    scaled = [mutate_constant(rng, 0.9, redraw_prob=0.0) for _ in range(500)]
    redrawn = [mutate_constant(rng, 0.9, redraw_prob=1.0) for _ in range(500)]
    assert all(v > 0 for v in scaled), "scaling by 2^N(0,1) keeps the sign"
    assert np.std(np.log2(np.array(scaled) / 0.9)) == pytest.approx(1.0, abs=0.15)
    assert np.mean(redrawn) == pytest.approx(0.0, abs=0.15)
    assert np.std(redrawn) == pytest.approx(1.0, abs=0.15)


def test_modify_eventually_touches_constants_of_adamw():
    rng = np.random.default_rng(5)
    parent = load_builtin("adamw")
    constants = set(parent.constants())
    seen_new_constant = False
    for _ in range(200):
        child = MUTATIONS["modify"](rng, parent, CONTEXT)
        if set(child.constants()) - constants:
            seen_new_constant = True
            break
    assert seen_new_constant


def test_mutation_choice_follows_weights():
    rng = np.random.default_rng(6)
    draws = [choose_mutation(rng, {"insert": 3.0, "delete": 1.0, "modify": 0.0}) for _ in range(4000)]
    assert "modify" not in draws
    assert draws.count("insert") / len(draws) == pytest.approx(0.75, abs=0.03)


def test_mutations_are_deterministic_for_a_seed():
    parent = load_builtin("program4")
    a = [MUTATIONS["insert"](np.random.default_rng(7), parent, CONTEXT) for _ in range(2)]
    assert a[0] == a[1]



def _differences(parent, child):
    return [
        (a, b) for a, b in zip(parent.statements, child.statements) if a != b
    ]


@pytest.mark.parametrize("name", ["change_op", "randomize"])
def test_op_changing_mutations_rewrite_one_statement_and_keep_its_target(name):
    rng = np.random.default_rng(1)
    parent = load_builtin("adamw")
    for _ in range(300):
        child = MUTATIONS[name](rng, parent, CONTEXT)
        assert len(child) == len(parent)
        changed = _differences(parent, child)
        assert len(changed) <= 1
        for old, new in changed:
            assert new.target == old.target


def test_change_op_keeps_the_arguments_that_still_fit():
    # `update = m / sqrt_v` -> a unary op keeps `m`: the first step from AdamW
    # towards a sign method is one change_op away.
    rng = np.random.default_rng(2)
    parent = load_builtin("adamw")
    index = next(i for i, st in enumerate(parent) if st.op == "divide")
    seen = set()
    for _ in range(3000):
        child = MUTATIONS["change_op"](rng, parent, CONTEXT)
        new = child.statements[index]
        if new != parent.statements[index] and len(new.args) == 1:
            assert new.args[0].to_text() == "m"
            seen.add(new.op)
    assert "sign" in seen


@pytest.mark.parametrize("name", ["change_op", "randomize"])
def test_op_changing_mutations_only_write_ops_of_the_subset(name):
    ops = OPS.subset(["add", "multiply", "sign", "interp", "sqrt"])
    context = MutationContext(ops=ops, max_length=20)
    rng = np.random.default_rng(3)
    parent = load_builtin("adamw")
    for _ in range(300):
        child = MUTATIONS[name](rng, parent, context)
        for old, new in _differences(parent, child):
            assert new.op in ops


def test_duplicate_copies_a_statement_before_itself_and_rewires_one_reader():
    parent = load_builtin("adamw")
    rng = np.random.default_rng(0)
    seen_rewired = seen_dead = 0
    for _ in range(200):
        child = MUTATIONS["duplicate"](rng, parent, CONTEXT)
        assert len(child) == len(parent) + 1
        fresh = next(st for st in child if st.target not in parent.variables())
        index = child.statements.index(fresh)
        original = child.statements[index + 1]
        # The copy is the original's computation under a fresh name, just before it.
        assert (fresh.op, len(fresh.args)) == (original.op, len(original.args))
        assert parent.statements[index] == original
        for a, b in zip(fresh.args, original.args):
            assert isinstance(a, Const) == isinstance(b, Const)
            if not isinstance(a, Const):
                assert a == b
        readers = [st for st in child.statements if Var(fresh.target) in st.args]
        assert len(readers) <= 1, "exactly one reader moves to the copy"
        seen_rewired += len(readers)
        seen_dead += not readers
        # Apart from the copy and that one reader, the program is unchanged.
        rest = [st for st in child.statements if st is not fresh and st not in readers]
        assert len(rest) == len(parent) - len(readers)
    assert seen_rewired > 0 and seen_dead > 0  # a final statement has no reader


def test_duplicating_the_momentum_of_signum_can_give_lion_with_two_betas():
    from dsl.parser import parse
    from funnel.lion_family import match_lion

    signum = parse(
        "def train(w, g, m, v, lr):\n"
        "    m = interp(g, m, 0.9)\n"
        "    update = sign(m)\n"
        "    wd = w * 1.0\n"
        "    update = update + wd\n"
        "    lr = lr * 0.001\n"
        "    update = update * lr\n"
        "    return update, m, v\n"
    )
    rng = np.random.default_rng(1)
    found = [match_lion(MUTATIONS["duplicate"](rng, signum, CONTEXT)) for _ in range(60)]
    lions = [f for f in found if f.lion_family and f.distinct_betas]
    assert lions, "copying `m = interp(g, m, b)` and reading the copy in sign() is Lion"


def test_an_exact_duplicate_is_a_neutral_twin_and_the_mix_gives_both_kinds():
    from dataclasses import replace

    from dsl.fingerprint import fingerprint

    parent = load_builtin("adamw")
    exact = replace(CONTEXT, duplicate_exact_prob=1.0)
    rng = np.random.default_rng(3)
    for _ in range(100):
        child = MUTATIONS["duplicate"](rng, parent, exact)
        fresh = next(st for st in child if st.target not in parent.variables())
        original = child.statements[child.statements.index(fresh) + 1]
        assert fresh.args == original.args
        # Same behaviour, so the search answers it from the cache at the
        # parent's fitness: a neutral child carrying a spare copy.
        assert fingerprint(child) == fingerprint(parent)
    half = replace(CONTEXT, duplicate_exact_prob=0.5)
    kinds = set()
    for _ in range(200):
        child = MUTATIONS["duplicate"](rng, parent, half)
        fresh = next(st for st in child if st.target not in parent.variables())
        original = child.statements[child.statements.index(fresh) + 1]
        if any(isinstance(a, Const) for a in fresh.args):
            kinds.add(fresh.args == original.args)
    assert kinds == {True, False}


def test_duplicate_respects_the_length_limit():
    parent = load_builtin("adamw")
    full = MutationContext(max_length=len(parent))
    assert MUTATIONS["duplicate"](np.random.default_rng(0), parent, full) is None
