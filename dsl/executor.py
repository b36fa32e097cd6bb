"""Compile-once execution: any program up to a maximum length runs as *data*.

Tracing and compiling a JAX function per candidate costs about 100x a small proxy
training run on a CPU, so the search would live in the compiler. Instead a program
is encoded as arrays (op codes, register indices, constants) and one compiled
interpreter runs any of them: `jit` sees the arrays as inputs, never as constants,
so a new program never triggers a recompile. Only live statements are encoded
(dead code is kept by the search as scaffolding but costs nothing here).

Register file: two banks. Tensors live in rows of a `[num_registers, num_params]`
array: 0-3 the inputs w, g, m, v, row 4 `update`, then one row per other tensor
variable, and a last scratch row. Scalars (lr, scalar variables, and three constant
slots per statement) live in a small separate vector, so a constant or a scalar
temporary costs one float instead of a parameter-sized row; keeping them broadcast
in tensor rows made the register file ~4x larger and every step slower. An argument
is read from one bank or the other by a per-argument flag. The one op whose meaning
depends on the kind of its argument (`norm`: per-leaf norm of a tensor, |x| of a
scalar) gets its scalar use encoded as `abs`. Registers are carried across steps,
which is how `m` and `v` keep their state.

Speed (measured on a CPU core, see `search/bench/executor.py`): each statement is
one `lax.switch` whose branches read their own arguments from the banks, so only
the bank is passed into the conditional and XLA fuses the reads with the op
(passing the three argument rows as operands cost 1.7-2.6x more per statement); and
with `unroll=False` the slots run in a loop bounded by the live length, so
padding costs nothing.

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
from dsl.program import Const, Program

#: Tensor-bank rows of the tensor inputs; `lr` is scalar slot 0.
_INPUT_ROWS = {"w": 0, "g": 1, "m": 2, "v": 3}
UPDATE_ROW = 4
_LR_SLOT = 0
MAX_ARITY = 3


class ProgramCode(NamedTuple):
    """A program encoded for the compile-once interpreter (all leaves are arrays).

    Attributes:
        op: op code per statement slot [L] (NOP pads the tail).
        dst: tensor row written per slot [L] (the scratch row for scalar results).
        args: bank index read per slot and argument [L, 3] (unused positions read 0).
        consts: constant per (slot, argument) [L * 3], loaded into scalar slots.
        arg_scalar: whether each argument is read from the scalar bank [L, 3].
        dst_scalar: scalar slot written per slot [L] (scratch for tensor results).
        length: number of live statements (the slots before the NOP padding).
    """

    op: np.ndarray
    dst: np.ndarray
    args: np.ndarray
    consts: np.ndarray
    arg_scalar: np.ndarray
    dst_scalar: np.ndarray
    length: np.ndarray


class Registers(NamedTuple):
    """The register file of one run: a tensor bank and a scalar bank."""

    tensors: jax.Array  # [num_registers(L), num_params]
    scalars: jax.Array  # [num_scalar_slots(L)]


def num_registers(max_length: int) -> int:
    """Rows in the tensor bank for programs of at most `max_length` live statements."""
    return len(_INPUT_ROWS) + 1 + max_length + 1


def num_scalar_slots(max_length: int) -> int:
    """Slots in the scalar bank: lr, scalar variables, constants, scratch."""
    return 1 + max_length + MAX_ARITY * max_length + 1


def _const_base(max_length: int) -> int:
    return 1 + max_length


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
        raise ValueError(
            f"{len(body)} live statements exceed the executor's {max_length}"
        )
    const_base = _const_base(max_length)
    # A name may hold a tensor at one point and a scalar at another (`lr = g * 2`),
    # so each bank maps names separately and reads follow the name's current kind.
    tensor_rows = dict(_INPUT_ROWS, update=UPDATE_ROW)
    scalar_slots = {"lr": _LR_SLOT}
    kind_of = {name: Kind.TENSOR for name in _INPUT_ROWS} | {"lr": Kind.SCALAR}

    op_codes = np.full(max_length, NOP_CODE, np.int32)
    dst = np.full(max_length, num_registers(max_length) - 1, np.int32)
    dst_scalar = np.full(max_length, num_scalar_slots(max_length) - 1, np.int32)
    args = np.zeros((max_length, MAX_ARITY), np.int32)
    arg_scalar = np.zeros((max_length, MAX_ARITY), bool)
    consts = np.zeros(max_length * MAX_ARITY, np.float32)
    for slot, (st, kind) in enumerate(body):
        arg_kinds = []
        for position, arg in enumerate(st.args):
            if isinstance(arg, Const):
                args[slot, position] = const_base + slot * MAX_ARITY + position
                consts[slot * MAX_ARITY + position] = arg.value
                arg_kind = Kind.SCALAR
            else:
                arg_kind = kind_of[arg.name]
                bank = scalar_slots if arg_kind is Kind.SCALAR else tensor_rows
                args[slot, position] = bank[arg.name]
            arg_scalar[slot, position] = arg_kind is Kind.SCALAR
            arg_kinds.append(arg_kind)
        # Arguments reach the op broadcast to parameter shape, so a per-leaf norm
        # would scale a scalar by sqrt(leaf size); on a scalar `norm` means |x|.
        op = "abs" if st.op == "norm" and arg_kinds[0] is Kind.SCALAR else st.op
        op_codes[slot] = _OP_CODES[op]
        kind_of[st.target] = kind
        if kind is Kind.SCALAR:
            scalar_slots.setdefault(st.target, len(scalar_slots))
            dst_scalar[slot] = scalar_slots[st.target]
        else:
            tensor_rows.setdefault(st.target, len(tensor_rows))
            dst[slot] = tensor_rows[st.target]
    return ProgramCode(
        op_codes, dst, args, consts, arg_scalar, dst_scalar, np.int32(len(body))
    )


def _branches(layout: LeafLayout, num_params: int):
    """One function per op code: read the arguments from the banks, apply the op."""

    def make(op):
        def branch(tensors, scalars, rows, is_scalar):
            args = [
                jnp.where(is_scalar[p], scalars[rows[p]], tensors[rows[p]])
                for p in range(op.arity)
            ]
            out = op.impl(layout, *args)
            return jnp.broadcast_to(jnp.asarray(out, jnp.float32), (num_params,))

        return branch

    def nop(tensors, scalars, rows, is_scalar):
        return tensors[-1]

    return [make(op) for op in OPS.values()] + [nop]


def init_registers(code: ProgramCode, max_length: int, w: jax.Array) -> Registers:
    """A register file for one run: constants loaded, state slots zero."""
    num_params = w.shape[-1]
    tensors = jnp.zeros((num_registers(max_length), num_params), jnp.float32)
    base = _const_base(max_length)
    scalars = jnp.zeros((num_scalar_slots(max_length),), jnp.float32)
    scalars = scalars.at[base : base + MAX_ARITY * max_length].set(code.consts)
    return Registers(tensors, scalars)


def make_step(
    layout: LeafLayout,
    max_length: int,
    num_params: int,
    unroll: bool = True,
):
    """Build `step(code, regs, w, g, lr) -> (update, regs)`, traceable under jit/vmap.

    The returned function is meant to be called inside a task's compiled training
    loop. `code` must come from `encode(..., max_length)`. Vectorize over runs
    (seeds, lr multipliers) with `code` unbatched, so op dispatch stays a branch.

    Args:
        unroll: unroll all `max_length` statement slots (padding runs as no-ops)
            instead of looping over the live slots only. The loop is faster for
            programs much shorter than `max_length` and compiles faster.
    """
    branches = _branches(layout, num_params)

    def run_slot(i, regs: Registers, code: ProgramCode) -> Registers:
        out = jax.lax.switch(
            code.op[i],
            branches,
            regs.tensors,
            regs.scalars,
            code.args[i],
            code.arg_scalar[i],
        )
        return Registers(
            regs.tensors.at[code.dst[i]].set(out),
            regs.scalars.at[code.dst_scalar[i]].set(out[0]),
        )

    def step(code: ProgramCode, regs: Registers, w, g, lr):
        tensors = regs.tensors.at[_INPUT_ROWS["w"]].set(w).at[_INPUT_ROWS["g"]].set(g)
        scalars = regs.scalars.at[_LR_SLOT].set(jnp.asarray(lr, jnp.float32))
        regs = Registers(tensors, scalars)
        if unroll:
            for i in range(max_length):
                regs = run_slot(i, regs, code)
        else:
            regs = jax.lax.fori_loop(
                0, code.length, lambda i, r: run_slot(i, r, code), regs
            )
        return regs.tensors[UPDATE_ROW], regs

    return step


def state_of(regs: Registers) -> tuple[jax.Array, jax.Array]:
    """The (m, v) state slots held in a register file."""
    return regs.tensors[_INPUT_ROWS["m"]], regs.tensors[_INPUT_ROWS["v"]]
