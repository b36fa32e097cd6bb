"""Experiment-only tasks: the families the Lion tuning campaign tried and left.

Nothing in the product uses these: no shipped config, baseline default or
documented benchmark. They are kept only so that the commands in
docs/lion_experiment_log.md and the `config.yaml` of old run directories still
resolve by name. They live in the registry's experiment table
(`proxy_tasks.registry`): `get_task` finds them, `task_names` and `optsearch
tasks` show them only when asked (`experiments=True`, `--all`).

Each family is built with the registry's own helpers from a product task, so
its records, and therefore its fitness, are exactly what they were when the
campaign measured them. Importing this module registers them; the package's
`__init__` does that, so any import of `proxy_tasks` sees them.
"""

from __future__ import annotations

from dataclasses import replace

from proxy_tasks.registry import (
    _CHARS_MLP_100X,
    _CHARS_MLP_10X,
    _CLEAN_B128,
    _GRADIENT_SCALE_PAIR,
    _TEACHER_CONST_100X,
    _TEACHER_CONST_10X,
    _args,
    _constant_lr_teacher_family,
    _family,
    get_task,
)

# --- the character model at a constant lr (the schedule input is 1 at every
# step): no schedule for a rule to exploit. Tuned with every constant (betas
# included, `scripts/tune_constants.py`), Lion and AdamW tie here; under the
# linear schedule (`chars-mlp`) Lion leads (docs/tasks.md, "Tuned with every
# constant").
_family(
    replace(
        get_task("chars-mlp"), name="chars-const", family="chars-const",
        schedule="constant", description="chars-mlp at a constant lr",
    ),
    x10=_CHARS_MLP_10X,
    x100=_CHARS_MLP_100X,
    experiment=True,
)

# --- the constant-lr character model as the gradient-scale pair. A fixed-step
# rule (heavy-ball or Nesterov momentum with its own step constant, the chars-mlp
# searches' favourite) cannot suit both scales. With every constant tuned Lion
# does not lead it: Adam with a Nesterov-style twin and AdamW do, and with memory
# charged Lion is within noise of RMSProp with decay (docs/tasks.md, "Tuned with
# memory charged").
for _suffix, _scale, _offset in _GRADIENT_SCALE_PAIR:
    _family(
        replace(
            get_task("chars-const"), name=f"chars-const-{_suffix}",
            family=f"chars-const-{_suffix}", grad_scale=_scale, seed_offset=_offset,
            description=f"chars-const, gradient x {_scale:g}",
        ),
        x10=_CHARS_MLP_10X,
        x100=_CHARS_MLP_100X,
        experiment=True,
    )

# --- `teacher-const` at a 300-step proxy horizon, which punishes what only
# helps short runs (a signum with beta 0.999 nearly matches Lion at 100 steps
# and is the worst rule at 300); alone it has a trap of its own, a rule that all
# but replaces the weights by a normalised momentum each step
# (`found/reset_normalized_momentum.py`).
_constant_lr_teacher_family(
    "teacher-const-long", 300, 0.24,
    "teacher-noisy at a constant lr (300-step proxy horizon)",
    x10=(_TEACHER_CONST_10X, 1.0),
    x100=(_TEACHER_CONST_100X, 8.0),
    experiment=True,
)

# --- `teacher-const` with input features scaled over two decades
# (`feature_decades`), alone and as the gradient-scale pair. On `teacher-const`
# two search-found rules at a fixed step length (lr all but ignored) beat Lion at
# 10x and 100x: `found/layer_normalized_heavy_momentum_seed0.py` and
# `found/adam_global_step_seed1.py`. Spread input scales make the first layer's
# rows want weights of different sizes; measured at the best lr multiplier they
# sink the layer-normalised rule (0.206 against AdamW's 0.313 at 10x), but tuned
# Lion falls further behind tuned AdamW too (0.259 against 0.300 on the proxy
# pair), so this family does not favour Lion (docs/tasks.md, "Inputs of spread
# scales").
_FEATURE_DECADES = 2.0


def _spread_args(data_args: tuple) -> tuple:
    """Teacher `data_args` with the inputs spread over `_FEATURE_DECADES`."""
    return _args(**dict(data_args), feature_decades=_FEATURE_DECADES)


