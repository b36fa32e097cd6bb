"""Price an objective: each program at its best constants (betas included) on a
task mix, re-scored on fresh seeds, as a markdown table.

    python scripts/tune_constants.py --tasks teacher-bigbatch,teacher-bigbatch-long \
        adamw lion signsgd rmsprop configs/programs/found/signsgd_decoupled_decay.py

Programs are builtin names or program files. Every program is tuned by
coordinate descent on a fine absolute grid (`proxy_tasks.full_tuning`), scored
at the best of lr x 1, 2, 4 like the search's scorer. The table lists the fresh-
seed fitness on the mix and per task, and the tuned constants.
"""

from __future__ import annotations

import argparse
import sys
import time

from dsl.constants import constant_slots
from dsl.loading import load_program
from proxy_tasks.fitness import TaskScorer
from proxy_tasks.full_tuning import tune_fully


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", nargs="+")
    parser.add_argument("--tasks", required=True, help="comma-separated task names")
    parser.add_argument("--weights", help="comma-separated weights (default: equal)")
    parser.add_argument("--lr-multipliers", default="1,2,4")
    parser.add_argument("--seeds", type=int, default=2, help="tuning seeds per task")
    parser.add_argument("--check-seeds", type=int, default=4)
    parser.add_argument("--max-rounds", type=int, default=6)
    parser.add_argument("--max-length", type=int, default=16)
    args = parser.parse_args(argv)
    names = args.tasks.split(",")
    weights = (
        [float(w) for w in args.weights.split(",")] if args.weights else [1.0] * len(names)
    )
    if len(weights) != len(names):
        parser.error(f"{len(names)} tasks but {len(weights)} weights")
    mults = tuple(float(m) for m in args.lr_multipliers.split(","))

    def scorers(seeds: int) -> dict[str, TaskScorer]:
        return {
            name: TaskScorer(name, args.max_length, seeds, mults, time_budget_s=3600.0)
            for name in names
        }

    try:
        programs = {p: load_program(p, args.max_length) for p in args.programs}
        tuning, check = scorers(args.seeds), scorers(args.check_seeds)
    except KeyError as exc:  # an unknown task: its message is the one line
        print(f"tune_constants: {exc.args[0]}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"tune_constants: {exc}", file=sys.stderr)
        return 2
    mix = dict(zip(names, weights))
    rows = []
    for label, program in programs.items():
        start = time.perf_counter()
        print(f"{label}:", flush=True)
        tuned = tune_fully(program, tuning, mix, check, args.max_rounds,
                           say=lambda line: print(line, flush=True))
        constants = [s.value for s in constant_slots(tuned.program)]
        print(f"  fresh seeds: {tuned.check_fitness:.4f} "
              f"[{time.perf_counter() - start:.0f} s]", flush=True)
        rows.append((label, tuned, constants))
    rows.sort(key=lambda r: -r[1].check_fitness)
    print(f"\n# tuned on {mix}, {args.seeds} seeds, lr x {list(mults)}; "
          f"fresh-seed check on {args.check_seeds} seeds")
    head = " | ".join(f"{n} fitness (val loss +- spread)" for n in names)
    print(f"| program | mix fitness | {head} | constants |")
    print("|---" * (3 + len(names)) + "|")
    for label, tuned, constants in rows:
        cells = " | ".join(
            f"{f:.4f} ({loss:.4f} +- {spread:.4f})"
            for f, loss, spread in tuned.check.values()
        )
        print(f"| {label} | {tuned.check_fitness:.4f} | {cells} | {constants} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
