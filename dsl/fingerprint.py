"""Behavioural fingerprints: a hash of what a program *does* on a fixed probe.

Owns the functional-equivalence key in the style of AutoML-Zero (Real et al.
2020): run the program for a few steps on a small, fixed random problem and hash
its updates rounded to a few significant digits. Programs that are algebraically
the same but written differently (`x / sqrt(x * x)` and `sign(x)`, or
`interp(a, b, 0.9)` and `0.1 * a + 0.9 * b`) share a fingerprint, which the
structural hash of `dsl.hashing` cannot see.

Design choices, and why:
- The probe's values are O(1) (standard normal weights and gradients, learning
  rates near 1 but never exactly 1, so `g * lr` and `g` differ). Near zero the
  numeric guards of `dsl.ops` make formally equal programs differ (`x / abs(x)`
  is `x / 1e-8` for |x| < 1e-8, not `sign(x)`).
- Two parameter leaves, so the per-leaf `norm` differs from `global_norm`.
- Updates are rounded relative to each step's largest finite magnitude, so a
  residue like 1e-17 where the other program has exactly 0 rounds away, and
  programs that differ only in the scale of the update still differ (the scale
  is hashed too).
- Non-finite entries become fixed tokens, so a diverging program still has a
  stable fingerprint.
- float64 and hashlib: the same program gives the same fingerprint in every
  process and on every machine with IEEE arithmetic.

A fingerprint is a probe, not a proof: programs that agree on the probe but
differ elsewhere (a clip threshold far above the probe's scale, say) collide.
`dsl.equivalence` runs a longer, varied check when that matters.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np

from dsl.analysis import InvalidProgram, check
from dsl.host import compile_host, run_host
from dsl.ops import LeafLayout
from dsl.program import Program

_NAN, _POS_INF, _NEG_INF = 2**62, 2**62 - 1, -(2**62 - 1)


@dataclass(frozen=True)
class Probe:
    """The fixed problem a fingerprint runs on.

    Attributes:
        seed: seeds the weights and gradients.
        sizes: parameter leaf sizes.
        lrs: learning rate fed at each step (the length is the number of steps).
        digits: significant digits kept, relative to each step's largest update.
    """

    seed: int = 20230215
    sizes: tuple[int, ...] = (7, 5)
    lrs: tuple[float, ...] = (0.73, 1.31, 0.58, 0.91)
    digits: int = 6

    @property
    def num_steps(self) -> int:
        return len(self.lrs)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, LeafLayout]:
        """(w0 [N], grads [steps, N], lrs [steps], layout), drawn once per probe."""
        return _probe_arrays(self)


@functools.lru_cache(maxsize=16)
def _probe_arrays(probe: Probe):
    rng = np.random.default_rng(probe.seed)
    n = sum(probe.sizes)
    w = rng.standard_normal(n)
    grads = rng.standard_normal((probe.num_steps, n))
    for array in (w, grads):
        array.flags.writeable = False  # shared by every call; nobody may edit it
    layout = LeafLayout.from_sizes(list(probe.sizes))
    return w, grads, np.asarray(probe.lrs, np.float64), layout


#: The probe every fingerprint uses unless told otherwise.
DEFAULT_PROBE = Probe()


def probe_updates(program: Program, probe: Probe = DEFAULT_PROBE) -> np.ndarray:
    """The updates of a valid `program` on `probe`, shape [steps, N], float64."""
    w, grads, lrs, layout = probe.arrays()
    return run_host(compile_host(program), w, grads, lrs, layout)


def quantize(updates: np.ndarray, digits: int) -> bytes:
    """Updates rounded to `digits` significant digits of each row's scale, as bytes.

    Each row (one step) becomes its scale (the largest finite magnitude, itself
    rounded to `digits` significant digits) followed by every entry as an integer
    multiple of `scale * 10**-digits`; nan, +inf and -inf become fixed tokens.
    """
    parts = []
    with np.errstate(all="ignore"):
        for row in np.atleast_2d(updates):
            finite = np.isfinite(row)
            magnitudes = np.abs(row[finite])
            scale = float(magnitudes.max()) if magnitudes.size else 0.0
            if scale > 0.0:
                ticks = np.rint(np.where(finite, row, 0.0) / scale * 10.0**digits)
            else:
                ticks = np.zeros_like(row)
            ints = ticks.astype(np.int64)
            if not finite.all():
                ints = np.where(np.isnan(row), _NAN, ints)
                ints = np.where(row == np.inf, _POS_INF, ints)
                ints = np.where(row == -np.inf, _NEG_INF, ints)
            parts.append(f"{scale:.{digits - 1}e}".encode())
            parts.append(ints.tobytes())
    return b"|".join(parts)


def fingerprint(program: Program, probe: Probe = DEFAULT_PROBE) -> str:
    """The behavioural fingerprint of a valid `program`: 32 hex digits.

    Raises:
        InvalidProgram: the program is not valid.
    """
    check(program)
    return fingerprint_unchecked(program, probe)


def fingerprint_unchecked(program: Program, probe: Probe = DEFAULT_PROBE) -> str:
    """`fingerprint` for a program the caller has already checked (saves the check)."""
    data = quantize(probe_updates(program, probe), probe.digits)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


__all__ = [
    "DEFAULT_PROBE",
    "InvalidProgram",
    "Probe",
    "fingerprint",
    "fingerprint_unchecked",
    "probe_updates",
    "quantize",
]
