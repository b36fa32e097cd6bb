"""Proposing a child: mutate a parent until the child is valid.

Owns the paper's rule (Chen et al. 2023, Sec. 2.2) that a mutation producing an
invalid program is thrown away and the same parent is mutated again, up to a
number of attempts; and how a search config turns into mutation weights and a
`MutationContext`. The search (`search.evolution`), the reachability walks and
the ablation's tuning (`funnel`) all draw children through `propose_valid_child`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from dsl.analysis import InvalidProgram, Analysis, analyze
from dsl.ops import OPS
from dsl.program import Program
from search.config import SearchConfig
from search.mutation import MUTATIONS, MutationContext, choose_mutation

#: `accept(child, mutation_name, attempt)`: what the caller keeps of a valid
#: child; raises InvalidProgram for an invalid one; None skips it (no record);
#: `REDRAW_SAME` skips it and draws the next child with the same mutation.
Accept = Callable[[Program, str, int], Any]

#: What `accept` returns to have the next attempt use the same mutation (a
#: neutral child is re-drawn as its own kind, so re-draws keep the mix of
#: mutations the config weights).
REDRAW_SAME = object()


@dataclass(frozen=True)
class ChildContext:
    """How children are drawn from a parent and judged.

    Attributes:
        mutation: what the mutations need (op set, length limit, constant rules).
        weights: relative probability of each mutation in `MUTATIONS`, by name.
        max_attempts: re-mutations of the parent before giving up.
        accept: checks a child (see `Accept`); the default is `check_child`
            with `mutation.max_length` and no executor limit.
        on_invalid: told `(child, mutation_name, reason)` of each invalid child.
    """

    mutation: MutationContext
    weights: Mapping[str, float]
    max_attempts: int = 100
    accept: Accept | None = None
    on_invalid: Callable[[Program, str, str], None] | None = None


@dataclass(frozen=True)
class Proposal:
    """A valid child: its program, the mutation that made it, the attempt it
    took (1 = first), and what `accept` returned for it."""

    program: Program
    mutation: str
    attempt: int
    accepted: Any


def propose_valid_child(
    parent: Program, rng: np.random.Generator, context: ChildContext
) -> Proposal | None:
    """Mutate `parent` until a child passes `context.accept`.

    Returns:
        the first accepted child, or None after `context.max_attempts` attempts.
    """
    accept = context.accept or (
        lambda child, name, attempt: check_child(child, context.mutation.max_length)
    )
    same = None  # the mutation to repeat, after a REDRAW_SAME
    for attempt in range(1, context.max_attempts + 1):
        name = same or choose_mutation(rng, context.weights)
        same = None
        child = MUTATIONS[name](rng, parent, context.mutation)
        if child is None:  # e.g. an insertion at the length limit
            continue
        try:
            accepted = accept(child, name, attempt)
        except InvalidProgram as exc:
            if context.on_invalid is not None:
                context.on_invalid(child, name, str(exc))
            continue
        if accepted is REDRAW_SAME:
            same = name
            continue
        if accepted is None:
            continue
        return Proposal(child, name, attempt, accepted)
    return None


def check_child(
    program: Program, max_length: int, executor_length: int | None = None
) -> Analysis:
    """Abstract execution of a child, and its live length against the executor's.

    Raises:
        InvalidProgram: the child is invalid or has more live statements than
            the executor runs.
    """
    facts = analyze(program, max_length)
    if executor_length is not None and facts.num_live > executor_length:
        raise InvalidProgram(
            f"{facts.num_live} live statements exceed the executor's {executor_length}"
        )
    return facts


def mutation_weights(config: SearchConfig) -> dict[str, float]:
    """The config's weight for every registered mutation, in `MUTATIONS` order
    (a mutation the config's `mutation` section does not name weighs 0)."""
    return {name: float(getattr(config.mutation, name, 0.0)) for name in MUTATIONS}


def mutation_context(config: SearchConfig) -> MutationContext:
    """The mutations' context for a search config (its op subset, length, constants)."""
    return MutationContext(
        ops=OPS.subset(list(config.ops)) if config.ops else OPS,
        max_length=config.max_length,
        const_redraw_prob=config.mutation.const_redraw_prob,
        const_arg_prob=config.mutation.const_arg_prob,
        duplicate_exact_prob=config.mutation.duplicate_exact_prob,
    )


def search_child_context(config: SearchConfig, **kwargs) -> ChildContext:
    """Children as the search draws them: the config's mutations, weights and
    attempts, checked against its length and executor limits."""
    def accept(child: Program, name: str, attempt: int) -> Analysis:
        return check_child(child, config.max_length, config.tasks.executor_length)

    kwargs.setdefault("accept", accept)
    return ChildContext(
        mutation_context(config), mutation_weights(config),
        config.mutation.max_attempts, **kwargs,
    )
