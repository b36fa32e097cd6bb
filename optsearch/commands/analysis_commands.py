"""Commands about what programs compute: `equiv` and `simplify`.

`equiv A B` decides whether two programs are the same optimizer (exit 0), differ
(exit 1, naming the first step and the size of the difference) or could not be
compared (exit 2, bad input). `simplify P` prints an equivalent, shorter,
canonical program. The work is done by `dsl.equivalence` and `dsl.simplify`.
"""

from __future__ import annotations

import argparse

from optsearch.targets import load
from search.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "equiv",
        help="decide whether two programs are the same optimizer (exit 0 yes, 1 no)",
    )
    p.add_argument("first", help="a program file, built-in name, or RUN_DIR:ID")
    p.add_argument("second", help="a program file, built-in name, or RUN_DIR:ID")
    p.add_argument("--seeds", type=int, default=4, help="independent runs (default 4)")
    p.add_argument("--steps", type=int, default=30, help="steps per run (default 30)")
    p.add_argument(
        "--rtol",
        type=float,
        default=1e-6,
        help="tolerance relative to the step's largest update (default 1e-6)",
    )
    p.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance")
    p.set_defaults(func=cmd_equiv)

    p = subparsers.add_parser(
        "simplify", help="print an equivalent, shorter, canonical program"
    )
    p.add_argument("program", help="a program file, built-in name, or RUN_DIR:ID")
    p.add_argument(
        "--verify",
        action="store_true",
        help="also run the equivalence check against the input (reported on stderr)",
    )
    p.add_argument(
        "--ablate",
        metavar="TASK",
        help="then remove statements whose removal changes fitness on TASK by at most "
        "--tolerance (prints a table of what went and what it cost)",
    )
    p.add_argument(
        "--tolerance", type=float, default=0.02, help="fitness tolerance for --ablate (default 0.02)"
    )
    p.add_argument("--seeds", type=int, default=4, help="seeds per --ablate evaluation (default 4)")
    p.add_argument(
        "--tune-rounds",
        type=int,
        default=0,
        help="after the removals, evolve N mutations with insertions off, keeping "
        "changes that stay within --tolerance (the paper's suggestion; default 0)",
    )
    p.add_argument(
        "--lr-multipliers",
        default="0.3,1,3,10,30",
        help="lr factors for --ablate; the best counts (default 0.3,1,3,10,30)",
    )
    p.set_defaults(func=cmd_simplify)


def cmd_equiv(args: argparse.Namespace) -> int:
    from dsl.equivalence import EquivalenceConfig, check_equivalence

    try:
        config = EquivalenceConfig(
            num_seeds=args.seeds, num_steps=args.steps, rtol=args.rtol, atol=args.atol
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    first, second = load(args.first), load(args.second)
    verdict = check_equivalence(first, second, config)
    tolerance = f"rtol {config.rtol:g}, atol {config.atol:g}"
    if verdict.equivalent:
        print(
            f"equivalent: same updates over {config.num_seeds} runs x "
            f"{config.num_steps} steps ({tolerance})"
        )
        return 0
    print(f"{verdict.describe()} ({tolerance})")
    return 1


def cmd_simplify(args: argparse.Namespace) -> int:
    import sys

    from dsl.analysis import analyze
    from dsl.simplify import simplify

    program = load(args.program)
    if getattr(args, "ablate", None):
        return _ablate(args, program)
    simple = simplify(program)
    facts = analyze(program)
    from dsl.parser import one_line

    # The name is echoed into program text: a newline in it must not add a line.
    print(
        f"# simplified from {one_line(args.program)}: {len(program)} statements "
        f"({facts.num_live} live) -> {len(simple)}"
    )
    print(simple.to_text(), end="")
    if args.verify:
        from dsl.equivalence import check_equivalence

        verdict = check_equivalence(program, simple)
        print(f"# check: {verdict.describe()}", file=sys.stderr)
        return 0 if verdict.equivalent else 1
    return 0


def _ablate(args: argparse.Namespace, program) -> int:
    """`simplify --ablate TASK`: static simplification, then fitness-based removal."""
    import sys

    from funnel.ablation import ablate, task_score  # funnel integration (issue 7)
    from funnel.lion_family import match_lion

    try:
        mults = tuple(float(x) for x in args.lr_multipliers.split(","))
    except ValueError:
        raise UserError(f"--lr-multipliers {args.lr_multipliers!r}: expected numbers like 1,3,10")
    if args.tolerance < 0 or args.seeds < 1 or args.tune_rounds < 0 or not all(m > 0 for m in mults):
        raise UserError(
            "--tolerance and --tune-rounds must be >= 0, --seeds >= 1, lr multipliers > 0"
        )
    try:
        score = task_score(args.ablate, args.seeds, lr_multipliers=mults)
    except KeyError as exc:
        raise UserError(f"--ablate: {exc.args[0]}") from None
    import numpy as np

    result = ablate(program, score, args.tolerance, args.ablate, args.seeds,
                    tune_rounds=args.tune_rounds, rng=np.random.default_rng(0),
                    progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(result.table())
    print(result.final.to_text(), end="")
    print(f"# {match_lion(result.final).describe()}")
    return 0
