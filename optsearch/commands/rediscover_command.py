"""`optsearch rediscover`: the rediscovery benchmark (`optsearch.rediscovery`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from optsearch.rediscovery.arms import ARMS
from search.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rediscover",
        help="run a known optimizer's frozen config over seeds (and controls); "
        "table the seeds that re-derived it",
    )
    p.add_argument("target", nargs="?", help="a target (see --list), e.g. lion")
    p.add_argument("overrides", nargs="*",
                   help="KEY=VALUE changes to the frozen config (the tables name them)")
    p.add_argument("--seeds", default="10-19", help="e.g. 10-19 or 10,12 (default 10-19)")
    p.add_argument("--arms", default="search",
                   help="comma-separated (default search): " + ", ".join(ARMS))
    p.add_argument("--runs", default="runs/rediscover", help="folder of the seeds' runs")
    p.add_argument("--out", default="docs/rediscovery",
                   help="folder of the archives and tables (default docs/rediscovery)")
    p.add_argument("--report-only", metavar="DIR",
                   help="print the tables rebuilt from the archives in DIR; run nothing")
    p.add_argument("--json", action="store_true", help="with --report-only: JSON, not markdown")
    p.add_argument("--walks", action="store_true",
                   help="with --report-only: each seed cut into its walks (the config's "
                   "restarts) and how many walks hit the target")
    p.add_argument("--smoke", action="store_true",
                   help="shrink every budget (as `optsearch run --smoke`): minutes, not hours")
    p.add_argument("--verify", action="store_true",
                   help="rerun archived seeds from scratch (in RUNS/verify) and check that "
                   "each reproduces its archive in everything but timing")
    p.add_argument("--list", action="store_true", help="list the targets")
    p.add_argument("--poll", type=float, default=60.0, metavar="SECONDS",
                   help="seconds between progress lines of a running seed (default 60)")
    p.set_defaults(func=cmd_rediscover)


def cmd_rediscover(args: argparse.Namespace) -> int:
    from optsearch.rediscovery.report import collect_rows, titles, write_tables
    from optsearch.rediscovery.runner import describe, run_seed
    from optsearch.rediscovery.tables import as_json, markdown
    from optsearch.rediscovery.targets import TARGETS, get_target

    if args.list:
        for t in TARGETS.values():
            state = "frozen" if t.frozen() else "draft, not frozen"
            print(f"{t.name:10} {t.title} (config {t.config_path()}, {state}; "
                  f"reference {t.reference})")
        return 0
    if args.report_only and args.walks:
        return report_walks(Path(args.report_only), args.target, args.json)
    if args.report_only:
        rows = collect_rows(Path(args.report_only), args.target)
        if not rows:
            raise UserError(f"{args.report_only}: no archived seeds there")
        print(as_json(rows) if args.json else markdown(rows, titles()), end="")
        return 0
    if not args.target:
        raise UserError("name a target (optsearch rediscover --list), or --report-only DIR")
    target = get_target(args.target)
    if not target.config_path().is_file():
        raise UserError(f"{target.config_path()}: the frozen config of {target.name} is missing")
    if not target.frozen():
        print(f"note: {target.config_path()} is a draft, not frozen: its rows are not "
              "benchmark results", file=sys.stderr)
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    for arm in arms:
        if arm not in ARMS:
            raise UserError(f"--arms: unknown arm {arm!r}; arms: {', '.join(ARMS)}")
    seeds = parse_seeds(args.seeds)
    out, runs = Path(args.out), Path(args.runs)
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if args.verify:
        return verify(target, arms, seeds, runs, out, log, args.poll)
    unfinished = 0
    for arm in arms:
        for seed in seeds:
            extra = [*args.overrides, *(["--smoke"] if args.smoke else [])]
            row = run_seed(target, arm, seed, runs, out, extra, log, args.poll)
            if row is None:
                unfinished += 1
                continue
            log(describe(row))
            write_tables(out)
    rows = collect_rows(out, target.name)
    print(markdown(rows, titles()), end="")
    if unfinished:
        log(f"{unfinished} seed(s) did not finish; rerun the same command to resume them")
        return 1
    return 0


def report_walks(out: Path, target_name: str | None, as_json: bool) -> int:
    """`--report-only DIR --walks`: per target and arm, the walks of every seed."""
    import json

    from optsearch.rediscovery.targets import get_target
    from optsearch.rediscovery.walks import collect_walks, walks_markdown

    groups = collect_walks(out, target_name)
    if not groups:
        raise UserError(f"{out}: no archived seeds there")
    if as_json:
        print(json.dumps({f"{t}/{a}": dict(seeds) for (t, a), seeds in groups.items()},
                         indent=1, sort_keys=True))
        return 0
    for (name, arm), seeds in groups.items():
        print(f"## {name}, {arm}\n\n{walks_markdown(seeds, get_target(name).near_miss_title)}")
    return 0


def verify(target, arms, seeds, runs: Path, out: Path, log, poll_s: float) -> int:
    """`--verify`: 0 if every rerun seed reproduced its archive, 1 otherwise."""
    from optsearch.rediscovery.runner import verify_seed

    failed = 0
    for arm in arms:
        for seed in seeds:
            found = verify_seed(target, arm, seed, runs, out, log, poll_s)
            if found is None:
                failed += 1
            elif found:
                failed += 1
                print(f"{target.name} {arm} seed {seed}: NOT reproduced: {'; '.join(found)}")
            else:
                print(f"{target.name} {arm} seed {seed}: reproduced (every candidate and "
                      "the funnel's result; timing aside)")
    return 1 if failed else 0


def parse_seeds(text: str) -> list[int]:
    """`10-19` or `10,12,14` (or a mix) as a list of seeds.

    Raises:
        UserError: not seeds.
    """
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                low, high = (int(x) for x in part.split("-", 1))
                if high < low:
                    raise ValueError
                seeds.extend(range(low, high + 1))
            elif part:
                seeds.append(int(part))
    except ValueError:
        raise UserError(f"--seeds {text!r}: give seeds as 10-19 or 10,12,14") from None
    if not seeds or min(seeds) < 0:
        raise UserError(f"--seeds {text!r}: give seeds as 10-19 or 10,12,14")
    return list(dict.fromkeys(seeds))
