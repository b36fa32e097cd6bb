"""The live progress line of a running search.

Owns what a user watching a terminal sees: one line rewritten in place with
candidates done out of the budget, rate, best fitness, cache hit rate and
redundant-statement fraction. Quiet when stderr is not a terminal (logs and CI
stay clean); `optsearch show RUN` gives the same figures at any time.
"""

from __future__ import annotations

import sys
import time


class Progress:
    """A progress bar on stderr, redrawn at most every `interval_s` seconds."""

    def __init__(self, total: int, enabled: bool | None = None, interval_s: float = 0.2):
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.interval_s = interval_s
        self.started = time.time()
        self.start_count: int | None = None
        self.last_draw = 0.0
        self.drawn = False

    def update(self, evolution) -> None:
        if not self.enabled:
            return
        now = time.time()
        if now - self.last_draw < self.interval_s:
            return
        self.last_draw = now
        counters = evolution.counters
        if self.start_count is None:
            self.start_count = counters.generated
        rate = (counters.generated - self.start_count) / max(now - self.started, 1e-9)
        done = min(counters.generated / max(self.total, 1), 1.0)
        width = 24
        bar = "#" * int(done * width) + "-" * (width - int(done * width))
        best = evolution.best.fitness if evolution.best else float("nan")
        hit_rate = counters.cache_hits / counters.told if counters.told else 0.0
        line = (
            f"\r[{bar}] {counters.generated}/{self.total} {rate:6.1f} cand/s "
            f"best {best:.4f}  cache hits {hit_rate:4.0%}  redundant "
            f"{evolution.redundant_fraction:4.0%}"
        )
        sys.stderr.write(line)
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
