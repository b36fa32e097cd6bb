"""Fitness-based simplification: remove statements whose effect on fitness is small.

Owns the second step of the paper's simplification (Chen et al. 2023, Sec. 3.2:
"remove statements of little effect", which can be automated by evolving with
insertions switched off). The static simplifier (`dsl.simplify`) first removes
everything that provably changes nothing; this module then measures.

Removing a statement `t = op(a, b, ...)` means bypassing it: `t` becomes one of
the statement's variable inputs (`t = a * 1.0`, folded away by the static
simplifier). That is what "dropping `arcsin`" or "dropping `clip`" means, and for
a state write `m = interp(g, m, b)` it offers both "momentum = g" and "momentum
never updated". A literal deletion would mostly orphan later reads.

The greedy loop: score every single removal (the same seeds for all, so the
comparisons are paired); a removal qualifies when its fitness is within
`tolerance` of the *original* program's, in either direction (measured against
the original, so small losses cannot add up beyond the tolerance; and a removal
that changes fitness a lot, even for the better, is not "of little effect": by-
passing `wd = w * 0.46` makes the decay coefficient 1, which is a retuning, not
a simplification). Keep the qualifying removal of smallest effect, re-simplify
statically, and repeat until none qualifies. Optionally (`tune_rounds`) the result then evolves with insertions off:
random deletions and argument modifications (`search.mutation`), a child kept when
it is no worse than the current program and no longer.

Every candidate is scored by one `proxy_tasks.fitness.TaskScorer`, compiled once;
programs are fed to it as data.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from dsl.analysis import InvalidProgram, check
from dsl.program import Const, Program, Statement, Var
from dsl.simplify import simplify
from proxy_tasks.floats import nullable
from search.progress import Pace


@dataclass(frozen=True)
class Removal:
    """One kept removal: what went, and what it cost.

    Attributes:
        statement: the removed statement's text (in the program it was removed from).
        replacement: what its target became instead (a variable name).
        fitness: fitness after the removal.
        cost: original fitness minus `fitness` (negative: removing it helped).
        how: "delete" (greedy removal) or "tune" (evolution without insertions).
    """

    statement: str
    replacement: str
    fitness: float
    cost: float
    how: str = "delete"


@dataclass(frozen=True)
class Kept:
    """A statement that stayed, and the cost of its removal of smallest effect
    (inf: no removal gives a working program)."""

    statement: str
    cost: float


@dataclass(frozen=True)
class AblationResult:
    """What `ablate` did.

    Attributes:
        original, static, final: the input, its static simplification, the result.
        original_fitness, final_fitness: measured on the task (same seeds).
        removals: the kept removals in order.
        kept: the final program's statements with the cost of removing each.
        evaluations: programs scored.
        task, tolerance, num_seeds: how it was measured.
    """

    original: Program
    static: Program
    final: Program
    original_fitness: float
    final_fitness: float
    removals: tuple[Removal, ...]
    kept: tuple[Kept, ...]
    evaluations: int
    task: str
    tolerance: float
    num_seeds: int

    def table(self) -> str:
        """The removals and the statements that stayed, as an aligned text table."""
        lines = [
            f"# ablation on {self.task} ({self.num_seeds} seeds, tolerance "
            f"{self.tolerance:g}): fitness {self.original_fitness:.4f} -> "
            f"{self.final_fitness:.4f}, {len(self.static)} -> {len(self.final)} statements",
            f"# {'removed':<44} {'became':<10} {'fitness':>9} {'cost':>9}",
        ]
        for r in self.removals:
            lines.append(
                f"# {r.statement:<44} {r.replacement:<10} {r.fitness:>9.4f} {r.cost:>+9.4f}"
                + ("  (tuning)" if r.how == "tune" else "")
            )
        if not self.removals:
            lines.append("# (nothing removed)")
        lines.append(f"# {'kept (cost of its smallest-effect removal)':<44} {'':<10} {'':>9} {'cost':>9}")
        for k in self.kept:
            cost = "invalid" if math.isinf(k.cost) else f"{k.cost:+.4f}"
            lines.append(f"# {k.statement:<44} {'':<10} {'':>9} {cost:>9}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "task": self.task,
            "tolerance": self.tolerance,
            "num_seeds": self.num_seeds,
            "original_fitness": self.original_fitness,
            "final_fitness": self.final_fitness,
            "static": self.static.to_text(),
            "final": self.final.to_text(),
            "evaluations": self.evaluations,
            "removals": [vars(r) for r in self.removals],
            "kept": [{"statement": k.statement, "cost": nullable(k.cost)} for k in self.kept],
        }


def removals(program: Program) -> list[tuple[str, str, Program]]:
    """Every single-statement bypass of `program` that is still a valid program.

    Returns:
        (statement text, replacement variable, new program), in statement order.
    """
    out = []
    for index, st in enumerate(program):
        seen = set()
        for arg in st.args:
            if not isinstance(arg, Var) or arg.name in seen:
                continue
            seen.add(arg.name)
            bypass = Statement(st.target, "multiply", (arg, Const(1.0)))
            child = program.replace_statement(index, bypass)
            try:
                child = simplify(child)
            except InvalidProgram:
                continue
            out.append((st.to_text(), arg.name, child))
    return out


def ablate(
    program: Program,
    score: Callable[[Program], float],
    tolerance: float,
    task: str = "",
    num_seeds: int = 0,
    tune_rounds: int = 0,
    rng: np.random.Generator | None = None,
    log: Callable[[str], None] | None = None,
    progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> AblationResult:
    """Statically simplify `program`, then greedily remove statements of little effect.

    Args:
        program: a valid program.
        score: fitness of a program (higher is better, -inf for failures); use the
            same seeds for every call so comparisons are paired.
        tolerance: a removal qualifies if |fitness - original fitness| <= tolerance.
        task, num_seeds: recorded in the result (what `score` measures).
        tune_rounds: mutations tried with insertions off after the greedy phase.
        rng: randomness for the tuning phase (required if tune_rounds > 0).
        log: called with a line per kept removal.
        progress: called with a line per slow step (the first scoring, which
            compiles the task; each round of removals; the tuning phase) and,
            within a round or the tuning, at a steady pace (every 10 s or tenth
            of the round, `search.progress.Pace`).
        clock: seconds, for the elapsed times and the pace.

    Raises:
        InvalidProgram: `program` is not valid.
        ValueError: tolerance < 0, or tune_rounds > 0 without an rng.
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    if tune_rounds and rng is None:
        raise ValueError("tune_rounds > 0 needs an rng")
    check(program)
    say = progress or (lambda line: None)
    started = clock()
    static = simplify(program)
    say(f"ablation: scoring the {len(static)}-statement program on {task or 'the task'} "
        "(the first score compiles the task)...")
    original = score(static)
    evaluations = 1
    floor = original - tolerance
    current, current_fitness = static, original
    kept_removals: list[Removal] = []
    costs: dict[str, float] = {}
    rounds = 0
    while True:
        rounds += 1
        say(f"ablation round {rounds}: trying a removal of each of {len(current)} statements "
            f"[{clock() - started:.0f} s]")
        costs = {}
        best = None
        # A bypass the static simplifier undoes changes nothing.
        tries = [r for r in removals(current) if r[2] != current]
        pace = Pace(len(tries), clock=clock)
        for done, (statement, replacement, child) in enumerate(tries, start=1):
            fitness = score(child)
            evaluations += 1
            if done < len(tries) and pace.due(done):
                say(f"  ablation round {rounds}: {done}/{len(tries)} removals scored "
                    f"[{clock() - started:.0f} s]")
            cost = _cost(original, fitness)
            costs[statement] = min(costs.get(statement, math.inf), cost, key=abs)
            if abs(cost) <= tolerance and (best is None or abs(cost) < abs(best[0])):
                best = (cost, fitness, statement, replacement, child)
        if best is None:
            break
        cost, fitness, statement, replacement, child = best
        removal = Removal(statement, replacement, fitness, cost)
        kept_removals.append(removal)
        if log:
            log(f"removed {statement!r} ({statement.split(' = ')[0]} := {replacement}): "
                f"fitness {fitness:.4f}, cost {cost:+.4f}")
        current, current_fitness = child, fitness
    if tune_rounds:
        say(f"ablation: {tune_rounds} tuning rounds [{clock() - started:.0f} s]")
        pace = Pace(tune_rounds, clock=clock)

        def report(done: int) -> None:
            if done < tune_rounds and pace.due(done):
                say(f"  ablation tuning: {done}/{tune_rounds} rounds "
                    f"[{clock() - started:.0f} s]")

        current, current_fitness, tuned, spent = _tune(
            current, current_fitness, score, floor, tune_rounds, rng, original, report
        )
        kept_removals += tuned
        evaluations += spent
        if tuned:
            costs, spent = removal_costs(current, score, original)
            evaluations += spent
    kept = tuple(Kept(st.to_text(), costs.get(st.to_text(), math.inf)) for st in current)
    return AblationResult(
        original=program, static=static, final=current, original_fitness=original,
        final_fitness=current_fitness, removals=tuple(kept_removals), kept=kept,
        evaluations=evaluations, task=task, tolerance=tolerance, num_seeds=num_seeds,
    )


