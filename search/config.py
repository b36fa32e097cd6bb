"""Search configuration: small frozen dataclasses, loaded strictly from YAML.

Owns the schema of a run's config and its validation. Unknown keys, wrong types
and out-of-range values fail at load time with one line naming the file, the
dotted key and what would be valid. Any key can be overridden from the command
line as `dotted.key=value` (the value is read as YAML, so `population=200` is an
int and `tasks.proxy=digits-mlp` a string).
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from search.errors import UserError


class ConfigError(UserError):
    """A config that cannot be used; one line naming file and key."""


#: Largest population (and tournament) a config may ask for.
MAX_POPULATION = 10**6


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
    # Copy a statement under a fresh name, constants mutated, and point one
    # reader at the copy (search.mutation.duplicate_statement).
    duplicate: float = field(default=0.0, metadata=_range(0))
    # How often that copy keeps its constants exactly: a neutral twin.
    duplicate_exact_prob: float = field(default=0.0, metadata=_range(0, 1))
    # Rewrite a statement as an equivalent few, a simplifier rule run backwards
    # (search.expansions): neutral, it gives later edits more to reach.
    expand: float = field(default=0.0, metadata=_range(0))
    # Keep a value as a moving average in a free state slot and read the
    # average (search.smoothing).
    smooth: float = field(default=0.0, metadata=_range(0))
    const_redraw_prob: float = field(default=0.5, metadata=_range(0, 1))
    # A modified argument becomes a constant (where scalars are accepted) this often.
    const_arg_prob: float = field(default=0.3, metadata=_range(0, 1))
    # Re-mutations of one parent before giving up and drawing another parent.
    max_attempts: int = field(default=100, metadata=_range(1))
    # A child that behaves exactly as its parent (same cache key: most edits of
    # dead statements) is re-drawn, by the same mutation so the weights still
    # give the mix of edits, up to this many times per child, and counted,
    # never scored; after that it is kept, so dead code still drifts and can
    # become scaffolding. Duplicates and expansions are exempt. 0 keeps every
    # neutral child (answered from the cache at its parent's fitness).
    neutral_redraws: int = field(default=0, metadata=_range(0, 1000))


@dataclass(frozen=True)
class RestartConfig:
    """When the population is reset (Chen et al. 2023, Sec. 2.2, restarts).

    `plateau_candidates`: after this many candidates without a new best, restart
    from the best program so far (0 = never). `seed_every_candidates`: every this
    many candidates, restart from the seed program for an independent run's
    diversity (0 = never). `best_for_last_candidates`: the last this many
    candidates of `max_candidates` continue from the best program so far, with
    no seed restart among them (0 = never): the paper's restart from the best,
    for exploitation, after the independent walks. A walk that finds a new best
    near its end is otherwise cut off before its constants and its missing
    statements (a decay term, say) are tuned by its children.
    `independent_walks`: children asked before a restart from the seed but told
    after it (`ask_ahead` keeps several in flight) are recorded and cached but do
    not join the restarted population, so no lineage crosses the restart. Off,
    a fit child of the old walk joins the new one and wins its tournaments
    (off is how runs walked before the key existed).
    """

    plateau_candidates: int = field(default=0, metadata=_range(0))
    seed_every_candidates: int = field(default=0, metadata=_range(0))
    best_for_last_candidates: int = field(default=0, metadata=_range(0))
    independent_walks: bool = False


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
    # "draws" perturbs every constant at once (`constant_draws` copies); "grid"
    # sweeps each live constant over an absolute per-decade grid (interp weights
    # 0.5 ... 0.999, others 1e-3 ... 10), reaching values no perturbation of the
    # inherited constant does (a sign method's decay from AdamW's 0.01).
    constant_tuning: Literal["draws", "grid"] = "draws"
    # Tuning calls per new structure at most, each centred on the last call's
    # pick (coordinate descent on the first proxy task; stops once a call keeps
    # its centre). 1 moves at most one grid constant per birth.
    constant_rounds: int = field(default=1, metadata=_range(1, 8))
    # Fitness charged per optimizer state slot a program carries across steps
    # beyond the first: memory as a cost (AdamW keeps two slots, Lion one). The
    # search's objective only; meta-validation and the funnel score performance.
    state_slot_cost: float = field(default=0.0, metadata=_range(0, 1))


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
    # Bounded so a typo cannot ask for more memory than a machine has (a member
    # is a few hundred bytes; the paper's population is 1000).
    population: int = field(default=1000, metadata=_range(2, MAX_POPULATION))
    tournament: int = field(default=2, metadata=_range(1, MAX_POPULATION))
    # What parents are chosen on: "tournament" (fitness), or a control that keeps
    # everything else and breaks selection: "none" (every member ranks the same,
    # so the parent is a uniform draw and a restart from the best returns to the
    # seed: mutations from the seed without selection) or "shuffled" (a member
    # ranks by a fitness drawn from those told so far, not its own).
    selection: Literal["tournament", "none", "shuffled"] = "tournament"
    max_candidates: int = field(default=10_000, metadata=_range(1, 10**9))
    max_length: int = field(default=20, metadata=_range(1, 200))
    seed_program: str = "adamw"
    # Op names a mutation may write; empty means all 45.
    ops: tuple[str, ...] = ()
    # How duplicates are found: "hash" (semantic hash) or "fingerprint" (behaviour).
    cache_key: Literal["hash", "fingerprint"] = "fingerprint"
    # Re-mutate until the child is new, instead of answering it from the cache.
    require_new: bool = False
    # Candidates asked ahead of the oldest one not yet told: the search's own
    # schedule, not the evaluator's. Results are told in the order the
    # candidates were asked, and candidate n is asked once the first
    # n - ask_ahead + 1 are told, so every evaluator (serial, Ray with any
    # number of workers) walks the same way for the same seed. 1 is strictly
    # ask-score-tell; parallel workers need at least their number of calls in
    # flight (workers x pipeline_depth), plus room for the cache hits waiting
    # behind an evaluation.
    ask_ahead: int = field(default=1, metadata=_range(1, 4096))
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
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a config") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
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
    except (yaml.YAMLError, RecursionError):
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
    # Keys of any YAML type (1, true, null) are compared as text, so two unknown
    # keys of different types still sort.
    unknown = sorted((k for k in raw if k not in fields), key=str)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key `{prefix}{_key_text(unknown[0])}`; "
            f"valid keys here: {', '.join(fields)}"
        )
    values = {}
    for name, value in raw.items():
        key = prefix + name
        values[name] = _coerce(hints[name], value, source, key, fields[name].metadata)
    built = cls(**values)
    if cls is SearchConfig:
        _check_search(built, source)
    return built


#: A run name: one path component (it names the run's folder under runs/), of
#: characters every file system and shell takes as they are.
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RUN_NAME_RULE = (
    "one path component of at most 64 letters, digits, '.', '_' and '-', "
    "starting with a letter or digit"
)


def _check_search(config: SearchConfig, source: str) -> None:
    """Rules across keys of the search's own sections."""
    from dsl.ops import OPS
    from search.mutation import MUTATIONS

    if not RUN_NAME.fullmatch(config.name):
        raise ConfigError(f"{source}: `name` must be {RUN_NAME_RULE}; got {_show(config.name)}")
    if not config.tasks.proxy:
        raise ConfigError(f"{source}: `tasks.proxy` must name at least one task")
    unknown = [op for op in config.ops if op not in OPS]
    if unknown:
        raise ConfigError(
            f"{source}: `ops`: unknown op {_show(unknown[0])}; `optsearch ops` lists them"
        )
    last = config.restarts.best_for_last_candidates
    if last and last >= config.max_candidates:
        raise ConfigError(
            f"{source}: `restarts.best_for_last_candidates` is {last}; it must be "
            f"below `max_candidates` ({config.max_candidates})"
        )
    if config.tasks.constant_rounds > 1 and config.tasks.constant_tuning_on == "all":
        raise ConfigError(
            f"{source}: `tasks.constant_rounds` is {config.tasks.constant_rounds}; "
            "several tuning rounds need `tasks.constant_tuning_on: first`"
        )
    if not any(getattr(config.mutation, name, 0.0) > 0 for name in MUTATIONS):
        raise ConfigError(
            f"{source}: `mutation`: every mutation weight is 0; give at least one of "
            f"{', '.join(MUTATIONS)} a weight > 0"
        )


