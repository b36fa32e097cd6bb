"""What a user names on the command line: a program, a run, or `RUN_DIR:ID`.

Owns turning those names into programs and open run stores, and the one-line
errors when a name points at nothing usable.
"""

from __future__ import annotations

import os
from pathlib import Path

from search.errors import UserError
from search.store import DB_FILE, RunStore


def open_store(run_dir: str) -> RunStore:
    """The run store in `run_dir`; a directory without a run is a user error."""
    path = Path(run_dir)
    if not (path / DB_FILE).is_file():
        raise UserError(f"{run_dir}: not a run directory (no {DB_FILE})")
    return RunStore(path)


def load(spec: str):
    """Load a program for a command; bad input becomes a `UserError`.

    `spec` is a program file, a built-in name, or `RUN_DIR:ID` for a candidate of
    a run (so every command can take what a search found).
    """
    from dsl import ProgramError, load_program
    from dsl.loading import check_located

    try:
        found = candidate_text(spec)
        if found is not None:
            return check_located(found, spec)
        return load_program(spec)
    except ProgramError as exc:
        raise UserError(str(exc)) from None


def candidate_text(spec: str) -> str | None:
    """The program text of candidate `RUN_DIR:ID`, or None if `spec` is not of that form."""
    run_dir, sep, id_text = spec.rpartition(":")
    if not sep or not os.path.isdir(run_dir):  # False, not OSError, if too long
        return None
    try:
        candidate_id = int(id_text)
    except ValueError:
        raise UserError(f"{spec}: the candidate id must be a number") from None
    store = open_store(run_dir)
    try:
        text = store.program_text(candidate_id)
    finally:
        store.close()
    if text is None:
        raise UserError(f"{spec}: no such candidate")
    return text
