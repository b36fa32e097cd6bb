"""The task registry: the product's proxy and meta-validation tasks, by name.

A `Task` is a small frozen record (data spec, model spec, step count, batch size,
lr schedule, metric, tier, declared cost) so it pickles cheaply and a Ray worker
can rebuild and compile it locally. Tiers mirror the paper's funnel (Chen et al.
2023, Sec. 3: a proxy task, then tasks about 10x and 100x larger): each proxy task
`NAME` has versions `NAME-10x` and `NAME-100x` in tiers `metaval-10x` and
`metaval-100x`, with a bigger model, more steps and more data.

Declared costs are seconds per evaluation (4 seeds, one lr multiplier, compile
excluded) on one core of the reference machine (a 2-core Xeon VM, XLA limited to
one thread); `optsearch tasks` and the task benchmark report measured ones.

The product suite is what the shipped configs, the baselines and the tests use.
Tasks that only the tuning campaign used live in `proxy_tasks.experiment_tasks`,
built with this module's helpers and kept in a table of their own: `get_task`
finds them by name, `task_names` and `all_tasks` leave them out unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from proxy_tasks import data as data_lib
from proxy_tasks import models as model_lib

TIERS = ("proxy", "metaval-10x", "metaval-100x")
SCHEDULES = ("constant", "linear", "cosine", "warmup_cosine")
METRICS = ("loss", "error")


@dataclass(frozen=True)
class Task:
    """One training problem that scores an optimizer program.

    Attributes:
        name: registry key.
        tier: one of `TIERS`.
        family: the proxy task this is a version of (its own name for a proxy).
        data, data_args: builder name in `proxy_tasks.data` and its keyword args.
        model, model_args: builder name in `proxy_tasks.models` and its keyword args.
        num_steps: optimizer steps per run.
        batch_size: examples per step (sampled with replacement).
        schedule: lr schedule fed to the program's `lr` input, peak 1.0 (programs
            carry their own lr scale as a constant, e.g. AdamW's `lr * 0.001`).
        metric: "loss" (validation loss) or "error" (validation error rate); the
            fitness is log(chance / metric), see `proxy_tasks.fitness`.
        declared_cost_s: expected seconds per evaluation (see module docstring).
        grad_scale: factor on the training gradient the program sees (the loss
            it reports and the validation metric are unscaled). Rules that
            normalise the gradient (Adam, sign methods) do not notice it; a
            fixed-step rule that ignores the lr input cannot suit two tasks
            whose gradients differ in scale.
        seed_offset: added to every run seed, so that two tasks which differ
            only in `grad_scale` do not replay the same runs for the rules the
            scale leaves unchanged (their two scores would be one sample).
        num_chunks: compiled pieces training is split into; non-finite values,
            divergence and the time budget are checked between them.
        description: one line for `optsearch tasks`.
    """

    name: str
    tier: str
    family: str
    data: str
    data_args: tuple[tuple[str, object], ...]
    model: str
    model_args: tuple[tuple[str, object], ...]
    num_steps: int
    batch_size: int
    declared_cost_s: float
    schedule: str = "linear"
    metric: str = "loss"
    num_chunks: int = 4
    grad_scale: float = 1.0
    seed_offset: int = 0
    description: str = ""

    def __post_init__(self):
        if self.tier not in TIERS:
            raise ValueError(f"task {self.name}: tier {self.tier!r} not in {TIERS}")
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"task {self.name}: schedule {self.schedule!r} not in {SCHEDULES}"
            )
        if self.metric not in METRICS:
            raise ValueError(
                f"task {self.name}: metric {self.metric!r} not in {METRICS}"
            )
        if not (0 < self.grad_scale < float("inf")):
            raise ValueError(f"task {self.name}: grad_scale must be positive and finite")
        if self.num_steps % self.num_chunks:
            raise ValueError(f"task {self.name}: num_steps must divide into num_chunks")

    def model_summary(self) -> str:
        """The architecture in a few characters, e.g. "mlp 64-32-10"."""
        args = dict(self.model_args)
        if self.model == "mlp":
            return "mlp " + "-".join(str(n) for n in args["sizes"])
        if self.model == "char_mlp":
            return f"char_mlp ctx{args['context']} emb{args['embed']} h{args['hidden']}"
        return f"transformer ctx{args['context']} w{args['width']} x{args['layers']}"

    def dataset(self) -> data_lib.Dataset:
        return data_lib.load(self.data, self.data_args)

    def build_model(self) -> model_lib.Model:
        return model_lib.build(self.model, self.model_args)


def _args(**kwargs) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(kwargs.items()))


_V = data_lib.TEXT_VOCAB
_TASKS: dict[str, Task] = {}
# Filled when `proxy_tasks.experiment_tasks` is imported (the package's
# __init__ does): a separate table, so listing the suite needs no filtering.
_EXPERIMENT_TASKS: dict[str, Task] = {}


def _add(task: Task, experiment: bool = False) -> None:
    # One namespace over both tables: a name must resolve to one task.
    if task.name in _TASKS or task.name in _EXPERIMENT_TASKS:
        raise ValueError(f"duplicate task {task.name}")
    (_EXPERIMENT_TASKS if experiment else _TASKS)[task.name] = task


def _family(proxy: Task, x10: dict, x100: dict, experiment: bool = False) -> None:
    """Register a proxy task and its two meta-validation versions (in the
    experiment table if `experiment`)."""
    _add(proxy, experiment)
    for tier, suffix, changes in (
        ("metaval-10x", "10x", x10),
        ("metaval-100x", "100x", x100),
    ):
        _add(
            replace(proxy, name=f"{proxy.name}-{suffix}", tier=tier, **changes),
            experiment,
        )


# --- heavy-tailed label-noise regression: the regime where sign-momentum
# (Lion-like) updates win: large batch, short budget, Student-t(2) label noise
# (docs/design.md, proxy tasks).
_family(
    Task(
        name="heavy-tail-regression",
        tier="proxy",
        family="heavy-tail-regression",
        data="heavy_tail_regression",
        data_args=_args(dim=32, num_train=4096, num_val=1024, noise_scale=0.3, df=2.0),
        model="mlp",
        model_args=_args(sizes=(32, 64, 1), activation="tanh"),
        num_steps=200,
        batch_size=512,
        declared_cost_s=0.08,
        description="regression, Student-t(2) label noise, clean validation MSE",
    ),
    x10={
        "data_args": _args(
            dim=64, num_train=16384, num_val=2048, noise_scale=0.3, df=2.0
        ),
        "model_args": _args(sizes=(64, 96, 1), activation="tanh"),
        "num_steps": 400,
        "batch_size": 1024,
        "declared_cost_s": 1.0,
    },
    x100={
        "data_args": _args(
            dim=64, num_train=65536, num_val=4096, noise_scale=0.3, df=2.0
        ),
        "model_args": _args(sizes=(64, 96, 96, 1), activation="tanh"),
        "num_steps": 800,
        "batch_size": 2048,
        "declared_cost_s": 8.0,
    },
)

# --- handwritten digits, the vision-like classifier.
_family(
    Task(
        name="digits-mlp",
        tier="proxy",
        family="digits-mlp",
        data="digits",
        data_args=_args(label_noise=0.0),
        model="mlp",
        model_args=_args(sizes=(64, 32, 10)),
        num_steps=200,
        batch_size=128,
        declared_cost_s=0.04,
        description="sklearn 8x8 digits, validation cross-entropy",
    ),
    x10={
        "model_args": _args(sizes=(64, 128, 10)),
        "num_steps": 400,
        "batch_size": 512,
        "declared_cost_s": 0.8,
    },
    x100={
        "model_args": _args(sizes=(64, 128, 128, 10)),
        "num_steps": 800,
        "batch_size": 1024,
        "declared_cost_s": 8.0,
    },
)

# --- character-level language model on stdlib sources: MLP over a context window.
_CHARS_MLP_10X = {
    "data_args": _args(context=16, num_train=100000, num_val=4000),
    "model_args": _args(vocab=_V, context=16, embed=8, hidden=64),
    "num_steps": 400,
    "batch_size": 256,
    "declared_cost_s": 1.0,
}
_CHARS_MLP_100X = {
    "data_args": _args(context=16, num_train=300000, num_val=8000),
    "model_args": _args(vocab=_V, context=16, embed=16, hidden=128),
    "num_steps": 800,
    "batch_size": 512,
    "declared_cost_s": 8.0,
}
_family(
    Task(
        name="chars-mlp",
        tier="proxy",
        family="chars-mlp",
        data="stdlib_text",
        data_args=_args(context=8, num_train=20000, num_val=2000),
        model="char_mlp",
        model_args=_args(vocab=_V, context=8, embed=8, hidden=48),
        num_steps=200,
        batch_size=64,
        declared_cost_s=0.1,
        description="next character of stdlib source from a window",
    ),
    x10=_CHARS_MLP_10X,
    x100=_CHARS_MLP_100X,
)

# Two tasks that differ only in the gradient's scale, by 0.1 on one and by 10 on
# the other, run on different seeds (`seed_offset`): a rule that ignores the
# scale (Adam, sign methods) is then scored on two samples, not one twice, and a
# fixed-step rule cannot suit both.
_GRADIENT_SCALE_PAIR = (("x0.1", 0.1, 0), ("x10", 10.0, 500))  # suffix, scale, seed offset

# --- the same text with a tiny causal Transformer.
_family(
    Task(
        name="chars-transformer",
        tier="proxy",
        family="chars-transformer",
        data="stdlib_text",
        data_args=_args(context=16, num_train=8000, num_val=256, sequence=True),
        model="transformer",
        model_args=_args(vocab=_V, context=16, width=16, layers=1, heads=2),
        num_steps=100,
        batch_size=8,
        schedule="warmup_cosine",
        declared_cost_s=0.12,
        description="next character of stdlib source at every position",
    ),
    x10={
        "data_args": _args(context=32, num_train=20000, num_val=512, sequence=True),
        "model_args": _args(vocab=_V, context=32, width=32, layers=1, heads=2),
        "num_steps": 300,
        "batch_size": 16,
        "declared_cost_s": 2.5,
    },
    x100={
        "data_args": _args(context=32, num_train=40000, num_val=512, sequence=True),
        "model_args": _args(vocab=_V, context=32, width=32, layers=2, heads=2),
        "num_steps": 600,
        "batch_size": 32,
        "declared_cost_s": 20.0,
    },
)

# --- synthetic classification from a teacher network, 30% flipped training labels,
# large batch, short budget: the suite's Lion-favouring family (docs/tasks.md).
_family(
    Task(
        name="teacher-noisy",
        tier="proxy",
        family="teacher-noisy",
        data="teacher",
        data_args=_args(
            dim=32,
            hidden=64,
            num_classes=8,
            num_train=4096,
            num_val=4096,
            label_noise=0.3,
        ),
        model="mlp",
        model_args=_args(sizes=(32, 64, 8)),
        num_steps=100,
        batch_size=512,
        declared_cost_s=0.08,
        description="teacher-network classes, 30% flipped training labels",
    ),
    x10={
        "data_args": _args(
            dim=64,
            hidden=128,
            num_classes=8,
            num_train=16384,
            num_val=4096,
            label_noise=0.3,
        ),
        "model_args": _args(sizes=(64, 96, 8)),
        "num_steps": 300,
        "batch_size": 1024,
        "declared_cost_s": 1.0,
    },
    x100={
        "data_args": _args(
            dim=64,
            hidden=128,
            num_classes=8,
            num_train=65536,
            num_val=8192,
            label_noise=0.3,
        ),
        "model_args": _args(sizes=(64, 96, 96, 8)),
        "num_steps": 800,
        "batch_size": 2048,
        "declared_cost_s": 8.0,
    },
)

# --- the same teacher problem at a constant lr (the schedule input is 1 at every
# step). Under the linear schedule the 100-step optimum is a schedule exploit (a
# rule that drops the decaying lr from its gradient term wins the proxy and fails
# at 800 steps); with a constant lr there is none to exploit, and tuned Lion is
# the best program tried at every tier (docs/tasks.md). Its 300-step twin,
# `teacher-const-long`, is an experiment task.
_TEACHER_CONST_10X = {
    "data_args": _args(
        dim=64, hidden=128, num_classes=8, num_train=16384, num_val=4096,
        label_noise=0.3,
    ),
    "model_args": _args(sizes=(64, 96, 8)),
    "batch_size": 1024,
}
_TEACHER_CONST_100X = {
    "data_args": _args(
        dim=64, hidden=128, num_classes=8, num_train=65536, num_val=8192,
        label_noise=0.3,
    ),
    "model_args": _args(sizes=(64, 96, 96, 8)),
    "batch_size": 2048,
}


def _constant_lr_teacher_family(
    name: str, steps: int, cost_s: float, description: str,
    x10: tuple[dict, float], x100: tuple[dict, float], experiment: bool = False,
    **changes,
) -> None:
    """Register `teacher-noisy` at a constant lr for `steps` steps, with its 10x
    and 100x versions at 3x and 8x the steps. `x10` and `x100` are each version's
    data, model and batch with the declared cost of a 300- and an 800-step
    evaluation (scaled to their steps); `changes` are further proxy fields, which
    the larger versions inherit; `experiment` as for `_family`."""
    (x10_fields, cost_300), (x100_fields, cost_800) = x10, x100
    _family(
        replace(
            _TASKS["teacher-noisy"], name=name, family=name, num_steps=steps,
            schedule="constant", declared_cost_s=cost_s, description=description,
            **changes,
        ),
        x10={**x10_fields, "num_steps": 3 * steps,
             "declared_cost_s": cost_300 * 3 * steps / 300},
        x100={**x100_fields, "num_steps": 8 * steps,
              "declared_cost_s": cost_800 * 8 * steps / 800},
        experiment=experiment,
    )


_constant_lr_teacher_family(
    "teacher-const", 100, 0.08,
    "teacher-noisy at a constant lr (100-step proxy horizon)",
    x10=(_TEACHER_CONST_10X, 1.0),
    x100=(_TEACHER_CONST_100X, 8.0),
)

# --- `teacher-const` with its gradient scaled by 0.1 on one task and by 10 on
# the other (runs on different seeds), the pair `configs/lion.yaml`
# searches. With every constant tuned and memory charged per state slot, Lion
# leads every program tried and found here by 0.007 or more; RMSProp with decay,
# the one-slot rule that won the character searches, is 0.010 below AdamW, so it
# is not a way out of AdamW either (docs/tasks.md, "Tuned with memory
# charged"). The scales sink fixed-step momentum, as on the character pair.
for _suffix, _scale, _offset in _GRADIENT_SCALE_PAIR:
    _constant_lr_teacher_family(
        f"teacher-const-{_suffix}", 100, 0.08,
        f"teacher-const, gradient x {_scale:g}",
        x10=(_TEACHER_CONST_10X, 1.0),
        x100=(_TEACHER_CONST_100X, 8.0),
        grad_scale=_scale,
        seed_offset=_offset,
    )

# --- `teacher-const` with no flipped training labels (the labels keep the
# teacher's own softmax sampling, so they are still noisy), alone and as the
# gradient-scale pair; its 10x and 100x versions clean too. With 30% of the
# labels flipped a Lion whose decay is sign(w) (an L1 pull as strong as half its
# step, `found/lion_sign_decay_seed0.py`) leads Lion: the flipped labels reward
# that much shrinkage. Without them Lion, tuned with every constant and memory
# charged, leads every shipped baseline and every rival found on the noisy pair
# beyond the summed spreads (docs/rediscovery/lion-clean/objective.md).
def _clean_label_args(data_args: tuple) -> tuple:
    """Teacher `data_args` with no flipped training labels."""
    return _args(**{**dict(data_args), "label_noise": 0.0})


def _clean_labels(fields: dict) -> dict:
    """A 10x or 100x version's `fields` with no flipped training labels."""
    return {**fields, "data_args": _clean_label_args(fields["data_args"])}


