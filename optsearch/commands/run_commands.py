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
from search.progress import DEFAULT_STATUS_EVERY_S


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
        "--status-every",
        type=_seconds,
        default=DEFAULT_STATUS_EVERY_S,
        metavar="SECONDS",
        help="when stderr is not a terminal, a status line every SECONDS or every tenth "
        f"of the budget, whichever comes first (default {DEFAULT_STATUS_EVERY_S:g})",
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
    p.add_argument(
        "--raw", action="store_true",
        help="compare the texts as written, not the simplified programs",
    )
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
        if args.run_dir:
            from search.fresh_run import check_fresh_target

            check_fresh_target(run_dir)
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
    """`optsearch show RUN_DIR`: summary, hall of fame, funnel verdict."""
    from optsearch.pipeline import read_final
    from search.summary import hall_of_fame, run_summary

    store = open_store(args.target)
    try:
        summary = run_summary(store)
        hall = hall_of_fame(store, getattr(args, "top", 5) or 5)
        failures = store.failures_by_status()
        invalid = store.invalid_by_reason()
        seed = store.candidate_result(0)
    finally:
        store.close()
    final = read_final(store.dir) or {}
    if getattr(args, "csv", False):
        _print_hall_csv(hall)
        return 0
    if args.json:
        summary["final_program"] = final.get("final_program")
        summary["lion_family"] = final.get("lion_family")
        summary["seed_fitness"] = seed[0] if seed else None
        summary["failures_by_status"] = failures
        summary["invalid_by_reason"] = [{"reason": r, "count": n} for r, n in invalid]
        summary["funnel"] = final.get("funnel")
        summary["passed_funnel"] = final.get("passed_funnel")
        summary["winner_id"] = final.get("winner_id")
        summary["survivors"] = final.get("survivors") or []
        summary["top"] = [
            {"id": h.id, "fitness": h.fitness, "program": h.text, "gain": h.gain,
             "task_fitness": h.task_fitness, "val_loss": h.val_loss, "live": h.live, "slots": h.slots,
             "one_liner": h.one_liner, "simplified": h.simplified}
            for h in hall
        ]
        print(json.dumps(summary, indent=1))
        return 0
    print(f"run {summary['run_dir']}")
    print(
        f"  candidates {summary['generated']}: {summary['evaluated']} evaluated, "
        f"{summary['cache_hits']} cache hits ({summary['cache_hit_rate']:.0%}), "
        f"{summary['failed']} failed; {summary['invalid']} invalid children rejected"
    )
    if failures:
        print("  failed by reason: " + ", ".join(f"{n} {s}" for s, n in failures.items()))
    if invalid:
        print("  invalid children, commonest reasons: "
              + "; ".join(f"{n} x {r}" for r, n in invalid))
    print(
        f"  redundant statements {summary['redundant_fraction']:.0%}, restarts "
        f"{summary['restarts']}, elapsed {summary['wall_s']:.1f} s, nodes {summary['nodes']}"
    )
    best = summary["best_fitness"]
    print(f"  best fitness {best:.6g}" if best is not None else "  no successful evaluation yet")
    if seed is not None:
        shown = "failed" if seed[0] is None else f"{seed[0]:.6g}"
        print(f"  seed program (candidate 0) fitness {shown}")
    if hall:
        print()
        _print_hall(hall)
    print()
    print(_funnel_text(final, args.target))
    return 0


def _print_hall(hall) -> None:
    tasks = list(hall[0].val_loss)
    # One task: its fitness is the fitness column, so show its validation loss;
    # several: each task's fitness, which the fitness column weighs together.
    several = len(tasks) > 1
    per_task = [(t, (lambda h, t=t: h.task_fitness[t]) if several
                 else (lambda h, t=t: h.val_loss[t])) for t in tasks]
    what = " fitness per task;" if several else " validation loss (lower is better);"
    print("hall of fame: one row per distinct behaviour, best first; gain over the seed;"
          + (what if tasks else "") + " program simplified")
    header = ["id", "fitness", "gain", *(t if several else f"{t} val_loss" for t in tasks),
              "live", "slots"]
    rows = [
        [str(h.id), f"{h.fitness:.6g}", "-" if h.gain is None else f"{h.gain:+.4g}",
         *("-" if get(h) is None else f"{get(h):.4g}" for _, get in per_task),
         str(h.live), str(h.slots)]
        for h in hall
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    print(line(header) + "  program")
    for h, r in zip(hall, rows):
        print(line(r) + "  " + h.one_liner)


def _print_hall_csv(hall) -> None:
    import csv

    tasks = list(hall[0].val_loss) if hall else []
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["id", "fitness", "gain", *tasks, *(f"{t}/val_loss" for t in tasks),
                  "live", "slots", "program"])
    cell = lambda x: "" if x is None else repr(x)  # noqa: E731
    for h in hall:
        out.writerow([h.id, cell(h.fitness), cell(h.gain),
                      *(cell(h.task_fitness[t]) for t in tasks),
                      *(cell(h.val_loss[t]) for t in tasks),
                      h.live, h.slots, h.one_liner])


def _funnel_text(final: dict, run: str) -> str:
    """The funnel's stages, verdict and final program, or why there are none."""
    from optsearch.pipeline import final_report

    if not final:
        return f"funnel: not run yet (no report/final.json); optsearch funnel {run} runs it"
    lines = []
    for stage in (final.get("funnel") or {}).get("stages", []):
        base = stage.get("baseline_fitness")
        base_text = "" if base is None else f", baseline {base:.6g}"
        promoted = ", ".join(str(i) for i in stage.get("promoted", [])) or "none"
        lines.append(f"funnel stage {stage['name']}: {len(stage.get('entrants', []))} "
                     f"entrants{base_text}; promoted {promoted}")
    if final.get("final_program"):
        lines.append(final_report(final))
    else:
        lines.append("no final program: the search has no successful evaluation")
    return "\n".join(lines)


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


def _simplified_text(spec: str) -> tuple[str, str]:
    from dsl.simplify import simplify
    from optsearch.targets import candidate_text, load

    try:
        return simplify(load(spec)).to_text(), f"{spec} (simplified)"
    except UserError:
        # A stored candidate the checker rejected has no simplified form.
        text = candidate_text(spec)
        if text is None:
            raise
        return text, f"{spec} (as stored: not a valid program)"


def cmd_diff(args: argparse.Namespace) -> int:
    # Simplified by default: dead code, renamings and statement order are not
    # differences in behaviour; --raw shows the stored texts.
    text_of = _program_text if args.raw else _simplified_text
    text_a, name_a = text_of(args.a)
    text_b, name_b = text_of(args.b)
    diff = list(difflib.unified_diff(
        text_a.splitlines(), text_b.splitlines(), name_a, name_b, lineterm=""
    ))
    print("\n".join(diff) if diff else "the programs are identical")
    return 0

