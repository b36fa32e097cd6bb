"""A fresh run's directory: where one may go, and undoing one that could not start.

Owns two rules. A fresh run goes only into a new directory, an empty one or one
holding nothing but a run's own files (`check_fresh_target`): never into `/etc`
or a project folder, where it would write its database, config and lock among
someone else's files. And a fresh run refused once it had begun (its seed
program fails on the tasks, found only by scoring it) leaves no run directory
behind, like a config refused before anything was created. Before the run, `note_before` records
which directories on the way to the run directory are missing and what the run
directory already holds; `remove_created` then removes the files a run writes
that were not there (never another file) and the directories the run made, if
they are empty.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from search.errors import UserError
from search.run_lock import LOCK_FILE
from search.store import CHECKPOINT_FILE, CONFIG_FILE, DB_FILE, REPORT_DIR

#: The longest file name (one path component) POSIX file systems take, in bytes.
NAME_MAX = 255

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


def check_fresh_target(run_dir: Path) -> None:
    """Refuse a fresh run's directory if it is not a directory, or holds anything
    a run does not write (checked before anything is written there).

    Raises:
        UserError: one line naming the directory and one foreign entry.
    """
    longest = max((len(os.fsencode(part)) for part in run_dir.parts), default=0)
    if longest > NAME_MAX:
        # Refused before its missing parents are made, not half way through.
        raise UserError(
            f"{run_dir}: a part of this path is {longest} bytes long; file names "
            f"are at most {NAME_MAX}"
        )
    # `runs/../project` with no `runs/` yet does not exist as written, but the
    # run's mkdir would make `runs/` and then write into `project`: judge the
    # path as the mkdir will meet it too.
    normal = Path(os.path.normpath(run_dir))
    if normal != run_dir:
        _check_one(normal)
    _check_one(run_dir)


def _check_one(run_dir: Path) -> None:
    from dsl.parser import one_line

    try:
        if not (run_dir.exists() or run_dir.is_symlink()):
            return
    except OSError as exc:  # a name too long, a loop of links
        raise UserError(f"{run_dir}: cannot be used as a run directory ({exc.strerror})") from None
    if not run_dir.is_dir():
        raise UserError(
            f"{run_dir}: cannot be used as a run directory (it is a file); give a new directory"
        )
    try:
        foreign = sorted(p.name for p in run_dir.iterdir() if p.name not in RUN_FILES)
    except OSError as exc:
        raise UserError(f"{run_dir}: cannot be listed ({exc.strerror}); give a new directory") from None
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise UserError(
            f"{run_dir}: is not empty and not a run directory (it holds "
            f"{one_line(foreign[0])!r}{more}); a new run needs a new or empty directory"
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
