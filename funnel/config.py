"""A whole run's config: the search's sections plus `funnel` and `metaval`.

Owns `RunConfig`, the one typed config of a run (`SearchConfig` extended with
the two sections the search does not know), `load_run_config`, which reads and
validates a file once, and the schema of the two sections. Validation goes
through the same strict builder as the rest of the config
(`search.config.build_section`), so an unknown key or a bad value fails at load
time with one line naming the file and the dotted key.

    funnel:
      top_k: 10                 # programs by search fitness entering the first stage
      metaval_top_k: 2          # and the programs meta-validation scored highest (default 0)
      distinct_tuned: true      # count entrants by tuned program, not cache key (default false)
      baseline: adamw           # default: the run's seed program
      stages:
        - name: metaval-10x
          tasks: {heavy-tail-regression-10x: 1.0}
          num_seeds: 2
          promote: 3            # at most this many (of those beating the baseline) move on
        - name: metaval-100x
          tasks: {heavy-tail-regression-100x: 1.0}
          num_seeds: 1
          promote: 3
      ablation:                 # fitness-based simplification of the winner
        task: heavy-tail-regression
        tolerance: 0.02
        num_seeds: 4
        lr_multipliers: [0.3, 1, 3, 10, 30]
        survivors: 3            # and of the next two the last stage promoted
    metaval:
      task: heavy-tail-regression-10x
      every: 200                # candidates told between meta-validations
      num_seeds: 2
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from search.config import ConfigError, SearchConfig, build_section, read_config


def _range(low: float | None = None, high: float | None = None) -> dict:
    return {"min": low, "max": high}


@dataclass(frozen=True)
class StageConfig:
    """One funnel stage: a larger task, its seeds, and how many move on."""

    name: str = "stage"
    tasks: dict[str, float] = field(default_factory=dict)
    num_seeds: int = field(default=1, metadata=_range(1))
    # Of the programs that beat the baseline here, at most this many move on.
    promote: int = field(default=1, metadata=_range(1))
    # Wall-time limit per evaluation; stage tasks are 10-100x the proxy's cost.
    time_budget_s: float = field(default=900.0, metadata=_range(0.001))
    # Factors on the lr schedule (best counts), as for the search's own scoring;
    # the baseline is evaluated the same way.
    lr_multipliers: tuple[float, ...] = (1.0,)
    # Fitness charged per state slot carried beyond the first, as the search's
    # `tasks.state_slot_cost`. 0 (the default) ranks on performance alone, so a
    # search that selected with a charge can be overruled here by a rule the
    # charge kept down (docs/rediscovery/lion/objective.md, seed 13).
    state_slot_cost: float = field(default=0.0, metadata=_range(0, 1))


@dataclass(frozen=True)
class AblationConfig:
    """Fitness-based simplification of the funnel's winner and, if `survivors` asks,
    of the last stage's other survivors (see `funnel.ablation`)."""

    task: str = "heavy-tail-regression"
    # A deletion is kept when fitness stays within this of the original's.
    tolerance: float = field(default=0.02, metadata=_range(0))
    num_seeds: int = field(default=4, metadata=_range(1))
    # Rounds of constant-only evolution (insertions and deletions off) after the
    # deletions; 0 switches it off.
    tune_rounds: int = field(default=0, metadata=_range(0))
    # Factors on the task's lr schedule; the best one counts, so a removal is
    # judged by the update rule at its best lr scale (see `funnel.ablation`).
    lr_multipliers: tuple = (0.3, 1.0, 3.0, 10.0, 30.0)
    # Ablate and judge this many of the last stage's survivors, best first (1: the
    # winner alone; the last stage's `promote` bounds how many there are). A
    # search can find more than one kind of rule that beats the baseline at every
    # stage; each is then reported reduced, not only the best.
    survivors: int = field(default=1, metadata=_range(1))


@dataclass(frozen=True)
class FunnelConfig:
    """Multi-stage selection after the search (Chen et al. 2023, Sec. 3)."""

    top_k: int = field(default=10, metadata=_range(1))
    # Also enter this many of the programs the meta-validation checks scored
    # highest: under meta-overfitting (the paper's Fig. 3) the search's top
    # programs are its most overfit ones, and the best transferring program is an
    # earlier best.
    metaval_top_k: int = field(default=0, metadata=_range(0))
    # Count the search's entrants by the behaviour of the kept (tuned) program,
    # not by cache key: children tuned to one program are one entrant. Off by
    # default, so the frozen configs' archived funnels rerun as recorded.
    distinct_tuned: bool = False
    # None: the run's seed program (the paper's baseline is the AdamW seed).
    baseline: str | None = None
    stages: tuple[StageConfig, ...] = ()
    ablation: AblationConfig | None = None


