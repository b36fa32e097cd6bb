"""The dataflow graph of one program step: hash-consed nodes, leaves and outputs.

Owns the representation the static simplifier works on. A node is an op applied
to other nodes, a constant, or a leaf (the inputs `w`, `g`, `lr`, and the state
placeholders `P0`, `P1` standing for the state slots' values at the start of the
step). Nodes are interned by structure, so building a program's graph merges
common subexpressions for free, and the order of statements and the names of
variables disappear. Commutative arguments are stored in a canonical order
(variables before constants, then by digest), so `a + b` and `b + a` are one node.

Every node carries the digest of `dsl.hashing` (same recipe), which gives the
simplifier a canonical order to print in.

Rewrites are applied as nodes are made: `Graph.apply` asks `rewrite` (a
function the caller supplies, see `dsl.rewrites`) for a replacement before
interning, and accepts it only if it has the same kind (scalar or tensor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dsl.hashing import constant_digest, leaf_digest, op_digest
from dsl.ops import OPS, Kind, OpRegistry

LEAF = "<leaf>"
CONST = "<const>"
#: Leaf name of the zero tensor (a state slot that is read but never written).
ZERO = "<zero>"


@dataclass(frozen=True)
class Node:
    """One value of the step.

    Attributes:
        op: an op name, or `LEAF` / `CONST`.
        args: argument node ids (empty for leaves and constants).
        kind: scalar or tensor.
        digest: structural digest (see `dsl.hashing`).
        value: the number, for constants.
        name: the input or placeholder name, for leaves.
    """

    op: str
    args: tuple[int, ...]
    kind: Kind
    digest: bytes
    value: float | None = None
    name: str | None = None

    @property
    def is_const(self) -> bool:
        return self.op == CONST

    @property
    def is_leaf(self) -> bool:
        return self.op == LEAF

    @property
    def is_zero(self) -> bool:
        """The constant 0 (either sign) or the zero tensor."""
        return (self.is_const and self.value == 0.0) or self.name == ZERO


#: `rewrite(graph, op, args) -> node id or None`.
Rewrite = Callable[["Graph", str, tuple[int, ...]], "int | None"]


class Graph:
    """An append-only, interned set of nodes."""

    def __init__(self, rewrite: Rewrite | None = None, ops: OpRegistry = OPS):
        self.nodes: list[Node] = []
        self.ops = ops
        self._rewrite = rewrite
        self._interned: dict[tuple, int] = {}

    def __getitem__(self, node_id: int) -> Node:
        return self.nodes[node_id]

    def _intern(self, key: tuple, make: Callable[[], Node]) -> int:
        found = self._interned.get(key)
        if found is None:
            found = len(self.nodes)
            self.nodes.append(make())
            self._interned[key] = found
        return found

    def leaf(self, name: str, kind: Kind) -> int:
        """The leaf for input or placeholder `name`."""
        digest = leaf_digest(name)
        return self._intern(
            (LEAF, name), lambda: Node(LEAF, (), kind, digest, name=name)
        )

    def const(self, value: float) -> int:
        """The constant `value` (0.0 and -0.0 are different nodes)."""
        value = float(value)
        key = (CONST, value.hex())
        return self._intern(
            key,
            lambda: Node(CONST, (), Kind.SCALAR, constant_digest(value), value=value),
        )

    def raw(self, op: str, args: tuple[int, ...]) -> int:
        """`op(args)` interned as it is, without rewriting."""
        spec = self.ops[op]
        if spec.commutative:
            args = tuple(sorted(args, key=self.order_key))
        kind = spec.result_kind(tuple(self.nodes[a].kind for a in args))
        return self._intern(
            (op, args),
            lambda: Node(
                op,
                args,
                kind,
                op_digest(op, [self.nodes[a].digest for a in args], spec.commutative),
            ),
        )

    def apply(self, op: str, args: tuple[int, ...]) -> int:
        """`op(args)`, rewritten to a simpler node of the same kind when one applies."""
        if self._rewrite is not None:
            if self.ops[op].commutative:
                args = tuple(sorted(args, key=self.order_key))
            kind = self.ops[op].result_kind(tuple(self.nodes[a].kind for a in args))
            replacement = self._rewrite(self, op, args)
            if replacement is not None and self.nodes[replacement].kind is kind:
                return replacement
        return self.raw(op, args)

    def order_key(self, node_id: int) -> tuple[bool, bytes]:
        """Canonical order of commutative arguments: variables first, then by digest."""
        node = self.nodes[node_id]
        return (node.is_const, node.digest)

    def reachable(self, roots) -> list[int]:
        """Ids of the nodes reachable from `roots`, in no particular order."""
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            stack.extend(self.nodes[node_id].args)
        return list(seen)

    def leaves_under(self, root: int) -> set[str]:
        """Names of the leaves `root` depends on."""
        return {
            self.nodes[i].name for i in self.reachable([root]) if self.nodes[i].is_leaf
        }
