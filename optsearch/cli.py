"""The `optsearch` command line: argument parsing, dispatch and error reporting.

Owns the contract every command shares: a user's bad input (a malformed program,
an unknown op, a broken config, a missing file) is one line on stderr and exit
status 2, never a traceback. Each command lives in its own module exposing
`register(subparsers)`; this module lists them by import path so a command's heavy
imports (JAX, Ray) are paid only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys

from search.errors import UserError

#: Modules that each add one or more subcommands, in help order.
COMMAND_MODULES = [
    "optsearch.commands.program_commands",
    "optsearch.commands.task_commands",
    "optsearch.commands.analysis_commands",
    "optsearch.commands.run_commands",
    "optsearch.commands.bench_command",
    "optsearch.commands.funnel_command",
    "optsearch.commands.plot_command",
]


def version() -> str:
    """The installed package's version (what `pip install -e .` recorded)."""
    from importlib import metadata

    try:
        return metadata.version("optsearch")
    except metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optsearch",
        description="Discover optimizers by evolutionary program search.",
    )
    parser.add_argument("--version", action="version", version=f"optsearch {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    parser = build_parser()
    # Overrides (KEY=VALUE) may come after options; argparse stops collecting a
    # positional list at the first option, so gather the stragglers here.
    args, extra = parser.parse_known_args(argv)
    stragglers = [e for e in extra if "=" in e and not e.startswith("-")]
    if extra != stragglers or (stragglers and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if stragglers:
        args.overrides = list(args.overrides) + stragglers
    try:
        status = args.func(args)
    except UserError as exc:
        print(f"optsearch {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:
        # A run database damaged past what opening it checks (a malformed page
        # found mid-query): the user's file, so one line, naming the run.
        run = getattr(args, "resume", None) or getattr(args, "run_dir", None) or getattr(
            args, "target", None
        )
        where = f"{run}: " if run else ""
        print(
            f"optsearch {args.command}: error: {where}the run database cannot be read ({exc})",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"optsearch {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
