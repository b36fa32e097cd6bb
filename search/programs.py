"""Programs and runs by name: a file, a built-in name, or `RUN:ID`, a run's candidate.

Owns resolving what a config or a command names, so a search can be seeded from
what an earlier search found and a user never has to type a run's timestamp. A
run is named by its directory, by `latest` (the run under `runs/` started or
resumed last), or by its directory's name under `runs/` or a unique prefix of it
(`quickstart` for `runs/quickstart-20261125-143000` when it is the only one).
Every failure is one line: a `ProgramError` (file, line, column) or a
`UserError` (a bad run name or `RUN:ID`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from dsl.library import builtin_names
from dsl.loading import check_located, load_program
from dsl.program import Program
from search.errors import UserError
from search.store import CONFIG_FILE, DB_FILE, DamagedRun, RunStore

#: Where `optsearch run` writes runs by default (`runs/NAME-TIMESTAMP`), relative
#: to the working directory.
RUNS_DIR = "runs"


def is_run(path: Path) -> bool:
    """Whether `path` is a run directory (it holds a run database)."""
    return os.path.isdir(path) and (Path(path) / DB_FILE).is_file()


def resolve_run(name: str) -> Path | None:
    """The run directory `name` refers to, or None if it names none.

    Raises:
        UserError: a prefix that matches several runs (they are listed).
    """
    if os.path.isdir(name):  # False, not OSError, for a name too long
        return Path(name)
    runs = Path(RUNS_DIR)
    if not runs.is_dir() or "/" in name or not name:
        return None
    found = sorted((p for p in runs.iterdir() if is_run(p)), key=lambda p: p.name)
    if name == "latest":
        if not found:
            return None
        return max(found, key=lambda p: ((p / CONFIG_FILE).stat().st_mtime_ns
                                         if (p / CONFIG_FILE).exists() else 0, p.name))
    exact = [p for p in found if p.name == name]
    if exact:
        return exact[0]
    matches = [p for p in found if p.name.startswith(name)]
    if len(matches) > 1:
        shown = ", ".join(str(p) for p in matches[:5])
        shown += ", ..." if len(matches) > 5 else ""
        raise UserError(
            f"{name}: names {len(matches)} runs ({shown}); "
            "give more of the name, or `latest`"
        )
    return matches[0] if matches else None


def is_program_name(spec: str) -> bool:
    """Whether `spec` names a program file or a built-in program (not a run)."""
    return os.path.isfile(spec) or spec in builtin_names()


def candidate_text(spec: str) -> str | None:
    """The program text of candidate `RUN_DIR:ID` as the search kept it (with
    the constants tuning wrote in), or None if `spec` is not of that form (its
    part before the last colon is not a directory).

    Raises:
        UserError: the directory holds no run, the id is not a number, or the run
            has no such candidate.
    """
    run_name, sep, id_text = spec.rpartition(":")
    run_dir = resolve_run(run_name) if sep else None
    if run_dir is None:
        return None
    try:
        candidate_id = int(id_text)
    except ValueError:
        raise UserError(f"{spec}: the candidate id must be a number") from None
    if not (Path(run_dir) / DB_FILE).is_file():
        raise UserError(f"{run_dir}: not a run directory (no {DB_FILE})")
    store = RunStore(run_dir, read_only=True)  # an archived run can seed a search
    try:
        text = store.kept_program(candidate_id)
    except sqlite3.DatabaseError as exc:  # a malformed page found by the query
        raise DamagedRun(f"{Path(run_dir) / DB_FILE}: the run database cannot be read ({exc})") from None
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
