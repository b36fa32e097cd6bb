"""Programs by name: a file, a built-in name, or `RUN_DIR:ID`, a run's candidate.

Owns resolving what a config or a command names as a program, so a search can be
seeded from what an earlier search found. Every failure is one line: a
`ProgramError` (file, line, column) or a `UserError` (a bad `RUN_DIR:ID`).
"""

from __future__ import annotations

import os
from pathlib import Path

from dsl.loading import check_located, load_program
from dsl.program import Program
from search.errors import UserError
from search.store import DB_FILE, RunStore


def candidate_text(spec: str) -> str | None:
    """The program text of candidate `RUN_DIR:ID` as the search kept it (with
    the constants tuning wrote in), or None if `spec` is not of that form (its
    part before the last colon is not a directory).

    Raises:
        UserError: the directory holds no run, the id is not a number, or the run
            has no such candidate.
    """
    run_dir, sep, id_text = spec.rpartition(":")
    if not sep or not os.path.isdir(run_dir):  # False, not OSError, if too long
        return None
    try:
        candidate_id = int(id_text)
    except ValueError:
        raise UserError(f"{spec}: the candidate id must be a number") from None
    if not (Path(run_dir) / DB_FILE).is_file():
        raise UserError(f"{run_dir}: not a run directory (no {DB_FILE})")
    store = RunStore(run_dir)
    try:
        text = store.kept_program(candidate_id)
    finally:
        store.close()
    if text is None:
        raise UserError(f"{spec}: no such candidate")
    return text


def load_named(spec: str, max_length: int | None = None) -> Program:
    """The checked program `spec` names (a file, a built-in name or `RUN_DIR:ID`).

    Raises:
        ProgramError: unreadable, malformed or invalid program.
        UserError: a bad `RUN_DIR:ID`.
    """
    found = candidate_text(spec)
    if found is not None:
        return check_located(found, spec, max_length)
    return load_program(spec, max_length)
