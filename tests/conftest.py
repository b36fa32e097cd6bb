"""Shared fixtures: literal program texts used across the suite."""

from __future__ import annotations

import os

# Tests run on a 2-core machine; keep XLA from spawning a thread per core per process.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
