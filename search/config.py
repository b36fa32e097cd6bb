"""Search configuration: small frozen dataclasses, loaded strictly from YAML.

Owns the schema of a run's config and its validation. Unknown keys, wrong types
and out-of-range values fail at load time with one line naming the file, the
dotted key and what would be valid. Any key can be overridden from the command
line as `dotted.key=value` (the value is read as YAML, so `population=200` is an
int and `tasks.proxy=digits-mlp` a string).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from search.errors import UserError


class ConfigError(UserError):
    """A config that cannot be used; one line naming file and key."""


def _range(low: float | None = None, high: float | None = None) -> dict:
    return {"min": low, "max": high}


@dataclass(frozen=True)
class MutationConfig:
    """How children are made (Chen et al. 2023, Sec. 2.2: insert, delete, modify).

    The weights are relative probabilities of each mutation in
    `search.mutation.MUTATIONS` (one field per name). A modified
    constant is redrawn from N(0, 1) with probability `const_redraw_prob`, else
    multiplied by 2^N(0, 1).
    """

    insert: float = field(default=1.0, metadata=_range(0))
    delete: float = field(default=1.0, metadata=_range(0))
    modify: float = field(default=1.0, metadata=_range(0))
    # Op-changing mutations (search.mutation), off by default as in the paper.
    change_op: float = field(default=0.0, metadata=_range(0))
    randomize: float = field(default=0.0, metadata=_range(0))
    const_redraw_prob: float = field(default=0.5, metadata=_range(0, 1))
    # A modified argument becomes a constant (where scalars are accepted) this often.
    const_arg_prob: float = field(default=0.3, metadata=_range(0, 1))
    # Re-mutations of one parent before giving up and drawing another parent.
    max_attempts: int = field(default=100, metadata=_range(1))


@dataclass(frozen=True)
class RestartConfig:
    """When the population is reset (Chen et al. 2023, Sec. 2.2, restarts).

    `plateau_candidates`: after this many candidates without a new best, restart
    from the best program so far (0 = never). `seed_every_candidates`: every this
    many candidates, restart from the seed program for an independent run's
    diversity (0 = never).
    """

    plateau_candidates: int = field(default=0, metadata=_range(0))
    seed_every_candidates: int = field(default=0, metadata=_range(0))


@dataclass(frozen=True)
class TasksConfig:
    """What scores a candidate: proxy tasks with weights, and how they are run."""

    proxy: dict[str, float] = field(default_factory=lambda: {"digits-mlp": 1.0})
    num_seeds: int = field(default=2, metadata=_range(1))
    # Statements the compile-once executor runs (live statements only).
    executor_length: int = field(default=24, metadata=_range(1, 200))
    time_budget_s: float = field(default=10.0, metadata=_range(0.001))
    # Factors on every task's lr schedule, run in one vectorized call; the best one
    # counts (a rule is not thrown away for a slightly-off lr constant).
    lr_multipliers: tuple[float, ...] = (1.0,)
    # Per-candidate constant tuning: each new structure is also scored at this many
    # perturbed copies of its live constants (x 2^(scale * N(0, 1)); interp weights
    # in logit space) in the same vectorised call, on the first proxy task; the
    # best copy's constants are written into the child. 0 turns it off.
    constant_draws: int = field(default=0, metadata=_range(0, 64))
    constant_scale: float = field(default=1.0, metadata=_range(0.01, 10))
    # Which tasks pick the tuned constants: the first proxy task only (cheap), or
    # every proxy task by the weighted fitness (each variant runs on all).
    constant_tuning_on: Literal["first", "all"] = "first"


@dataclass(frozen=True)
class EvaluatorConfig:
    """Where candidates are scored: in this process, or on Ray workers."""

    kind: Literal["serial", "ray"] = "serial"
    workers: int = field(default=2, metadata=_range(1))
    cpus_per_worker: float = field(default=1.0, metadata=_range(0.01))
    # Address of an existing Ray cluster ("auto", "HOST:PORT"); None starts a local one.
    address: str | None = None
    # Calls queued per worker: 2 hides the driver round trip between candidates.
    pipeline_depth: int = field(default=2, metadata=_range(1, 8))
    # A candidate that kills this many workers is recorded as failed.
    max_worker_deaths: int = field(default=3, metadata=_range(1))


@dataclass(frozen=True)
class SearchConfig:
    """One search run. Defaults follow the paper where it gives numbers."""

    name: str = "search"
    seed: int = field(default=0, metadata=_range(0))
    population: int = field(default=1000, metadata=_range(2))
    tournament: int = field(default=2, metadata=_range(1))
    max_candidates: int = field(default=10_000, metadata=_range(1))
    max_length: int = field(default=20, metadata=_range(1, 200))
    seed_program: str = "adamw"
    # Op names a mutation may write; empty means all 45.
    ops: tuple[str, ...] = ()
    # How duplicates are found: "hash" (semantic hash) or "fingerprint" (behaviour).
    cache_key: Literal["hash", "fingerprint"] = "fingerprint"
    # Re-mutate until the child is new, instead of answering it from the cache.
    require_new: bool = False
    checkpoint_every: int = field(default=25, metadata=_range(1))
    report_every: int = field(default=200, metadata=_range(1))
    mutation: MutationConfig = MutationConfig()
    restarts: RestartConfig = RestartConfig()
    tasks: TasksConfig = TasksConfig()
    evaluator: EvaluatorConfig = EvaluatorConfig()

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)


def load_config(path: str | Path, overrides: list[str] = ()) -> SearchConfig:
    """Read, override and validate a config file of the search alone (a whole
    run's config, with `funnel` and `metaval` sections, is
    `funnel.config.load_run_config`).

    Raises:
        ConfigError: unreadable file, bad YAML, bad override, unknown key, wrong
            type or out-of-range value.
    """
    return config_from_dict(read_config(path, overrides), str(path))


def read_config(path: str | Path, overrides: list[str] = ()) -> dict[str, Any]:
    """The mapping a config file holds, with `KEY=VALUE` overrides applied.

    Raises:
        ConfigError: unreadable file, bad YAML, not a mapping, or a bad override.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) if path.is_file() else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
    for override in overrides:
        _apply_override(raw, override, path)
    return raw


