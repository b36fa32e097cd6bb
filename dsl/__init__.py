"""The optimizer program language: ops, programs, their text, analysis, execution
and export.

Public API:
    parse(text) -> Program            read program text (never executed by Python)
    Program.to_text()                 the canonical text; parse's exact inverse
    load_program(path_or_name)        a checked program from a file or built-in name
    to_optax(program, lr_schedule)    an optax.GradientTransformation (lr_schedule
                                      multiplies the program's own lr; 1.0 = as found)
    to_python_source / to_torch_source / to_latex   generated modules, algorithm box
    analyze(program)                  kinds, validity, cross-step liveness
    semantic_hash / fingerprint       duplicate keys (structure / behaviour)
    check_equivalence(a, b)           are two programs the same optimizer?
    simplify(program)                 an equivalent, shorter, canonical program
    OPS                               the op registry (45 ops)
"""

from dsl.analysis import InvalidProgram, analyze, check, live_program
from dsl.equivalence import check_equivalence
from dsl.export import to_optax, to_python_source
from dsl.export_latex import to_latex
from dsl.export_torch import to_torch_source
from dsl.fingerprint import fingerprint
from dsl.hashing import semantic_hash
from dsl.loading import load_program
from dsl.ops import OPS, Kind, LeafLayout, Op, OpRegistry
from dsl.parser import ProgramError, parse
from dsl.program import Const, Program, Statement, Var
from dsl.simplify import simplify

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
    "check_equivalence",
    "fingerprint",
    "live_program",
    "load_program",
    "parse",
    "semantic_hash",
    "simplify",
    "to_latex",
    "to_optax",
    "to_python_source",
    "to_torch_source",
]