def _key_text(key: Any) -> str:
    """A key as the user wrote it (a string bare, anything else as its repr)."""
    return key[:60] if isinstance(key, str) else _show(key)


def _show(value: Any, limit: int = 60) -> str:
    """A value for an error line: its repr, cut short (a config can hold anything)."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"<a deeply nested {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
            raise ConfigError(f"{source}: `{key}` is {_show(value)}; valid choices: {choices}")
        return value
    if origin is dict:
        if key == "tasks.proxy" and isinstance(value, (str, list)):
            # Shorthand: one task name, or a list of names with equal weights.
            names = [value] if isinstance(value, str) else value
            if not all(isinstance(n, str) for n in names):
                raise ConfigError(
                    f"{source}: `{key}` must be a task name, a list of names or a "
                    f"mapping of names to weights, got {_show(value)}"
                )
            value = {n: 1.0 for n in names}
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: `{key}` must be a mapping, got {type(value).__name__}")
        if args and args[1] is float:
            # A weight of 0 would name a task that never counts: a mistake.
            return {
                str(k): _number(v, float, source, f"{key}.{k}", {"min": 0, "positive": True})
                for k, v in value.items()
            }
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
            raise ConfigError(f"{source}: `{key}` must be true or false, got {_show(value)}")
        return value
    if hint in (int, float):
        return _number(value, hint, source, key, meta)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{source}: `{key}` must be a string, got {_show(value)}")
        return value
    return value


def _number(value, kind, source: str, key: str, meta) -> Any:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    # (An int is exact at any size; float() of a 400-digit int would overflow.)
    if kind is int and ok and (isinstance(value, int) or value.is_integer()):
        value = int(value)
    elif kind is int or not ok:
        what = "an integer" if kind is int else "a number"
        raise ConfigError(f"{source}: `{key}` must be {what}, got {_show(value)}")
    if kind is float and isinstance(value, int) and abs(value) > 2**1023:
        value = math.inf if value > 0 else -math.inf  # what float() would overflow to
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{source}: `{key}` is {_show(value)}; it must be a finite number")
    if meta.get("positive") and value <= 0:
        raise ConfigError(f"{source}: `{key}` is {_show(value)}; it must be > 0")
    low, high = meta.get("min"), meta.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ConfigError(f"{source}: `{key}` is {_show(value)}; it must be {bounds}")
    return kind(value)


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    return obj
