"""Benchmark: end-to-end serial search speed and where its wall time goes.

Runs a real search (the quickstart config's tasks, a short budget) in a temporary
run directory with the serial evaluator, after compiling the scorer once, and
reports candidates per second and the fraction of wall time spent outside
evaluation (mutation, analysis, hashing, cache, run store, checkpoints, report).
One-time process costs (XLA compile, matplotlib import) are paid before timing.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from search.config import load_config
from search.evaluators import SerialEvaluator
from search.scoring import ScorerSpec

#: The quickstart config's name under `configs/` (the checkout's, or the copy a
#: non-editable install puts under <prefix>/share/optsearch).
QUICKSTART = "quickstart.yaml"


class _TimedEvaluator(SerialEvaluator):
    """The serial evaluator, adding up the seconds spent scoring."""

    def __init__(self, spec):
        super().__init__(spec)
        self.scoring_s = 0.0

    def collect(self):
        started = time.perf_counter()
        results = super().collect()
        self.scoring_s += time.perf_counter() - started
        return results


def _warm_up_plotting() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="x")
    ax.legend()
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def measure_search(num_candidates: int = 400, config_path: Path | None = None) -> dict:
    from dsl.library import configs_dir, load_builtin
    from search.loop import SearchRunner
    from search.store import RunStore

    config_path = config_path or configs_dir() / QUICKSTART
    config = load_config(config_path, [f"max_candidates={num_candidates}"])
    evaluator = _TimedEvaluator(ScorerSpec.from_config(config))
    # One-time process costs stay outside the timed run, as compilation does:
    # the scorer's XLA compile and matplotlib's import and font set-up.
    evaluator.scorer.score(load_builtin("adamw"))
    _warm_up_plotting()
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "run")
        runner = SearchRunner(config, store, evaluator)
        started = time.perf_counter()
        outcome = runner.run()
        wall = time.perf_counter() - started
        store.close()
    return {
        "search_candidates": outcome.generated,
        "search_evaluated": outcome.evaluated,
        "search_cache_hits": outcome.cache_hits,
        "search_wall_s": wall,
        "search_candidates_per_s": outcome.generated / wall,
        "search_overhead_fraction": 1.0 - evaluator.scoring_s / wall,
    }
