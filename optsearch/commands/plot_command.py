"""`optsearch plot RUN...`: several runs (seeds) of a search on one axis, against the
seed program's and tuned baselines' fitness (`search.compare`)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from optsearch.targets import open_store
from search.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "plot",
        help="several runs on one axis: best fitness, mean and spread (Fig. 2 left)",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories or names")
    p.add_argument(
        "--out", default="runs.png", help="the PNG to write (default runs.png)"
    )
    p.add_argument(
        "--baseline", action="append", default=[], metavar="LABEL=FITNESS",
        help="a horizontal line for a tuned baseline's fitness (repeatable)",
    )
    p.add_argument(
        "--baselines", metavar="JSON",
        help="tuned baselines from `optsearch baselines --out FILE.md` "
        "(its FILE.json), on the runs' tasks",
    )
    p.set_defaults(func=cmd_plot)


def parse_baseline(text: str) -> tuple[str, float]:
    """`LABEL=FITNESS` -> (label, fitness)."""
    label, sep, value = text.partition("=")
    try:
        fitness = float(value)
    except ValueError:
        fitness = math.nan
    if not sep or not label.strip() or not math.isfinite(fitness):
        raise UserError(f"--baseline {text!r}: expected LABEL=FITNESS, e.g. lion=2.31")
    return label.strip(), fitness


def cmd_plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from search.compare import baselines_from_file, compare, comparison_figure

    baselines = dict(parse_baseline(b) for b in args.baseline)
    stores = []
    try:
        for name in args.runs:
            stores.append((name, open_store(name)))
        comparison = compare(stores)
        seed_label = _seed_program(stores[0][1])
    finally:
        for _, store in stores:
            store.close()
    if args.baselines:
        found = baselines_from_file(args.baselines, comparison.tasks)
        if not found:
            raise UserError(
                f"{args.baselines}: no program tuned on every task of the runs "
                f"({', '.join(comparison.tasks) or 'unknown'})"
            )
        baselines = {**found, **baselines}  # a --baseline given by hand wins
    out = Path(args.out)
    if out.parent != Path("") and not out.parent.is_dir():
        raise UserError(f"--out {out}: no directory {out.parent}")
    fig = comparison_figure(comparison, baselines, seed_label)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)
    n = comparison.told[-1]
    for run in comparison.runs:
        print(f"{run.name}: {run.best.size} candidates, best {run.best[-1]:.6g}, "
              f"seed {_number(run.seed_fitness)}")
    print(f"after {n} candidates: mean best {comparison.mean[-1]:.6g} "
          f"(min {comparison.low[-1]:.6g}, max {comparison.high[-1]:.6g}) over "
          f"{len(comparison.runs)} runs")
    for label, value in baselines.items():
        print(f"baseline {label}: {value:.6g}")
    print(f"wrote {out}")
    return 0


def _number(value: float | None) -> str:
    return "failed" if value is None else f"{value:.6g}"


def _seed_program(store) -> str:
    import yaml

    try:
        raw = yaml.safe_load(store.config_path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return ""
    name = raw.get("seed_program") if isinstance(raw, dict) else None
    return str(name) if name else ""
