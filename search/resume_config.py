"""What a resumed run may change in its config, judged against the config it ran with.

Owns the rule that a run's fitness and its walk are fixed when it starts. Each
session records its config in the run's database (`RunStore.record_config`,
which the user's edit of `config.yaml` does not touch); a resume compares the
config it was given (the edited file, with any `KEY=VALUE`) against that record.

Fixed (a change is refused with one line naming the key, old -> new):
- what defines fitness: `tasks.proxy` (tasks and weights), `tasks.num_seeds`,
  `tasks.executor_length`, `tasks.lr_multipliers`, the constant tuning settings
  and `tasks.state_slot_cost`, and `cache_key`, which decides which recorded
  fitness answers a new candidate. A cache hit after such a change would give a
  new candidate the old fitness, and one population would hold two objectives;
- what defines the walk: `seed_program` (its name and the program it reads as,
  compared with candidate 0), `ops`, `max_length`, `seed`, `tournament`, `selection`,
  `require_new`, `mutation.*`, `restarts.*` (and `ask_ahead` where the config
  has it). Rows recorded before and after
  such a change would be two searches, and a replay (after a kill, or from a
  damaged checkpoint) could not regenerate them.

Free (`FREE_KEYS`; every other key is fixed), each change noted in one line:
budgets and machinery: `population` and `max_candidates` (a replay tells each
row under the population and budget of the session that told it), `tasks.time_budget_s` (a wall-time guard that depends on the
machine: a candidate that finishes in time scores the same), `evaluator.*`,
`checkpoint_every`, `report_every`, `name`, and the `funnel` and `metaval`
sections (they judge the search's results, not its fitness).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from dsl.parser import one_line
from search.config import ConfigError

#: Dotted keys (or sections) that define what a candidate's fitness means.
FITNESS_KEYS = (
    "tasks.proxy",
    "tasks.num_seeds",
    "tasks.executor_length",
    "tasks.lr_multipliers",
    "tasks.constant_draws",
    "tasks.constant_scale",
    "tasks.constant_tuning_on",
    "tasks.constant_tuning",
    "tasks.constant_rounds",
    "tasks.state_slot_cost",
    "cache_key",
)
#: Dotted keys (or sections) that define which candidates the search generates.
WALK_KEYS = (
    "seed_program",
    "ops",
    "max_length",
    "seed",
    "tournament",
    "selection",
    "require_new",
    "mutation",
    "restarts",
    "ask_ahead",  # the order candidates are asked and told in
)
#: Dotted keys (or sections) a resume may change: budgets and machinery. Every
#: other key is fixed (a key added to the config is fixed until it is listed here).
FREE_KEYS = (
    "population",
    "max_candidates",
    "tasks.time_budget_s",
    "evaluator",
    "checkpoint_every",
    "report_every",
    "name",
    "funnel",
    "metaval",
)
#: Keys added to the config after runs were recorded without them, with the
#: value those runs walked by (the code before the key behaved as this value).
ADDED_KEYS = {"selection": "tournament", "mutation.expand": 0.0, "mutation.smooth": 0.0,
              "restarts.independent_walks": False}
#: Mappings compared as one value (a task's weight is part of the task list).
_LEAVES = ("tasks.proxy",)


def _with_added_keys(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of `config` with each key of `ADDED_KEYS` it lacks set to the value
    runs walked by before the key existed (on either side of a comparison)."""
    config = dict(config)
    for dotted, value in ADDED_KEYS.items():
        *sections, key = dotted.split(".")
        node = config
        for name in sections:
            inner = node.get(name)
            if not isinstance(inner, dict):
                break
            node[name] = inner = dict(inner)
            node = inner
        else:
            node.setdefault(key, value)
    return config


