"""`propose_valid_child`: mutate a parent until a child passes the caller's check."""

from __future__ import annotations

import numpy as np

from dsl.analysis import InvalidProgram
from dsl.library import load_builtin
from search.config import config_from_dict
from search.mutation import MutationContext
from search.proposal import ChildContext, propose_valid_child, search_child_context

ADAMW = load_builtin("adamw")


def _context(**kwargs) -> ChildContext:
    return ChildContext(MutationContext(max_length=20), {"modify": 1.0}, **kwargs)


def test_invalid_children_are_reported_and_the_parent_is_mutated_again():
    seen = []

    def accept(child, name, attempt):
        if attempt < 3:
            raise InvalidProgram(f"rejected {attempt}")
        return "kept"

    proposal = propose_valid_child(
        ADAMW, np.random.default_rng(0),
        _context(accept=accept, on_invalid=lambda c, n, r: seen.append((n, r))),
    )
    assert proposal.accepted == "kept" and proposal.attempt == 3
    assert proposal.mutation == "modify" and proposal.program != ADAMW
    assert seen == [("modify", "rejected 1"), ("modify", "rejected 2")]


def test_a_skipped_child_is_redrawn_without_a_report():
    seen = []
    proposal = propose_valid_child(
        ADAMW, np.random.default_rng(0),
        _context(accept=lambda c, n, a: None if a == 1 else a,
                 on_invalid=lambda *x: seen.append(x)),
    )
    assert proposal.attempt == 2 and proposal.accepted == 2 and seen == []


def test_it_gives_up_after_max_attempts():
    def never(child, name, attempt):
        raise InvalidProgram("no")

    assert propose_valid_child(
        ADAMW, np.random.default_rng(0), _context(max_attempts=5, accept=never)
    ) is None


def test_the_search_context_rejects_children_longer_than_the_executor():
    config = config_from_dict(
        {"max_length": 20, "mutation": {"insert": 1.0, "delete": 0.0, "modify": 0.0},
         "tasks": {"executor_length": len(ADAMW)}}
    )
    reasons = []
    context = search_child_context(config, on_invalid=lambda c, n, r: reasons.append(r))
    rng = np.random.default_rng(1)
    for _ in range(20):
        proposal = propose_valid_child(ADAMW, rng, context)
        if proposal is not None:
            assert proposal.accepted.num_live <= len(ADAMW)
    assert any("exceed the executor" in r for r in reasons)
