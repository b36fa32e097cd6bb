"""Pricing programs on a search objective, with the spread a ranking needs.

Owns the question a rediscovery target must answer before any search runs on
it: on the objective its config scores (the task mix with its weights, the lr
multipliers, the state-slot charge), does the target, tuned, lead every tuned
baseline and every rival a search has found, by more than the two programs'
summed seed spreads? Each program is tuned to convergence on the mix
(`proxy_tasks.full_tuning`: every live constant, betas included, by coordinate
descent on tuning seeds), then scored once per fresh check seed as the search
scores a candidate (the config's `tasks.num_seeds` runs averaged), so each
program has a mean and a spread of the objective as the search sees it, over
seeds that did not pick its constants. The charge per state slot beyond the first is the config's
(`tasks.state_slot_cost`), and the uncharged performance is reported beside it,
so a ranking that rests on the charge shows as one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsl.analysis import liveness
from dsl.constants import constant_slots
from dsl.program import Program
from proxy_tasks.fitness import TaskScorer
from proxy_tasks.full_tuning import CHECK_SEED, tune_fully

#: Wall-time guard per scoring call: pricing is offline, a slow call is no failure.
PRICING_BUDGET_S = 3600.0


@dataclass(frozen=True)
class Objective:
    """What a config's search scores: task mix, lr multipliers, slot charge, and
    the runs averaged into one score."""

    weights: dict[str, float]
    lr_multipliers: tuple[float, ...]
    slot_cost: float
    max_length: int
    num_seeds: int = 1

    @classmethod
    def of(cls, config) -> "Objective":
        tasks = config.tasks
        return cls(dict(tasks.proxy), tuple(tasks.lr_multipliers),
                   float(tasks.state_slot_cost), int(tasks.executor_length),
                   int(tasks.num_seeds))


@dataclass(frozen=True)
class Price:
    """A program tuned on an objective and scored on fresh seeds.

    Attributes:
        label: the program's name in the table.
        program: the program with its tuned constants.
        slots: state slots it carries across steps.
        performance: per check seed, the weighted task fitness (no charge).
        charged: per check seed, the objective (performance minus the charge).
    """

    label: str
    program: Program
    slots: int
    performance: tuple[float, ...]
    charged: tuple[float, ...]

    @property
    def failures(self) -> int:
        """Check seeds on which the program failed (diverged, non-finite, ...)."""
        return sum(not np.isfinite(c) for c in self.charged)

    @property
    def mean(self) -> float:
        """Mean objective over the check seeds; -inf if it failed on any."""
        return float(np.mean(self.charged)) if not self.failures else -np.inf

    @property
    def spread(self) -> float:
        """Sample standard deviation over the check seeds (0 with one seed or a failure)."""
        if self.failures or len(self.charged) < 2:
            return 0.0
        return float(np.std(self.charged, ddof=1))

    @property
    def raw_mean(self) -> float:
        return float(np.mean(self.performance)) if not self.failures else -np.inf

    def constants(self) -> list[float]:
        return [s.value for s in constant_slots(self.program)]


def price(program: Program, label: str, objective: Objective, tuning_seeds: int = 2,
          check_seeds: int = 4, max_rounds: int = 6, say=lambda line: None) -> Price:
    """Tune `program` on `objective` and score it on `check_seeds` fresh seeds."""
    def scorers(seeds: int) -> dict[str, TaskScorer]:
        return {name: TaskScorer(name, objective.max_length, seeds, objective.lr_multipliers,
                                 time_budget_s=PRICING_BUDGET_S)
                for name in objective.weights}

    tuned = tune_fully(program, scorers(tuning_seeds), objective.weights, {}, max_rounds, say)
    slots = len(liveness(tuned.program)[1])
    charge = objective.slot_cost * max(0, slots - 1)
    total = sum(objective.weights.values())
    # One check is one score as the search computes it: the spread that decides a
    # ranking is the spread of that score, not of a single run when the search
    # averages several.
    check = scorers(objective.num_seeds)
    performance = []
    for k in range(check_seeds):
        # A failed run scores its WORST_FITNESS: it ranks last, as in the search.
        mix = sum(objective.weights[name] * scorer.score(tuned.program, CHECK_SEED + k).fitness
                  for name, scorer in check.items()) / total
        performance.append(float(mix))
    charged = tuple(p - charge for p in performance)
    return Price(label, tuned.program, slots, tuple(performance), charged)


def leads(target: Price, other: Price) -> bool:
    """Whether `target` beats `other` by more than their summed spreads (a
    program that failed on a check seed is led by one that did not)."""
    if target.failures or other.failures:
        return not target.failures
    return target.mean - other.mean > target.spread + other.spread


def price_table(prices: list[Price], target_label: str | None) -> str:
    """Markdown, best first: objective and performance per program, and whether
    the target leads each by more than the summed spreads."""
    target = next((p for p in prices if p.label == target_label), None)
    lines = ["| program | slots | objective, mean ± spread | performance (no charge) "
             "| constants | target's lead | beyond the summed spreads |",
             "|---|---|---|---|---|---|---|"]
    for p in sorted(prices, key=lambda p: -p.mean):
        consts = ", ".join(f"{c:.3g}" for c in p.constants())
        if target is None or p is target:
            lead, beyond = "-", "-"
        else:
            lead = f"{target.mean - p.mean:+.4f}" if not (p.failures or target.failures) else "-"
            beyond = "yes" if leads(target, p) else "**no**"
        name = f"**{p.label}**" if p is target else p.label
        score, raw = (f"{p.mean:.4f} ± {p.spread:.4f}", f"{p.raw_mean:.4f}") if not p.failures \
            else (f"failed on {p.failures} of {len(p.charged)} seeds", "-")
        lines.append(f"| {name} | {p.slots} | {score} | {raw} | {consts} | {lead} | {beyond} |")
    return "\n".join(lines)
