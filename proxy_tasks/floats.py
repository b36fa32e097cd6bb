"""Fitness values at rest: the worst fitness, and non-finite floats in JSON and SQLite.

Owns `WORST_FITNESS` (what every failure scores: invalid, diverged, timed out,
crashed) and the one codec for floats that JSON and SQLite cannot hold: strict
JSON has no -inf or NaN, and a NULL is how a SQLite REAL column says "none".

Two forms, each with its inverse:
- `nullable` / `from_nullable`: a non-finite value is written as None (SQLite
  NULL, JSON null) and read back as `WORST_FITNESS`. For fitness columns and
  reports, where null means "failed".
- `exact` / `from_exact`: a non-finite value is written as its repr ("-inf",
  "inf", "nan") and read back as itself. For checkpoints, which must restore
  the state exactly.

Dependency-free, so every layer can import it without paying for JAX.
"""

from __future__ import annotations

import math

#: Fitness of a candidate that failed (invalid, non-finite, timed out, crashed).
WORST_FITNESS = -math.inf


def nullable(value: float) -> float | None:
    """`value` if finite, else None."""
    return value if math.isfinite(value) else None


def from_nullable(value: float | None) -> float:
    """The inverse of `nullable`: None is `WORST_FITNESS`."""
    return WORST_FITNESS if value is None else float(value)


def exact(value: float) -> float | str:
    """`value` if finite, else its repr ("-inf", "inf", "nan"): lossless in JSON."""
    return value if math.isfinite(value) else repr(value)


def from_exact(value: float | str) -> float:
    """The inverse of `exact`."""
    return float(value)
