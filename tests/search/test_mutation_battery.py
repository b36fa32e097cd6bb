"""A battery every registered mutation passes (`search.mutation.MUTATIONS`).

Parametrised over the registry, so a mutation added there is covered without
touching this file: the same seed gives the same child; children drawn through
`propose_valid_child` are valid and within the length limit; and a child writes
only ops of the context's op subset (ops the parent already had may stay).
"""

from __future__ import annotations

import numpy as np
import pytest

from dsl.analysis import check
from dsl.library import load_builtin
from dsl.ops import OPS
from search.mutation import MUTATIONS, MutationContext
from search.proposal import ChildContext, propose_valid_child

PARENT_NAMES = ("adamw", "lion", "program4", "sgd")
PARENTS = [load_builtin(name) for name in PARENT_NAMES]
SUBSET = ["add", "subtract", "multiply", "sign", "interp", "square", "sqrt"]
#: Parents a mutation has no child of by design: `smooth` needs a state slot the
#: program does not carry across steps, and AdamW carries both.
NO_CHILD_OF = {"smooth": {"adamw"}}


def _ops(program) -> set[str]:
    return {statement.op for statement in program}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_the_same_seed_gives_the_same_child(name):
    context = MutationContext(max_length=20)
    for parent_name, parent in zip(PARENT_NAMES, PARENTS):
        mutate = MUTATIONS[name]
        first = [mutate(np.random.default_rng(s), parent, context) for s in range(20)]
        again = [mutate(np.random.default_rng(s), parent, context) for s in range(20)]
        assert first == again
        if parent_name in NO_CHILD_OF.get(name, ()):
            assert all(child is None for child in first)
        else:
            assert any(child is not None and child != parent for child in first)


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_proposed_child_is_valid_and_within_the_length_limit(name):
    rng = np.random.default_rng(0)
    context = ChildContext(MutationContext(max_length=16), {name: 1.0}, max_attempts=100)
    proposed = 0
    for parent in PARENTS:
        for _ in range(25):
            proposal = propose_valid_child(parent, rng, context)
            if proposal is None:
                continue
            proposed += 1
            assert proposal.mutation == name
            check(proposal.program, 16)  # raises if invalid
            assert len(proposal.program) <= 16
    assert proposed >= 50


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_child_writes_only_ops_of_the_subset(name):
    rng = np.random.default_rng(3)
    context = MutationContext(ops=OPS.subset(SUBSET), max_length=20)
    for parent in PARENTS:
        for _ in range(100):
            child = MUTATIONS[name](rng, parent, context)
            if child is None:
                continue
            assert _ops(child) <= set(SUBSET) | _ops(parent), name
