"""Write the rediscovery benchmark's tables, rebuilt from the committed archives,
into the marked blocks of README.md and docs/rediscovery.md.

    python scripts/sync_rediscovery_docs.py           # rewrite the blocks
    python scripts/sync_rediscovery_docs.py --check   # exit 1 if any block is stale

A block is the text between `<!-- rediscovery:NAME -->` and `<!-- /rediscovery -->`:
NAME `summary` is the summary table, `TARGET/ARM` one target and arm's seed
table, `walks/TARGET/ARM` the per-walk hits of that arm's seeds. The tables come from `optsearch.rediscovery` (the archives under
docs/rediscovery/), so the prose around them never carries a number by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from optsearch.rediscovery.report import collect_rows, titles
from optsearch.rediscovery.tables import seed_table, summary_table
from optsearch.rediscovery.targets import get_target
from optsearch.rediscovery.walks import collect_walks, walks_markdown

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "README.md", ROOT / "docs" / "rediscovery.md")
BLOCK = re.compile(r"(<!-- rediscovery:([\w/-]+) -->\n)(.*?)(<!-- /rediscovery -->)", re.S)


def block_text(name: str, rows: list[dict]) -> str:
    """The table a block named `name` holds."""
    if name == "summary":
        return summary_table(rows, titles()) + "\n"
    if name.startswith("walks/"):
        return walks_text(*name.split("/")[1:3])
    target, _, arm = name.partition("/")
    group = [r for r in rows if r["target"] == target and r["arm"] == arm]
    return (seed_table(group) if group else "(no seed archived yet)") + "\n"


def walks_text(target: str, arm: str) -> str:
    """The walk table of one target and arm, from its archives."""
    seeds = collect_walks(ROOT / "docs" / "rediscovery", target).get((target, arm))
    title = get_target(target).near_miss_title
    return walks_markdown(seeds, title) if seeds else "(no seed archived yet)\n"


def synced(text: str, rows: list[dict]) -> str:
    return BLOCK.sub(lambda m: m.group(1) + block_text(m.group(2), rows) + m.group(4), text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale blocks")
    args = parser.parse_args(argv)
    rows = collect_rows(ROOT / "docs" / "rediscovery")
    stale = []
    for path in DOCS:
        text = path.read_text()
        new = synced(text, rows)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new)
    for path in stale:
        print(f"{path.relative_to(ROOT)}: {'stale' if args.check else 'updated'}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
