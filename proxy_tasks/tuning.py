"""Per-candidate constant tuning: which constant variants a structure is scored at.

Owns the draw of constant variants for one program. A new structure is scored at
its own constants and at `num_draws` perturbed copies in the same compiled,
vectorised call (`TaskScorer.score_variants`); the best variant's constants are
written into the child (Lamarckian inheritance), so its descendants start from
tuned values. The paper's weight decay, betas and lr scale are all constants of
the program, and a structure whose constants are off would otherwise be judged
by them (Chen et al. 2023 tune lr and decay by hand for every comparison; PySR
optimises every expression's constants).

Two kinds of variants:
- "draws": every constant moved at once by x 2^(scale * N(0, 1)) (the paper's
  constant mutation), a local search around the inherited constants;
- "grid": a coordinate sweep on an absolute grid (`dsl.constants.grid_constants`),
  each variant moving one constant to one value of a per-decade grid. Measured
  on the lion mix: a sign method born from AdamW needs its decay 100x larger,
  which draws never reach; the grid reaches it in one step.

The variants depend only on the program text and the seed, so a structure scores
the same wherever and whenever it is scored (serial or Ray, fresh or resumed).
Grid rows are padded to a multiple of `VARIANT_BUCKET` with copies of the
program's own constants: every row count is its own compiled shape, and the
padding bounds how many a search compiles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from dsl.constants import constant_slots, grid_constants, perturbed_constants
from dsl.program import Program


#: Grid rows are padded to a multiple of this (see the module docstring).
VARIANT_BUCKET = 4


@dataclass(frozen=True)
class ConstantTuning:
    """How many perturbed copies of a program's constants are scored, how far.

    Attributes:
        num_draws: perturbed variants besides the program's own constants (0 = off).
        scale: spread of a perturbation, in powers of two (logit nats for interp
            weights); 1 is the paper's constant mutation, x 2^N(0, 1).
        on: "first" picks the variant on the mix's first task and scores only
            the pick on the others (cheap); "all" scores every variant on every
            task and picks by the weighted fitness, so constants that only suit
            one horizon (a large lr wins 100 steps and loses 300) are not picked.
        kind: "draws" (random perturbations, `num_draws` of them) or "grid" (a
            coordinate sweep on an absolute grid, on whenever kind is "grid").
        max_variants: most rows a grid scores, own constants included; a
            program with more grid rows scores a fixed-seed sample of them.
        rounds: tuning calls at most, each centred on the previous call's
            pick (coordinate descent); it stops early once the pick is the
            centre itself. 1 is one call, the inherited constants' neighbourhood.
    """

    num_draws: int = 0
    scale: float = 1.0
    on: str = "first"
    kind: str = "draws"
    max_variants: int = 24
    rounds: int = 1

    def __post_init__(self):
        if self.num_draws < 0 or not self.scale > 0:
            raise ValueError("num_draws must be >= 0 and scale > 0")
        if self.on not in ("first", "all"):
            raise ValueError(f"tuning on must be 'first' or 'all', got {self.on!r}")
        if self.kind not in ("draws", "grid"):
            raise ValueError(f"tuning kind must be 'draws' or 'grid', got {self.kind!r}")
        if self.max_variants < 2:
            raise ValueError(f"max_variants must be >= 2, got {self.max_variants}")
        if self.rounds < 1:
            raise ValueError(f"rounds must be >= 1, got {self.rounds}")
        if self.rounds > 1 and self.on == "all":
            raise ValueError("several tuning rounds need tuning on 'first', not 'all'")

    @property
    def enabled(self) -> bool:
        return self.kind == "grid" or self.num_draws > 0

    @property
    def fixed_variants(self) -> int | None:
        """Rows every program scores (draws), or None when it depends on the
        program (grid): what a scorer can compile for ahead of the first call."""
        return 1 + self.num_draws if self.kind == "draws" else None


def constant_variants(program: Program, tuning: ConstantTuning, seed: int = 0):
    """[V, n] constant rows: the program's own first, then the variants.

    None when tuning is off or the program has no live constant (or, for a
    grid, no constant the grid can move).
    """
    slots = constant_slots(program)
    if not tuning.enabled or not slots:
        return None
    digest = hashlib.sha256(program.to_text().encode()).digest()
    rng = np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])
    own = np.array([[s.value for s in slots]])
    if tuning.kind == "draws":
        draws = perturbed_constants(slots, tuning.num_draws, tuning.scale, rng)
        return np.vstack([own, draws])
    grid = grid_constants(slots)
    if not len(grid):
        return None
    if len(grid) >= tuning.max_variants:
        keep = np.sort(rng.choice(len(grid), tuning.max_variants - 1, replace=False))
        grid = grid[keep]
    rows = np.vstack([own, grid])
    padding = -len(rows) % VARIANT_BUCKET
    return np.vstack([rows, np.repeat(own, padding, 0)])