class ConfigChanged(ConfigError):
    """A resume whose config changes what the run's fitness or walk is."""


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`config` as {dotted key: value}, sections opened (tasks.proxy kept whole)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in _LEAVES:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def changes(
    recorded: dict[str, Any], given: dict[str, Any]
) -> list[tuple[str, Any, Any]]:
    """(dotted key, recorded value, given value) of every key that differs, in
    the given config's order (a key one side lacks counts as None there)."""
    old, new = flatten(_plain(recorded)), flatten(_plain(given))
    keys = list(new) + [k for k in old if k not in new]
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def is_fixed(key: str) -> str | None:
    """What a dotted key defines ("fitness" or "the walk"), or None if it is free."""
    if _under(key, FREE_KEYS):
        return None
    return "fitness" if _under(key, FITNESS_KEYS) else "the walk"


def _under(key: str, keys: tuple[str, ...]) -> bool:
    return any(key == k or key.startswith(k + ".") for k in keys)


def check_resume(
    recorded: dict[str, Any] | None,
    given: dict[str, Any],
    source: str,
    seed_text: str | None = None,
    recorded_seed_text: str | None = None,
) -> str | None:
    """Refuse a resume that changes a fixed key; describe the free changes.

    Args:
        recorded: the config the run last ran with (None: not recorded, a run
            from before configs were recorded; only the seed is compared).
        given: the config the resume was given.
        source: the config file, for the message.
        seed_text, recorded_seed_text: the text the seed program reads as now,
            and candidate 0's stored text (None: not compared).

    Returns:
        one line listing the free changes (old -> new), or None if there are none.

    Raises:
        ConfigChanged: one line naming the first fixed key that changed, old -> new.
    """
    if recorded is not None:
        recorded, given = _with_added_keys(recorded), _with_added_keys(given)
    found = changes(recorded, given) if recorded is not None else []
    fixed = [(k, a, b) for k, a, b in found if is_fixed(k)]
    if fixed:
        key, old, new = fixed[0]
        more = (
            f" (and {len(fixed) - 1} more: {_keys(fixed[1:])})"
            if len(fixed) > 1
            else ""
        )
        raise ConfigChanged(
            f"{source}: cannot resume with `{key}` changed ({_show(old)} -> "
            f"{_show(new)}){more}: it defines {is_fixed(key)}, so the run's recorded "
            f"candidates and new ones would not belong to one search; set it back "
            f"to {_show(old)}, or start a new run"
        )
    if seed_text is not None and recorded_seed_text is not None:
        if seed_text != recorded_seed_text:
            name = one_line(str(given.get("seed_program")))
            raise ConfigChanged(
                f"{source}: cannot resume: `seed_program` {name} no longer reads as "
                "the program the run started from (candidate 0; was the file "
                "edited?); restore it, or start a new run"
            )
    if not found:
        return None
    shown = ", ".join(f"{k} {_show(a)} -> {_show(b)}" for k, a, b in found[:4])
    more = f", and {len(found) - 4} more" if len(found) > 4 else ""
    return f"resuming with a changed config: {shown}{more}"


def config_for_row(config, sessions: list[tuple[int, dict[str, Any]]], told_seq: int):
    """`config` as it was when row `told_seq` was told: with the population and
    budget of the session that told it (`sessions`: (rows told before it began,
    its config), oldest first), which is what telling that row again must use.
    Rows from before any recorded session take `config` as it is."""
    found = None
    for began_after, session in sessions:
        if began_after < told_seq:
            found = session
    if found is None:
        return config
    free = {
        key: found[key]
        for key in ("population", "max_candidates")
        if isinstance(found.get(key), int) and not isinstance(found.get(key), bool)
    }
    return dataclasses.replace(config, **free) if free else config


def _plain(config: dict[str, Any]) -> dict[str, Any]:
    """`config` as JSON holds it (tuples as lists), so a record and a live
    config compare equal when they are."""
    return json.loads(json.dumps(config))


def _keys(found: list[tuple[str, Any, Any]]) -> str:
    shown = ", ".join(k for k, _, _ in found[:3])
    return shown + (", ..." if len(found) > 3 else "")


def _show(value: Any, limit: int = 40) -> str:
    text = one_line(json.dumps(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."
