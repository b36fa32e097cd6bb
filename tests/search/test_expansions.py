"""The `expand` mutation: every expansion is a simplifier rule run backwards, so
the child behaves as its parent and simplifies back to it; it respects the
length limit and the config's op set, and neutral redraws leave it alone."""

from __future__ import annotations

import numpy as np
import pytest

from dsl.equivalence import check_equivalence
from dsl.library import load_builtin
from dsl.ops import OPS
from dsl.parser import parse
from dsl.simplify import simplify
from search.evolution import NEUTRAL_BY_DESIGN
from search.expansions import EXPANSIONS, expand_statement
from search.mutation import MutationContext

CONTEXT = MutationContext(max_length=20)


def one_statement(op_line: str):
    return parse(f"def train(w, g, m, v, lr):\n    {op_line}\n"
                 "    update = update * lr\n    return update, m, v\n")


@pytest.mark.parametrize("line, op", [
    ("update = sign(g)", "sign"), ("update = abs(g)", "abs"),
    ("update = interp(g, m, 0.9)", "interp"), ("update = g * 0.01", "multiply"),
])
def test_each_expansion_behaves_as_its_parent_and_simplifies_back(line, op):
    assert op in EXPANSIONS
    parent = one_statement(line)
    rng = np.random.default_rng(0)
    for _ in range(5):
        child = expand_statement(rng, parent, CONTEXT)
        assert child is not None and len(child) > len(parent)
        assert check_equivalence(parent, child).equivalent
        assert simplify(child).to_text() == simplify(parent).to_text()


def test_sign_expands_twice_into_a_root_of_a_square():
    rng = np.random.default_rng(1)
    program = one_statement("update = sign(g)")
    program = expand_statement(rng, program, CONTEXT)   # g / abs(g)
    program = expand_statement(rng, program, CONTEXT)   # g / sqrt(square(g))
    assert {"square", "sqrt", "divide"} <= {st.op for st in program}
    assert check_equivalence(one_statement("update = sign(g)"), program).equivalent


@pytest.mark.parametrize("name", ["adamw", "lion", "sgd_momentum", "signum"])
def test_expanding_the_shipped_programs_keeps_them(name):
    rng = np.random.default_rng(2)
    parent = load_builtin(name)
    program = parent
    for _ in range(4):
        program = expand_statement(rng, program, CONTEXT) or program
    assert len(program) > len(parent)
    assert check_equivalence(parent, program).equivalent


def test_nothing_to_expand_the_length_limit_and_the_op_set_give_none():
    rng = np.random.default_rng(0)
    assert expand_statement(rng, one_statement("update = g + m"), CONTEXT) is None
    assert expand_statement(rng, one_statement("update = sign(g)"),
                            MutationContext(max_length=2)) is None
    no_abs = MutationContext(ops=OPS.subset([n for n in OPS if n != "abs"]), max_length=20)
    assert expand_statement(rng, one_statement("update = sign(g)"), no_abs) is None


def test_neutral_redraws_never_redraw_an_expansion():
    assert "expand" in NEUTRAL_BY_DESIGN
