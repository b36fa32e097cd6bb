"""Whatever `checkpoint.json` holds, a resume never crashes: random bytes, deep
nesting, a file of any size and valid JSON of every wrong shape are damage, and
the search state is rebuilt from the database with one line (the run then ends
identical to an intact one). Nothing is written outside the run directory."""

from __future__ import annotations

import copy
import json
import math
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl.library import load_builtin
from search.errors import UserError
from search.loop import SearchRunner
from search.recovery import restore_evolution
from search.store import RunStore
from tests.cli import optsearch
from tests.search.probe_evaluator import ProbeEvaluator
from tests.search.test_search_loop import make_config, rows

#: Seed restarts (so the checkpoint lists some) and two candidates in flight (so
#: it holds pending ones).
OVERRIDES = {"restarts": {"seed_every_candidates": 12}, "ask_ahead": 4}
FULL, CUT = 60, 33  # the cut run is interrupted at 33 with a candidate in flight


def search(
    run_dir: Path,
    max_candidates: int = FULL,
    notices: list | None = None,
    stop_at: int = 0,
) -> None:
    def interrupt(runner) -> None:
        if runner.evolution.counters.told == stop_at:
            raise KeyboardInterrupt  # as Ctrl-C: the checkpoint keeps what is in flight

    store = RunStore(run_dir)
    try:
        config = make_config(max_candidates=max_candidates, **OVERRIDES)
        store.write_config(config.to_dict())
        SearchRunner(
            config,
            store,
            ProbeEvaluator(capacity=2),
            hooks=[interrupt],
            notify=notices.append if notices is not None else None,
        ).run()
    finally:
        store.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("fuzz")
    search(tmp / "full")
    search(tmp / "cut", stop_at=CUT)
    return tmp


@pytest.fixture(scope="module")
def intact(runs) -> dict:
    state = json.loads((runs / "cut" / "checkpoint.json").read_text())
    assert state["restarts"] and state["pending"], (
        "the fixture must exercise every field"
    )
    return state


def listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def resume_with(runs: Path, tmp_path: Path, checkpoint: bytes) -> list[str]:
    """Resume a copy of the cut run with `checkpoint` as its checkpoint.json; the
    notices it gave (asserting nothing was written outside its directory)."""
    run_dir = tmp_path / "run"
    shutil.copytree(runs / "cut", run_dir)
    (run_dir / "checkpoint.json").write_bytes(checkpoint)
    before = listing(tmp_path) - {p for p in listing(tmp_path) if p.startswith("run/")}
    notices: list[str] = []
    search(run_dir, notices=notices)
    after = {p for p in listing(tmp_path) if not p.startswith("run/")}
    assert after == before, "nothing is written outside the run directory"
    return notices


def rebuilt(notices: list[str]) -> bool:
    assert len(notices) == 1 and "\n" not in notices[0], notices
    return "rebuilding the search state from candidates.sqlite" in notices[0]


def deep(depth: int, inner: str = "0") -> str:
    return "[" * depth + inner + "]" * depth


def with_field(state: dict, key: str, value) -> bytes:
    changed = copy.deepcopy(state)
    changed[key] = value
    return json.dumps(changed).encode()


FILES = {
    "random-bytes-1k": lambda s: random.Random(1).randbytes(1000),
    "random-bytes-utf8": lambda s: "".join(
        chr(random.Random(2).randrange(32, 0x2FFF)) for _ in range(3000)
    ).encode(),
    "random-json-text": lambda s: bytes(
        random.Random(3).choice(b'{}[],:"0123 ') for _ in range(5000)
    ),
    "list-200000-deep": lambda s: deep(200_000).encode(),
    "object-200000-deep": lambda s: ('{"a":' * 200_000 + "0" + "}" * 200_000).encode(),
    "rng-nested-50000-deep": lambda s: (
        json.dumps({**s, "rng": "@"}).replace('"@"', deep(50_000)).encode()
    ),
    "30-MB-of-whitespace": lambda s: json.dumps(s).encode() + b" " * (30 << 20),
    "30-MB-program": lambda s: with_field(s, "programs", {"0": "x" * (30 << 20)}),
    "unknown-top-level-key": lambda s: with_field(s, "injected", 1),
    "top-level-list": lambda s: json.dumps([s]).encode(),
    "top-level-string": lambda s: b'"checkpoint"',
    "nan-everywhere": lambda s: json.dumps(
        {k: math.nan for k in s}, allow_nan=True
    ).encode(),
}


@pytest.mark.parametrize("name", FILES)
def test_a_fuzzed_checkpoint_is_rebuilt_and_the_run_ends_as_an_intact_one(
    runs, intact, tmp_path, name
):
    notices = resume_with(runs, tmp_path, FILES[name](intact))
    assert rebuilt(notices), notices
    assert rows(tmp_path / "run") == rows(runs / "full")


