"""What per-candidate constant tuning costs: seconds per evaluation, side by side.

    python scripts/tuning_cost.py configs/lion.yaml --repeats 5

Scores the config's seed program with the config's scorer at several tuning
settings (off; `constant_draws` draws and the absolute grid, each picked on the
first task or on all tasks),
interleaved round by round so machine load hits every setting alike, after one
warm-up each. Prints seconds per evaluation and the ratio to tuning off.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

from dsl.loading import load_program
from funnel.config import load_run_config as load_config
from search.scoring import ScorerSpec, build_scorer


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--draws", default="4,8")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    base = ScorerSpec.from_config(config)
    program = load_program(config.seed_program, config.tasks.executor_length)
    settings = {"off": replace(base, constant_draws=0, constant_tuning="draws")}
    for draws in (int(d) for d in args.draws.split(",")):
        for on in ("first", "all"):
            settings[f"{draws} draws, on {on}"] = replace(
                base, constant_draws=draws, constant_tuning_on=on, constant_tuning="draws"
            )
    for on in ("first", "all"):
        settings[f"grid, on {on}"] = replace(
            base, constant_tuning_on=on, constant_tuning="grid"
        )
    scorers = {name: build_scorer(spec) for name, spec in settings.items()}
    for scorer in scorers.values():
        scorer.warmup()
        scorer.score(program)
    seconds = {name: 0.0 for name in scorers}
    for _ in range(args.repeats):
        for name, scorer in scorers.items():
            start = time.perf_counter()
            scorer.score(program)
            seconds[name] += time.perf_counter() - start
    off = seconds["off"] / args.repeats
    print(f"# {args.config}: {dict(base.task_weights)}, {base.num_seeds} seeds, "
          f"lr multipliers {list(base.lr_multipliers)}")
    print("| tuning | s per evaluation | vs off |\n|---|---|---|")
    for name, total in seconds.items():
        each = total / args.repeats
        print(f"| {name} | {each:.3f} | {each / off:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
