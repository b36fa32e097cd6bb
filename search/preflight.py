"""Checks of a search config that need more than its schema, before a run starts.

Owns what `search.config` cannot see from the YAML alone: every proxy task
exists, and the seed program loads (a file, a built-in name or `RUN_DIR:ID`)
and fits the executor. Run before anything is created, so a rejected config
leaves no run directory; each failure is one `ConfigError` line naming the
config file and the key.
"""

from __future__ import annotations

from dsl.analysis import analyze
from dsl.parser import ProgramError
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
    live = analyze(seed).num_live
    if live > config.tasks.executor_length:
        raise ConfigError(
            f"{source}: `tasks.executor_length` is {config.tasks.executor_length}; "
            f"the seed program {config.seed_program} has {live} live statements, "
            f"so it must be >= {live}"
        )
