"""`optsearch run --smoke`: any config's budgets shrunk so the pipeline runs in minutes.

Owns the shrinking rule. It keeps every phase of the pipeline (search with
restarts, meta-validation, every funnel stage, ablation) and makes each small:
population <= 16, <= 60 candidates, one seed per evaluation, at most two constant
tuning draws (or the grid) picked on the first task, meta-validation every
20 candidates, 3 programs into the funnel, and every meta-validation or stage task
swapped for its next smaller version (100x -> 10x, 10x -> the proxy task: the
registry's tasks fix their step counts, so a smaller task is how steps shrink),
and at most 2 of the last stage's survivors ablated.
"""

from __future__ import annotations

import copy

from funnel.config import RunConfig, run_config_from_dict

SMOKE_POPULATION = 16
SMOKE_TOURNAMENT = 4
SMOKE_CANDIDATES = 60
SMOKE_METAVAL_EVERY = 20
SMOKE_TOP_K = 3


def smaller_task(name: str) -> str:
    """The next smaller version of a task (a proxy task stays itself)."""
    from proxy_tasks.registry import get_task

    task = get_task(name)
    if task.tier == "metaval-100x":
        return f"{task.family}-10x"
    if task.tier == "metaval-10x":
        return task.family
    return name


def smoke_config(config: RunConfig) -> RunConfig:
    """`config` with every budget shrunk (see the module docstring)."""
    raw = copy.deepcopy(config.to_dict())
    raw["name"] = f"{config.name}-smoke"
    raw["population"] = min(config.population, SMOKE_POPULATION)
    raw["tournament"] = min(config.tournament, SMOKE_TOURNAMENT, raw["population"])
    raw["max_candidates"] = min(config.max_candidates, SMOKE_CANDIDATES)
    raw["checkpoint_every"] = min(config.checkpoint_every, 20)
    raw["report_every"] = min(config.report_every, 30)
    restarts = raw["restarts"]
    for key, cap in (("plateau_candidates", 30), ("seed_every_candidates", 40),
                     ("best_for_last_candidates", raw["max_candidates"] // 4)):
        if restarts[key]:
            restarts[key] = min(restarts[key], cap)
    raw["tasks"]["num_seeds"] = 1
    if raw["tasks"].get("constant_draws"):
        raw["tasks"]["constant_draws"] = min(raw["tasks"]["constant_draws"], 2)
    if raw["tasks"].get("constant_draws") or raw["tasks"].get("constant_tuning") == "grid":
        raw["tasks"]["constant_tuning_on"] = "first"  # one task compiles the variants
    if raw.get("metaval"):
        metaval = raw["metaval"]
        metaval["every"] = min(metaval.get("every", SMOKE_METAVAL_EVERY), SMOKE_METAVAL_EVERY)
        metaval["num_seeds"] = 1
        if "task" in metaval:
            metaval["task"] = smaller_task(metaval["task"])
    if raw.get("funnel"):
        funnel = raw["funnel"]
        funnel["top_k"] = min(funnel.get("top_k", SMOKE_TOP_K), SMOKE_TOP_K)
        for stage in funnel.get("stages") or []:
            if isinstance(stage, dict):
                stage["tasks"] = {smaller_task(t): w for t, w in (stage.get("tasks") or {}).items()}
                stage["num_seeds"] = 1
                stage["promote"] = min(stage.get("promote", 2), 2)
        ablation = funnel.get("ablation")
        if isinstance(ablation, dict):
            ablation["num_seeds"] = 1
            ablation["tune_rounds"] = min(ablation.get("tune_rounds", 0), 5)
            ablation["survivors"] = min(ablation.get("survivors", 1), 2)
            mults = ablation.get("lr_multipliers")
            if isinstance(mults, list) and len(mults) > 3:
                middle = len(mults) // 2
                ablation["lr_multipliers"] = mults[middle - 1 : middle + 2]
    return run_config_from_dict(raw, f"{config.name} (smoke)")
