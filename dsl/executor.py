"""Compile-once execution: any program up to a maximum length runs as *data*.

Tracing and compiling a JAX function per candidate costs about 100x a small proxy
training run on a CPU, so the search would live in the compiler. Instead a program
is encoded as arrays (op codes, register indices, constants) and one compiled
interpreter runs any of them: `jit` sees the arrays as inputs, never as constants,
so a new program never triggers a recompile. Only live statements are encoded
(dead code is kept by the search as scaffolding but costs nothing here).

Register file: every value lives in a row of a `[num_registers, num_params]` array.
Scalars are stored broadcast along the row; since every scalar op is element-wise,
the broadcast copy stays constant and exact. The one op whose meaning depends on the
kind of its argument (`norm`: per-leaf norm of a tensor, |x| of a scalar) gets its
scalar use encoded as `abs`.

Row layout: 0-4 the inputs w, g, m, v, lr; 5 `update`; then one row per other
variable; then three rows per statement for its constant arguments; a last scratch
row written by the no-op that pads programs to the maximum length. Registers are
carried across steps, which is how `m` and `v` keep their state.

This module owns only the step interpreter; training loops around it live with
the tasks (`proxy_tasks`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from dsl.analysis import infer_kinds, liveness
from dsl.ops import OPS, Kind, LeafLayout
from dsl.program import INPUTS, Const, Program

_INPUT_ROWS = {name: i for i, name in enumerate(INPUTS)}
UPDATE_ROW = len(INPUTS)
MAX_ARITY = 3


class ProgramCode(NamedTuple):
    """A program encoded for the compile-once interpreter (all leaves are arrays).

    Attributes:
        op: op code per statement slot [L] (NOP pads the tail).
        dst: row written per slot [L].
        args: rows read per slot [L, 3] (unused positions read row 0).
        consts: constant per (slot, argument) [L * 3], loaded into their rows.
    """

    op: np.ndarray
    dst: np.ndarray
    args: np.ndarray
    consts: np.ndarray


def num_registers(max_length: int) -> int:
    """Rows in the register file for programs of at most `max_length` live statements."""
    return len(INPUTS) + 1 + max_length + MAX_ARITY * max_length + 1


#: Op code of the padding no-op (one past the last op of the full registry). Codes
#: always index the full `OPS`: a search's restricted op set limits what mutations
#: write, not what the interpreter can run.
NOP_CODE = len(OPS)
_OP_CODES = {name: code for code, name in enumerate(OPS)}


def encode(program: Program, max_length: int) -> ProgramCode:
    """Encode the live statements of a valid `program` as interpreter data.

    Raises:
        InvalidProgram: the program is not valid.
        ValueError: more than `max_length` live statements.
    """
    kinds = infer_kinds(program)
    live, _ = liveness(program)
    body = [(st, k) for st, k, keep in zip(program.statements, kinds, live) if keep]
    if len(body) > max_length:
        raise ValueError(f"{len(body)} live statements exceed the executor's {max_length}")
    const_base = UPDATE_ROW + 1 + max_length
    rows = dict(_INPUT_ROWS, update=UPDATE_ROW)
    kind_of = {name: Kind.TENSOR for name in INPUTS} | {"lr": Kind.SCALAR}

    op_codes = np.full(max_length, NOP_CODE, np.int32)
    dst = np.full(max_length, num_registers(max_length) - 1, np.int32)
    args = np.zeros((max_length, MAX_ARITY), np.int32)
    consts = np.zeros(max_length * MAX_ARITY, np.float32)
    for slot, (st, kind) in enumerate(body):
        arg_kinds = []
        for position, arg in enumerate(st.args):
            if isinstance(arg, Const):
                args[slot, position] = const_base + slot * MAX_ARITY + position
                consts[slot * MAX_ARITY + position] = arg.value
                arg_kinds.append(Kind.SCALAR)
            else:
                args[slot, position] = rows[arg.name]
                arg_kinds.append(kind_of[arg.name])
        # Scalars sit broadcast in their rows, so a per-leaf norm would scale them
        # by sqrt(leaf size); on a scalar `norm` means |x|.
        op = "abs" if st.op == "norm" and arg_kinds[0] is Kind.SCALAR else st.op
        rows.setdefault(st.target, len(rows))
        kind_of[st.target] = kind
        op_codes[slot] = _OP_CODES[op]
        dst[slot] = rows[st.target]
    return ProgramCode(op_codes, dst, args, consts)


def _branches(layout: LeafLayout, num_params: int):
    def make(op):
        def branch(x, y, z):
            out = op.impl(layout, *(x, y, z)[: op.arity])
            return jnp.broadcast_to(jnp.asarray(out, jnp.float32), (num_params,))

        return branch

    return [make(op) for op in OPS.values()] + [lambda x, y, z: x]


def init_registers(code: ProgramCode, max_length: int, w: jax.Array) -> jax.Array:
    """A register file for one run: constants loaded, state slots zero."""
    num_params = w.shape[-1]
    regs = jnp.zeros((num_registers(max_length), num_params), jnp.float32)
    const_base = UPDATE_ROW + 1 + max_length
    consts = jnp.broadcast_to(code.consts[:, None], (code.consts.shape[0], num_params))
    return regs.at[const_base : const_base + consts.shape[0]].set(consts)


def make_step(
    layout: LeafLayout,
    max_length: int,
    num_params: int,
    unroll: bool = True,
):
    """Build `step(code, regs, w, g, lr) -> (update, regs)`, traceable under jit/vmap.

    The returned function is meant to be called inside a task's compiled training
    loop. `code` must come from `encode(..., max_length)`.

    Args:
        unroll: unroll the statement slots (faster steps, slower compile) instead
            of looping over them with `fori_loop`.
    """
    branches = _branches(layout, num_params)

    def run_slot(i, regs, code):
        x = regs[code.args[i, 0]]
        y = regs[code.args[i, 1]]
        z = regs[code.args[i, 2]]
        out = jax.lax.switch(code.op[i], branches, x, y, z)
        return regs.at[code.dst[i]].set(out)

    def step(code: ProgramCode, regs, w, g, lr):
        regs = regs.at[_INPUT_ROWS["w"]].set(w)
        regs = regs.at[_INPUT_ROWS["g"]].set(g)
        regs = regs.at[_INPUT_ROWS["lr"]].set(jnp.broadcast_to(lr, (num_params,)))
        if unroll:
            for i in range(max_length):
                regs = run_slot(i, regs, code)
        else:
            regs = jax.lax.fori_loop(0, max_length, lambda i, r: run_slot(i, r, code), regs)
        return regs[UPDATE_ROW], regs

    return step


def state_of(regs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The (m, v) state slots held in a register file."""
    return regs[_INPUT_ROWS["m"]], regs[_INPUT_ROWS["v"]]
