"""A resume keeps what defines the run's fitness and walk: a change to any of
those keys is refused with one line naming the key (old -> new), judged against
the config recorded in the database (not `config.yaml`, which the user edits);
budgets and machinery may change, each change noted in one line."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from funnel.config import RunConfig, run_config_from_dict
from optsearch import pipeline
from search.config import MutationConfig, RestartConfig
from search.resume_config import (
    FITNESS_KEYS,
    FREE_KEYS,
    WALK_KEYS,
    ConfigChanged,
    check_resume,
    flatten,
    is_fixed,
)
from search.store import RunStore
from tests.search.probe_evaluator import ProbeEvaluator
from tests.search.test_search_loop import rows

BASE = {
    "population": 16,
    "tournament": 4,
    "max_candidates": 40,
    "max_length": 14,
    "checkpoint_every": 10,
    "report_every": 1000,
    "tasks": {"executor_length": 14},
}

#: A valid new value for every fixed key outside the two sections.
CHANGED = {
    "tasks.proxy": {"digits-mlp": 1.0, "heavy-tail-regression": 1.0},
    "tasks.num_seeds": 3,
    "tasks.executor_length": 16,
    "tasks.lr_multipliers": [0.5, 1.0],
    "tasks.constant_draws": 2,
    "tasks.constant_scale": 0.5,
    "tasks.constant_tuning_on": "all",
    "tasks.constant_tuning": "grid",
    "tasks.constant_rounds": 2,
    "tasks.state_slot_cost": 0.1,
    "cache_key": "hash",
    "seed_program": "lion",
    "ops": ["add", "multiply", "sign", "interp"],
    "max_length": 15,
    "seed": 1,
    "tournament": 3,
    "selection": "shuffled",
    "require_new": True,
    "ask_ahead": 2,
}


def section_changes(prefix: str, cls) -> dict:
    """A changed value for every field of a section (switches flipped, counts up,
    weights changed)."""
    found = {}
    for f in dataclasses.fields(cls):
        value = f.default
        if isinstance(value, bool):
            found[f"{prefix}.{f.name}"] = not value
            continue
        found[f"{prefix}.{f.name}"] = (
            value + 7 if isinstance(value, int) else (value or 0.25) * 0.5 + 0.1
        )
    return found


FIXED_CHANGES = {
    key: value
    for key, value in {
        **CHANGED,
        **section_changes("mutation", MutationConfig),
        **section_changes("restarts", RestartConfig),
    }.items()
    # A key this version of the config lacks has nothing to change yet.
    if key in flatten(run_config_from_dict(BASE).to_dict())
}


def config(**changes) -> RunConfig:
    raw = {**BASE, "tasks": dict(BASE["tasks"])}
    for key, value in changes.items():
        node = raw
        *sections, last = key.split(".")
        for part in sections:
            node = node.setdefault(part, {})
        node[last] = value
    return run_config_from_dict(raw)


def test_every_config_key_is_either_free_or_fixed_with_a_change_in_this_test():
    # A key added to the config is fixed until listed in FREE_KEYS: classify it.
    for key in flatten(config().to_dict()):
        under = lambda keys: any(key == k or key.startswith(k + ".") for k in keys)  # noqa: E731
        assert under(FREE_KEYS) != under(FITNESS_KEYS + WALK_KEYS), key
        if under(FITNESS_KEYS + WALK_KEYS):
            assert key in FIXED_CHANGES, key


@pytest.mark.parametrize("key", FIXED_CHANGES)
def test_a_resume_changing_a_fixed_key_is_refused_naming_it(key):
    recorded = config().to_dict()
    given = config(**{key: FIXED_CHANGES[key]}).to_dict()
    with pytest.raises(ConfigChanged) as raised:
        check_resume(recorded, given, "runs/r/config.yaml")
    message = str(raised.value)
    assert "\n" not in message and message.startswith("runs/r/config.yaml: ")
    assert f"`{key}` changed (" in message and " -> " in message
    assert f"it defines {is_fixed(key)}" in message


def test_the_refusal_shows_the_old_and_the_new_value():
    with pytest.raises(ConfigChanged, match=r"`tasks.num_seeds` changed \(2 -> 3\)"):
        check_resume(
            config().to_dict(), config(**{"tasks.num_seeds": 3}).to_dict(), "c"
        )


def test_a_task_weight_is_part_of_the_fitness():
    given = config(**{"tasks.proxy": {"digits-mlp": 2.0}}).to_dict()
    with pytest.raises(ConfigChanged, match="`tasks.proxy` changed"):
        check_resume(config().to_dict(), given, "c")


FREE_CHANGES = {
    "population": 32,
    "max_candidates": 80,
    "tasks.time_budget_s": 30.0,
    "evaluator.workers": 4,
    "checkpoint_every": 5,
    "report_every": 50,
    "name": "renamed",
}


@pytest.mark.parametrize("key", FREE_CHANGES)
def test_a_budget_or_machinery_change_resumes_with_a_note(key):
    recorded = config().to_dict()
    given = config(**{key: FREE_CHANGES[key]}).to_dict()
    note = check_resume(recorded, given, "c")
    assert note is not None and "\n" not in note
    assert note.startswith("resuming with a changed config: ") and key in note


def test_an_unchanged_config_resumes_without_a_note():
    assert check_resume(config().to_dict(), config().to_dict(), "c") is None


def test_a_seed_program_file_that_reads_differently_is_refused():
    with pytest.raises(ConfigChanged, match="no longer reads as the program"):
        check_resume(None, config().to_dict(), "c", "def train(...): new", "old")


# -- through the pipeline, as `optsearch run --resume` runs it -------------------


@pytest.fixture
def probe(monkeypatch):
    """The pipeline with the probe evaluator (no training)."""
    monkeypatch.setattr(pipeline, "make_evaluator", lambda *a, **k: ProbeEvaluator())


def run(run_dir: Path, fresh: bool, **changes) -> list[str]:
    notes: list[str] = []
    pipeline.run(
        config(**changes),
        run_dir,
        quiet=True,
        fresh=fresh,
        log=lambda line: None,
        notify=notes.append,
    )
    return notes


def digest(run_dir: Path) -> str:
    return hashlib.sha256((run_dir / "candidates.sqlite").read_bytes()).hexdigest()


def test_the_pipeline_refuses_a_changed_fitness_and_writes_nothing(probe, tmp_path):
    run(tmp_path / "r", fresh=True)
    before = digest(tmp_path / "r"), (tmp_path / "r" / "config.yaml").read_text()
    with pytest.raises(ConfigChanged, match="`tasks.num_seeds` changed"):
        run(tmp_path / "r", fresh=False, **{"tasks.num_seeds": 3, "max_candidates": 60})
    assert (
        digest(tmp_path / "r"),
        (tmp_path / "r" / "config.yaml").read_text(),
    ) == before


def test_the_pipeline_resumes_a_larger_budget_with_a_note_as_an_uninterrupted_run(
    probe, tmp_path
):
    run(tmp_path / "whole", fresh=True, max_candidates=60)
    assert run(tmp_path / "r", fresh=True) == []
    notes = run(tmp_path / "r", fresh=False, max_candidates=60)
    assert notes == [
        f"{tmp_path / 'r'}: resuming with a changed config: max_candidates 40 -> 60"
    ]
    assert rows(tmp_path / "r") == rows(tmp_path / "whole")
    # The note is against the last session's config: the same budget again is none.
    assert run(tmp_path / "r", fresh=False, max_candidates=60) == []


def test_a_changed_population_and_budget_still_rebuild_from_the_database(
    probe, tmp_path
):
    # Sessions of 16 then 32 members: replaying the database tells each row under
    # its own session's population, so a lost checkpoint rebuilds the same state.
    run(tmp_path / "r", fresh=True)
    run(tmp_path / "r", fresh=False, population=32, max_candidates=60)
    wanted = rows(tmp_path / "r")
    (tmp_path / "r" / "checkpoint.json").write_text("{}")
    run(tmp_path / "r", fresh=False, population=32, max_candidates=70)
    assert rows(tmp_path / "r")[: len(wanted)] == wanted
    assert len([r for r in rows(tmp_path / "r") if r[7]]) == 70


def test_a_run_from_before_configs_were_recorded_resumes_and_is_recorded(
    probe, tmp_path
):
    run(tmp_path / "r", fresh=True)
    store = RunStore(tmp_path / "r")
    store.db.execute("DELETE FROM events WHERE kind = 'config'")
    store.close()
    assert run(tmp_path / "r", fresh=False, max_candidates=50) == []
    store = RunStore(tmp_path / "r", read_only=True)
    try:
        assert store.recorded_config()["max_candidates"] == 50
    finally:
        store.close()
