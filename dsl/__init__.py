"""The optimizer program language: ops, programs, their text, analysis, execution
and export.

Public API:
    parse(text) -> Program            read program text (never executed by Python)
    Program.to_text()                 the canonical text; parse's exact inverse
    load_program(path_or_name)        a checked program from a file or built-in name
    to_optax(program, learning_rate)  an optax.GradientTransformation
    OPS                               the op registry (45 ops)
"""

from dsl.analysis import InvalidProgram, analyze, check, live_program
from dsl.export import to_optax, to_python_source
from dsl.loading import load_program
from dsl.ops import OPS, Kind, LeafLayout, Op, OpRegistry
from dsl.parser import ProgramError, parse
from dsl.program import Const, Program, Statement, Var

__all__ = [
    "OPS",
    "Const",
    "InvalidProgram",
    "Kind",
    "LeafLayout",
    "Op",
    "OpRegistry",
    "Program",
    "ProgramError",
    "Statement",
    "Var",
    "analyze",
    "check",
    "live_program",
    "load_program",
    "parse",
    "to_optax",
    "to_python_source",
]
