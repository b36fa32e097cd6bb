"""The `smooth` mutation: a value kept as a moving average in a free state slot.

Owns the one edit that gives a program memory. Every optimizer of the paper is
built from exponential moving averages carried across steps in the state slots
(momentum is an average of g, Adam's second moment an average of g^2), yet the
paper's mutations can only write one by an insertion that draws `interp`, a
state slot as both target and argument, the value to average and a constant at
once, and then a second edit that makes something read it. `smooth` does both:
after a random statement `x = ...` of tensor kind it inserts
`s = interp(x, s, beta)`, for a state slot `s` whose value the program does
not carry across steps, and points one later reader of `x` at `s`. Statements
that used `s` as a scratch variable (searches fill a spare slot with dead code)
are moved to a fresh name first, so the slot carries the average alone; where
they read the slot's incoming value the child is invalid and the caller draws
again. Nothing in it names a target: which
value gets averaged is drawn, and whether the average pays is for selection to
say.

`beta` is drawn from four usual averaging constants (0.5 to 0.999); tuning at
birth moves it from there like any other constant.
"""

from __future__ import annotations

import numpy as np

from dsl.analysis import InvalidProgram, analyze
from dsl.generate import kinds_before
from dsl.ops import Kind
from dsl.program import Const, Program, Statement, Var
from search.rewiring import fresh_names, point_one_reader

#: The state slots a program carries across steps.
STATE_SLOTS = ("m", "v")
#: Averaging constants a new average starts from.
BETAS = (0.5, 0.9, 0.99, 0.999)


def smooth_statement(rng: np.random.Generator, program: Program, context) -> Program | None:
    """Average a random tensor statement's value in a state slot the program
    does not carry and point one later reader at the average (None without
    such a slot, a tensor statement, `interp` in the config's ops, or room under
    `context.max_length`).

    A reader is a later argument that reads the statement's value, up to and
    including the first statement that writes its target again; with none the
    average is dead code, a neutral child.
    """
    if len(program) >= context.max_length or "interp" not in context.ops:
        return None
    try:
        carried = analyze(program).state_slots_used
    except InvalidProgram:
        return None
    slots = [s for s in STATE_SLOTS if s not in carried]
    if not slots:
        return None
    slot = slots[int(rng.integers(len(slots)))]
    program = _renamed(program, slot, fresh_names(program, 1)[0])
    sources = [
        i for i, st in enumerate(program)
        if kinds_before(program, i + 1)[st.target] is Kind.TENSOR
    ]
    if not sources:
        return None
    index = sources[int(rng.integers(len(sources)))]
    beta = BETAS[int(rng.integers(len(BETAS)))]
    source = program.statements[index].target
    average = Statement(slot, "interp", (Var(source), Var(slot), Const(beta)))
    child = program.insert(index + 1, average)
    return point_one_reader(rng, child, index + 2, source, slot)


def _renamed(program: Program, old: str, new: str) -> Program:
    """`program` with every read and write of `old` made of `new`."""
    def name(arg):
        return Var(new) if arg == Var(old) else arg

    return Program(tuple(
        type(st)(new if st.target == old else st.target, st.op, tuple(name(a) for a in st.args))
        for st in program
    ))