ODD_VALUES = [
    None,
    True,
    -1,
    2**70,
    1.5,
    math.inf,
    "x",
    "",
    [],
    [[]],
    {},
    {"a": 1},
    [None],
    [[1, "x"]],
    [[-1, 0.0]],
    [{"id": 1}],
    {"0": 5},
    {"x": "def train"},
]


def wrong_shapes(state: dict):
    """(name, state) for every top-level key replaced by every odd value, every
    key removed, and every field of the nested records made odd."""
    for key in state:
        for i, value in enumerate(ODD_VALUES):
            if key == "run_id" and value is None:
                continue  # a checkpoint from before run ids existed is trusted
            if key == "answered" and value == {}:
                continue  # no cache answers held is a valid state: they are re-asked
            if key in ("told_fitnesses", "stale") and value == []:
                continue  # a search selecting on its own fitness keeps none; no restart
            yield f"{key}={i}", {**state, key: value}
        if key not in ("run_id", "told_fitnesses", "stale"):  # absent from older checkpoints
            yield f"no-{key}", {k: v for k, v in state.items() if k != key}
    for key in ("counters", "cache_counters"):
        for field in state[key]:
            for value in (-1, 1.5, "7", None, [], 10**30):
                if key == "counters" and field == "redundant_sum" and value == 1.5:
                    continue
                yield (
                    f"{key}.{field}={value!r}",
                    {**state, key: {**state[key], field: value}},
                )
    for record in ("pending", "restarts"):
        for field in state[record][0]:
            for value in (-1, "x", None, [1], 3.5):
                changed = copy.deepcopy(state)
                changed[record][0][field] = value
                yield f"{record}[0].{field}={value!r}", changed
    member = copy.deepcopy(state)
    member["population"][0] = [10**6, member["population"][0][1]]
    yield "member-without-program", member
    faked = copy.deepcopy(state)
    faked["pending"][0]["text"] = load_builtin("lion").to_text()
    yield "pending-candidate-swapped-for-lion", faked
    for field, value in (("best_at_told", 1), ("next_id", 1), ("restarts", [])):
        yield f"plausible-{field}", {**state, field: value}


def test_every_wrong_shape_is_damage_never_a_crash(runs, intact, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(runs / "cut", run_dir)
    config = make_config(max_candidates=FULL, **OVERRIDES)
    seed = load_builtin(config.seed_program)
    store = RunStore(run_dir)
    cases = list(wrong_shapes(intact))
    assert len(cases) > 300
    try:
        for name, state in cases:
            (run_dir / "checkpoint.json").write_text(json.dumps(state))
            _, problem = restore_evolution(config, seed, store)
            assert problem and "\n" not in problem, name
    finally:
        store.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_json_in_any_field_is_damage_or_agrees(
    runs, intact, tmp_path_factory, data
):
    run_dir = tmp_path_factory.mktemp("any") / "run"
    shutil.copytree(runs / "cut", run_dir)
    key = data.draw(st.sampled_from(sorted(intact)))
    value = data.draw(JSON)
    state = {**intact, key: value}
    (run_dir / "checkpoint.json").write_text(json.dumps(state))
    config = make_config(max_candidates=FULL, **OVERRIDES)
    store = RunStore(run_dir)
    try:
        _, problem = restore_evolution(config, load_builtin(config.seed_program), store)
    except UserError as exc:  # refused with one line is fine too
        assert "\n" not in str(exc)
        return
    finally:
        store.close()
    # Trusted only if the field does not matter (cache statistics; no run id, as
    # before ids existed; the told fitnesses, which only shuffled selection
    # reads; the stale children, which only independent walks read) or holds the
    # intact value.
    harmless = (key == "cache_counters" or (key == "run_id" and value is None)
                or (key == "told_fitnesses" and config.selection != "shuffled")
                or (key == "stale" and not config.restarts.independent_walks))
    assert problem is not None or harmless or value == intact[key], (key, value)
    assert problem is None or "\n" not in problem


def test_the_cli_resumes_a_fuzzed_checkpoint_with_one_line_and_shows_the_run(
    runs, tmp_path
):
    run_dir = tmp_path / "run"
    shutil.copytree(runs / "full", run_dir)
    before = listing(tmp_path)
    for checkpoint in (deep(200_000).encode(), random.Random(4).randbytes(4000)):
        (run_dir / "checkpoint.json").write_bytes(checkpoint)
        # The run is finished: the state is rebuilt and nothing new is evaluated.
        result = optsearch("run", "--resume", str(run_dir), "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stderr.count("\n") == 1 and "rebuilding" in result.stderr, (
            result.stderr
        )
        assert "Traceback" not in result.stdout
        assert rows(run_dir) == rows(runs / "full")
    (run_dir / "checkpoint.json").write_bytes(deep(200_000).encode())
    shown = optsearch("show", str(run_dir), cwd=tmp_path)
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    assert {p for p in listing(tmp_path) - before if not p.startswith("run/")} == set()
