"""The LaTeX export: an algorithm box with every statement and no unescaped input."""

from __future__ import annotations

import re

import pytest

from dsl import load_program, parse
from dsl.analysis import live_program
from dsl.export_latex import latex_number, to_latex
from dsl.library import builtin_names
from tests.dsl.test_export import adversarial_program


def test_lion_reads_as_an_algorithm_box():
    assert to_latex(load_program("lion")) == r"""% Needs \usepackage{algorithm} and \usepackage{algpseudocode}.
\begin{algorithm}
\caption{Optimizer program (one step; training applies $w \gets w - \mathit{update}$)}
\begin{algorithmic}[1]
\Function{Train}{$w, g, m, v, \mathit{lr}$}
  \State $c \gets \mathrm{interp}(g, m, 0.9)$
  \State $\mathit{update} \gets \mathrm{sign}(c)$
  \State $\mathit{wd} \gets w \cdot 0.1$
  \State $\mathit{update} \gets \mathit{update} + \mathit{wd}$
  \State $\mathit{lr} \gets \mathit{lr} \cdot 0.0001$
  \State $\mathit{update} \gets \mathit{update} \cdot \mathit{lr}$
  \State $m \gets \mathrm{interp}(g, m, 0.99)$
  \State \Return $\mathit{update}, m, v$
\EndFunction
\end{algorithmic}
\end{algorithm}
"""


@pytest.mark.parametrize("name", builtin_names())
def test_every_live_statement_is_one_state_line(name):
    program = load_program(name)
    states = [line for line in to_latex(program).splitlines() if line.startswith("  \\State $")]
    assert len(states) == len(live_program(program))


@pytest.mark.parametrize(
    "value,text",
    [(0.9, "0.9"), (1e-08, "10^{-8}"), (-1e-08, "-10^{-8}"), (2.5e-05, r"2.5 \times 10^{-5}"),
     (1e16, "10^{16}"), (float("inf"), r"\infty")],
)
def test_numbers_are_written_in_math_notation(value, text):
    assert latex_number(value) == text


def _assert_no_unescaped_input(latex: str) -> None:
    body = latex.split("\n", 1)[1]  # the first line is our fixed comment
    assert "%" not in body and "#" not in body and "&" not in body and "~" not in body
    assert body.isascii()
    assert not re.search(r"(?<!\\)_", body), "every underscore is escaped"
    assert not re.search(r"\^(?!\{-?\d+\})", body), "^ only in exponents we write"
    for line in body.splitlines():
        assert line.count("$") % 2 == 0
        depth = 0
        for char in line:
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0
        assert depth == 0


def test_names_and_numbers_from_the_program_are_escaped():
    text = (
        "def train(w, g, m, v, lr):\n"
        "    segment_ids = g * -2.5e-05\n"
        "    caf\u00e9_x = segment_ids + w\n"
        "    e = sqrt(caf\u00e9_x)\n"
        "    global_n = global_norm(e)\n"
        "    update = e * global_n\n"
        "    return update, m, v\n"
    )
    latex = to_latex(parse(text))
    _assert_no_unescaped_input(latex)
    assert r"\mathit{segment\_ids} \gets g \cdot (-2.5 \times 10^{-5})" in latex
    assert r'\mathit{caf\char"E9 \_x} \gets \mathit{segment\_ids} + w' in latex
    assert r"\mathit{global\_n} \gets \mathrm{global\_norm}(e)" in latex


@pytest.mark.parametrize("whole_set", [False, True])
def test_programs_named_like_module_globals_are_escaped(whole_set):
    _assert_no_unescaped_input(to_latex(parse(adversarial_program(whole_set))))