def config_from_dict(raw: dict[str, Any], source: str = "<config>") -> SearchConfig:
    """Validate a plain dict (as read from YAML) into a `SearchConfig`."""
    return build_section(SearchConfig, raw, source, "")


def _apply_override(raw: dict, override: str, source: Path) -> None:
    if "=" not in override:
        raise ConfigError(f"override {override!r}: expected KEY=VALUE, e.g. population=200")
    key, _, text = override.partition("=")
    try:
        value = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        value = text
    node = raw
    parts = key.strip().split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{source}: override `{key}`: `{part}` is not a section")
        node = child
    node[parts[-1]] = value


def build_section(cls, raw: Any, source: str, prefix: str):
    """Validate the mapping `raw` into the frozen dataclass `cls`: the one strict
    builder every config section goes through (`prefix` is the section's dotted
    path, e.g. "funnel.", for the error's key).

    Raises:
        ConfigError: one line naming `source`, the key and what would be valid.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: `{prefix.rstrip('.') or 'top level'}` must be a mapping")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key `{prefix}{unknown[0]}`; valid keys here: {', '.join(fields)}"
        )
    values = {}
    for name, value in raw.items():
        key = prefix + name
        values[name] = _coerce(hints[name], value, source, key, fields[name].metadata)
    return cls(**values)


def _coerce(hint, value, source: str, key: str, meta) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return build_section(hint, value if value is not None else {}, source, key + ".")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, source, key, meta)
    if origin is Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise ConfigError(f"{source}: `{key}` is {value!r}; valid choices: {choices}")
        return value
    if origin is dict:
        if key == "tasks.proxy" and isinstance(value, (str, list)):
            # Shorthand: one task name, or a list of names with equal weights.
            value = {value: 1.0} if isinstance(value, str) else {n: 1.0 for n in value}
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: `{key}` must be a mapping, got {type(value).__name__}")
        if args and args[1] is float:
            return {str(k): _number(v, float, source, f"{key}.{k}", {"min": 0}) for k, v in value.items()}
        return dict(value)
    if origin is tuple:
        if args and args[0] is float:
            items = value if isinstance(value, list) else [value]
            if not items:
                raise ConfigError(f"{source}: `{key}` must be a non-empty list of numbers")
            return tuple(_number(v, float, source, key, {"min": 1e-9}) for v in items)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: `{key}` must be a list of names")
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: `{key}` must be true or false, got {value!r}")
        return value
    if hint in (int, float):
        return _number(value, hint, source, key, meta)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{source}: `{key}` must be a string, got {value!r}")
        return value
    return value


def _number(value, kind, source: str, key: str, meta) -> Any:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int and ok and float(value).is_integer():
        value = int(value)
    elif kind is int or not ok:
        raise ConfigError(f"{source}: `{key}` must be {'an integer' if kind is int else 'a number'}, got {value!r}")
    low, high = meta.get("min"), meta.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ConfigError(f"{source}: `{key}` is {value}; it must be {bounds}")
    return kind(value)


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    return obj
