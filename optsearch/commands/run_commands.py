"""Commands about runs: `run`, `show RUN_DIR`, `lineage`, `diff`."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import time
from pathlib import Path

from optsearch.targets import open_store, resolve_run
from search.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run (or resume) a search")
    p.add_argument("config", nargs="?", help="a YAML config, e.g. configs/quickstart.yaml")
    p.add_argument("overrides", nargs="*", help="KEY=VALUE overrides, e.g. population=200")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a killed or finished run")
    p.add_argument("--run-dir", help="where to write the run (default runs/NAME-TIMESTAMP)")
    p.add_argument("--address", help="Ray cluster to join ('auto' or HOST:PORT)")
    add_connect_timeout(p)
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar, status lines or stage notes"
    )
    p.add_argument(
        "--status-every", type=_seconds, default=30.0, metavar="SECONDS",
        help="when stderr is not a terminal, a status line every SECONDS (default 30)",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help="shrink every budget (population, candidates, seeds, funnel) to run in minutes",
    )
    p.set_defaults(func=cmd_run)

    p = subparsers.add_parser("lineage", help="the chain of mutations from the seed to a program")
    p.add_argument("run_dir")
    p.add_argument("id", type=int, help="candidate id (see `optsearch show RUN_DIR`)")
    p.set_defaults(func=cmd_lineage)

    p = subparsers.add_parser("diff", help="what changed between two programs")
    p.add_argument("a", help="program file, built-in name, or RUN_DIR:ID")
    p.add_argument("b", help="program file, built-in name, or RUN_DIR:ID")
    p.set_defaults(func=cmd_diff)


# -- run ------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from funnel.config import load_run_config as load_config

    if args.resume:
        run_dir = resolve_run(args.resume) or Path(args.resume)
        config_path = run_dir / "config.yaml"
        if not config_path.is_file():
            raise UserError(f"{run_dir}: not a run directory (no config.yaml)")
        overrides = ([args.config] if args.config else []) + args.overrides
        config = load_config(config_path, overrides)
    else:
        if not args.config:
            raise UserError("give a config file (e.g. configs/quickstart.yaml) or --resume RUN_DIR")
        config = load_config(args.config, args.overrides)
        if getattr(args, "smoke", False):
            from funnel.smoke import smoke_config

            config = smoke_config(config)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_dir = Path(args.run_dir or f"runs/{config.name}-{stamp}")
        if (run_dir / "candidates.sqlite").exists():
            raise UserError(f"{run_dir}: a run is already there; resume it with --resume {run_dir}")
    # A resumed run's config is its own copy, which is launch's default source.
    source = "" if args.resume else args.config
    return launch(
        config, run_dir, address=args.address, quiet=args.quiet, source=source,
        fresh=not args.resume, connect_timeout_s=args.connect_timeout,
        status_every_s=args.status_every,
    )


def add_connect_timeout(parser) -> None:
    parser.add_argument(
        "--connect-timeout", type=_seconds, default=15.0, metavar="SECONDS",
        help="how long to wait for the --address cluster before giving up (default 15)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def launch(
    config, run_dir: Path, address: str | None = None, quiet: bool = False, source: str = "",
    fresh: bool = False, connect_timeout_s: float | None = None,
    status_every_s: float | None = None,
) -> int:
    """Run the pipeline in `run_dir` (fresh or resumed) and print how it ended.

    `source` names the config file in error messages (default: the run's copy);
    `fresh` refuses a directory that already holds a run.
    """
    from optsearch import pipeline

    ended = pipeline.run(
        config, run_dir, address=address, quiet=quiet, source=source, fresh=fresh,
        connect_timeout_s=connect_timeout_s, status_every_s=status_every_s,
        # Flushed: in a log shared with stderr, lines keep their order.
        log=lambda line: print(line, flush=True),
    )
    outcome = ended.search
    print(
        f"{'interrupted' if outcome.interrupted else 'finished'}: {outcome.generated} candidates "
        f"({outcome.evaluated} evaluated, {outcome.cache_hits} cache hits, {outcome.invalid} "
        f"invalid children) in {outcome.wall_s:.1f} s; best fitness {outcome.best_fitness:.6g}"
    )
    print(f"report: {run_dir / 'report'} (best.py, fitness.png, pruning.png)")
    if outcome.interrupted:
        print(f"resume with: optsearch run --resume {run_dir}")
        return 130
    if ended.funnel_error:
        print(f"optsearch run: the funnel failed ({ended.funnel_error}); the search is saved; "
              f"rerun the funnel with: optsearch funnel {run_dir}", file=sys.stderr)
        return 1
    return 0


# -- inspection -----------------------------------------------------------------


def show_run(args: argparse.Namespace) -> int:
    """`optsearch show RUN_DIR`: summary and top programs."""
    from search.summary import run_summary, top_programs

    store = open_store(args.target)
    try:
        summary = run_summary(store)
        top = top_programs(store, getattr(args, "top", 5) or 5)
    finally:
        store.close()
    if args.json:
        from optsearch.pipeline import read_final

        final = read_final(store.dir) or {}
        summary["final_program"] = final.get("final_program")
        summary["lion_family"] = final.get("lion_family")
        summary["top"] = [{"id": t.id, "fitness": t.fitness, "program": t.text} for t in top]
        print(json.dumps(summary, indent=1))
        return 0
    print(f"run {summary['run_dir']}")
    print(
        f"  candidates {summary['generated']}: {summary['evaluated']} evaluated, "
        f"{summary['cache_hits']} cache hits ({summary['cache_hit_rate']:.0%}), "
        f"{summary['failed']} failed; {summary['invalid']} invalid children rejected"
    )
    print(
        f"  redundant statements {summary['redundant_fraction']:.0%}, restarts "
        f"{summary['restarts']}, elapsed {summary['wall_s']:.1f} s, nodes {summary['nodes']}"
    )
    best = summary["best_fitness"]
    print(f"  best fitness {best:.6g}" if best is not None else "  no successful evaluation yet")
    for rank, t in enumerate(top, 1):
        print(f"\n# {rank}. candidate {t.id}, fitness {t.fitness:.6g}")
        print(t.text, end="")
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from search.summary import lineage

    store = open_store(args.run_dir)
    try:
        chain = lineage(store, args.id)
    except KeyError as exc:
        raise UserError(exc.args[0]) from None
    finally:
        store.close()
    previous = None
    for step in chain:
        fitness = "failed" if step.fitness is None else f"{step.fitness:.6g}"
        print(f"# candidate {step.id} ({step.mutation}) fitness {fitness} [{step.status}]")
        if previous is None:
            print(step.text, end="")
        else:
            for line in _changed_lines(previous, step.text):
                print(f"    {line}")
        previous = step.text
    return 0


def _changed_lines(a: str, b: str) -> list[str]:
    diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
    return [l for l in diff if l[:1] in "+-" and not l.startswith(("+++", "---"))]


def _program_text(spec: str) -> tuple[str, str]:
    from optsearch.targets import candidate_text, load

    # A stored candidate is shown as stored, even one the checker rejected.
    text = candidate_text(spec)
    return (text if text is not None else load(spec).to_text()), spec


def cmd_diff(args: argparse.Namespace) -> int:
    text_a, name_a = _program_text(args.a)
    text_b, name_b = _program_text(args.b)
    diff = list(difflib.unified_diff(
        text_a.splitlines(), text_b.splitlines(), name_a, name_b, lineterm=""
    ))
    print("\n".join(diff) if diff else "the programs are identical")
    return 0

