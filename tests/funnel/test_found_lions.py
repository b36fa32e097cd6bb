"""The committed Lions from AdamW are what the docs say they are.

README and docs/throughput.md cite each `configs/programs/found/lion_from_adamw*`
file as a Lion with b1 != b2 and the paper's betas; this reads every one with the
same behavioural check the search's verdict uses, so a file edited by hand, or a
change to the matcher, cannot leave the evidence saying something else.
"""

from __future__ import annotations

import pytest

from dsl.library import programs_dir
from dsl.loading import load_program
from funnel.lion_family import match_lion

FOUND = sorted((programs_dir() / "found").glob("lion_from_adamw*.py"))
# Seed 1's funnel winner decays by arctanh(w), not w (its header says so): Lion
# only after ablation, so the matcher must not call it Lion as found.
LION_AFTER_ABLATION = "lion_from_adamw_seed1"
LIONS = [path for path in FOUND if path.stem != LION_AFTER_ABLATION]


def test_the_found_lions_are_committed():
    names = {path.stem for path in FOUND}
    assert {f"lion_from_adamw_2w_seed{s}" for s in (1, 2, 3, 4)} | {LION_AFTER_ABLATION} <= names


@pytest.mark.parametrize("path", LIONS, ids=lambda p: p.stem)
def test_each_found_lion_is_lion_with_distinct_betas(path):
    match = match_lion(load_program(str(path)))
    assert match.lion_family, match.reason
    assert match.distinct_betas
    assert match.b1 < match.b2 < 1.0


def test_the_winner_that_decays_by_arctanh_is_not_lion_as_found():
    match = match_lion(load_program(str(programs_dir() / "found" / f"{LION_AFTER_ABLATION}.py")))
    assert not match.lion_family and "sign" in match.reason
