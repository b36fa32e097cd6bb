"""A program as one line of expressions, for tables (`optsearch show RUN`).

Owns `one_liner(program)`: the outputs written as nested expressions, e.g.
`update = (sign(interp(g, m, 0.9)) + w * 0.1) * (lr * 0.0001); m = interp(g, m, 0.99)`.
Clauses read like sequential statements: a name on a right-hand side is the value
before this step (the inputs `w g m v lr`), or an earlier clause of the line. A
value written once, read more than once and long is kept as its own clause (an
output such as `m` then comes before the clauses that read it), so the line stays
about as long as the program instead of growing exponentially.

Constants print with six significant digits: the line is for reading; the
program text is exact. Meant for simplified programs (`dsl.simplify`), whose
temporaries are written once; any valid program gives a correct line.
"""

from __future__ import annotations

from collections import Counter

from dsl.ops import OPS, OpRegistry
from dsl.program import INPUTS, OUTPUTS, Const, Program, Var

#: Binding strength of the infix ops; calls and leaves bind tighter than any.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_ATOM = 3
#: A temporary read more than once is inlined only if its text is this short.
_INLINE_SHARED_CHARS = 24


def one_liner(program: Program, ops: OpRegistry = OPS) -> str:
    """`update = EXPR; m = EXPR; v = EXPR` (outputs the program never writes are
    left out), with the program's temporaries inlined."""
    writes = Counter(st.target for st in program.statements)
    uses = _uses(program)
    # name -> (expression text, precedence) of the value it holds now.
    env: dict[str, tuple[str, int]] = {name: (name, _ATOM) for name in INPUTS}
    clauses: list[str] = []
    emitted: set[str] = set()
    for i, st in enumerate(program.statements):
        op = ops[st.op]
        args = [_arg(a, env) for a in st.args]
        if op.infix:
            level = _PRECEDENCE.get(op.infix, 1)
            left = _wrap(args[0], level, right=False, symbol=op.infix)
            right = _wrap(args[1], level, right=True, symbol=op.infix)
            value = (f"{left} {op.infix} {right}", level)
        else:
            value = (f"{st.op}({', '.join(text for text, _ in args)})", _ATOM)
        name = st.target
        if writes[name] == 1 and uses[i] > 1 and len(value[0]) > _INLINE_SHARED_CHARS:
            # Written once, so from here on the name means this value.
            clauses.append(f"{name} = {value[0]}")
            emitted.add(name)
            value = (name, _ATOM)
        env[name] = value
    written = {st.target for st in program.statements}
    clauses += [f"{name} = {env[name][0]}" for name in OUTPUTS
                if name in written and name not in emitted]
    return "; ".join(clauses)


def _uses(program: Program) -> list[int]:
    """For each statement, how many later arguments read the value it writes."""
    uses = [0] * len(program.statements)
    current: dict[str, int] = {}  # name -> index of the statement that wrote it last
    for i, st in enumerate(program.statements):
        for name in st.reads():
            if name in current:
                uses[current[name]] += 1
        current[st.target] = i
    return uses


def _arg(arg, env: dict[str, tuple[str, int]]) -> tuple[str, int]:
    if isinstance(arg, Var):
        return env.get(arg.name, (arg.name, _ATOM))
    assert isinstance(arg, Const)
    # Six significant digits: folded constants (1.221065108829173) stay readable.
    text = f"{arg.value:.6g}"
    # A negative literal reads as an operand of a unary minus: parenthesised.
    return (text, _ATOM if not text.startswith("-") else 0)


def _wrap(arg: tuple[str, int], level: int, right: bool, symbol: str) -> str:
    text, own = arg
    # `a - (b + c)` and `a / (b * c)` need their parentheses on the right.
    needs = own < level or (right and own == level and symbol in "-/")
    return f"({text})" if needs else text
