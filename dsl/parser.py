"""Reading program text: Python syntax, parsed with `ast`, never executed.

This module owns the syntax of the program format and its error messages. It checks
form only (one function `train(w, g, m, v, lr)`, assignments of one op call, known
ops with the right arity, `return update, m, v`); whether the program computes
something valid (kinds, reads before writes) is `dsl.analysis`'s job.
"""

from __future__ import annotations

import ast
import io
import math
import tokenize
from dataclasses import dataclass

from dsl.ops import OPS, OpRegistry
from dsl.program import INPUTS, OUTPUTS, Arg, Const, Program, Statement, Var

_INFIX = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}

#: Most statements a program may have. Far above any search's length limit (a
#: config allows 200), and below the depth at which passes that walk a program's
#: expression graph recursively (simplification) would hit Python's recursion limit.
MAX_STATEMENTS = 500
#: Most tokens in one statement when Python's own parser gives up on a line (a
#: statement is one op call, about a dozen tokens; used to locate the culprit).
MAX_STATEMENT_TOKENS = 200


def one_line(text: str) -> str:
    """`text` with every non-printable character escaped (newlines included), so
    that input echoed in a message can never break it across lines."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ProgramError(ValueError):
    """Bad program input, located in its source.

    `str(error)` is one line: `file:line:col: message`. A file name that is not
    printable as it is (a newline in it, say) is shown as its Python repr.
    """

    def __init__(self, message: str, filename: str = "<program>", line=0, col=0):
        self.message = message
        self.filename = filename
        self.line = line
        self.col = col
        shown = filename if filename.isprintable() else repr(filename)
        super().__init__(f"{shown}:{line}:{col}: {one_line(message)}")


@dataclass(frozen=True)
class LocatedProgram:
    """A parsed program with the source line of each statement (for error messages)."""

    program: Program
    lines: tuple[int, ...]
    filename: str


def parse(text: str, filename: str = "<program>", ops: OpRegistry = OPS) -> Program:
    """Parse program text into a `Program`.

    Raises:
        ProgramError: the text is not a well-formed program; names file, line, column.
    """
    return parse_located(text, filename, ops).program


def parse_located(
    text: str, filename: str = "<program>", ops: OpRegistry = OPS
) -> LocatedProgram:
    """Like `parse`, also returning the source line of every statement."""
    try:
        module = ast.parse(text, filename=filename)
    except SyntaxError as exc:
        raise ProgramError(
            f"syntax error: {exc.msg}", filename, exc.lineno or 0, exc.offset or 0
        ) from None
    except (RecursionError, MemoryError):
        # Python's parser gives up on a very long chain (`g + g + ...`, `- - - 1`);
        # no program statement needs one, so find the statement and name it.
        raise _oversized_statement(text, filename) from None
    return _Reader(filename, ops, text).read_module(module)


def _oversized_statement(text: str, filename: str) -> ProgramError:
    """The error for text Python's parser could not nest: the first statement with
    more than `MAX_STATEMENT_TOKENS` tokens (the tokenizer does not recurse)."""
    count, start = 0, None
    skip = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                count, start = 0, None
            elif token.type not in skip:
                start = start or token.start
                count += 1
                if count > MAX_STATEMENT_TOKENS:
                    return ProgramError(
                        f"statement too long: more than {MAX_STATEMENT_TOKENS} tokens "
                        "(a statement is one op call)",
                        filename,
                        start[0],
                        start[1] + 1,
                    )
    except (tokenize.TokenError, SyntaxError):
        pass
    return ProgramError("expression nested too deeply to parse", filename)


class _Reader:
    def __init__(self, filename: str, ops: OpRegistry, text: str = ""):
        self.filename = filename
        self.ops = ops
        self.text = text
        self._lines: list[bytes] | None = None
        # Names assigned so far: a constant op's name (`e`, `pi`, `eps`) that the
        # program assigns is a variable from then on.
        self.assigned: set[str] = set()

    def fail(self, node: ast.AST | None, message: str) -> ProgramError:
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", -1) + 1
        return ProgramError(message, self.filename, line, col)

    def read_module(self, module: ast.Module) -> LocatedProgram:
        body = [n for n in module.body if not _is_docstring(n)]
        if len(body) != 1 or not isinstance(body[0], ast.FunctionDef):
            node = body[0] if body else None
            raise self.fail(node, "expected exactly one `def train(w, g, m, v, lr):`")
        return self.read_function(body[0])

    def read_function(self, fn: ast.FunctionDef) -> LocatedProgram:
        if fn.name != "train":
            raise self.fail(fn, f"the function must be named `train`, not `{fn.name}`")
        args = fn.args
        names = tuple(a.arg for a in args.args)
        extras = (
            args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg
            or args.defaults or any(a.annotation for a in args.args)
        )
        if names != INPUTS or extras or fn.decorator_list or fn.returns:
            raise self.fail(fn, f"the signature must be `def train({', '.join(INPUTS)}):`")
        body = [n for n in fn.body if not _is_docstring(n)]
        if not body or not isinstance(body[-1], ast.Return):
            last = body[-1] if body else fn
            raise self.fail(last, f"missing `return {', '.join(OUTPUTS)}` at the end")
        self.check_return(body[-1])
        if len(body) - 1 > MAX_STATEMENTS:
            raise self.fail(
                body[MAX_STATEMENTS],
                f"program too long: {len(body) - 1} statements "
                f"(at most {MAX_STATEMENTS})",
            )
        statements, lines = [], []
        for node in body[:-1]:
            statements.append(self.read_statement(node))
            lines.append(node.lineno)
        return LocatedProgram(Program(tuple(statements)), tuple(lines), self.filename)

    def check_return(self, node: ast.Return) -> None:
        value = node.value
        names = (
            tuple(e.id if isinstance(e, ast.Name) else None for e in value.elts)
            if isinstance(value, ast.Tuple)
            else None
        )
        if names != OUTPUTS:
            raise self.fail(node, f"the function must end with `return {', '.join(OUTPUTS)}`")

    def read_statement(self, node: ast.stmt) -> Statement:
        if isinstance(node, ast.Return):
            raise self.fail(node, "`return` must be the last statement")
        if not isinstance(node, ast.Assign):
            kind = type(node).__name__.lower()
            raise self.fail(
                node, f"only assignments of one op call are allowed, found a `{kind}` statement"
            )
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            raise self.fail(node, "assign to exactly one variable name")
        target = node.targets[0].id
        if target in self.ops and self.ops[target].arity > 0:
            raise self.fail(node.targets[0], f"`{target}` is an op name, not a variable")
        op_name, arg_nodes = self.read_call(node.value)
        op = self.ops[op_name]
        if len(arg_nodes) != op.arity:
            raise self.fail(
                node.value,
                f"op `{op_name}` takes {op.arity} argument(s), got {len(arg_nodes)}",
            )
        args = tuple(self.read_arg(a) for a in arg_nodes)
        self.assigned.add(target)
        return Statement(target, op_name, args)

    def read_call(self, value: ast.expr) -> tuple[str, list[ast.expr]]:
        if isinstance(value, ast.BinOp) and type(value.op) in _INFIX:
            op = self.ops.by_infix(_INFIX[type(value.op)])
            if op is None:
                raise self.fail(value, f"operator `{_INFIX[type(value.op)]}` is not in the op set")
            return op.name, [value.left, value.right]
        if isinstance(value, ast.Call):
            if not isinstance(value.func, ast.Name):
                raise self.fail(value, "call an op by its plain name, e.g. `sqrt(x)`")
            if value.keywords:
                raise self.fail(value, "op arguments are positional only")
            name = value.func.id
            if name not in self.ops:
                raise self.fail(value.func, f"unknown op `{name}`")
            if self.ops[name].infix:
                raise self.fail(value.func, f"write `{name}` with its operator `{self.ops[name].infix}`")
            return name, list(value.args)
        raise self.fail(
            value, "the right-hand side must be one op call (`op(a, b)`) or `a + b`, `a - b`, `a * b`, `a / b`"
        )

    def read_arg(self, node: ast.expr) -> Arg:
        if isinstance(node, ast.Name):
            if node.id in self.ops and node.id not in self.assigned:
                raise self.fail(node, f"`{node.id}` is an op; call it in its own statement")
            return Var(node.id)
        number = _number(node)
        if number is not None:
            if not math.isfinite(number):
                raise self.fail(node, "number out of range: literals must be finite floats")
            if number == 0.0 and _names_a_nonzero(self.literal_text(node)):
                # Python reads a literal below the smallest float (about 5e-324) as
                # 0.0; a constant silently becoming zero changes the program, so it
                # is refused like one that overflows to inf. Subnormals (1e-310) are
                # kept: they are nonzero floats, and every float the search writes
                # must read back.
                raise self.fail(
                    node,
                    f"number out of range: `{self.literal_text(node)}` is below the "
                    "smallest float (about 5e-324) and would read as 0.0; write 0 "
                    "if zero is meant",
                )
            return Const(number)
        raise self.fail(
            node, "an argument must be a variable name or a number (nest no expressions)"
        )


    def literal_text(self, node: ast.expr) -> str:
        """The source text of the one-line expression `node` (columns are UTF-8
        byte offsets, hence the bytes)."""
        if self._lines is None:
            self._lines = [line.encode() for line in self.text.splitlines()]
        lineno = getattr(node, "lineno", 0)
        if not 0 < lineno <= len(self._lines) or node.end_lineno != lineno:
            return ""
        line = self._lines[lineno - 1]
        return line[node.col_offset : node.end_col_offset].decode(errors="replace")


def _names_a_nonzero(literal: str) -> bool:
    """Whether a numeric literal's digits (before any exponent) are not all zero."""
    mantissa = literal.lower().split("e")[0]
    return any(c in "123456789" for c in mantissa)


def _number(node: ast.expr) -> float | None:
    """The value of a numeric literal (optionally signed), inf if it overflows a
    float, None if `node` is not one."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        try:
            return sign * float(node.value)
        except OverflowError:  # an integer literal beyond float range
            return math.inf
    return None


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
