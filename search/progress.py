"""What a user sees of a running search while it runs.

Owns the live report on stderr, in one of two forms chosen by where stderr goes:
- a terminal: one line rewritten in place, with candidates done out of the
  budget, rate, best fitness, cache hit rate, redundant-statement fraction and ETA;
- a file or pipe (logs, `nohup`, `ray job submit`): a plain status line with the
  same figures every `status_every_s` seconds or every tenth of the budget,
  whichever comes first, so a log shows a short run moving as well as a long one.
`note` prints a one-off line about a slow step (compiling, a funnel stage), in
either form. `--quiet` turns all of it off; `optsearch show RUN` gives the same
figures at any time. `Pace` is the steady interval itself, which the funnel's
stages and ablation use for their own status lines.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

#: Seconds between two status lines when stderr is not a terminal, at most.
DEFAULT_STATUS_EVERY_S = 10.0
#: The share of the work between two status lines, at most.
STATUS_FRACTION = 0.1


def format_duration(seconds: float) -> str:
    """`42s`, `3m05s` or `2h07m`: an ETA a person reads at a glance."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Pace:
    """When the next status line is due: `every_s` seconds or `every_n` units of
    work after the last one, whichever comes first.

    `every_n` defaults to a tenth of `total` (at least 1). The time is read only
    when asked, so a line can come no sooner than the next unit of work reports.
    """

    def __init__(
        self,
        total: int,
        every_s: float = DEFAULT_STATUS_EVERY_S,
        every_n: int | None = None,
        clock=time.monotonic,
    ):
        self.every_s = every_s
        self.every_n = every_n or max(1, math.ceil(total * STATUS_FRACTION))
        self.clock = clock
        self.restart(0)

    def restart(self, done: int) -> None:
        """Count the interval from now, with `done` units of work done."""
        self.last_time, self.last_done = self.clock(), done

    def due(self, done: int) -> bool:
        """Whether a line is due with `done` units done (then the interval restarts)."""
        now = self.clock()
        if now - self.last_time < self.every_s and done - self.last_done < self.every_n:
            return False
        self.last_time, self.last_done = now, done
        return True


class Progress:
    """Progress of one search on `stream` (stderr): a bar on a terminal, plain
    status lines elsewhere, nothing when disabled."""

    def __init__(
        self,
        total: int,
        enabled: bool | None = None,
        interval_s: float = 0.2,
        status_every_s: float = DEFAULT_STATUS_EVERY_S,
        stream: TextIO | None = None,
        clock=time.monotonic,
        status_every_n: int | None = None,
    ):
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = True if enabled is None else enabled
        # A terminal gets the bar; anything else gets status lines.
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval_s = interval_s
        self.pace = Pace(total, status_every_s, status_every_n, clock)
        self.clock = clock
        self.started = clock()
        self.start_count: int | None = None
        self.last_draw = self.started
        self.drawn = False  # a bar is on screen (a newline is owed)

    def update(self, evolution) -> None:
        """Report the search's state if the interval has passed."""
        if not self.enabled:
            return
        now = self.clock()
        counters = evolution.counters
        if self.start_count is None:
            # Rates count this session's candidates only (a resume starts midway).
            self.start_count = counters.generated
            self.started = self.last_draw = now
            self.pace.restart(counters.generated)
            return
        if self.tty:
            if now - self.last_draw < self.interval_s:
                return
        elif not self.pace.due(counters.generated):
            return
        self.last_draw = now
        figures = self.figures(evolution, now)
        if self.tty:
            done = min(counters.generated / max(self.total, 1), 1.0)
            width = 24
            bar = "#" * int(done * width) + "-" * (width - int(done * width))
            self.stream.write(f"\r[{bar}] {figures}")
            self.drawn = True
        else:
            self.stream.write(f"{time.strftime('%H:%M:%S')} {figures}\n")
        self.stream.flush()

    def figures(self, evolution, now: float) -> str:
        """Candidates, rate, best, cache hits, redundancy and ETA, as one line."""
        counters = evolution.counters
        elapsed = max(now - self.started, 1e-9)
        rate = (counters.generated - (self.start_count or 0)) / elapsed
        remaining = max(self.total - counters.generated, 0)
        eta = remaining / rate if rate > 0 else math.inf
        best = evolution.best.fitness if evolution.best else float("nan")
        hit_rate = counters.cache_hits / counters.told if counters.told else 0.0
        return (
            f"{counters.generated}/{self.total} candidates {rate:6.1f}/s "
            f"best {best:.4f}  cache hits {hit_rate:4.0%}  redundant "
            f"{evolution.redundant_fraction:4.0%}  ETA {format_duration(eta)}"
        )

    def note(self, line: str) -> None:
        """One line about a slow step (below the bar on a terminal)."""
        if not self.enabled:
            return
        if self.drawn:
            self.stream.write("\n")
            self.drawn = False
        self.stream.write(f"{line}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
