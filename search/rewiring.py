"""Small edits several mutations share: fresh variable names, and pointing one
later reader of a value at another variable.

Owns the reading of "a later reader" that `duplicate` and `smooth` both use, so
the two mutations agree on it (and draw from the random stream the same way).
"""

from __future__ import annotations

import numpy as np

from dsl.program import Program, Var


def fresh_names(program: Program, count: int) -> list[str]:
    """`count` names `t0`, `t1`, ... that `program` does not use."""
    taken = set(program.variables())
    names, i = [], 0
    while len(names) < count:
        if f"t{i}" not in taken:
            names.append(f"t{i}")
        i += 1
    return names


def point_one_reader(rng: np.random.Generator, program: Program, start: int, name: str,
                     new_name: str) -> Program:
    """`program` with one argument that reads `name`, drawn at random from
    statement `start` on, up to and including the first statement that writes
    `name` again, reading `new_name` instead (`program` itself if none reads it;
    no draw is made then)."""
    readers = []
    for index in range(start, len(program)):
        st = program.statements[index]
        readers += [(index, pos) for pos, a in enumerate(st.args) if a == Var(name)]
        if st.target == name:
            break
    if not readers:
        return program
    index, position = readers[int(rng.integers(len(readers)))]
    st = program.statements[index]
    args = st.args[:position] + (Var(new_name),) + st.args[position + 1:]
    return program.replace_statement(index, type(st)(st.target, st.op, args))