def removal_costs(
    program: Program, score: Callable[[Program], float], original: float
) -> tuple[dict[str, float], int]:
    """The cost of each statement's removal of smallest effect, and programs scored.

    A statement may be bypassed several ways (one per variable input); its cost is
    that of the bypass changing fitness least in either direction (smallest
    |cost|): a bypass that raises fitness a lot is a large effect, not a free
    removal. inf: no bypass gives a working program.
    """
    costs: dict[str, float] = {}
    spent = 0
    for statement, _, child in removals(program):
        if child == program:
            continue  # a bypass the static simplifier undoes changes nothing
        spent += 1
        cost = _cost(original, score(child))
        costs[statement] = min(costs.get(statement, math.inf), cost, key=abs)
    return costs, spent


def _tune(program, fitness, score, floor, rounds, rng, original, report=None):
    """Evolution with insertions off: deletions and modifications, no-worse kept
    (`report(rounds done)` after each round)."""
    from search.mutation import MutationContext
    from search.proposal import ChildContext, propose_valid_child

    def accept(child: Program, name: str, attempt: int) -> Program | None:
        child = simplify(child)  # raises InvalidProgram for an invalid child
        return None if len(child) > len(program) or child == program else child

    changes, spent = [], 0
    for done in range(1, rounds + 1):
        # One draw per round, deletions and modifications equally likely.
        context = ChildContext(
            MutationContext(max_length=max(len(program), 1)),
            {"delete": 1.0, "modify": 1.0}, max_attempts=1, accept=accept,
        )
        proposal = propose_valid_child(program, rng, context)
        if proposal is not None:
            name, child = proposal.mutation, proposal.accepted
            child_fitness = score(child)
            spent += 1
            if child_fitness >= max(fitness, floor) or (
                len(child) < len(program) and child_fitness >= floor
            ):
                if len(child) < len(program):
                    changes.append(Removal(f"({name})", "", child_fitness,
                                           original - child_fitness, "tune"))
                program, fitness = child, child_fitness
        if report is not None:
            report(done)
    return program, fitness, changes, spent


def _cost(original: float, fitness: float) -> float:
    return original - fitness if math.isfinite(fitness) else math.inf


def task_score(
    task: str,
    num_seeds: int,
    max_length: int = 32,
    seed: int = 0,
    lr_multipliers: tuple[float, ...] = (1.0,),
):
    """A `score(program) -> fitness` on one task, compiled once, same seeds every call.

    With several `lr_multipliers` the best one counts: a removal is then judged
    by what the update rule can do at its best lr scale, not by whether the
    program's lr constant happens to suit this task.
    """
    from proxy_tasks.fitness import TaskScorer

    scorer = TaskScorer(
        task, max_length=max_length, num_seeds=num_seeds, lr_multipliers=lr_multipliers
    )
    scorer.warmup()  # the first call compiles; that must not count against its budget

    def score(program: Program) -> float:
        return scorer.score(program, seed).fitness

    return score
