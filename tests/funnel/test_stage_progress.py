"""Slow funnel work says what it is doing: ablation reports its first (compiling)
score and each round, and `eval` says it compiles before it scores."""

from __future__ import annotations

from dsl.parser import parse
from funnel.ablation import ablate
from tests.cli import optsearch
from tests.funnel.test_ablation import LION_WITH_USELESS_TANH, TASK


def test_ablation_reports_each_slow_step():
    lines: list[str] = []
    # A score that ignores the program: every removal qualifies, round after round.
    result = ablate(parse(LION_WITH_USELESS_TANH), lambda program: 1.0, 0.01, TASK, 1,
                    progress=lines.append)
    assert lines[0].startswith("ablation: scoring the ") and TASK in lines[0]
    rounds = [line for line in lines if line.startswith("ablation round ")]
    assert len(rounds) == len(result.removals) + 1  # the last round finds nothing to remove


def test_ablation_is_silent_without_a_progress_callback(capsys):
    ablate(parse(LION_WITH_USELESS_TANH), lambda program: 1.0, 0.01, TASK, 1)
    assert capsys.readouterr() == ("", "")


def test_eval_says_it_compiles_before_it_scores():
    result = optsearch("eval", "adamw", "--task", TASK, "--seeds", "1")
    assert result.returncode == 0, result.stderr
    err = result.stderr.splitlines()
    assert err[0] == f"compiling {TASK} (1 seeds)..."
    assert err[1].startswith("compiled in ") and err[1].endswith("scoring...")