def _spread(fields: dict) -> dict:
    """A 10x or 100x version's `fields` with its inputs spread."""
    return {**fields, "data_args": _spread_args(fields["data_args"])}


for _suffix, _scale, _offset in (("", 1.0, 0), *_GRADIENT_SCALE_PAIR):
    _constant_lr_teacher_family(
        "teacher-spread" + (f"-{_suffix}" if _suffix else ""), 100, 0.08,
        f"teacher-const, inputs over {_FEATURE_DECADES:g} decades, "
        f"gradient x {_scale:g}",
        x10=(_spread(_TEACHER_CONST_10X), 1.0),
        x100=(_spread(_TEACHER_CONST_100X), 8.0),
        experiment=True,
        data_args=_spread_args(get_task("teacher-noisy").data_args),
        grad_scale=_scale,
        seed_offset=_offset,
    )

# --- the constant-lr teacher problem at batch 2048, with gradients of two
# scales: where the route from AdamW to Lion climbs. Lion's edge over AdamW grows
# with the batch size (Chen et al. 2023, Sec. 4.6). At batch 512 the first step
# (signum: `m / sqrt_v` -> `sign(m)`) is 0.007 downhill at AdamW's own decay; at
# batch 2048 signum, the second interp and Lion each climb at AdamW's constants.
# At batch 2048 heavy-ball momentum at a fixed step (the lr input dropped, so the
# lr multipliers cannot tune it) was the search's first find; the two horizons
# therefore see the gradient scaled by 0.1 and by 10. Adam and sign methods are
# invariant to that, a fixed-step or plain-SGD rule cannot suit both (numbers in
# docs/tasks.md, "The route at batch 2048"). Once AdamW's betas and decay are
# tuned too, Lion and AdamW tie on it. Four times the cost per step of batch
# 512; the 10x and 100x versions keep the batch and the gradient scale and grow
# the model, the data and the horizon.
for _name, _steps, _scale, _cost in (
    ("teacher-bigbatch", 100, 0.1, 0.3),
    ("teacher-bigbatch-long", 300, 10.0, 0.9),
):
    _constant_lr_teacher_family(
        _name, _steps, _cost,
        f"teacher-noisy at a constant lr, batch 2048, {_steps} steps, "
        f"gradient x {_scale:g}",
        x10=({**_TEACHER_CONST_10X, "batch_size": 2048}, 2.0),
        x100=({**_TEACHER_CONST_100X, "batch_size": 2048}, 8.0),
        experiment=True,
        batch_size=2048,
        grad_scale=_scale,
    )

# --- `teacher-clean-b128` as the gradient-scale pair, as it is and with a
# second hidden layer (32-64-64-8). The clean pair's proxy at batch 128 instead
# of 512: at batch 128 momentum pays (Lion leads every rival at the b128
# meta-validation tiers), so the question priced is whether a proxy at that
# batch ranks Lion above the one-slot, momentum-free rules and the
# normalized-momentum rival that tie or lead it on the batch-512 pair. Depth
# then sinks every one-slot and momentum-free rule priced, and AdamW uncharged,
# beyond the spreads; only the normalized-momentum rival stays within them
# (docs/rediscovery/lion-clean/objective.md, "The clean pair at batch 128" and
# "The deep clean pair at batch 128, searched"). The deep pair declares 1.4x
# the shallow pair's cost: its scoring CPU per evaluation in those searches
# (1.05 s against 0.74 s).
for _name, _cost, _what, _changes in (
    ("teacher-clean-b128", 0.08, "teacher-clean at batch 128 (every tier)", {}),
    ("teacher-clean-b128-deep", 0.11, "teacher-clean-b128 with two hidden layers",
     {"model_args": _args(sizes=(32, 64, 64, 8))}),
):
    for _suffix, _scale, _offset in _GRADIENT_SCALE_PAIR:
        _constant_lr_teacher_family(
            f"{_name}-{_suffix}", 100, _cost, f"{_what}, gradient x {_scale:g}",
            experiment=True, grad_scale=_scale, seed_offset=_offset,
            **_CLEAN_B128, **_changes,
        )
