"""Every survivor of the funnel's last stage, not only the winner, is ablated and
judged when `funnel.ablation.survivors` asks for it, and the golden benchmark
counts a Lion among them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from dsl.library import load_builtin
from dsl.loading import load_program
from funnel.config import run_config_from_dict
from funnel.stages import FunnelOutcome, StageOutcome
from optsearch import pipeline
from optsearch.pipeline import final_report, judge_survivors
from search.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
FOUND = ROOT / "configs/programs/found"
FOUND_LION = load_program(str(FOUND / "lion_from_adamw_teacher_seed0.py"), 32)


def config(survivors: int):
    return run_config_from_dict({
        "funnel": {
            "stages": [{"name": "last", "tasks": {"teacher-const": 1.0}, "promote": 3}],
            "ablation": {"task": "teacher-const", "num_seeds": 1, "lr_multipliers": [1],
                         "tolerance": 0.005, "survivors": survivors},
        },
    })


def outcome() -> FunnelOutcome:
    """A funnel whose last stage kept AdamW (the winner), a Lion a search found
    (constants tuned for the task; the paper's own constants are far off its best
    there) and signSGD, in that order."""
    programs = {5: load_builtin("adamw").to_text(), 7: FOUND_LION.to_text(),
                9: load_builtin("signsgd").to_text()}
    stage = StageOutcome("last", (5, 7, 9), {5: 0.3, 7: 0.2, 9: 0.1}, 0.0, (5, 7, 9))
    return FunnelOutcome((stage,), 5, programs)


def test_survivors_after_the_winner_are_ablated_and_judged_up_to_the_cap(tmp_path):
    store = RunStore(tmp_path / "run")
    try:
        judged = list(judge_survivors(outcome(), store, config(2), log=lambda line: None))
    finally:
        store.close()
    # survivors: 2 is the winner and one more; the winner is judged elsewhere.
    assert [j["candidate_id"] for j in judged] == [7]
    lion = judged[0]
    assert lion["lion_family"] is True
    assert lion["lion_match"]["distinct_betas"] is True
    assert "sign(" in lion["final_program"]
    report = final_report({
        "winner_id": 5, "final_program": "def train(w, g, m, v, lr):\n",
        "lion_family": False, "lion_match": {"reason": "no sign"}, "survivors": judged,
    })
    assert "survivor 7, ablated: IN the Lion family" in report


def test_the_winner_alone_is_judged_by_default(tmp_path, monkeypatch):
    ablated = []
    monkeypatch.setattr(pipeline, "ablate",
                        lambda program, *args: ablated.append(program) or (program, {}))
    store = RunStore(tmp_path / "run")
    try:
        assert list(judge_survivors(outcome(), store, config(1), log=lambda line: None)) == []
        # survivors: 3 judges both non-winners, in the last stage's order.
        judged = list(judge_survivors(outcome(), store, config(3), log=lambda line: None))
    finally:
        store.close()
    assert [j["candidate_id"] for j in judged] == [7, 9] and len(ablated) == 2


def golden():
    path = ROOT / "scripts/lion_golden.py"
    spec = importlib.util.spec_from_file_location("lion_golden", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_golden_benchmark_counts_a_lion_among_the_ablated_survivors(tmp_path):
    run_dir = tmp_path / "run"
    store = RunStore(run_dir)
    (run_dir / "report").mkdir(exist_ok=True)
    lion = {"b1": 0.9, "b2": 0.99, "weight_decay": 0.01, "lr_scale": 0.001,
            "distinct_betas": True}
    (run_dir / "report" / "final.json").write_text(json.dumps({
        "winner_id": 5, "lion_family": False, "lion_match": {"distinct_betas": False},
        "funnel": {"stages": [{"promoted": []}]},
        "survivors": [
            {"candidate_id": 8, "lion_family": True,
             "lion_match": {**lion, "b2": 0.9, "distinct_betas": False}},
            {"candidate_id": 7, "lion_family": True, "lion_match": lion},
        ],
    }))
    try:
        out = golden().funnel_outcome(store, run_dir)
    finally:
        store.close()
    # The signum survivor (b1 = b2) is not Lion proper; the b1 != b2 one is.
    assert out["ablated_to_lion"] == [7]
    assert out["lion_constants"]["b2"] == 0.99


def test_the_golden_benchmark_counts_a_lion_winner(tmp_path):
    run_dir = tmp_path / "run"
    store = RunStore(run_dir)
    (run_dir / "report").mkdir(exist_ok=True)
    (run_dir / "report" / "final.json").write_text(json.dumps({
        "winner_id": 5, "lion_family": True,
        "lion_match": {"b1": 0.9, "b2": 0.99, "distinct_betas": True},
        "funnel": {"stages": [{"promoted": []}]},
    }))  # an old report, from before survivors were judged
    try:
        out = golden().funnel_outcome(store, run_dir)
    finally:
        store.close()
    assert out["ablated_to_lion"] == [5]
