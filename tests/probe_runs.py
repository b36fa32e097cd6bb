"""Small runs made in milliseconds for the inspection tests (`show`, `plot`).

The probe evaluator (`tests/search/probe_evaluator.py`) scores programs without
training; `TaskProbe` reports that score under a task's name, with a
`TASK/val_loss`, as the real scorers do, and fails the candidates whose probe
update is far off with status "diverged", so a run has failures of two kinds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from search.config import config_from_dict
from search.loop import SearchRunner
from search.records import WORST_FITNESS
from search.store import RunStore
from tests.search.probe_evaluator import ProbeEvaluator

TASK = "toy-task"


class TaskProbe(ProbeEvaluator):
    def collect(self):
        out = []
        for candidate, result in super().collect():
            if result.status == "ok" and result.fitness < -6:
                result = dataclasses.replace(
                    result, status="diverged", fitness=WORST_FITNESS, metrics={},
                    message="probe update far off",
                )
            elif result.status == "ok":
                metrics = {TASK: result.fitness, f"{TASK}/val_loss": 10 ** -result.fitness}
                result = dataclasses.replace(result, metrics=metrics)
            out.append((candidate, result))
        return out


def probe_run(run_dir: Path, seed: int = 0, max_candidates: int = 80, **overrides) -> Path:
    """A finished probe search in `run_dir`, with a `config.yaml` naming its task."""
    raw = {
        "seed": seed, "population": 12, "tournament": 4, "max_candidates": max_candidates,
        "max_length": 12, "checkpoint_every": 20, "report_every": 1000,
        "tasks": {"proxy": {TASK: 1.0}, "executor_length": 12},
    }
    raw.update(overrides)
    config = config_from_dict(raw)
    store = RunStore(run_dir)
    try:
        store.write_config(config.to_dict())
        SearchRunner(config, store, TaskProbe()).run()
    finally:
        store.close()
    return run_dir
