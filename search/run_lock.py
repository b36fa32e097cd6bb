"""One writer per run directory: an exclusive lock held for the whole life of a run.

Owns the rule that a run directory has at most one process writing it (search,
funnel, report). Two writers would interleave two searches in one database, and a
later resume would call the mixture "finished". The lock is `fcntl.flock` on a
file in the run directory: the kernel drops it when the holder exits, however it
exits (kill -9 included), so a stale lock cannot outlive its process. Readers
(`show`, `lineage`) take no lock: SQLite's WAL mode lets them read a live run.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from search.errors import UserError

LOCK_FILE = "lock"


class RunLocked(UserError):
    """Another process is writing the run directory."""


def check_unlocked(run_dir: str | Path) -> None:
    """Refuse early (creating nothing) if another process holds the lock now.

    A cheap check before slow start-up work (starting Ray, compiling); `run_lock`
    is what actually excludes a second writer.
    """
    path = Path(run_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _unusable(Path(run_dir), exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _locked(Path(run_dir), fd) from None
    finally:
        os.close(fd)


def _unusable(path: Path, exc: OSError) -> UserError:
    return UserError(
        f"{path}: cannot be used as a run directory ({exc.strerror or exc}: "
        f"{exc.filename or path})"
    )


def _locked(path: Path, fd: int) -> RunLocked:
    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
    return RunLocked(
        f"{path}: another optsearch process (pid {holder}) is writing this run; "
        "wait for it to end or stop it"
    )


@contextmanager
def run_lock(run_dir: str | Path) -> Iterator[None]:
    """Hold the run directory's writer lock (creating the directory) until exit.

    Raises:
        RunLocked: another process holds it (one line, naming its pid).
    """
    path = Path(run_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        # os.open makes a non-inheritable descriptor: processes started under us
        # (Ray's servers and agents, which may outlive a killed driver) never hold it.
        fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _unusable(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _locked(path, fd) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
