"""Task mixes in YAML: strict loading with one-line errors."""

from __future__ import annotations

import pytest

from dsl.library import configs_dir
from proxy_tasks.mix import MixError, load_metaval_tasks, load_task_mix


def test_the_shipped_lion_favouring_mix_loads():
    path = configs_dir() / "tasks" / "lion_favoring.yaml"
    weights = load_task_mix(path)
    assert weights["teacher-noisy"] > 0
    assert "teacher-noisy-100x" in load_metaval_tasks(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("proxy: {nope: 1}\n", "unknown task 'nope'"),
        ("proxy: {digits-mlp: 0}\n", "positive number"),
        ("proxy: {digits-mlp: 1}\nextra: 2\n", "unknown key"),
        ("proxy: []\n", "map task names"),
    ],
)
def test_bad_mixes_fail_with_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "mix.yaml"
    path.write_text(text)
    with pytest.raises(MixError, match=message) as info:
        load_task_mix(path)
    assert str(path) in str(info.value)
