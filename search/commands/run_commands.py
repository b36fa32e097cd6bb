"""Commands about runs: `run`, `show RUN_DIR`, `lineage`, `diff`."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import time
import traceback
from pathlib import Path

from search.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run (or resume) a search")
    p.add_argument("config", nargs="?", help="a YAML config, e.g. configs/quickstart.yaml")
    p.add_argument("overrides", nargs="*", help="KEY=VALUE overrides, e.g. population=200")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a killed or finished run")
    p.add_argument("--run-dir", help="where to write the run (default runs/NAME-TIMESTAMP)")
    p.add_argument("--address", help="Ray cluster to join ('auto' or HOST:PORT)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
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
    from search.config import load_config

    if args.resume:
        run_dir = Path(args.resume)
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
            from funnel.commands import smoke  # funnel integration (issue 7)

            config = smoke(config)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_dir = Path(args.run_dir or f"runs/{config.name}-{stamp}")
        if (run_dir / "candidates.sqlite").exists():
            raise UserError(f"{run_dir}: a run is already there; resume it with --resume {run_dir}")
    # A resumed run's config is its own copy, which is launch's default source.
    source = "" if args.resume else args.config
    return launch(config, run_dir, address=args.address, quiet=args.quiet, source=source)


def launch(
    config, run_dir: Path, address: str | None = None, quiet: bool = False, source: str = ""
) -> int:
    """Run the search in `run_dir` (fresh or resumed) and print how it ended.

    `source` names the config file in error messages (default: the run's copy).
    """
    from search.loop import SearchRunner
    from search.progress import Progress
    from search.store import RunStore

    # --- funnel integration (issue 7): validate the funnel/metaval sections,
    # meta-validation as a search hook, the funnel after the search. The CLI is the
    # one place search imports funnel, lazily.
    hooks = []
    if config.funnel or config.metaval:
        from funnel.commands import check_sections, search_hooks

        check_sections(config, source or str(run_dir / "config.yaml"))
        hooks = search_hooks(config)
    evaluator = make_evaluator(config, address)
    store = RunStore(run_dir)
    try:
        store.write_config(config.to_dict())
        progress = Progress(config.max_candidates, enabled=None if not quiet else False)
        runner = SearchRunner(config, store, evaluator, progress, hooks=hooks)
        print(f"run directory: {run_dir}")
        outcome = runner.run()
        funnel_error = None
        if config.funnel and not outcome.interrupted:
            funnel_error = _finish(store, config, evaluator)
    finally:
        evaluator.close()
        store.close()
    print(
        f"{'interrupted' if outcome.interrupted else 'finished'}: {outcome.generated} candidates "
        f"({outcome.evaluated} evaluated, {outcome.cache_hits} cache hits, {outcome.invalid} "
        f"invalid children) in {outcome.wall_s:.1f} s; best fitness {outcome.best_fitness:.6g}"
    )
    print(f"report: {run_dir / 'report'} (best.py, fitness.png, pruning.png)")
    if outcome.interrupted:
        print(f"resume with: optsearch run --resume {run_dir}")
        return 130
    if funnel_error:
        print(f"optsearch run: the funnel failed ({funnel_error}); the search is saved; "
              f"rerun the funnel with: optsearch funnel {run_dir}", file=sys.stderr)
        return 1
    return 0


def _finish(store, config, evaluator) -> str | None:
    """Run the post-search pipeline; on a crash return one line, keeping the details.

    The search is already stored, so a funnel failure must not look like a lost
    run: the traceback goes to `report/funnel_error.txt` and the funnel can be
    re-run alone (it resumes from its recorded evaluations).
    """
    from funnel.commands import finish

    try:
        finish(store, config, evaluator)
    except Exception as exc:  # noqa: BLE001 - reported, with the traceback kept on disk
        store.report_dir.mkdir(parents=True, exist_ok=True)
        (store.report_dir / "funnel_error.txt").write_text(traceback.format_exc())
        return f"{type(exc).__name__}: {exc}; details in {store.report_dir / 'funnel_error.txt'}"
    return None


def make_evaluator(config, address: str | None):
    """The evaluator the config asks for; unknown tasks are a user error."""
    from search.scoring import ScorerSpec, validate_tasks

    spec = ScorerSpec.from_config(config)
    try:
        validate_tasks(spec)
    except KeyError as exc:
        raise UserError(f"tasks.proxy: {exc.args[0]}") from None
    if config.evaluator.kind == "ray" or address:
        from search.ray_evaluator import RayEvaluator

        return RayEvaluator(spec, config.evaluator, address=address or config.evaluator.address)
    from search.evaluators import SerialEvaluator

    return SerialEvaluator(spec)


# -- inspection -----------------------------------------------------------------


def open_store(run_dir: str):
    from search.store import RunStore

    path = Path(run_dir)
    if not (path / "candidates.sqlite").is_file():
        raise UserError(f"{run_dir}: not a run directory (no candidates.sqlite)")
    return RunStore(path)


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
        from funnel.commands import final_fields  # funnel integration (issue 7)

        summary.update(final_fields(args.target))
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
    from search.commands.program_commands import candidate_text, load

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

