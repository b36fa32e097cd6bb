"""The program record: immutable statements over named variables, and its text.

A program is the body of `def train(w, g, m, v, lr): ... return update, m, v`
(Chen et al. 2023, Sec. 2.1): one op call per statement, numeric literals as
hyperparameters. This module owns the record and its canonical printer; parsing
lives in `dsl.parser`, checking in `dsl.analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator, Union

from dsl.ops import OPS, OpRegistry

#: Inputs of every program, in signature order. w, g, m, v are tensors, lr a scalar.
INPUTS: tuple[str, ...] = ("w", "g", "m", "v", "lr")
TENSOR_INPUTS: tuple[str, ...] = ("w", "g", "m", "v")
#: Variables whose values carry from one step to the next (start at zero).
STATE_SLOTS: tuple[str, ...] = ("m", "v")
#: The returned tuple, fixed by the signature.
OUTPUTS: tuple[str, ...] = ("update", "m", "v")


@dataclass(frozen=True, order=True)
class Var:
    """A reference to a variable by name."""

    name: str

    def to_text(self) -> str:
        return self.name


@dataclass(frozen=True, order=True)
class Const:
    """A numeric literal: a hyperparameter that evolves with the program."""

    value: float

    def to_text(self) -> str:
        return format_number(self.value)


Arg = Union[Var, Const]


def format_number(value: float) -> str:
    """Shortest text that parses back to exactly `value` (Python's float repr)."""
    text = repr(float(value))
    return text


@dataclass(frozen=True)
class Statement:
    """`target = op(args...)`."""

    target: str
    op: str
    args: tuple[Arg, ...]

    def reads(self) -> Iterator[str]:
        """Names of the variables this statement reads, in argument order."""
        return (a.name for a in self.args if isinstance(a, Var))

    def to_text(self, ops: OpRegistry = OPS) -> str:
        op = ops[self.op]
        args = [a.to_text() for a in self.args]
        if op.infix:
            rhs = f"{args[0]} {op.infix} {args[1]}"
        else:
            rhs = f"{self.op}({', '.join(args)})"
        return f"{self.target} = {rhs}"


@dataclass(frozen=True)
class Program:
    """An optimizer: an ordered tuple of statements. Edits return new programs."""

    statements: tuple[Statement, ...]

    def __len__(self) -> int:
        return len(self.statements)

    def __iter__(self) -> Iterator[Statement]:
        return iter(self.statements)

    def replace_statement(self, index: int, statement: Statement) -> "Program":
        body = list(self.statements)
        body[index] = statement
        return replace(self, statements=tuple(body))

    def insert(self, index: int, statement: Statement) -> "Program":
        body = list(self.statements)
        body.insert(index, statement)
        return replace(self, statements=tuple(body))

    def delete(self, index: int) -> "Program":
        body = list(self.statements)
        del body[index]
        return replace(self, statements=tuple(body))

    def variables(self) -> list[str]:
        """Every variable name the program mentions: inputs first, then by first write."""
        names = list(INPUTS)
        for st in self.statements:
            if st.target not in names:
                names.append(st.target)
        return names

    def constants(self) -> list[float]:
        """The numeric literals, in statement and argument order."""
        return [a.value for st in self.statements for a in st.args if isinstance(a, Const)]

    def to_text(self, ops: OpRegistry = OPS) -> str:
        """The canonical program text; `dsl.parse` is its exact inverse."""
        lines = [f"def train({', '.join(INPUTS)}):"]
        lines += [f"    {st.to_text(ops)}" for st in self.statements]
        lines.append(f"    return {', '.join(OUTPUTS)}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()
