"""Edits that keep a program's meaning, and one that usually changes it.

Shared by the hashing, fingerprint and simplifier tests: each invariance they
claim is checked against these transformations of random programs.
"""

from __future__ import annotations

import numpy as np

from dsl.analysis import InvalidProgram, check, liveness
from dsl.generate import kinds_before, random_statement
from dsl.ops import OPS
from dsl.program import INPUTS, Program, Statement, Var


def _map_names(program: Program, mapping: dict[str, str]) -> Program:
    def name(n: str) -> str:
        return mapping.get(n, n)

    body = []
    for st in program.statements:
        args = tuple(Var(name(a.name)) if isinstance(a, Var) else a for a in st.args)
        body.append(Statement(name(st.target), st.op, args))
    return Program(tuple(body))


def rename_temporaries(program: Program, rng: np.random.Generator) -> Program:
    """Every variable that is not an input or `update` gets a fresh random name."""
    fixed = set(INPUTS) | {"update"}
    temps = [n for n in program.variables() if n not in fixed]
    fresh = [f"x{i}" for i in rng.permutation(len(temps) + 10)[: len(temps)]]
    return _map_names(program, dict(zip(temps, fresh)))


def swap_slots(program: Program) -> Program:
    """Swap the names of the state slots m and v everywhere."""
    return _map_names(program, {"m": "v", "v": "m"})


def swap_commutative_args(program: Program) -> Program:
    """Reverse the arguments of every commutative op."""
    body = [
        Statement(st.target, st.op, st.args[::-1]) if OPS[st.op].commutative else st
        for st in program.statements
    ]
    return Program(tuple(body))


def insert_dead_statement(program: Program, rng: np.random.Generator) -> Program:
    """Insert, at a random place, a statement writing a variable nobody reads."""
    index = int(rng.integers(len(program) + 1))
    env = kinds_before(program, index)
    st = random_statement(rng, env, ["never_read"])
    return program.insert(index, st)


def swap_independent_neighbours(program: Program, rng: np.random.Generator) -> Program:
    """Swap one pair of adjacent statements that do not depend on each other."""
    body = list(program.statements)
    pairs = [
        i
        for i in range(len(body) - 1)
        if body[i].target != body[i + 1].target
        and body[i].target not in set(body[i + 1].reads())
        and body[i + 1].target not in set(body[i].reads())
    ]
    if not pairs:
        return program
    i = pairs[int(rng.integers(len(pairs)))]
    body[i], body[i + 1] = body[i + 1], body[i]
    return Program(tuple(body))


def meaning_preserving_edit(program: Program, rng: np.random.Generator) -> Program:
    """A random composition of the edits above."""
    edits = [
        lambda p: rename_temporaries(p, rng),
        swap_slots,
        swap_commutative_args,
        lambda p: insert_dead_statement(p, rng),
        lambda p: swap_independent_neighbours(p, rng),
    ]
    for k in rng.permutation(len(edits)):
        if rng.random() < 0.7:
            program = edits[k](program)
    return program


def modify_live_statement(program: Program, rng: np.random.Generator) -> Program | None:
    """Replace one live statement by a random one writing the same variable.

    Returns None when the result is not a valid program (a kind changed).
    """
    live, _ = liveness(program)
    candidates = [i for i, keep in enumerate(live) if keep]
    index = candidates[int(rng.integers(len(candidates)))]
    target = program.statements[index].target
    st = random_statement(rng, kinds_before(program, index), [target])
    mutated = program.replace_statement(index, st)
    try:
        check(mutated)
    except InvalidProgram:
        return None
    return mutated