@dataclass(frozen=True)
class MetavalConfig:
    """Meta-validation during the search (the paper's Fig. 3)."""

    task: str = "heavy-tail-regression-10x"
    every: int = field(default=200, metadata=_range(1))
    num_seeds: int = field(default=2, metadata=_range(1))
    # Meta-overfitting begins at the last meta-validation peak once the search's
    # best fitness has risen at `patience` later checks while the meta-validation
    # fitness stayed below that peak (see `funnel.metaval.overfit_onset`).
    patience: int = field(default=2, metadata=_range(1))
    lr_multipliers: tuple[float, ...] = (1.0,)


@dataclass(frozen=True)
class RunConfig(SearchConfig):
    """One run: the search's config, and the funnel and meta-validation after and
    during it (None: not run). Anything taking a `SearchConfig` takes this."""

    funnel: FunnelConfig | None = None
    metaval: MetavalConfig | None = None

    def search_config(self) -> SearchConfig:
        """The search's sections alone."""
        names = [f.name for f in dataclasses.fields(SearchConfig)]
        return SearchConfig(**{n: getattr(self, n) for n in names})


def load_run_config(path: str | Path, overrides: list[str] = ()) -> RunConfig:
    """Read, override and validate a run's config file, every section, once.

    Raises:
        ConfigError: one line naming the file and the key.
    """
    return run_config_from_dict(read_config(path, overrides), str(path))


def run_config_from_dict(raw: dict[str, Any], source: str = "<config>") -> RunConfig:
    """Validate a plain dict (as read from YAML) into a `RunConfig`."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys to values")
    raw = dict(raw)
    funnel_raw, metaval_raw = raw.pop("funnel", None), raw.pop("metaval", None)
    search = build_section(SearchConfig, raw, source, "")
    funnel = funnel_config(funnel_raw, source)
    metaval = metaval_config(metaval_raw, source)
    names = [f.name for f in dataclasses.fields(SearchConfig)]
    return RunConfig(
        **{n: getattr(search, n) for n in names}, funnel=funnel, metaval=metaval
    )


def funnel_config(raw: dict[str, Any] | None, source: str = "<config>") -> FunnelConfig | None:
    """Validate the `funnel` section (None stays None).

    Raises:
        ConfigError: unknown key, wrong type, bad value, no stages or an unknown task.
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: `funnel` must be a mapping")
    raw = dict(raw)
    stages_raw = raw.pop("stages", None)
    ablation_raw = raw.pop("ablation", None)
    config = build_section(FunnelConfig, raw, source, "funnel.")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ConfigError(f"{source}: `funnel.stages` must be a non-empty list of stages")
    stages = tuple(
        build_section(StageConfig, s, source, f"funnel.stages[{i}].")
        for i, s in enumerate(stages_raw)
    )
    for i, stage in enumerate(stages):
        if not stage.tasks:
            raise ConfigError(f"{source}: `funnel.stages[{i}].tasks` must name at least one task")
        for task, weight in stage.tasks.items():
            _check_task(task, source, f"funnel.stages[{i}].tasks")
            if not weight > 0:
                raise ConfigError(f"{source}: `funnel.stages[{i}].tasks.{task}` must be > 0")
    ablation = None
    if ablation_raw is not None:
        if not isinstance(ablation_raw, dict):
            raise ConfigError(f"{source}: `funnel.ablation` must be a mapping")
        ablation_raw = dict(ablation_raw)
        mults = ablation_raw.pop("lr_multipliers", None)
        ablation = build_section(AblationConfig, ablation_raw, source, "funnel.ablation.")
        if mults is not None:
            ok = isinstance(mults, list) and mults and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in mults
            )
            if not ok:
                raise ConfigError(
                    f"{source}: `funnel.ablation.lr_multipliers` must be a list of positive numbers"
                )
            ablation = replace(ablation, lr_multipliers=tuple(float(x) for x in mults))
        _check_task(ablation.task, source, "funnel.ablation.task")
    return replace(config, stages=stages, ablation=ablation)


def metaval_config(raw: dict[str, Any] | None, source: str = "<config>") -> MetavalConfig | None:
    """Validate the `metaval` section (None stays None).

    Raises:
        ConfigError: unknown key, wrong type, bad value or an unknown task.
    """
    if raw is None:
        return None
    config = build_section(MetavalConfig, raw, source, "metaval.")
    _check_task(config.task, source, "metaval.task")
    return config


def _check_task(name: str, source: str, key: str) -> None:
    from proxy_tasks.registry import get_task

    try:
        get_task(name)
    except KeyError as exc:
        raise ConfigError(f"{source}: `{key}`: {exc.args[0]}") from None
