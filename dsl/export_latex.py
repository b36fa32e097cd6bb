"""Exporting a program as a LaTeX algorithm box, for papers and notes.

Owns `to_latex(program)`: the live statements as an `algorithm` float with an
`algpseudocode` body (needs `\\usepackage{algorithm}` and
`\\usepackage{algpseudocode}`), one `\\State` per statement. Everything taken from
the program is escaped: variable names can hold `_` (and, being Python
identifiers, non-ASCII letters), which are written as `\\_` and `\\char"HEX`;
numbers are written from their float value. Nothing else from the input (no file
name) appears.
"""

from __future__ import annotations

import math

from dsl.export_plan import plan_export
from dsl.ops import OPS
from dsl.program import INPUTS, OUTPUTS, Arg, Program, Statement, Var

#: How the infix ops and the constants read in math mode.
_INFIX = {"add": "+", "subtract": "-", "multiply": r"\cdot", "divide": "/"}
_CONSTANTS = {"pi": r"\pi", "e": r"\mathrm{e}", "eps": r"\epsilon"}


def to_latex(program: Program) -> str:
    """The live program as a LaTeX `algorithm` environment.

    Raises:
        InvalidProgram: the program is not valid.
    """
    plan = plan_export(program)
    inputs = ", ".join(latex_name(n) for n in INPUTS)
    outputs = ", ".join(latex_name(n) for n in OUTPUTS)
    lines = [
        r"% Needs \usepackage{algorithm} and \usepackage{algpseudocode}.",
        r"\begin{algorithm}",
        r"\caption{Optimizer program (one step; training applies "
        r"$w \gets w - \mathit{update}$)}",
        r"\begin{algorithmic}[1]",
        rf"\Function{{Train}}{{${inputs}$}}",
    ]
    lines += [rf"  \State ${latex_statement(st)}$" for st in plan.body]
    lines += [
        rf"  \State \Return ${outputs}$",
        r"\EndFunction",
        r"\end{algorithmic}",
        r"\end{algorithm}",
    ]
    return "\n".join(lines) + "\n"


def latex_statement(st: Statement) -> str:
    """`target \\gets expression` in math mode."""
    args = [_arg(a) for a in st.args]
    if st.op in _CONSTANTS:
        rhs = _CONSTANTS[st.op]
    elif st.op in _INFIX:
        rhs = f"{args[0]} {_INFIX[st.op]} {args[1]}"
    else:
        rhs = rf"\mathrm{{{_escape(OPS[st.op].name)}}}({', '.join(args)})"
    return rf"{latex_name(st.target)} \gets {rhs}"


def latex_name(name: str) -> str:
    """A variable in math mode: one ASCII letter as it is, longer names upright
    italic (`\\mathit`), every character that is not an ASCII letter or digit
    escaped."""
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name
    return rf"\mathit{{{_escape(name)}}}"


def latex_number(value: float) -> str:
    """A literal in math mode: `0.9`, `10^{-8}`, `3 \\times 10^{5}`, `\\infty`."""
    if math.isnan(value):
        return r"\mathrm{NaN}"
    if math.isinf(value):
        return r"\infty" if value > 0 else r"-\infty"
    text = repr(float(value))
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    if mantissa in ("1.0", "1"):
        return power
    if mantissa in ("-1.0", "-1"):
        return f"-{power}"
    return rf"{mantissa} \times {power}"


def _arg(arg: Arg) -> str:
    if isinstance(arg, Var):
        return latex_name(arg.name)
    text = latex_number(arg.value)
    return f"({text})" if text.startswith("-") else text


def _escape(text: str) -> str:
    out = []
    for char in text:
        if char.isascii() and char.isalnum():
            out.append(char)
        elif char == "_":
            out.append(r"\_")
        else:  # a non-ASCII letter of an identifier; the code point, never the byte
            out.append(rf'\char"{ord(char):X} ')
    return "".join(out)
