"""Slow funnel work says what it is doing: ablation reports its first (compiling)
score and each round, funnel stages, ablation rounds and tuning report how far
they are every 10 s or every tenth of their work, whichever comes first, and
`eval` says it compiles before it scores."""

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


def first_round_reports(seconds_per_score: float) -> list[str]:
    """What round 1 of ablating AdamW (13 removals to try) says while it scores."""
    from dsl.library import load_builtin

    clock = Clock()

    def score(program):
        clock.now += seconds_per_score
        return 1.0

    lines: list[str] = []
    ablate(load_builtin("adamw"), score, 0.0, TASK, 1, progress=lines.append, clock=clock)
    prefix = "  ablation round 1: "
    return [line[len(prefix):].split(" [")[0] for line in lines if line.startswith(prefix)]


def test_an_ablation_round_reports_every_tenth_of_its_removals():
    # A tenth of 13, rounded up, is 2; instant scores never reach 10 s.
    assert first_round_reports(0.0) == [f"{n}/13 removals scored" for n in range(2, 13, 2)]


def test_a_slow_ablation_round_reports_every_ten_seconds():
    assert first_round_reports(11.0) == [f"{n}/13 removals scored" for n in range(1, 13)]


def test_ablation_tuning_reports_at_a_steady_pace():
    import numpy as np

    lines: list[str] = []
    ablate(parse(LION_WITH_USELESS_TANH), lambda program: 1.0, 0.0, TASK, 1,
           tune_rounds=30, rng=np.random.default_rng(0), progress=lines.append,
           clock=Clock())
    tuning = [line.split(" [")[0] for line in lines if line.startswith("  ablation tuning")]
    assert tuning == [f"  ablation tuning: {n}/30 rounds" for n in range(3, 30, 3)]


def test_ablation_is_silent_without_a_progress_callback(capsys):
    ablate(parse(LION_WITH_USELESS_TANH), lambda program: 1.0, 0.01, TASK, 1)
    assert capsys.readouterr() == ("", "")


def test_eval_says_it_compiles_before_it_scores():
    result = optsearch("eval", "adamw", "--task", TASK, "--seeds", "1")
    assert result.returncode == 0, result.stderr
    err = result.stderr.splitlines()
    assert err[0] == f"compiling {TASK} (1 seeds)..."
    assert err[1].startswith("compiled in ") and err[1].endswith("scoring...")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def stage_lines(num_programs: int, seconds_each: float) -> list[str]:
    """The lines a funnel stage logs scoring `num_programs`, each taking `seconds_each`."""
    from types import SimpleNamespace

    from dsl.library import load_builtin
    from funnel.stages import _evaluate
    from search.records import Result

    clock = Clock()

    class Timed:
        def __init__(self):
            self.queue = []

        def submit(self, candidate, spec=None):
            self.queue.append(candidate)

        def collect(self):
            clock.now += seconds_each
            return [(self.queue.pop(0), Result("ok", 1.0, {}))]

    store = SimpleNamespace(record_stage_evaluation=lambda *args: None)
    stage = SimpleNamespace(name="tenx")
    spec = SimpleNamespace(task_weights=(("t", 1.0),), num_seeds=1)
    todo = [(i, load_builtin("adamw"), "candidate") for i in range(num_programs)]
    lines: list[str] = []
    _evaluate(store, Timed(), spec, stage, 0, todo, lines.append, clock=clock)
    return lines


def test_a_funnel_stage_reports_every_tenth_of_its_programs():
    assert stage_lines(40, seconds_each=0.5) == [
        f"  tenx: {n}/40 scored [{n * 0.5:.0f} s]" for n in range(4, 40, 4)
    ]


def test_a_slow_funnel_stage_reports_every_ten_seconds():
    # 100 programs of 4 s each: the tenth (10 programs) would be 40 s apart.
    lines = stage_lines(100, seconds_each=4.0)
    assert [line.split()[1] for line in lines[:3]] == ["3/100", "6/100", "9/100"]
    assert lines[0].endswith("[12 s]")
