"""`optsearch bench`: the project's performance figures, measured side by side.

Each part lives in `search.bench.<part>` and returns a flat dict of figures; this
command runs the parts asked for in one process, one after the other, so ratios
compare like with like on a shared, noisy machine. `--json` prints one object
merging every part's keys.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time

#: Parts in run order: module and function in `search.bench`.
PARTS = {
    "executor": ("search.bench.executor", "measure_executor"),
    "analysis": ("search.bench.analysis", "measure_analysis_throughput"),
    "tasks": ("search.bench.tasks", "measure_task_costs"),
    "search": ("search.bench.search_loop", "measure_search"),
    "ray": ("search.bench.ray_scaling", "measure_ray"),
    "driver": ("search.bench.driver", "measure_driver"),
}

#: Arguments of a part under `--quick`.
QUICK = {"search": {"num_candidates": 30}, "driver": {"num_candidates": 200, "workers": 4}}


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="measure speed: executor, analysis, tasks, search, Ray, driver")
    p.add_argument("--json", action="store_true", help="print all figures as one JSON object")
    p.add_argument(
        "--only", default=",".join(PARTS),
        help=f"comma-separated parts to run (default all: {','.join(PARTS)})",
    )
    p.add_argument(
        "--quick", action="store_true",
        help="only a 30-candidate search: checks the benchmark runs (e.g. after an "
        "install); its figures mean little",
    )
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from search.errors import UserError

    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    if getattr(args, "quick", False):
        parts = ["search"]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise UserError(f"--only: unknown part(s) {', '.join(unknown)}; valid: {', '.join(PARTS)}")
    figures: dict = {}
    for part in parts:
        module_name, function_name = PARTS[part]
        started = time.time()
        print(f"[bench] {part} ...", file=sys.stderr, flush=True)
        kwargs = QUICK.get(part, {}) if getattr(args, "quick", False) else {}
        result = getattr(importlib.import_module(module_name), function_name)(**kwargs)
        print(f"[bench] {part} done in {time.time() - started:.0f} s", file=sys.stderr, flush=True)
        if not args.json:
            print(f"\n== {part}")
            for key, value in result.items():
                print(f"  {key:<36} {_fmt(value)}")
        figures.update(result)
    if args.json:
        print(json.dumps(figures, indent=1, default=str))
    return 0


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return str(value)
