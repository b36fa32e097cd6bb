"""Tuned baselines: shipped optimizers on every task, lr scale and weight decay tuned.

This module owns the baseline table. For each (program, task) it searches a small
log grid: lr multipliers run vectorized in one compiled call (the task's lr input
is scaled), and each weight decay is a program variant (its decay constant
replaced, or a decoupled decay term `update += c * lr * w` appended to programs
that have none). The best configuration on the tuning seeds is then re-run on
fresh seeds, so the reported mean and spread are not inflated by the choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dsl.program import Const, Program, Statement, Var
from proxy_tasks.fitness import TaskScorer

#: Shipped programs in the table, in column order.
BASELINE_PROGRAMS = ("adamw", "lion", "sgd_momentum", "rmsprop", "signsgd")
#: lr multipliers tried (relative to the program's own lr constant).
LR_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
#: Weight decay tried, relative to the program's own decay constant (or to
#: `DEFAULT_DECAY` for programs without one); 0 turns it off.
WD_GRID = (0.0, 1.0, 3.0, 10.0, 30.0)
DEFAULT_DECAY = 0.01
TUNE_SEED = 0
CHECK_SEED = 1000


def decay_constant(program: Program) -> tuple[int, float] | None:
    """(statement index, value) of a `x = w * c` weight-decay statement, if any."""
    for index, st in enumerate(program.statements):
        if st.op == "multiply" and len(st.args) == 2:
            a, b = st.args
            if a == Var("w") and isinstance(b, Const):
                return index, b.value
            if b == Var("w") and isinstance(a, Const):
                return index, a.value
    return None


def with_weight_decay(program: Program, relative: float) -> Program:
    """`program` with its decay constant scaled by `relative` (0 removes decay).

    Programs without a decay statement get decoupled decay `DEFAULT_DECAY *
    relative * lr * w` added to the update, using the program's final `lr` (the
    scaled learning rate in every shipped program).
    """
    found = decay_constant(program)
    if found is not None:
        index, value = found
        st = program.statements[index]
        return program.replace_statement(index, Statement(st.target, st.op, (Var("w"), Const(value * relative))))
    if relative == 0:
        return program
    extra = (
        Statement("decay_", "multiply", (Var("w"), Var("lr"))),
        Statement("decay_", "multiply", (Var("decay_"), Const(DEFAULT_DECAY * relative))),
        Statement("update", "add", (Var("update"), Var("decay_"))),
    )
    return Program(program.statements + extra)


@dataclass(frozen=True)
class Tuned:
    """The best configuration of one program on one task, re-checked on fresh seeds.

    Attributes:
        fitness: mean fitness on the check seeds (log(chance / metric)).
        metric_mean, metric_std: the task's validation metric over check seeds.
        lr_multiplier, wd_relative: the chosen configuration.
        status: "ok" or why every configuration failed.
    """

    program: str
    task: str
    fitness: float
    metric_mean: float
    metric_std: float
    lr_multiplier: float
    wd_relative: float
    status: str = "ok"


def tune(
    program_name: str,
    program: Program,
    task_name: str,
    num_seeds: int = 4,
    num_check_seeds: int = 8,
    lr_grid=LR_GRID,
    wd_grid=WD_GRID,
) -> Tuned:
    """Tune lr multiplier x weight decay on tuning seeds; re-evaluate the best."""
    scorer = TaskScorer(task_name, num_seeds=num_seeds, lr_multipliers=lr_grid, time_budget_s=math.inf)
    best = None
    for wd in wd_grid:
        result = scorer.score(with_weight_decay(program, wd), TUNE_SEED)
        if result.ok and (best is None or result.fitness > best[0]):
            best = (result.fitness, result.metrics["lr_multiplier"], wd)
    if best is None:
        return Tuned(program_name, task_name, -math.inf, math.nan, math.nan, math.nan, math.nan, "failed")
    _, lr, wd = best
    check = TaskScorer(task_name, num_seeds=num_check_seeds, lr_multipliers=(lr,), time_budget_s=math.inf)
    result = check.score(with_weight_decay(program, wd), CHECK_SEED)
    if not result.ok:
        return Tuned(program_name, task_name, -math.inf, math.nan, math.nan, lr, wd, result.status)
    metric = result.metrics["val_error" if check.task.metric == "error" else "val_loss"]
    return Tuned(program_name, task_name, result.fitness, metric, result.metrics["seed_std"], lr, wd)


def lion_vs_adamw(tuned_lion: Tuned, tuned_adamw: Tuned) -> str:
    """'lion', 'adamw' or 'tie': a win needs a gap larger than the sum of spreads."""
    gap = tuned_adamw.metric_mean - tuned_lion.metric_mean
    spread = tuned_adamw.metric_std + tuned_lion.metric_std
    if not np.isfinite(gap):
        return "n/a"
    if gap > spread:
        return "lion"
    if -gap > spread:
        return "adamw"
    return "tie"
