"""Shared fixtures: literal program texts used across the suite."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Tests run on a 2-core machine; keep XLA from spawning a thread per core per process.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

# One XLA compilation cache for the whole session, shared with every `optsearch`
# subprocess the suite starts (they inherit the environment): most CLI tests
# compile the same few tasks again, and a cached compile takes about half the
# time of a fresh one (a 30-candidate quickstart run: 11.0 s -> 5.8 s). A fresh
# folder each session, removed at exit, so nothing stale or unbounded is kept.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="optsearch-tests-xla-")
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _cache
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
