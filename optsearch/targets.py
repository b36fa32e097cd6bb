"""What a user names on the command line: a program, a run, or `RUN:ID`.

A run is its directory, `latest`, or its name under `runs/` or a unique prefix
of it (`search.programs.resolve_run`).

Owns turning those names into programs and open run stores, and the one-line
errors when a name points at nothing usable.
"""

from __future__ import annotations

from pathlib import Path

from search.errors import UserError
from search.programs import (  # noqa: F401 - candidate_text re-exported
    candidate_text,
    is_program_name,
    load_named,
    resolve_run,
)
from search.store import DB_FILE, RunStore


def open_store(run_dir: str, writable: bool = False) -> RunStore:
    """The run store in `run_dir`, read-only unless `writable` (a command that only
    reads changes nothing there, and can read a run on a read-only disk); a
    directory without a run is a user error."""
    path = resolve_run(run_dir) or Path(run_dir)
    if not (path / DB_FILE).is_file():
        raise UserError(f"{run_dir}: not a run directory (no {DB_FILE})")
    return RunStore(path, read_only=not writable)


def load(spec: str):
    """Load a program for a command; bad input becomes a `UserError`.

    `spec` is a program file, a built-in name, or `RUN_DIR:ID` for a candidate of
    a run (so every command can take what a search found).
    """
    from dsl import ProgramError

    try:
        return load_named(spec)
    except ProgramError as exc:
        raise UserError(str(exc)) from None
