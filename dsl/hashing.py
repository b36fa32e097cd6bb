"""The semantic hash: a digest of how a program's outputs depend on its inputs.

Owns the structural duplicate key of the search (Chen et al. 2023, Sec. 2.2: a
hash of the computation, not the text, finds the ~89% of generated programs that
were already evaluated). The hash is computed by symbolic execution of one step:
every value is a digest of `(op, child digests)`, inputs are leaves, constants
are leaves keyed by their exact value. So it ignores what textual edits cannot
change:
- variable names (values are digests, not names);
- statement order where the order does not matter (only data flow is hashed);
- dead code, including state writes the next step never reads (only the live
  statements of `dsl.analysis.liveness` are executed);
- argument order of commutative ops (`+`, `*`, `max`, `min`, `dot`,
  `cosine_sim`): their children's digests are sorted;
- which state slot, m or v, holds a piece of state.

The state loop: a slot's value at the start of a step is a placeholder leaf
(P0 or P1), and the hash covers the triple (update, next value of P0, next value
of P1). Together with zero initial state that triple fixes every update of every
step, so equal hashes mean equal optimizers. Slots are internal, so both ways of
mapping (m, v) onto (P0, P1) are hashed and the smaller digest is kept. A slot
that is read but never written stays zero forever: it hashes as the constant 0.
A slot that never influences `update` is left out (it hashes as absent).

It is conservative: a different hash does not prove a different optimizer
(`x * 1` and `x` differ here; `dsl.fingerprint` and `dsl.simplify` catch such
cases), but any edit that can change the updates changes the hash.
"""

from __future__ import annotations

import hashlib
import struct

from dsl.analysis import check, liveness
from dsl.ops import CONSTANT_VALUES, OPS, Kind, OpRegistry
from dsl.program import STATE_SLOTS, TENSOR_INPUTS, Const, Program

_DIGEST_SIZE = 16
_INPUT_KINDS = {name: Kind.TENSOR for name in TENSOR_INPUTS} | {"lr": Kind.SCALAR}


def _digest(data: bytes) -> bytes:
    # Every value's digest has the same length, so a parent's concatenation of
    # its children's digests is unambiguous.
    return hashlib.blake2b(data, digest_size=_DIGEST_SIZE).digest()


def leaf_digest(name: str) -> bytes:
    """The digest of an input (`w`, `g`, `lr`) or state placeholder (`P0`, `P1`)."""
    return _digest(b"leaf:" + name.encode())


#: What an unused state slot contributes to the hash.
ABSENT = _digest(b"absent")
_LEAVES = {name: leaf_digest(name) for name in ("w", "g", "lr")}
_PLACEHOLDERS = (leaf_digest("P0"), leaf_digest("P1"))


def constant_digest(value: float) -> bytes:
    """The digest of a constant: its exact float64 bits (so 0.0 and -0.0 differ)."""
    return _digest(b"const:" + struct.pack("<d", float(value)))


def op_digest(op: str, children: list[bytes], commutative: bool) -> bytes:
    """The digest of `op` applied to values with digests `children`."""
    if commutative:
        children = sorted(children)
    return _digest(op.encode() + b"(" + b"".join(children))


def semantic_hash(program: Program, ops: OpRegistry = OPS) -> str:
    """The semantic hash of a valid `program`: 32 hex digits.

    Raises:
        InvalidProgram: the program is not valid.
    """
    check(program, ops=ops)
    return semantic_hash_unchecked(program, ops)


def semantic_hash_unchecked(program: Program, ops: OpRegistry = OPS) -> str:
    """`semantic_hash` for a program the caller has already checked."""
    live, used = liveness(program)
    body = [st for st, keep in zip(program.statements, live) if keep]
    written = {st.target for st in body}
    stateful = [s for s in used if s in written]
    candidates = []
    for labels in (STATE_SLOTS, STATE_SLOTS[::-1]):
        # labels[i] is the slot that plays placeholder P_i in this mapping.
        start = {}
        for slot in STATE_SLOTS:
            if slot in stateful:
                start[slot] = _PLACEHOLDERS[labels.index(slot)]
            else:
                start[slot] = constant_digest(0.0)  # never written: zero forever
        end = _execute(body, start, ops)
        parts = [end["update"]]
        for slot in labels:
            parts.append(end[slot] if slot in stateful else ABSENT)
        candidates.append(_digest(b"".join(parts)))
    return min(candidates).hex()


def _execute(body, start: dict[str, bytes], ops: OpRegistry) -> dict[str, bytes]:
    """Symbolically run `body`: the digest of every variable after one step."""
    env = dict(_LEAVES)
    env.update(start)
    kinds = dict(_INPUT_KINDS)
    for st in body:
        op = ops[st.op]
        if op.arity == 0:
            # A constant op is its value (it runs as that float32 number).
            env[st.target] = constant_digest(CONSTANT_VALUES[st.op])
            kinds[st.target] = Kind.SCALAR
            continue
        children, arg_kinds = [], []
        for a in st.args:
            if isinstance(a, Const):
                children.append(constant_digest(a.value))
                arg_kinds.append(Kind.SCALAR)
            else:
                children.append(env[a.name])
                arg_kinds.append(kinds[a.name])
        name = st.op
        if name == "norm" and arg_kinds[0] is Kind.SCALAR:
            name = "abs"  # the norm of a scalar is its magnitude
        env[st.target] = op_digest(name, children, op.commutative)
        kinds[st.target] = op.result_kind(tuple(arg_kinds))
    return env
