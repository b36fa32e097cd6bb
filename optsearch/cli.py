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

from optsearch.terminal_safe import guarded_streams
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
    "optsearch.commands.rediscover_command",
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
    # Guarded from the start: argparse's own errors echo the arguments too.
    with guarded_streams():
        return _parse_and_dispatch(argv)


def _parse_and_dispatch(argv: list[str] | None) -> int:
    parser = build_parser()
    # Overrides (KEY=VALUE) may come after options; argparse stops collecting a
    # positional list at the first option, so gather the stragglers here.
    args, extra = parser.parse_known_args(argv)
    stragglers = [e for e in extra if "=" in e and not e.startswith("-")]
    if extra != stragglers or (stragglers and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if stragglers:
        args.overrides = list(args.overrides) + stragglers
    return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command, turning a user's bad input into one line."""
    from dsl.parser import one_line

    try:
        status = args.func(args)
    except UserError as exc:
        # One line, escaped: the message may echo a name the user gave.
        print(f"optsearch {args.command}: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:
        # A run database damaged past what opening it checks (a malformed page
        # found mid-query): the user's file, so one line, naming the run.
        run = getattr(args, "resume", None) or getattr(args, "run_dir", None) or getattr(
            args, "target", None
        )
        where = f"{one_line(str(run))}: " if run else ""
        print(
            f"optsearch {args.command}: error: {where}the run database cannot be read "
            f"({one_line(str(exc))})",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:
        # A path the user gave that the system will not take (a name too long,
        # a loop of links, a folder it may not read): theirs to fix, so one line.
        where = f"{one_line(str(exc.filename))}: " if exc.filename else ""
        print(f"optsearch {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"optsearch {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
