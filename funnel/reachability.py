"""How reachable is Lion from a start program under the search's own mutations?

Owns the measurement behind "what limits the search" in the Lion report: random
walks of k mutations from a start program (AdamW for `configs/lion.yaml`), drawn
exactly as the search draws children (same mutation weights, op set, length
limit and constant rules; an invalid child is re-drawn from the same parent, as
in `Evolution.ask`), counting how many k-step descendants are in the Lion family
(`funnel.lion_family.match_lion`), how many of those carry a weight decay, and
which mutation made each arrival. From a Lion without decay (a found program)
the same walks measure how often a decay term is added. Optionally the distinct
Lion-family programs found are scored with the config's proxy scorer, next to
the start program, so the report can say both how rare the first step towards
Lion is and whether it is uphill.

A walk is not the search: the search keeps only children that win tournaments.
The probability per walk is therefore an upper bound on how often a search that
stays near its start program proposes a Lion-family child.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsl.fingerprint import fingerprint_unchecked
from dsl.program import Program
from funnel.lion_family import match_lion
from search.config import SearchConfig
from search.proposal import check_child, propose_valid_child, search_child_context


@dataclass
class StepCounts:
    """What the walks reached after a number of mutations.

    Attributes:
        walks: walks that reached this step.
        lion_family: walks whose program at this step is in the Lion family.
        distinct_betas: of those, how many have b1 != b2 (Lion proper, not signum).
        decayed: of the Lion-family ones, how many have a nonzero weight decay.
        by_mutation: per mutation name, the arrivals its mutation made at this
            step: a Lion-family program from one that was not, or a Lion with a
            decay from one without (the step a search must win a tournament with).
        programs: the distinct Lion-family programs, by fingerprint.
    """

    walks: int = 0
    lion_family: int = 0
    distinct_betas: int = 0
    decayed: int = 0
    by_mutation: dict[str, int] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.lion_family / self.walks if self.walks else 0.0


def random_walks(
    config: SearchConfig, start: Program, walks: int, steps: int, seed: int = 0
) -> list[StepCounts]:
    """`walks` random mutation walks of `steps` valid children each from `start`.

    Returns:
        one `StepCounts` per step (index 0 = after one mutation).
    """
    def accept(child: Program, name: str, attempt: int) -> str:
        check_child(child, config.max_length, config.tasks.executor_length)
        return fingerprint_unchecked(child)

    context = search_child_context(config, accept=accept)
    rng = np.random.default_rng(seed)
    counts = [StepCounts() for _ in range(steps)]
    verdicts: dict[str, tuple[bool, bool, bool]] = {}
    start_verdict = _verdict(start)
    for _ in range(walks):
        program, before = start, start_verdict
        for step in range(steps):
            child = propose_valid_child(program, rng, context)
            if child is None:
                break
            program, key = child.program, child.accepted
            if key not in verdicts:
                verdicts[key] = _verdict(program)
            family, distinct, decayed = verdicts[key]
            counts[step].walks += 1
            if family:
                counts[step].lion_family += 1
                counts[step].distinct_betas += distinct
                counts[step].decayed += decayed
                counts[step].programs.setdefault(key, program)
                # An arrival: into the family, or (from a Lion without decay)
                # into a decayed Lion.
                if not before[0] or (decayed and not before[2]):
                    by = counts[step].by_mutation
                    by[child.mutation] = by.get(child.mutation, 0) + 1
            before = verdicts[key]
    return counts


def _verdict(program: Program) -> tuple[bool, bool, bool]:
    """(Lion family, b1 != b2, Lion family with a nonzero weight decay)."""
    match = match_lion(program)
    return (match.lion_family, match.distinct_betas,
            match.lion_family and bool(match.weight_decay))


def format_counts(counts: list[StepCounts]) -> str:
    """A table: per step, how many walks landed in the Lion family."""
    lines = [
        "| mutations | walks | Lion family | rate | of which b1 != b2 | with decay "
        "| distinct programs | arrivals by mutation |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for step, c in enumerate(counts, start=1):
        arrivals = ", ".join(f"{n} {k}" for n, k in sorted(
            c.by_mutation.items(), key=lambda item: -item[1])) or "-"
        lines.append(
            f"| {step} | {c.walks} | {c.lion_family} | {c.rate:.2e} | "
            f"{c.distinct_betas} | {c.decayed} | {len(c.programs)} | {arrivals} |"
        )
    return "\n".join(lines)
