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


def test_a_funnel_stage_reports_at_every_quarter():
    from types import SimpleNamespace

    from dsl.library import load_builtin
    from funnel.stages import _evaluate
    from search.records import Result

    class Instant:
        def __init__(self):
            self.queue = []

        def submit(self, candidate, spec=None):
            self.queue.append(candidate)

        def collect(self):
            return [(self.queue.pop(0), Result("ok", 1.0, {}))]

    store = SimpleNamespace(record_stage_evaluation=lambda *args: None)
    stage = SimpleNamespace(name="tenx")
    spec = SimpleNamespace(task_weights=(("t", 1.0),), num_seeds=1)
    todo = [(i, load_builtin("adamw"), "candidate") for i in range(8)]
    lines: list[str] = []
    _evaluate(store, Instant(), spec, stage, 0, todo, lines.append)
    assert [line.split(" [")[0] for line in lines] == [
        "  tenx: 2/8 scored", "  tenx: 4/8 scored", "  tenx: 6/8 scored",
    ]
