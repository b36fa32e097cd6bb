"""Config loading: strict validation with one clear line, and command-line overrides."""

from __future__ import annotations

import pytest

from search.config import ConfigError, load_config


def write(tmp_path, text: str):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_defaults_follow_the_paper(tmp_path):
    config = load_config(write(tmp_path, ""))
    assert config.population == 1000
    assert config.tournament == 2
    assert config.seed_program == "adamw"


def test_nested_keys_and_overrides(tmp_path):
    path = write(tmp_path, "population: 50\nmutation:\n  insert: 2.0\ntasks:\n  proxy: {a: 1, b: 3}\n")
    config = load_config(path, ["population=200", "tasks.proxy=digits-mlp", "mutation.delete=0.5"])
    assert config.population == 200
    assert config.mutation.insert == 2.0 and config.mutation.delete == 0.5
    assert config.tasks.proxy == {"digits-mlp": 1.0}


@pytest.mark.parametrize(
    "text,overrides,fragment",
    [
        ("populaton: 10\n", [], "unknown key `populaton`; valid keys here: name, seed, population"),
        ("mutation:\n  inset: 1\n", [], "unknown key `mutation.inset`"),
        ("population: ten\n", [], "`population` must be an integer, got 'ten'"),
        ("population: 1\n", [], "`population` is 1; it must be in [2, 1000000]"),
        ("mutation:\n  const_redraw_prob: 1.5\n", [], "`mutation.const_redraw_prob` is 1.5; it must be in [0, 1]"),
        ("cache_key: md5\n", [], "`cache_key` is 'md5'; valid choices: 'hash', 'fingerprint'"),
        ("require_new: maybe\n", [], "`require_new` must be true or false"),
        ("population: [\n", [], "not valid YAML"),
        ("- 1\n- 2\n", [], "the top level must be a mapping"),
        ("", ["population"], "expected KEY=VALUE"),
        ("", ["tasks.proxy.x=-1"], "`tasks.proxy.x` is -1; it must be > 0"),
        ("evaluator:\n  kind: slurm\n", [], "valid choices: 'serial', 'ray'"),
        ("max_candidates: 100\nrestarts:\n  best_for_last_candidates: 100\n", [],
         "`restarts.best_for_last_candidates` is 100; it must be below `max_candidates` (100)"),
        ("tasks:\n  constant_rounds: 3\n  constant_tuning_on: all\n", [],
         "`tasks.constant_rounds` is 3; several tuning rounds need `tasks.constant_tuning_on: first`"),
        ("tasks:\n  constant_rounds: 0\n", [], "`tasks.constant_rounds` is 0; it must be in [1, 8]"),
    ],
)
def test_bad_configs_fail_with_one_line_naming_file_and_key(tmp_path, text, overrides, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    assert fragment in message
    assert str(path) in message or "override" in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")


def test_cli_reports_config_errors_with_exit_2(tmp_path, capsys):
    from optsearch.cli import main

    path = write(tmp_path, "populaton: 10\n")
    assert main(["run", str(path), "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown key `populaton`" in err


def test_lr_multipliers_are_a_list_of_positive_numbers(tmp_path):
    config = load_config(write(tmp_path, "tasks:\n  lr_multipliers: [1, 3, 10]\n"))
    assert config.tasks.lr_multipliers == (1.0, 3.0, 10.0)
    with pytest.raises(ConfigError, match="`tasks.lr_multipliers` is 0; it must be >= 1e-09"):
        load_config(write(tmp_path, "tasks:\n  lr_multipliers: [1, 0]\n"))