for _suffix, _scale, _offset in (("", 1.0, 0), *_GRADIENT_SCALE_PAIR):
    _constant_lr_teacher_family(
        "teacher-clean" + (f"-{_suffix}" if _suffix else ""), 100, 0.08,
        "teacher-const with no flipped training labels"
        + (f", gradient x {_scale:g}" if _suffix else ""),
        x10=(_clean_labels(_TEACHER_CONST_10X), 1.0),
        x100=(_clean_labels(_TEACHER_CONST_100X), 8.0),
        data_args=_clean_label_args(_TASKS["teacher-noisy"].data_args),
        grad_scale=_scale,
        seed_offset=_offset,
    )

# --- `teacher-clean` at batch 128 at every tier, for meta-validation stages. At
# the clean family's own 10x and 100x batches (1024, 2048) gradients are so
# little noisy that momentum does not pay: a momentum-free sign step with decay
# leads Lion there, at the constants each was tuned to on the proxy. At batch 128
# the same programs rank Lion first at 10x and at 100x, beyond the summed
# spreads, and AdamW uncharged is far behind
# (docs/rediscovery/lion-clean/objective.md, "Where momentum pays").
# The family's fields at every tier, shared with its experiment variants
# (`proxy_tasks.experiment_tasks`).
_CLEAN_B128 = {
    "x10": ({**_clean_labels(_TEACHER_CONST_10X), "batch_size": 128}, 0.25),
    "x100": ({**_clean_labels(_TEACHER_CONST_100X), "batch_size": 128}, 1.0),
    "data_args": _clean_label_args(_TASKS["teacher-noisy"].data_args),
    "batch_size": 128,
}
_constant_lr_teacher_family(
    "teacher-clean-b128", 100, 0.08, "teacher-clean at batch 128 (every tier)",
    **_CLEAN_B128,
)

