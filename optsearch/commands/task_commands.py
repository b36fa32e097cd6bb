"""Commands about tasks and fitness: `eval`, `tasks`, `baselines`."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from search.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="score a program on a task: fitness and cost"
    )
    p.add_argument("program", help="a program file, built-in name (e.g. adamw), or RUN_DIR:ID")
    p.add_argument("--task", required=True, help="a task name (see `optsearch tasks`)")
    p.add_argument("--seeds", type=int, default=4, help="seeds averaged (default 4)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument(
        "--lr-multipliers",
        default="1",
        help="comma-separated lr multipliers; the best counts (default 1)",
    )
    p.add_argument("--max-length", type=int, default=32, help="executor program length")
    p.add_argument("--json", action="store_true", help="machine-readable result")
    p.set_defaults(func=cmd_eval)

    p = subparsers.add_parser("tasks", help="list the task suite with tiers and costs")
    p.add_argument("--tier", help="only this tier (proxy, metaval-10x, metaval-100x)")
    p.add_argument(
        "--all",
        action="store_true",
        help="also list the experiment tasks (kept for docs/lion_experiment_log.md)",
    )
    p.add_argument(
        "--measure",
        action="store_true",
        help="also measure each task's cost (compiles each)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable list")
    p.set_defaults(func=cmd_tasks)

    p = subparsers.add_parser(
        "baselines",
        help="tune optimizers (shipped or found) on every task; write a table and a chart",
    )
    p.add_argument(
        "--tasks", help="comma-separated task names (default: every task of --tiers)"
    )
    p.add_argument(
        "--tiers",
        default="proxy,metaval-10x",
        help="comma-separated tiers (default proxy,metaval-10x)",
    )
    p.add_argument(
        "--programs",
        help="comma-separated programs: built-in names, files or RUN_DIR:ID, each "
        "optionally as LABEL=PROGRAM, or @FILE for a program list (one item a line; "
        "e.g. @configs/rediscover/lion-clean.programs) (default: the five shipped "
        "baselines)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="markdown output (default docs/baselines.md; with --objective, stdout only)",
    )
    p.add_argument(
        "--png", default=None, help="chart output (default: --out with .png)"
    )
    p.add_argument(
        "--objective", metavar="CONFIG",
        help="instead of per-task grids: price each program on this search config's "
        "objective (task mix, lr multipliers, state-slot charge), every constant tuned, "
        "on fresh seeds with spreads",
    )
    p.add_argument("--target", help="with --objective: the label whose lead is tabled")
    p.add_argument("--max-rounds", type=int, default=6,
                   help="with --objective: coordinate-descent rounds of constant tuning "
                   "(0: every program at its own constants; default 6)")
    p.add_argument("--check-seeds", type=int, default=4,
                   help="with --objective: fresh seeds each program is scored on (default 4)")
    p.set_defaults(func=cmd_baselines)


def _parse_floats(text: str, what: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UserError(
            f"{what}: expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise UserError(f"{what}: expected positive numbers, got {text!r}")
    return values


def _check_task(name: str) -> None:
    from proxy_tasks.registry import get_task

    try:
        get_task(name)
    except KeyError as exc:
        raise UserError(exc.args[0]) from None


def cmd_eval(args: argparse.Namespace) -> int:
    from optsearch.targets import load

    program = load(args.program)
    _check_task(args.task)
    if args.seeds < 1:
        raise UserError("--seeds must be at least 1")
    from proxy_tasks.fitness import TaskScorer

    scorer = TaskScorer(
        args.task,
        max_length=args.max_length,
        num_seeds=args.seeds,
        lr_multipliers=_parse_floats(args.lr_multipliers, "--lr-multipliers"),
    )
    print(f"compiling {args.task} ({args.seeds} seeds)...", file=sys.stderr, flush=True)
    compile_s = scorer.warmup()
    print(f"compiled in {compile_s:.1f} s; scoring...", file=sys.stderr, flush=True)
    result = scorer.score(program, args.seed)
    if args.json:
        print(
            json.dumps(
                {
                    "task": args.task,
                    "status": result.status,
                    "fitness": result.fitness
                    if math.isfinite(result.fitness)
                    else None,
                    "metrics": result.metrics,
                    "seconds": result.seconds,
                    "compile_s": compile_s,
                    "message": result.message,
                },
                indent=1,
            )
        )
        return 0
    print(f"task      {args.task} ({scorer.task.tier}, {args.seeds} seeds)")
    print(
        f"status    {result.status}" + (f": {result.message}" if result.message else "")
    )
    print(
        f"fitness   {result.fitness:.4f}   (log(chance / val {scorer.task.metric}); higher is better)"
    )
    for key, value in result.metrics.items():
        print(f"  {key:<20} {value:.4g}")
    print(
        f"cost      {1e3 * result.seconds:.1f} ms per evaluation "
        f"(declared {1e3 * scorer.task.declared_cost_s:.0f} ms for 4 runs, here "
        f"{scorer.num_runs}); compile + warm-up {compile_s:.1f} s"
    )
    return 0


def measured_cost(task_name: str, repeats: int = 3) -> float:
    """Seconds per evaluation of AdamW on `task_name` (default scorer, compile excluded)."""
    from dsl.library import load_builtin
    from proxy_tasks.fitness import TaskScorer

    scorer = TaskScorer(task_name, time_budget_s=math.inf)
    scorer.warmup()
    program = load_builtin("adamw")
    return min(scorer.score(program, seed).seconds for seed in range(repeats))


def cmd_tasks(args: argparse.Namespace) -> int:
    from proxy_tasks.registry import get_task, task_names

    try:
        product = task_names(args.tier)
        every = task_names(args.tier, experiments=True)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    hidden = len(every) - len(product)
    rows = []
    for name in every if args.all else product:
        task = get_task(name)
        rows.append(
            {
                "name": name,
                "tier": task.tier,
                "family": task.family,
                "experiment": name not in product,
                "model": task.model_summary(),
                "declared_cost_s": task.declared_cost_s,
                "measured_cost_s": measured_cost(name) if args.measure else None,
                "num_steps": task.num_steps,
                "batch_size": task.batch_size,
                "metric": f"val_{task.metric}",
                "description": task.description,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(
        f"{'task':<27} {'tier':<12} {'model':<26} {'steps':>5} {'batch':>5} "
        f"{'declared':>9} {'measured':>9}  description"
    )
    for i, r in enumerate(rows):
        if i == len(product):  # with --all: the experiment tasks follow the product's
            print("experiment tasks (kept for docs/lion_experiment_log.md):")
        measured = (
            f"{1e3 * r['measured_cost_s']:7.0f}ms"
            if r["measured_cost_s"] is not None
            else "        -"
        )
        print(
            f"{r['name']:<27} {r['tier']:<12} {r['model']:<26} {r['num_steps']:>5} {r['batch_size']:>5} "
            f"{1e3 * r['declared_cost_s']:7.0f}ms {measured}  {r['description']}"
        )
    shown = (
        f"{len(product)} tasks and {hidden} experiment tasks" if args.all
        else f"{len(rows)} tasks ({hidden} experiment tasks hidden; --all lists them)"
    )
    print(f"{shown}; costs are per evaluation (4 seeds, compile excluded)")
    return 0


def cmd_baselines(args: argparse.Namespace) -> int:
    if args.objective:
        return price_objective(args)
    from proxy_tasks.baselines import (
        BASELINE_PROGRAMS,
        config_table,
        markdown_table,
        plot,
        run_baselines,
    )
    from proxy_tasks.registry import task_names

    if args.tasks:
        names = [n.strip() for n in args.tasks.split(",") if n.strip()]
        for name in names:
            _check_task(name)
    else:
        names = []
        for tier in args.tiers.split(","):
            try:
                names += task_names(tier.strip())
            except ValueError as exc:
                raise UserError(str(exc)) from None
    programs = _labelled_programs(args.programs or ",".join(BASELINE_PROGRAMS))
    out = Path(args.out or "docs/baselines.md")
    png = Path(args.png) if args.png else out.with_suffix(".png")
    start = time.perf_counter()
    total = len(names) * len(programs)
    print(f"tuning {len(programs)} programs on {len(names)} tasks ({total} lr x weight-decay "
          "grids; each task compiles first)...", file=sys.stderr, flush=True)

    def progress(line: str) -> None:
        # A meta-validation task may first tune its proxy: more lines than `total`.
        print(f"[{time.perf_counter() - start:5.0f} s] {line}", flush=True)

    results = run_baselines(names, programs, progress=progress)
    labels = tuple(programs)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# Tuned baselines\n\n"
        "Validation metric (mean ± std over 8 fresh seeds) of each optimizer,\n"
        "with lr multiplier and weight decay tuned on a log grid (`optsearch baselines`;\n"
        'see docs/tasks.md for the protocol). Bold: best per task. "Lion vs AdamW":\n'
        "a win needs a gap larger than the sum of the two seed spreads.\n\n"
        f"{markdown_table(results, labels)}\n\n"
        f"![baselines]({png.name})\n\n"
        "The chart shows each program's fitness minus tuned AdamW's, log(AdamW metric /\n"
        "metric): above 0 beats tuned AdamW, +0.01 is a 1% smaller metric. A bar past the\n"
        "axis is hatched and labelled with its value.\n\n"
        "## Chosen hyperparameters\n\n"
        f"{config_table(results)}\n\n"
        f"_Generated in {time.perf_counter() - start:.0f} s._\n"
    )
    out.write_text(text)
    out.with_suffix(".json").write_text(
        json.dumps([r.__dict__ for r in results], indent=1, default=float)
    )
    plot(results, labels, png)
    print(f"wrote {out}, {out.with_suffix('.json')} and {png}")
    return 0


def price_objective(args: argparse.Namespace) -> int:
    """`baselines --objective CONFIG`: the programs priced on a search objective."""
    from funnel.config import load_run_config
    from proxy_tasks.baselines import BASELINE_PROGRAMS
    from proxy_tasks.objective_prices import Objective, price, price_table

    config = load_run_config(args.objective)
    objective = Objective.of(config)
    for name in objective.weights:
        _check_task(name)
    if args.max_rounds < 0:
        raise UserError("--max-rounds: 0 or more")
    if args.check_seeds < 2:
        raise UserError("--check-seeds: at least 2 (a spread needs two seeds)")
    programs = _labelled_programs(args.programs or ",".join(BASELINE_PROGRAMS))
    if args.target and args.target not in programs:
        raise UserError(f"--target {args.target!r} is not one of the programs' labels")
    start = time.perf_counter()
    prices = []
    for label, program in programs.items():
        print(f"[{time.perf_counter() - start:5.0f} s] tuning {label}...", file=sys.stderr,
              flush=True)
        found = price(program, label, objective, check_seeds=args.check_seeds,
                      max_rounds=args.max_rounds,
                      say=lambda line: print(line, file=sys.stderr, flush=True))
        print(f"[{time.perf_counter() - start:5.0f} s] {label}: {found.mean:.4f} "
              f"± {found.spread:.4f} on {args.check_seeds} fresh seeds", file=sys.stderr,
              flush=True)
        prices.append(found)
    mix = ", ".join(f"{n} x{w:g}" for n, w in objective.weights.items())
    text = (
        f"Objective of `{args.objective}`: {mix}; best of lr x "
        f"{', '.join(f'{m:g}' for m in objective.lr_multipliers)}; "
        f"{objective.slot_cost:g} charged per state slot beyond the first. "
        + (f"Every constant tuned (coordinate descent, up to {args.max_rounds} rounds on 2 "
           "seeds), then scored" if args.max_rounds else "Constants as given, scored")
        + f" on {args.check_seeds} fresh seeds"
        + (f" ({objective.num_seeds} runs averaged per seed, as the search scores)"
           if objective.num_seeds > 1 else "")
        + f": mean ± sample std ({time.perf_counter() - start:.0f} s).\n\n"
        f"{price_table(prices, args.target)}\n"
    )
    print(text, end="")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    return 0


def _labelled_programs(text: str) -> dict:
    """`LABEL=PROGRAM` or `PROGRAM` items, comma-separated, as label -> Program;
    an `@FILE` item stands for the items of a program list (`_listed_items`)."""
    from optsearch.targets import load

    programs = {}
    items = []
    for item in (i.strip() for i in text.split(",")):
        items.extend(_listed_items(item[1:]) if item.startswith("@") else [item])
    for item in items:
        if not item:
            continue
        label, spec = _label_and_spec(item)
        if not label or not spec:
            raise UserError(f"--programs: {item!r} is not LABEL=PROGRAM")
        if label in programs:
            raise UserError(f"--programs: the label {label!r} is used twice")
        programs[label] = load(spec)
    if not programs:
        raise UserError("--programs: no program given")
    return programs


def _listed_items(path_text: str) -> list[str]:
    """The items of a program list file: one `LABEL=PROGRAM` or `PROGRAM` per
    line, `#` starting a comment. A relative program path is read from the
    list's own folder, so a committed list prices the same from any directory;
    anything else (a built-in name, `RUN_DIR:ID`) is passed on as written.

    Raises:
        UserError: the file cannot be read.
    """
    path = Path(path_text)
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--programs: cannot read the program list {path}: "
                        f"{getattr(exc, 'strerror', None) or exc}") from None
    items = []
    for line in lines:
        item = line.partition("#")[0].strip()
        if not item:
            continue
        label, spec = _label_and_spec(item)
        beside = path.parent / spec
        if spec and not Path(spec).is_absolute() and beside.is_file():
            spec = str(beside)
        items.append(f"{label}={spec}" if label else item)
    return items


def _label_and_spec(item: str) -> tuple[str, str]:
    """`LABEL=PROGRAM` as (label, program); a bare `PROGRAM` labels itself."""
    label, sep, spec = (part.strip() for part in item.partition("="))
    return (label, spec) if sep else (item, item)
