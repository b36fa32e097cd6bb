"""Task mixes declared in YAML: which tasks score a search, with what weights.

A mix file (e.g. `configs/tasks/lion_favoring.yaml`) holds one mapping, `proxy`,
from task names to positive weights, and optionally a `metaval` list of tasks
the funnel checks survivors on. Loading is strict: unknown keys, unknown tasks
and non-positive weights fail with the file and the valid choices.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from proxy_tasks.registry import get_task, task_names

_KEYS = ("proxy", "metaval", "description")


class MixError(ValueError):
    """A task mix that cannot be used; one line naming the file and the key."""


def load_task_mix(path: str | Path) -> dict[str, float]:
    """The `proxy` task weights of the mix file at `path`.

    Raises:
        MixError: unreadable file, unknown key or task, or a bad weight.
    """
    return _load(path)["proxy"]


def load_metaval_tasks(path: str | Path) -> list[str]:
    """The `metaval` task list of the mix file at `path` (may be empty)."""
    return _load(path)["metaval"]


def _load(path: str | Path) -> dict:
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise MixError(f"{path}: cannot read: {exc}") from None
    if not isinstance(raw, dict):
        raise MixError(f"{path}: expected a mapping with keys {', '.join(_KEYS)}")
    unknown = set(raw) - set(_KEYS)
    if unknown:
        raise MixError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; valid: {', '.join(_KEYS)}"
        )
    proxy = raw.get("proxy")
    if not isinstance(proxy, dict) or not proxy:
        raise MixError(f"{path}: `proxy` must map task names to weights")
    weights = {}
    for name, weight in proxy.items():
        _check_task(path, f"proxy.{name}", name)
        if (
            isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or not weight > 0
        ):
            raise MixError(
                f"{path}: proxy.{name}: weight must be a positive number, got {weight!r}"
            )
        weights[name] = float(weight)
    metaval = raw.get("metaval") or []
    if not isinstance(metaval, list):
        raise MixError(f"{path}: `metaval` must be a list of task names")
    for name in metaval:
        _check_task(path, "metaval", name)
    return {"proxy": weights, "metaval": list(metaval)}


def _check_task(path, key: str, name) -> None:
    try:
        get_task(str(name))
    except KeyError:
        raise MixError(
            f"{path}: {key}: unknown task {name!r}; valid: {', '.join(task_names())}"
        ) from None
