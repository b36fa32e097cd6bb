"""What a user sees while a search runs: a bar with an ETA on a terminal, plain
status lines at a steady interval in a log, notes about slow steps, nothing when
quiet."""

from __future__ import annotations

import io
from types import SimpleNamespace

from search.progress import Pace, Progress, format_duration
from tests.cli import optsearch
from tests.test_cli_runs import CONFIG


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def search_at(generated: int, best: float = 1.25):
    counters = SimpleNamespace(generated=generated, told=generated, cache_hits=generated // 4)
    return SimpleNamespace(
        counters=counters, best=SimpleNamespace(fitness=best), redundant_fraction=0.1
    )


def test_a_log_gets_a_plain_status_line_at_each_interval_when_candidates_are_slow():
    clock, log = Clock(), io.StringIO()
    progress = Progress(1000, status_every_s=10, stream=log, clock=clock)
    progress.update(search_at(0))  # the session starts counting here
    for second in range(1, 91):
        clock.now += 1
        progress.update(search_at(second * 1))  # a tenth of the budget takes 100 s
    lines = log.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == [f"{s}/1000" for s in range(10, 91, 10)]
    assert "\r" not in log.getvalue()
    last = lines[-1]
    assert "90/1000 candidates" in last and "1.0/s" in last
    assert "best 1.2500" in last and "cache hits  24%" in last
    assert "ETA 15m10s" in last  # 910 left at 1 per second


def test_a_log_gets_a_status_line_every_tenth_of_the_budget_when_candidates_are_fast():
    clock, log = Clock(), io.StringIO()
    progress = Progress(1000, status_every_s=10, stream=log, clock=clock)
    progress.update(search_at(0))
    for second in range(1, 21):
        clock.now += 1
        for k in range(50):  # 50 candidates a second, each reported as it is told
            progress.update(search_at((second - 1) * 50 + k + 1))
    lines = log.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == [f"{n}/1000" for n in range(100, 1001, 100)]


def test_the_pace_is_whichever_comes_first_of_the_interval_and_the_share_of_work():
    clock = Clock()
    pace = Pace(200, every_s=10, clock=clock)
    assert pace.every_n == 20  # a tenth of 200
    assert not pace.due(19)
    assert pace.due(20)  # the work first
    clock.now += 9.9
    assert not pace.due(21)
    clock.now += 0.1
    assert pace.due(22)  # then the time, counted from the last line
    assert not pace.due(41) and pace.due(42)
    assert Pace(5).every_n == 1 and Pace(0).every_n == 1  # never less than 1


def test_a_terminal_gets_a_bar_with_an_eta_and_notes_below_it():
    clock, screen = Clock(), Terminal()
    progress = Progress(100, stream=screen, clock=clock)
    progress.update(search_at(0))
    clock.now += 10
    progress.update(search_at(20))
    assert screen.getvalue().startswith("\r[####")
    assert "ETA 40s" in screen.getvalue()
    progress.note("funnel stage 1/2: 8 programs...")
    assert screen.getvalue().endswith("\nfunnel stage 1/2: 8 programs...\n")
    progress.close()


def test_quiet_prints_nothing():
    clock, log = Clock(), io.StringIO()
    progress = Progress(10, enabled=False, status_every_s=1, stream=log, clock=clock)
    progress.update(search_at(0))
    clock.now += 5
    progress.update(search_at(5))
    progress.note("compiling")
    progress.close()
    assert log.getvalue() == ""


def test_durations_read_at_a_glance():
    assert [format_duration(s) for s in (5, 185, 7620, float("inf"))] == [
        "5s", "3m05s", "2h07m", "?",
    ]


def test_a_run_logged_to_a_file_says_what_it_does_and_how_far_it_is(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG.format(budget=40))
    result = optsearch(
        "run", str(config), "--run-dir", str(tmp_path / "r"), "--status-every", "0.001"
    )
    assert result.returncode == 0, result.stderr
    err = result.stderr.splitlines()
    assert err[0] == "scoring the seed program (compiling 1 task on first use, typically 10-30 s)..."
    assert err[1].startswith("seed fitness ") and "searching 40 candidates" in err[1]
    status = [line for line in err[2:] if "/40 candidates" in line]
    assert status and all("ETA" in line and "best" in line for line in status)


def test_a_resumed_run_says_where_it_picks_up(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG.format(budget=20))
    first = optsearch("run", str(config), "--run-dir", str(tmp_path / "r"))
    assert first.returncode == 0, first.stderr
    resumed = optsearch("run", "--resume", str(tmp_path / "r"), "max_candidates=30")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.splitlines()[:2] == [
        f"{tmp_path / 'r'}: resuming with a changed config: max_candidates 20 -> 30",
        "resuming at 20 of 30 candidates (the first evaluation compiles 1 task again)...",
    ]
