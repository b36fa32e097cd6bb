"""Per-candidate constant tuning: which constant variants a structure is scored at.

Owns the draw of constant variants for one program. A new structure is scored at
its own constants and at `num_draws` perturbed copies in the same compiled,
vectorised call (`TaskScorer.score_variants`); the best variant's constants are
written into the child (Lamarckian inheritance), so its descendants start from
tuned values. The paper's weight decay, betas and lr scale are all constants of
the program, and a structure whose constants are off would otherwise be judged
by them (Chen et al. 2023 tune lr and decay by hand for every comparison; PySR
optimises every expression's constants).

The draws depend only on the program text and the seed, so a structure scores
the same wherever and whenever it is scored (serial or Ray, fresh or resumed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from dsl.constants import constant_slots, perturbed_constants
from dsl.program import Program


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
    """

    num_draws: int = 0
    scale: float = 1.0
    on: str = "first"

    def __post_init__(self):
        if self.num_draws < 0 or not self.scale > 0:
            raise ValueError("num_draws must be >= 0 and scale > 0")
        if self.on not in ("first", "all"):
            raise ValueError(f"tuning on must be 'first' or 'all', got {self.on!r}")

    @property
    def enabled(self) -> bool:
        return self.num_draws > 0


def constant_variants(program: Program, tuning: ConstantTuning, seed: int = 0):
    """[1 + num_draws, n] constant rows: the program's own first, then draws.

    None when tuning is off or the program has no live constant.
    """
    slots = constant_slots(program)
    if not tuning.enabled or not slots:
        return None
    digest = hashlib.sha256(program.to_text().encode()).digest()
    rng = np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])
    own = np.array([[s.value for s in slots]])
    draws = perturbed_constants(slots, tuning.num_draws, tuning.scale, rng)
    return np.vstack([own, draws])
