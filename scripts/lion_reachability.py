"""How often do the search's mutations turn the seed program into a Lion-family one?

    python scripts/lion_reachability.py configs/lion.yaml --walks 20000 --steps 3 --score 20
    python scripts/lion_reachability.py configs/lion.yaml --steps 2 \
        --start configs/programs/found/lion_from_adamw_seed3.py   # adding a decay

Draws random mutation walks from the config's seed program exactly as the search
draws children (`funnel/reachability.py`), prints per number of mutations how
many walks landed in the Lion family, and with `--score N` scores up to N of the
distinct Lion-family programs found with the config's proxy scorer next to the
seed, so you can see whether the first steps towards Lion are uphill.
"""

from __future__ import annotations

import argparse
import sys
import time

from dsl.loading import load_program
from funnel.reachability import format_counts, random_walks
from funnel.config import load_run_config
from search.errors import UserError
from search.scoring import ScorerSpec, build_scorer


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="a search config (its seed, mutations and proxy)")
    parser.add_argument("--walks", type=int, default=20000)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--start", help="walk from this program (file or built-in name), not the config's seed"
    )
    parser.add_argument(
        "--score", type=int, default=0, help="score up to N Lion-family programs per step"
    )
    args = parser.parse_args(argv)
    try:
        config = load_run_config(args.config)
        start_name = args.start or config.seed_program
        start = load_program(start_name, config.max_length)
    except (UserError, ValueError, OSError) as exc:  # a bad config or program: one line
        print(f"lion_reachability: {exc}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    counts = random_walks(config, start, args.walks, args.steps, args.seed)
    print(f"# {args.walks} walks from {start_name} "
          f"({time.perf_counter() - began:.0f} s)\n")
    print(format_counts(counts))
    if args.score:
        scorer = build_scorer(ScorerSpec.from_config(config))
        seed_fitness = scorer.score(start).fitness
        print(f"\n# scored with {args.config}'s proxy scorer; seed fitness {seed_fitness:.4f}")
        for step, c in enumerate(counts, start=1):
            for program in list(c.programs.values())[: args.score]:
                evaluation = scorer.score(program)
                fitness = evaluation.fitness if evaluation.status == "ok" else float("nan")
                body = "; ".join(line.strip() for line in program.to_text().splitlines()[1:-1])
                print(f"step {step}  fitness {fitness:.4f} ({fitness - seed_fitness:+.4f})  {body}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
