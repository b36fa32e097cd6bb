"""Loading programs from files or built-in names, with located errors.

Owns turning what a user typed (a path, or the name of a shipped program such as
`adamw`) into a checked `Program`, and every way that can fail into one
`ProgramError` line naming file, line and column.
"""

from __future__ import annotations

from pathlib import Path

from dsl.analysis import InvalidProgram, check
from dsl.library import builtin_names, builtin_path
from dsl.parser import ProgramError, parse_located
from dsl.program import Program


def load_program(spec: str, max_length: int | None = None) -> Program:
    """Load and check the program at path `spec`, or the built-in named `spec`.

    Raises:
        ProgramError: unreadable file, unknown name, malformed or invalid program.
    """
    path = Path(spec)
    try:
        if not path.exists() and spec in builtin_names():
            path = builtin_path(spec)
        if not path.is_file():
            raise ProgramError(
                f"no such program file (built-in names: {', '.join(builtin_names())})",
                spec,
            )
        text = path.read_text()
    except OSError as exc:  # e.g. a file name too long for the file system
        raise ProgramError(f"cannot read: {exc.strerror or exc}", spec) from None
    except UnicodeDecodeError as exc:
        raise ProgramError(f"cannot read: not UTF-8 text ({exc.reason})", spec) from None
    return check_located(text, str(path), max_length)


def check_located(text: str, filename: str, max_length: int | None = None) -> Program:
    """Parse and check `text`; semantic errors point at their statement's line."""
    located = parse_located(text, filename)
    try:
        check(located.program, max_length)
    except InvalidProgram as exc:
        line = located.lines[exc.statement] if exc.statement is not None else 0
        raise ProgramError(exc.reason, filename, line, 1 if line else 0) from None
    return located.program