# --- ill-conditioned linear regression: preconditioning matters.
_ILL_CONDITIONED_10X = {
    "data_args": _args(dim=256, num_train=8192, num_val=1024, condition=1e4),
    "model_args": _args(sizes=(256, 1)),
    "num_steps": 400,
    "batch_size": 512,
    "declared_cost_s": 0.2,
}
_ILL_CONDITIONED_100X = {
    "data_args": _args(dim=512, num_train=32768, num_val=2048, condition=1e5),
    "model_args": _args(sizes=(512, 1)),
    "num_steps": 1000,
    "batch_size": 1024,
    "declared_cost_s": 2.0,
}
_family(
    Task(
        name="ill-conditioned",
        tier="proxy",
        family="ill-conditioned",
        data="ill_conditioned",
        data_args=_args(dim=64, num_train=2048, num_val=512, condition=1e3),
        model="mlp",
        model_args=_args(sizes=(64, 1)),
        num_steps=200,
        batch_size=128,
        declared_cost_s=0.01,
        description="linear regression, ill-conditioned inputs",
    ),
    x10=_ILL_CONDITIONED_10X,
    x100=_ILL_CONDITIONED_100X,
)

# --- the regression at a constant lr (the schedule input is 1 at every step),
# condition number 1e5, true weights drawn independently of the input scales
# and validated on whitened inputs, at every tier: the objective of the draft
# `configs/rediscover/adaptive.yaml`. Each choice sinks a rival a draft search
# found (docs/rediscovery/adaptive/objective.md): under the linear schedule,
# rules that reshape the decaying lr (`sign(g) * cube(lr)`); at condition 1e3,
# a fixed-step heavy ball level with RMSProp; with weights N(0, 1) / scale, a
# sign step scaled by sqrt(|w|), which reads the conditioning off the weights.
# Label noise is 1e-4 so the weakly excited directions can be identified.
def _whitened_regression(dim: int, num_train: int, num_val: int):
    return _args(dim=dim, num_train=num_train, num_val=num_val, condition=1e5,
                 noise_scale=1e-4, whitened_val=True)


