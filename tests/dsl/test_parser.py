"""The program text format: parse/print round trip and located errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import ProgramError, parse
from dsl.parser import MAX_STATEMENTS
from dsl.generate import random_program
from dsl.library import builtin_names, load_builtin
from dsl.program import Const, Statement, Var

ADAMW = """\
def train(w, g, m, v, lr):
    g2 = square(g)
    m = interp(g, m, 0.9)
    v = interp(g2, v, 0.999)
    sqrt_v = sqrt(v)
    update = m / sqrt_v
    wd = w * 0.01
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    return update, m, v
"""


def test_parses_the_papers_program_3_into_statements():
    program = parse(ADAMW)
    assert len(program) == 9
    assert program.statements[1] == Statement("m", "interp", (Var("g"), Var("m"), Const(0.9)))
    assert program.statements[4] == Statement("update", "divide", (Var("m"), Var("sqrt_v")))


def test_printer_is_the_exact_inverse_on_canonical_text():
    assert parse(ADAMW).to_text() == ADAMW


@pytest.mark.parametrize("name", builtin_names())
def test_every_shipped_program_round_trips(name):
    program = load_builtin(name)
    assert parse(program.to_text()) == program


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(1, 30))
def test_round_trip_over_random_programs(seed, length):
    program = random_program(np.random.default_rng(seed), length)
    text = program.to_text()
    assert parse(text) == program
    assert parse(text).to_text() == text


@settings(max_examples=200, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_any_finite_constant_round_trips_exactly(value):
    program = parse(f"def train(w, g, m, v, lr):\n    update = g * {value!r}\n    return update, m, v\n")
    assert program.statements[0].args[1] == Const(value)
    assert parse(program.to_text()) == program


def test_comments_docstrings_and_integer_literals_are_accepted():
    program = parse(
        'def train(w, g, m, v, lr):\n    """momentum-free"""\n'
        "    # scale\n    update = g * 2\n    return update, m, v\n"
    )
    assert program.statements[0].args[1] == Const(2.0)


BAD_PROGRAMS = [
    ("def train(w, g, m, v, lr):\n    update = g *\n    return update, m, v\n", 2, "syntax error"),
    ("def train(w, g, m, v, lr):\n    update = foo(g)\n    return update, m, v\n", 2, "unknown op `foo`"),
    ("def train(w, g, m, v, lr):\n    update = sqrt(g, m)\n    return update, m, v\n", 2, "takes 1 argument"),
    ("def train(w, g, m, v, lr):\n    update = sqrt(g + m)\n    return update, m, v\n", 2, "nest no expressions"),
    ("def train(w, g, m, v, lr):\n    update = g\n    return update, m, v\n", 2, "one op call"),
    ("def train(w, g, m, v, lr):\n    update = sqrt(g)\n", 2, "missing `return"),
    ("def train(w, g, m, v, lr):\n    update = sqrt(g)\n    return update, m\n", 3, "must end with"),
    ("def train(w, g, m, v):\n    update = sqrt(g)\n    return update, m, v\n", 1, "signature"),
    ("def train(w, g, m, v, lr):\n    for x in g:\n        pass\n    return update, m, v\n", 2, "`for` statement"),
    ("def train(w, g, m, v, lr):\n    a, b = g\n    return update, m, v\n", 2, "exactly one variable"),
    ("def train(w, g, m, v, lr):\n    update = g ** m\n    return update, m, v\n", 2, "one op call"),
    ("def train(w, g, m, v, lr):\n    update = add(g, m)\n    return update, m, v\n", 2, "operator `+`"),
    ("def train(w, g, m, v, lr):\n    update = sqrt(x=g)\n    return update, m, v\n", 2, "positional"),
    ("import os\n", 1, "exactly one `def train"),
    ("def train(w, g, m, v, lr):\n    sqrt = sqrt(g)\n    return update, m, v\n", 2, "op name"),
    ("def train(w, g, m, v, lr):\n    update = g * 1e309\n    return update, m, v\n", 2, "out of range"),
    ("def train(w, g, m, v, lr):\n    update = g * -1e309\n    return update, m, v\n", 2, "out of range"),
    (f"def train(w, g, m, v, lr):\n    update = g * {'9' * 400}\n    return update, m, v\n", 2, "out of range"),
    ("def train(w, g, m, v, lr):\n    update = g * 1e-400\n    return update, m, v\n", 2, "out of range"),
    ("def train(w, g, m, v, lr):\n    update = g * -1e-400\n    return update, m, v\n", 2, "out of range"),
    (f"def train(w, g, m, v, lr):\n    update = g * 0.{'0' * 400}1\n    return update, m, v\n", 2, "out of range"),
    ("def train(w, g, m, v, lr):\n    update = g * e\n    e = g * 2\n    return update, m, v\n", 2, "`e` is an op"),
]


@pytest.mark.parametrize("text,line,fragment", BAD_PROGRAMS)
def test_bad_input_is_one_located_line(text, line, fragment):
    with pytest.raises(ProgramError) as info:
        parse(text, filename="bad.py")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"bad.py:{line}:")
    assert fragment in message


def test_program_text_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    text = (
        "def train(w, g, m, v, lr):\n"
        f"    update = open({str(marker)!r}, 'w')\n"
        "    return update, m, v\n"
    )
    with pytest.raises(ProgramError):
        parse(text)
    assert not marker.exists()


def test_a_non_finite_literal_is_rejected_at_its_column():
    with pytest.raises(ProgramError) as info:
        parse("def train(w, g, m, v, lr):\n    update = g * 1e309\n    return update, m, v\n", "p.py")
    assert str(info.value) == "p.py:2:18: number out of range: literals must be finite floats"


def test_an_underflowing_literal_is_rejected_at_its_column_like_an_overflowing_one():
    with pytest.raises(ProgramError) as info:
        parse("def train(w, g, m, v, lr):\n    update = g * 1e-400\n    return update, m, v\n", "p.py")
    assert str(info.value) == (
        "p.py:2:18: number out of range: `1e-400` is below the smallest float (about "
        "5e-324) and would read as 0.0; write 0 if zero is meant"
    )


@pytest.mark.parametrize(
    "literal,value",
    [("0.0", 0.0), ("0", 0.0), ("-0.0", -0.0), ("0e-999", 0.0), ("1e-8", 1e-8),
     ("1e-310", 1e-310), ("5e-324", 5e-324)],
)
def test_zero_small_and_subnormal_literals_stay_valid(literal, value):
    # Subnormals are nonzero floats: kept, so every constant a search writes reads back.
    program = parse(f"def train(w, g, m, v, lr):\n    update = g * {literal}\n    return update, m, v\n")
    assert program.statements[0].args[1] == Const(value)


def test_a_file_name_with_a_newline_stays_on_one_line():
    with pytest.raises(ProgramError) as info:
        parse("def train(w, g, m, v, lr):\n    update = foo(g)\n    return update, m, v\n",
              "evil\nimport os.py")
    assert str(info.value).startswith("'evil\\nimport os.py':2:14: unknown op")
    assert "\n" not in str(info.value)


def _one_statement(rhs: str) -> str:
    return f"def train(w, g, m, v, lr):\n    update = {rhs}\n    return update, m, v\n"


@pytest.mark.parametrize(
    "rhs",
    [" + ".join(["g"] * 100_000), "g * " + "-" * 100_000 + "1"],
    ids=["100k-chained-additions", "100k-nested-unary-minus"],
)
def test_an_expression_python_cannot_nest_is_one_located_line(rhs):
    # Python's parser raises RecursionError / MemoryError on these.
    with pytest.raises(ProgramError) as info:
        parse(_one_statement(rhs), "deep.py")
    assert str(info.value).startswith("deep.py:2:5: statement too long")


def test_programs_longer_than_the_statement_cap_are_rejected_at_the_first_extra_one():
    body = "    update = g * 0.5\n" + "    update = update + g\n" * MAX_STATEMENTS
    text = f"def train(w, g, m, v, lr):\n{body}    return update, m, v\n"
    with pytest.raises(ProgramError) as info:
        parse(text, "long.py")
    first_extra_line = 2 + MAX_STATEMENTS
    assert str(info.value) == (
        f"long.py:{first_extra_line}:5: program too long: {MAX_STATEMENTS + 1} statements "
        f"(at most {MAX_STATEMENTS})"
    )
    assert len(parse(text.replace("    update = update + g\n", "", 1))) == MAX_STATEMENTS


SHADOWING_E = """\
def train(w, g, m, v, lr):
    e = g * 2.0
    x = e()
    update = e * x
    pi = lr * 0.5
    update = update * pi
    return update, m, v
"""


def test_assigning_a_constant_op_name_makes_it_a_variable_from_then_on():
    program = parse(SHADOWING_E)
    assert program.statements[0] == Statement("e", "multiply", (Var("g"), Const(2.0)))
    assert program.statements[1] == Statement("x", "e", ())  # a call is still the op
    assert program.statements[2] == Statement("update", "multiply", (Var("e"), Var("x")))
    assert parse(program.to_text()) == program


def test_ops_with_arguments_still_cannot_be_assigned():
    with pytest.raises(ProgramError, match="`sqrt` is an op name"):
        parse("def train(w, g, m, v, lr):\n    sqrt = g * 2.0\n    update = sqrt * 2.0\n    return update, m, v\n")
