"""Thin entry point: `python scripts/bench.py [--json] [--only PARTS]` = `optsearch bench`."""

import sys

from optsearch.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
