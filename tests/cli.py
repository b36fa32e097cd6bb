"""Running `optsearch` as a user does, in a subprocess, for the CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys


def optsearch(*args, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    """`python -m optsearch ARGS` with unbuffered output; text stdout and stderr."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run(
        [sys.executable, "-m", "optsearch", *args],
        capture_output=True, text=True, timeout=timeout, env=env, **kwargs,
    )
