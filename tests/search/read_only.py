"""Making a run directory read-only for a test, as root too.

`chmod` does not stop root from writing, so as root the directory and its files
are made immutable (`chattr +i`, which stops root on ext4 and similar file
systems); where neither works the test is skipped. Everything is made writable
again on exit, so pytest can clean up.
"""

from __future__ import annotations

import os
import stat
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


def _paths(root: Path) -> list[Path]:
    return [root, *sorted(root.rglob("*"))]


@contextmanager
def read_only_tree(root: Path) -> Iterator[None]:
    """Within the block, nothing under `root` (itself included) can be written,
    created or removed."""
    paths = _paths(root)
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in reversed(paths):
            p.chmod(stat.S_IMODE(modes[p]) & ~0o222)
        try:
            yield
        finally:
            for p in paths:
                p.chmod(stat.S_IMODE(modes[p]))
        return
    names = [str(p) for p in paths]
    try:
        subprocess.run(["chattr", "+i", *names], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        subprocess.run(["chattr", "-i", *names], capture_output=True)
        pytest.skip(f"cannot make a directory read-only as root here ({exc})")
    try:
        probe = root / ".write-probe"
        try:
            probe.write_text("")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("chattr +i does not stop writes on this file system")
        yield
    finally:
        subprocess.run(["chattr", "-i", *names], capture_output=True)
