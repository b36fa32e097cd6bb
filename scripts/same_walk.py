"""Does the evaluator change the walk? Run one config serially and on 1 and 2 Ray workers.

    python scripts/same_walk.py configs/lion.yaml --runs runs/same-walk max_candidates=400 seed=1

Each run is a real `optsearch run` (funnel off) into RUNS/serial, RUNS/ray-1 and
RUNS/ray-2; then their candidate tables (id, parent, mutation, program, status,
fitness, cache hit, told order) are compared row for row. Prints one line per
evaluator with its wall time and whether its table is the serial one, and exits
1 at the first difference (naming the candidate id). A run directory that exists
is resumed: a killed run continues, a finished one returns at once, so a rerun
only compares.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

COLUMNS = "id, parent_id, mutation, program, status, fitness, cache_hit, told_seq"
CACHE_HIT = COLUMNS.split(", ").index("cache_hit")
EVALUATORS = {
    "serial": ["evaluator.kind=serial"],
    "ray-1": ["evaluator.kind=ray", "evaluator.workers=1"],
    "ray-2": ["evaluator.kind=ray", "evaluator.workers=2"],
}


def candidate_table(run_dir: Path) -> list[tuple]:
    """Every candidate row of a run, by id, read-only."""
    uri = f"file:{run_dir / 'candidates.sqlite'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        return db.execute(f"SELECT {COLUMNS} FROM candidates ORDER BY id").fetchall()


def first_difference(a: list[tuple], b: list[tuple]) -> str | None:
    """Where two candidate tables first differ, in words; None when equal."""
    for row_a, row_b in zip(a, b):
        if row_a != row_b:
            fields = [c for c, x, y in zip(COLUMNS.split(", "), row_a, row_b) if x != y]
            return f"candidate {row_a[0]} differs in {', '.join(fields)}"
    if len(a) != len(b):
        return f"{len(a)} rows against {len(b)}"
    return None


def run(config: str, run_dir: Path, overrides: list[str]) -> float:
    """Seconds an `optsearch run` into `run_dir` took: fresh, or resumed where it
    exists (a finished run's report is no sign of the end: a killed run writes one)."""
    if run_dir.exists():  # a killed run resumes under the config it recorded
        argv = [sys.executable, "-m", "optsearch", "run", "--resume", str(run_dir)]
    else:
        argv = [sys.executable, "-m", "optsearch", "run", config, "funnel=null", *overrides,
                "--run-dir", str(run_dir)]
    started = time.perf_counter()
    with open(run_dir.with_suffix(".log"), "a") as log:
        code = subprocess.call(argv, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        raise SystemExit(f"same_walk: {run_dir} failed (exit {code}); see {run_dir.with_suffix('.log')}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--runs", default="runs/same-walk", help="folder of the three runs")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. max_candidates=400 seed=1")
    args = parser.parse_intermixed_args(argv)  # options may follow the overrides
    runs = Path(args.runs)
    runs.mkdir(parents=True, exist_ok=True)
    reference = None
    for name, evaluator in EVALUATORS.items():
        seconds = run(args.config, runs / name, [*args.overrides, *evaluator])
        table = candidate_table(runs / name)
        evaluated = sum(1 for row in table if row[CACHE_HIT] == 0)
        if reference is None:
            reference = table
            verdict = "the reference"
        else:
            difference = first_difference(reference, table)
            verdict = "same table as serial" if difference is None else f"DIFFERS: {difference}"
        print(f"{name:7s} {len(table):6d} candidates  {evaluated:5d} evaluated"
              f"  {seconds:7.1f} s  {verdict}", flush=True)
        if verdict.startswith("DIFFERS"):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
