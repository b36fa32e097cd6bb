"""What every export of a program needs to know, computed once and checked.

Owns the facts the exporters (`dsl.export`, `dsl.export_torch`, `dsl.export_latex`)
share, and the rule that keeps generated code free of input:
- the live statements (dead code is never exported);
- the state slots to allocate: only those whose previous value the program reads
  (Lion's unused `v` costs no memory);
- whether the weights `w` are read (then an update needs the params);
- whether the program reduces over the whole parameter set (`global_norm`, `dot`,
  ...), so it must run on all leaves raveled into one vector; otherwise it runs leaf
  by leaf on param-shaped state, as optax's own optimizers do;
- the name each program variable gets in generated code. The signature's names
  (`w g m v lr` and `update`) keep theirs; every other variable is prefixed with
  `v_`, a prefix no generated module uses for its own names, so a program variable
  called `jnp`, `segment_ids`, `torch` or `float` cannot shadow what the module
  relies on;
- numeric literals as text that parses back to the same float.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from dsl.analysis import check, liveness
from dsl.ops import OPS
from dsl.program import INPUTS, OUTPUTS, STATE_SLOTS, Const, Program

#: Names generated code uses for the program's signature, as the program spells them.
FIXED_NAMES: frozenset[str] = frozenset(INPUTS) | frozenset(OUTPUTS)
#: Prefix of every other program variable in generated code. Generated modules
#: never define a name starting with it.
VARIABLE_PREFIX = "v_"


@dataclass(frozen=True)
class ExportPlan:
    """A valid program, ready to export.

    Attributes:
        body: the live program.
        slots: the state slots ("m", "v") whose previous value the program reads;
            only these are allocated.
        reads_w: whether the live program reads the weights.
        needs_flat: whether the program has a global reduction, so it must see
            the whole parameter set as one vector.
        names: program variable -> its name in generated code.
    """

    body: Program
    slots: tuple[str, ...]
    reads_w: bool
    needs_flat: bool
    names: dict[str, str]


def plan_export(program: Program) -> ExportPlan:
    """The export plan of `program`.

    Raises:
        InvalidProgram: the program is not valid.
        ValueError: a variable name is not a Python identifier (possible only for
            programs built in code: the parser accepts nothing else).
    """
    check(program)
    live, slots = liveness(program)
    body = Program(tuple(st for st, keep in zip(program.statements, live) if keep))
    reads = {name for st in body for name in st.reads()}
    return ExportPlan(
        body=body,
        slots=tuple(s for s in STATE_SLOTS if s in slots),
        reads_w="w" in reads,
        needs_flat=any(OPS[st.op].group == "global" for st in body),
        names={name: generated_name(name) for name in body.variables()},
    )


def generated_name(name: str) -> str:
    """The name of program variable `name` in generated code.

    Raises:
        ValueError: `name` is not a normalized Python identifier.
    """
    if not name.isidentifier() or unicodedata.normalize("NFKC", name) != name:
        raise ValueError(f"not a variable name: {name!r}")
    return name if name in FIXED_NAMES else VARIABLE_PREFIX + name


def literal(value: float) -> str:
    """Python text for the float `value`: its repr if finite, else `float('inf')`
    and the like (the repr `inf` would be read as a name)."""
    value = float(value)
    return repr(value) if math.isfinite(value) else f"float({str(value)!r})"


def lr_scale(program: Program) -> float | None:
    """The smallest constant factor the program multiplies its `lr` input by
    (`lr = lr * 0.001` gives 0.001), or None if it never scales lr by a constant.

    Follows chains of `*` and `/` by constants from `lr`; any other op ends one.
    """
    scale = {"lr": 1.0}
    found: list[float] = []
    for st in program:
        factor = None
        if st.op in ("multiply", "divide") and len(st.args) == 2:
            a, b = st.args
            if st.op == "multiply" and isinstance(a, Const):
                a, b = b, a  # the constant second; `c * lr` is `lr * c`
            if not isinstance(a, Const) and a.name in scale and isinstance(b, Const):
                if st.op == "multiply":
                    factor = scale[a.name] * b.value
                elif b.value != 0:
                    factor = scale[a.name] / b.value
        if factor is None:
            scale.pop(st.target, None)
        else:
            scale[st.target] = factor
            found.append(abs(factor))
    return min(found) if found else None
