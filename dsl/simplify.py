"""The static simplifier: an equivalent, shorter, canonical program.

Owns `simplify(program)`, the automated part of what the paper did by hand to
turn Program 4 into Lion (Chen et al. 2023, Sec. 3.2 and Appendix): drop dead
code (including state writes the next step overwrites), fold constants, drop
no-ops, merge common subexpressions, apply the algebraic rewrites of
`dsl.rewrites` (`m / sqrt(m * m)` -> `sign(m)`, positive scalings before a
`sign`, two chained interps -> one, a mix written out -> an interp, negations
that cancel), and print the result in a canonical form: fresh variable names in
a fixed order, so programs that simplify to the same computation print the same
text.

How: the live statements are symbolically executed into a `dsl.graph.Graph`,
whose hash-consing does the merging and whose `apply` hook does the rewriting.
The state slots are placeholders P0 and P1; afterwards a slot is kept only if
the update still depends on it (across steps), and a slot that is never written,
or whose next value is zero whenever it (and the other such slots) is zero
(`m = m * 0.9`), is zero forever: it becomes a zero leaf, printed as a slot the
result never writes, which the rewrites then fold (`x * 0`, `sign(0)`). Slots
are internal, so the printed program keeps a single state in `m` whichever slot
held it, and with two states picks the assignment to m and v whose digest is
smaller. The graph is then printed
back as statements (`_Emitter`).

Semantics: the result gives the same updates as the input wherever the numeric
guards of `dsl.ops` are inactive (see `dsl.rewrites` for the exact list); the
tests check every result with `dsl.equivalence.check_equivalence`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.analysis import check, liveness
from dsl.graph import ZERO, Graph
from dsl.hashing import ABSENT
from dsl.ops import OPS, Kind, OpRegistry
from dsl.program import STATE_SLOTS, Const, Program, Statement, Var
from dsl.rewrites import rewrite, rewrite_keeping_negations

_PLACEHOLDERS = ("P0", "P1")
#: Leaf name of a slot whose value no longer matters (never printed).
_UNUSED = "<unused>"


def simplify(program: Program, ops: OpRegistry = OPS) -> Program:
    """An equivalent, shorter (never longer than the live part), canonical program.

    Raises:
        InvalidProgram: `program` is not valid.
    """
    check(program, ops=ops)
    live, used = liveness(program)
    body = [st for st, keep in zip(program.statements, live) if keep]
    result = _canonical(body, used, ops, rewrite)
    if len(result) > len(body):
        # Moving a negation outwards builds two nodes, which costs a statement
        # where the node it leaves is shared, or where it makes a read of a
        # slot's old value wait for the slot's new one (`-m * m'` then needs a
        # copy): keep the negations where they are instead.
        result = _canonical(body, used, ops, rewrite_keeping_negations)
    check(result, ops=ops)  # a failure here is a simplifier bug, not bad input
    return result


def _canonical(body, used: tuple[str, ...], ops: OpRegistry, rules) -> Program:
    """The live `body` rewritten with `rules` and printed canonically."""
    written = {st.target for st in body}
    stateful = [s for s in used if s in written]
    zero = {s for s in used if s not in written}
    while True:
        graph, outputs = _build(body, stateful, zero, ops, rules)
        kept, now_zero = _effective_state(graph, outputs, stateful)
        forever = _zero_forever(body, kept, zero | now_zero, ops, rules)
        kept = [s for s in kept if s not in forever]
        if kept == stateful:
            break
        stateful, zero = kept, zero | now_zero | forever
    if len(stateful) == 2:
        swapped = stateful[::-1]
        other = _build(body, swapped, zero, ops, rules)
        if _outputs_digest(*other) < _outputs_digest(graph, outputs):
            stateful, (graph, outputs) = swapped, other
    return _Emitter(graph, outputs).emit()


def _build(
    body, stateful: list[str], zero: set[str], ops: OpRegistry, rules, report=()
):
    """The rewritten graph of one step; `stateful[i]` plays placeholder P_i.

    Returns:
        (graph, outputs) with outputs mapping "update" and each placeholder in use
        to its node at the end of the step, and each slot in `report` to its next
        value.
    """
    graph = Graph(rules, ops)
    env = {name: graph.leaf(name, Kind.TENSOR) for name in ("w", "g")}
    env["lr"] = graph.leaf("lr", Kind.SCALAR)
    for slot in STATE_SLOTS:
        if slot in stateful:
            env[slot] = graph.leaf(_PLACEHOLDERS[stateful.index(slot)], Kind.TENSOR)
        elif slot in zero:
            # Read but never written: the slot keeps its initial zero. It stays a
            # tensor leaf (a scalar 0 would change kinds downstream) and prints as
            # a slot the simplified program never writes.
            env[slot] = graph.leaf(ZERO, Kind.TENSOR)
        else:
            env[slot] = graph.leaf(_UNUSED, Kind.TENSOR)
    for st in body:
        args = tuple(
            graph.const(a.value) if isinstance(a, Const) else env[a.name]
            for a in st.args
        )
        env[st.target] = graph.apply(st.op, args)
    outputs = {"update": env["update"]}
    for index, slot in enumerate(stateful):
        outputs[_PLACEHOLDERS[index]] = env[slot]
    for slot in report:
        outputs[slot] = env[slot]
    return graph, outputs


def _effective_state(graph: Graph, outputs, stateful: list[str]):
    """The slots still carrying state after rewriting, and those found to be zero.

    A placeholder matters if `update` depends on it, directly or through other
    slots' next values (a fixed point, as in `dsl.analysis.liveness`). A slot
    whose next value is its own placeholder never leaves its initial zero.
    """
    needed = graph.leaves_under(outputs["update"])
    while True:
        grown = set(needed)
        for p in _PLACEHOLDERS:
            if p in needed and p in outputs:
                grown |= graph.leaves_under(outputs[p])
        if grown == needed:
            break
        needed = grown
    kept, zero = [], set()
    for index, slot in enumerate(stateful):
        p = _PLACEHOLDERS[index]
        if p not in needed:
            continue
        node = graph[outputs[p]]
        if node.is_leaf and node.name == p:
            zero.add(slot)
        else:
            kept.append(slot)
    # Rebuilding with a newly zero slot as the zero leaf may enable more
    # rewrites (x + 0 -> x) and so drop more state: the caller loops.
    return kept, zero


def _zero_forever(
    body, stateful: list[str], zero: set[str], ops: OpRegistry, rules
) -> set[str]:
    """The slots among `stateful` that never leave their initial zero.

    A set Z of slots stays zero if, with every slot of Z zero, each one's next
    value is zero again (induction over steps from the zero start): `m = m * 0.5`,
    or two slots that only feed each other. The largest such set is found by
    assuming all, then dropping the slots whose next value is not zero.
    """
    candidates = set(stateful)
    while candidates:
        rest = [s for s in stateful if s not in candidates]
        graph, env = _build(
            body, rest, zero | candidates, ops, rules, report=candidates
        )
        stays = {s for s in candidates if graph[env[s]].name == ZERO}
        if stays == candidates:
            return stays
        candidates = stays
    return set()


def _outputs_digest(graph: Graph, outputs) -> tuple[bytes, ...]:
    return tuple(
        graph[outputs[k]].digest if k in outputs else ABSENT
        for k in ("update",) + _PLACEHOLDERS
    )


@dataclass(eq=False)
class _Item:
    """One statement to print: compute an op node, or copy a value (`x * 1.0`).

    `target` is an output name (`update`, `m`, `v`) or None for a temporary,
    named when printed. A copy's `source` is a node id or another item.
    """

    node: int | None
    target: str | None = None
    source: "int | _Item | None" = None

    @property
    def is_copy(self) -> bool:
        return self.node is None


class _Emitter:
    """Prints a graph's outputs as canonical statements.

    Each op node becomes one statement. Priority order is depth-first post-order
    from `update`, then from each state output, arguments in their canonical
    order; temporaries are named `t0, t1, ...` in print order. An output's node is
    computed straight into the output's name, which a later statement may read
    (`m = interp(g, m, 0.9)` then `c = m / s`). A statement that writes slot s
    must wait until everything reading the old value of s has run; when two
    writes wait on each other, one is computed into a temporary and copied into
    its slot at the end (`m = t3 * 1.0`; the language has no plain copy), and
    when copies wait on each other, the old value is saved first.
    """

    def __init__(self, graph: Graph, outputs: dict[str, int]):
        self.graph = graph
        # Placeholder P_i prints as the i-th slot name: P0 -> m, P1 -> v; the zero
        # tensor as the next slot, which nothing then writes.
        placeholders = [p for p in _PLACEHOLDERS if p in outputs]
        self.slot_of = dict(zip(placeholders, STATE_SLOTS))
        if len(placeholders) < len(STATE_SLOTS):
            self.slot_of[ZERO] = STATE_SLOTS[len(placeholders)]
        self.roots = [("update", outputs["update"])]
        self.roots += [(self.slot_of[p], outputs[p]) for p in placeholders]

    def emit(self) -> Program:
        items = self._items()
        done: list[_Item] = []
        pending = items
        while pending:
            ready = next((it for it in pending if self._ready(it, pending, done)), None)
            if ready is None:
                pending = self._break_cycle(pending)
                continue
            done.append(ready)
            pending = [it for it in pending if it is not ready]
        return self._print(done)

    def _items(self) -> list[_Item]:
        order: list[int] = []
        seen: set[int] = set()

        def visit(node_id: int) -> None:
            if node_id in seen or not self._is_op(node_id):
                return
            seen.add(node_id)
            for a in self.graph[node_id].args:
                visit(a)
            order.append(node_id)

        for _, root in self.roots:
            visit(root)
        self.item_of = {node_id: _Item(node_id) for node_id in order}
        copies = []
        for name, root in self.roots:
            item = self.item_of.get(root)
            if item is not None and item.target is None:
                item.target = name
            else:  # a leaf, or a node already written to another output
                copies.append(_Item(None, name, root))
        return [self.item_of[n] for n in order] + copies

    def _is_op(self, node_id: int) -> bool:
        node = self.graph[node_id]
        return not (node.is_leaf or node.is_const)

    def _slot_reads(self, item: _Item) -> set[str]:
        """The slots whose *old* value `item` reads."""
        sources = [item.source] if item.is_copy else list(self.graph[item.node].args)
        return {
            self.slot_of[self.graph[s].name]
            for s in sources
            if isinstance(s, int)
            and self.graph[s].is_leaf
            and self.graph[s].name in self.slot_of
            and self.graph[s].name != ZERO
        }

    def _deps(self, item: _Item) -> list[_Item]:
        sources = [item.source] if item.is_copy else list(self.graph[item.node].args)
        deps = []
        for s in sources:
            if isinstance(s, _Item):
                deps.append(s)
            elif s in self.item_of:
                deps.append(self.item_of[s])
        return deps

    def _ready(self, item: _Item, pending: list[_Item], done: list[_Item]) -> bool:
        if any(d not in done for d in self._deps(item)):
            return False
        if item.target in STATE_SLOTS:
            return not any(
                other is not item and item.target in self._slot_reads(other)
                for other in pending
            )
        return True

    def _break_cycle(self, pending: list[_Item]) -> list[_Item]:
        for item in pending:
            if not item.is_copy and item.target in STATE_SLOTS:
                # Compute into a temporary now; copy into the slot once free.
                slot, item.target = item.target, None
                return pending + [_Item(None, slot, item.node)]
        for index, item in enumerate(pending):
            if item.is_copy and self._slot_reads(item):
                saved = _Item(None, None, item.source)  # save the old value first
                item.source = saved
                return pending[:index] + [saved] + pending[index:]
        raise AssertionError("simplifier bug: cannot order the state writes")

    def _print(self, done: list[_Item]) -> Program:
        names: dict[int, str] = {}  # id(item) -> variable
        num_temps = 0
        statements = []
        for item in done:
            if item.target is None:
                item.target = f"t{num_temps}"
                num_temps += 1
            names[id(item)] = item.target
            if item.is_copy:
                source = self._arg(item.source, names)
                statements.append(
                    Statement(item.target, "multiply", (source, Const(1.0)))
                )
            else:
                args = tuple(self._arg(a, names) for a in self.graph[item.node].args)
                statements.append(
                    Statement(item.target, self.graph[item.node].op, args)
                )
        return Program(tuple(statements))

    def _arg(self, source, names: dict[int, str]):
        if isinstance(source, _Item):
            return Var(names[id(source)])
        node = self.graph[source]
        if node.is_const:
            return Const(node.value)
        if node.is_leaf:
            if node.name == _UNUSED:
                raise AssertionError("simplifier bug: an unused slot is read")
            return Var(self.slot_of.get(node.name, node.name))
        return Var(names[id(self.item_of[source])])
