"""Undoing a fresh run that could not start: what it created, and only that.

Owns the rule that a fresh run refused once it had begun (its seed program fails
on the tasks, found only by scoring it) leaves no run directory behind, like a
config refused before anything was created. Before the run, `note_before` records
which directories on the way to the run directory are missing and what the run
directory already holds; `remove_created` then removes the files a run writes
that were not there (never another file) and the directories the run made, if
they are empty.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from search.run_lock import LOCK_FILE
from search.store import CHECKPOINT_FILE, CONFIG_FILE, DB_FILE, REPORT_DIR

#: What a run writes in its directory (the lock last: it is held until the end).
RUN_FILES = (
    DB_FILE,
    f"{DB_FILE}-wal",
    f"{DB_FILE}-shm",
    CHECKPOINT_FILE,
    f".{CHECKPOINT_FILE}.tmp",
    CONFIG_FILE,
    f".{CONFIG_FILE}.tmp",
    REPORT_DIR,
    LOCK_FILE,
)


@dataclass(frozen=True)
class Before:
    """The run directory's surroundings before a fresh run."""

    missing_dirs: tuple[
        Path, ...
    ]  # the run directory and missing parents, deepest first
    names: frozenset[str]  # what the run directory held


def note_before(run_dir: Path) -> Before:
    missing = []
    path = Path(run_dir)
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    names = (
        frozenset(p.name for p in run_dir.iterdir())
        if run_dir.is_dir()
        else frozenset()
    )
    return Before(tuple(missing), names)


def remove_created(run_dir: Path, before: Before) -> None:
    """Remove what the run wrote since `before` (best effort: a file that cannot
    be removed stays, and so does its directory)."""
    for name in RUN_FILES:
        path = run_dir / name
        if name in before.names or not (path.exists() or path.is_symlink()):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            pass
    for directory in before.missing_dirs:
        try:
            directory.rmdir()  # only if empty: anything else there is not ours
        except OSError:
            return