_family(
    replace(_TASKS["ill-conditioned"], name="ill-conditioned-const",
            family="ill-conditioned-const", schedule="constant",
            data_args=_whitened_regression(64, 2048, 512),
            description="ill-conditioned (condition 1e5) at a constant lr"),
    x10={**_ILL_CONDITIONED_10X, "data_args": _whitened_regression(256, 8192, 1024)},
    x100={**_ILL_CONDITIONED_100X, "data_args": _whitened_regression(512, 32768, 2048)},
)


def get_task(name: str) -> Task:
    """The task registered as `name`, a product or an experiment task.

    Raises:
        KeyError: unknown name; the message lists the valid names.
    """
    task = _TASKS.get(name) or _EXPERIMENT_TASKS.get(name)
    if task is None:
        # The product's proxies only: with every -10x and -100x version the line
        # outgrows a terminal (`optsearch tasks` lists them all).
        proxies = ", ".join(task_names("proxy"))
        raise KeyError(
            f"unknown task {name!r}; valid: {proxies}, each also as NAME-10x and "
            "NAME-100x"
        )
    return task


def _tables(experiments: bool) -> tuple[dict[str, Task], ...]:
    return (_TASKS, _EXPERIMENT_TASKS) if experiments else (_TASKS,)


def task_names(tier: str | None = None, experiments: bool = False) -> list[str]:
    """The product's task names in registry order (then the experiment tasks'
    if `experiments`), optionally only those of `tier`.

    Raises:
        ValueError: `tier` is not one of `TIERS`.
    """
    if tier is not None and tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; valid: {', '.join(TIERS)}")
    return [
        name for table in _tables(experiments) for name, task in table.items()
        if tier is None or task.tier == tier
    ]


def all_tasks(experiments: bool = False) -> list[Task]:
    """The product's tasks (then the experiment tasks if `experiments`), in
    registry order."""
    return [task for table in _tables(experiments) for task in table.values()]
