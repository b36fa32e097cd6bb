"""The arms: each one's overrides make a valid config of every target; controls
are judged on a hit alone and levers by the search's rule; a seed archived with
other overrides is not taken for the one asked."""

from __future__ import annotations

import json

import pytest

from funnel.config import load_run_config as load_config
from optsearch.rediscovery.arms import ARMS, arm_title, is_control, walk_changes
from optsearch.rediscovery.runner import archive_dir_for, run_dir_for, run_seed
from optsearch.rediscovery.targets import TARGETS
from search.errors import UserError

LION = TARGETS["lion"]


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("arm", sorted(ARMS))
def test_every_arm_makes_a_valid_config_of_every_target(target, arm):
    config = load_config(TARGETS[target].config_path(), list(ARMS[arm].overrides))
    assert (config.funnel is None) == ARMS[arm].control


def test_the_levers_change_what_they_name():
    frozen = load_config(LION.config_path())
    assert frozen.tasks.state_slot_cost == 0.02
    assert load_config(LION.config_path(), list(ARMS["slot-cost-0.04"].overrides)
                       ).tasks.state_slot_cost == 0.04
    equal = load_config(LION.config_path(), list(ARMS["equal-weights"].overrides)).mutation
    assert {equal.insert, equal.delete, equal.modify, equal.change_op, equal.duplicate} == {1.0}
    tol = load_config(LION.config_path(), list(ARMS["ablation-tol-0.001"].overrides))
    assert (frozen.funnel.ablation.tolerance, tol.funnel.ablation.tolerance) == (0.005, 0.001)
    off = load_config(LION.config_path(), list(ARMS["tuning-off"].overrides)).tasks
    assert (off.constant_tuning, off.constant_draws) == ("draws", 0)


def test_controls_are_judged_as_controls_and_unknown_arms_as_searches():
    assert is_control("random") and is_control("shuffled")
    assert not is_control("search") and not is_control("slot-cost-0")
    assert not is_control("an-arm-from-a-newer-version")
    assert arm_title("an-arm-from-a-newer-version") == "an-arm-from-a-newer-version"


def test_each_arm_has_its_own_run_and_archive_folder(tmp_path):
    runs = {run_dir_for(tmp_path, LION, arm, 10) for arm in ARMS}
    archives = {archive_dir_for(tmp_path, LION, arm, 10) for arm in ARMS}
    assert len(runs) == len(archives) == len(ARMS)


def test_a_seed_archived_with_other_overrides_is_refused_not_reused(tmp_path):
    out = tmp_path / "out"
    archive = archive_dir_for(out, LION, "search", 10)
    archive.mkdir(parents=True)
    (archive / "candidates.jsonl.gz").write_bytes(b"")
    (archive / "config.yaml").write_text("")
    (archive / "meta.json").write_text(json.dumps(
        {"target": "lion", "arm": "search", "seed": 10, "overrides": [], "candidates": 0,
         "funnel_finished": False}))
    with pytest.raises(UserError, match="archived with overrides"):
        run_seed(LION, "search", 10, tmp_path / "runs", out,
                 ["tasks.state_slot_cost=0.0"], lambda line: None)


def test_where_a_seed_was_scored_is_not_a_change_of_its_walk():
    overrides = ["evaluator.workers=1", "tasks.state_slot_cost=0", "evaluator.kind=serial"]
    assert walk_changes(overrides) == ["tasks.state_slot_cost=0"]
