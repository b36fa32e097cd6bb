"""The funnel and metaval sections are validated strictly, and a stage charges
state slots only when it says so."""

import pytest

from dsl.library import load_builtin
from funnel.config import funnel_config, metaval_config
from funnel.stages import stage_spec
from search.config import ConfigError
from search.scoring import build_scorer

STAGES = [{"name": "s10", "tasks": {"heavy-tail-regression-10x": 1.0}, "num_seeds": 2}]


def test_a_valid_funnel_section_loads():
    config = funnel_config({"top_k": 4, "stages": STAGES,
                            "ablation": {"task": "digits-mlp", "lr_multipliers": [1, 3]}})
    assert config.top_k == 4 and config.stages[0].num_seeds == 2
    assert config.ablation.lr_multipliers == (1.0, 3.0)


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"stages": STAGES, "topk": 3}, "funnel.topk"),
        ({"stages": [{"tasks": {"digits-mlp": 1}, "seeds": 2}]}, "funnel.stages[0].seeds"),
        ({"stages": [{"tasks": {"no-such-task": 1}}]}, "funnel.stages[0].tasks"),
        ({"stages": STAGES, "ablation": {"tolerance": -1}}, "funnel.ablation.tolerance"),
        ({"stages": []}, "funnel.stages"),
    ],
)
def test_bad_funnel_sections_name_the_file_and_key(raw, key):
    with pytest.raises(ConfigError) as info:
        funnel_config(raw, "lion.yaml")
    message = str(info.value)
    assert message.startswith("lion.yaml:") and key in message and "\n" not in message


def test_metaval_unknown_key_and_unknown_task_fail():
    with pytest.raises(ConfigError, match="metaval.evry"):
        metaval_config({"evry": 5}, "x.yaml")
    with pytest.raises(ConfigError, match="metaval.task"):
        metaval_config({"task": "nope"}, "x.yaml")
    assert metaval_config(None) is None


def test_a_stage_charges_state_slots_as_the_search_does_when_asked():
    charged = [{**STAGES[0], "tasks": {"heavy-tail-regression": 1.0},
                "state_slot_cost": 0.02}]
    plain = [{**charged[0], "state_slot_cost": 0.0}]
    specs = [stage_spec(funnel_config({"stages": s}).stages[0], 16) for s in (charged, plain)]
    assert [s.state_slot_cost for s in specs] == [0.02, 0.0]
    adamw = load_builtin("adamw")  # two slots: charged once
    with_charge, without = (build_scorer(s).score(adamw, 0).fitness for s in specs)
    assert with_charge == pytest.approx(without - 0.02)


def test_a_negative_slot_charge_in_a_stage_names_its_key():
    with pytest.raises(ConfigError, match=r"funnel\.stages\[0\]\.state_slot_cost"):
        funnel_config({"stages": [{**STAGES[0], "state_slot_cost": -1}]}, "lion.yaml")
