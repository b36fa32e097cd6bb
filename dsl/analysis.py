"""Abstract execution: kinds, validity and liveness, without running a program.

This module owns the static facts about a program that the search needs before it
spends an evaluation: whether it is valid (each op gets arguments of the kinds it
accepts, every variable is written before it is read, `update` is a tensor and the
state slots stay tensors, the length is within the limit), which statements can
affect the outputs (liveness, across steps), and the redundancy counts the paper
reports (Chen et al. 2023, Sec. 2.2: about 70% of statements of evolved programs
are redundant), per program (`Analysis`) and over a search (`RedundancyStats`).

It is pure Python over the statement list and costs microseconds per program.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.ops import OPS, Kind, OpRegistry
from dsl.program import INPUTS, STATE_SLOTS, TENSOR_INPUTS, Const, Program

_INPUT_KINDS = {name: Kind.TENSOR for name in TENSOR_INPUTS} | {"lr": Kind.SCALAR}


class InvalidProgram(ValueError):
    """A program that cannot run; `statement` is the 0-based index at fault, or None."""

    def __init__(self, reason: str, statement: int | None = None):
        self.reason = reason
        self.statement = statement
        where = f"statement {statement + 1}: " if statement is not None else ""
        super().__init__(where + reason)


@dataclass(frozen=True)
class Analysis:
    """Static facts about a valid program.

    Attributes:
        kinds: the kind of each statement's result, by statement.
        live: whether each statement can affect the update (across steps).
        state_slots_used: the state slots whose value carries to the next step
            and matters there (a subset of ("m", "v")).
    """

    kinds: tuple[Kind, ...]
    live: tuple[bool, ...]
    state_slots_used: tuple[str, ...]

    @property
    def num_statements(self) -> int:
        return len(self.live)

    @property
    def num_live(self) -> int:
        return sum(self.live)

    @property
    def redundant_fraction(self) -> float:
        """Fraction of statements that cannot affect the update (0 for an empty program)."""
        return redundant_fraction(len(self.live), self.num_live)


def redundant_fraction(num_statements: int, num_live: int) -> float:
    """The fraction of a program's statements that cannot affect the update (0 for
    an empty program): the one definition every report and counter uses."""
    return 1.0 - num_live / num_statements if num_statements else 0.0


@dataclass(frozen=True)
class RedundancyStats:
    """Redundancy counts accumulated over many programs (a search, a benchmark).

    The paper reports the fraction of redundant statements (Chen et al. 2023,
    Sec. 2.2: about 70%); there are two readings, and both are kept: pooled over
    all statements (`statement_fraction`) and averaged over programs
    (`mean_program_fraction`). Immutable: `add` returns a new record.

    Attributes:
        num_programs: programs analysed.
        num_statements: their statements, in total.
        num_redundant: those that cannot affect the update.
        sum_program_fractions: sum of each program's redundant fraction.
    """

    num_programs: int = 0
    num_statements: int = 0
    num_redundant: int = 0
    sum_program_fractions: float = 0.0

    def add(self, analysis: "Analysis") -> "RedundancyStats":
        """These counts plus one analysed program."""
        return RedundancyStats(
            self.num_programs + 1,
            self.num_statements + analysis.num_statements,
            self.num_redundant + analysis.num_statements - analysis.num_live,
            self.sum_program_fractions + analysis.redundant_fraction,
        )

    def merge(self, other: "RedundancyStats") -> "RedundancyStats":
        """The counts of two disjoint sets of programs together (e.g. two workers)."""
        return RedundancyStats(
            self.num_programs + other.num_programs,
            self.num_statements + other.num_statements,
            self.num_redundant + other.num_redundant,
            self.sum_program_fractions + other.sum_program_fractions,
        )

    @property
    def statement_fraction(self) -> float:
        """Redundant statements over all statements (0 if none were seen)."""
        return self.num_redundant / self.num_statements if self.num_statements else 0.0

    @property
    def mean_program_fraction(self) -> float:
        """The mean of the per-program redundant fractions (0 if no programs)."""
        return self.sum_program_fractions / self.num_programs if self.num_programs else 0.0

    def state(self) -> dict:
        """Plain data for a checkpoint; `from_state` restores it exactly."""
        return {
            "num_programs": self.num_programs,
            "num_statements": self.num_statements,
            "num_redundant": self.num_redundant,
            "sum_program_fractions": self.sum_program_fractions,
        }

    @classmethod
    def from_state(cls, state: dict) -> "RedundancyStats":
        return cls(**state)


def infer_kinds(program: Program, ops: OpRegistry = OPS) -> tuple[Kind, ...]:
    """The result kind of every statement.

    Raises:
        InvalidProgram: unknown op, wrong arity, an argument of the wrong kind, a
            variable read before it is written, or a state slot given a scalar.
    """
    env = dict(_INPUT_KINDS)
    kinds = []
    for index, st in enumerate(program.statements):
        if st.op not in ops:
            raise InvalidProgram(f"op `{st.op}` is not in the op set", index)
        op = ops[st.op]
        if len(st.args) != op.arity:
            raise InvalidProgram(
                f"op `{st.op}` takes {op.arity} argument(s), got {len(st.args)}", index
            )
        arg_kinds = []
        for position, arg in enumerate(st.args):
            if isinstance(arg, Const):
                kind = Kind.SCALAR
            elif arg.name in env:
                kind = env[arg.name]
            else:
                raise InvalidProgram(f"reads `{arg.name}` before it is written", index)
            if not op.arg_kinds[position].accepts(kind):
                raise InvalidProgram(
                    f"argument {position + 1} of `{st.op}` must be a "
                    f"{op.arg_kinds[position].value}, got a {kind.value}",
                    index,
                )
            arg_kinds.append(kind)
        result = op.result_kind(tuple(arg_kinds))
        if st.target in TENSOR_INPUTS and result is not Kind.TENSOR:
            # Inputs and state slots are parameter-shaped; a scalar would change their shape.
            raise InvalidProgram(f"`{st.target}` must stay a tensor, got a scalar", index)
        env[st.target] = result
        kinds.append(result)
    if env.get("update") is not Kind.TENSOR:
        raise InvalidProgram(
            "`update` is never written" if "update" not in env else "`update` must be a tensor"
        )
    return tuple(kinds)


def check(program: Program, max_length: int | None = None, ops: OpRegistry = OPS) -> None:
    """Raise `InvalidProgram` unless `program` is valid (and at most `max_length` long)."""
    if max_length is not None and len(program) > max_length:
        raise InvalidProgram(f"{len(program)} statements exceed the maximum of {max_length}")
    infer_kinds(program, ops)


def analyze(program: Program, max_length: int | None = None, ops: OpRegistry = OPS) -> Analysis:
    """Kinds and liveness of a valid program.

    Raises:
        InvalidProgram: as `check`.
    """
    if max_length is not None and len(program) > max_length:
        raise InvalidProgram(f"{len(program)} statements exceed the maximum of {max_length}")
    kinds = infer_kinds(program, ops)  # what `check` runs; done once here
    live, slots = liveness(program)
    return Analysis(kinds, live, slots)


def liveness(program: Program) -> tuple[tuple[bool, ...], tuple[str, ...]]:
    """Which statements can affect the update, counting effects on later steps.

    A state slot's final value matters only if the next step reads it before
    overwriting it, and only if that read is itself live. So liveness is a fixed
    point: start with only `update` needed at the end of a step, find what each
    step needs at its start, and add the state slots among those to what is needed
    at the end, until nothing changes. This catches Program 4's `m = cosh(update)`
    (overwritten next step before any read) and slots that never reach `update`.

    Returns:
        (live flag per statement, state slots used across steps)
    """
    needed_out = {"update"}
    while True:
        live, needed_in = _backward(program, needed_out)
        carried = {s for s in STATE_SLOTS if s in needed_in}
        if carried <= needed_out:
            return live, tuple(s for s in STATE_SLOTS if s in carried)
        needed_out |= carried


def _backward(program: Program, needed_out: set[str]) -> tuple[tuple[bool, ...], set[str]]:
    needed = set(needed_out)
    live = [False] * len(program)
    for index in range(len(program) - 1, -1, -1):
        st = program.statements[index]
        if st.target in needed:
            live[index] = True
            needed.discard(st.target)
            needed.update(st.reads())
    return tuple(live), needed & set(INPUTS)


def live_program(program: Program) -> Program:
    """The program with dead statements removed (same updates, same live state)."""
    live, _ = liveness(program)
    return Program(tuple(st for st, keep in zip(program.statements, live) if keep))
