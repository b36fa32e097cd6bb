"""Checks of a search config that need more than its schema, before a run starts.

Owns what `search.config` cannot see from the YAML alone: every proxy task
exists, and the seed program loads (a file, a built-in name or `RUN_DIR:ID`),
fits the executor and has constants float32 (the executor's precision) holds. Run before anything is created, so a rejected config
leaves no run directory; each failure is one `ConfigError` line naming the
config file and the key.
"""

from __future__ import annotations

import numpy as np

from dsl.analysis import analyze, liveness
from dsl.parser import ProgramError, one_line
from dsl.program import Const, Program
from search.config import ConfigError, SearchConfig
from search.errors import UserError
from search.programs import load_named


def check_run_config(config: SearchConfig, source: str) -> None:
    """Raise `ConfigError` (one line naming `source` and the key) if the config
    names an unknown task, or a seed program that does not load or fit."""
    from proxy_tasks.registry import get_task

    for name in config.tasks.proxy:
        try:
            get_task(name)
        except KeyError as exc:
            raise ConfigError(f"{source}: `tasks.proxy`: {exc.args[0]}") from None
    try:
        seed = load_named(config.seed_program, config.max_length)
    except (ProgramError, UserError) as exc:
        raise ConfigError(f"{source}: `seed_program`: {exc}") from None
    _check_float32(seed, config.seed_program, source)
    live = analyze(seed).num_live
    if live > config.tasks.executor_length:
        raise ConfigError(
            f"{source}: `tasks.executor_length` is {config.tasks.executor_length}; "
            f"the seed program {config.seed_program} has {live} live statements, "
            f"so it must be >= {live}"
        )


def _check_float32(seed: Program, name: str, source: str) -> None:
    """Refuse a seed constant float32 cannot hold: programs run in float32, where
    it would be inf (the seed then fails on every task, found only after
    compiling) or silently 0."""
    live, _ = liveness(seed)  # dead code never runs
    for index, (statement, runs) in enumerate(zip(seed.statements, live)):
        for arg in statement.args if runs else ():
            if not isinstance(arg, Const):
                continue
            with np.errstate(over="ignore", under="ignore"):
                single = np.float32(arg.value)
            if np.isinf(single) or (single == 0 and arg.value != 0):
                what = "inf" if np.isinf(single) else "0"
                raise ConfigError(
                    f"{source}: `seed_program`: {one_line(name)}: statement {index + 1}: "
                    f"the constant {arg.value!r} is out of float32 range (programs run "
                    f"in float32, where it would be {what}; |c| must be within "
                    "1.4e-45 .. 3.4e38)"
                )
