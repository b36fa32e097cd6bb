"""Which mutations make new behaviours? One row per mutation per run, from its database.

    python scripts/mutation_yield.py runs/a runs/b        # a markdown table
    python scripts/mutation_yield.py runs/a --json

A valid child is either a new behaviour (evaluated) or a cache hit (a behaviour
scored before: most often its parent's own, an edit of dead code). Compare runs
side by side, e.g. `mutation.neutral_redraws=0` against `=3` on the same seed.
"""

from __future__ import annotations

import argparse
import json
import sys

from search.errors import UserError
from optsearch.targets import open_store
from search.summary import mutation_yields


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run directories")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    table = {}
    try:
        for run in args.runs:
            store = open_store(run)
            try:
                table[run] = mutation_yields(store)
            finally:
                store.close()
    except UserError as exc:
        print(f"mutation_yield: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({run: [dict(y.__dict__, new=y.new) for y in rows]
                          for run, rows in table.items()}, indent=1))
        return 0
    print("| run | mutation | valid children | new behaviours | share new | cache hits | invalid |")
    print("|---|---|---|---|---|---|---|")
    for run, rows in table.items():
        total = [sum(getattr(y, f) for y in rows) for f in ("valid", "cache_hits", "invalid")]
        for y in rows:
            print(f"| {run} | {y.mutation} | {y.valid:,} | {y.new:,} | {y.new_share:.0%} | "
                  f"{y.cache_hits:,} | {y.invalid:,} |")
        valid, hits, invalid = total
        share = (valid - hits) / valid if valid else 0.0
        print(f"| {run} | **all** | {valid:,} | {valid - hits:,} | {share:.0%} | {hits:,} | {invalid:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
