"""Exporting a program as a PyTorch optimizer: a generated, standalone module.

Owns `to_torch_source(program)`: the source of a module defining
`ProgramOptimizer(torch.optim.Optimizer)`, which runs the program's live statements
with torch ops that mirror `dsl.ops` (the same guards, float32 arithmetic). Torch is
not a dependency of this project: the module is text, imported only by the user.

Semantics match `dsl.export.to_optax`: `lr_schedule` (stored as each param group's
`lr`, so torch's LR schedulers scale it) is fed to the program's `lr` input, which
the program scales by its own constants; state is allocated only for the slots the
program carries, shaped like each parameter; a program with a global reduction
runs on a param group's parameters raveled into one vector.
"""

from __future__ import annotations

from dsl.export import STEP_DOCSTRING, statement_lines
from dsl.export_plan import literal, plan_export
from dsl.ops import EPS, EXP_MAX, OPS
from dsl.program import Program

#: How each op is written in torch; `{0}`.. are its arguments (tensors, scalars as
#: 0-d tensors). Helpers are defined in `_PRELUDE` and mirror `dsl.ops`' guards.
TORCH_TEMPLATES: dict[str, str] = {
    "pi": "_const(3.141592653589793, g)",
    "e": "_const(2.718281828459045, g)",
    "eps": "_const(EPS, g)",
    "abs": "torch.abs({0})",
    "cos": "torch.cos({0})",
    "sin": "torch.sin({0})",
    "tan": "torch.tan({0})",
    "arcsin": "torch.asin(torch.clamp({0}, -1.0, 1.0))",
    "arccos": "torch.acos(torch.clamp({0}, -1.0, 1.0))",
    "arctan": "torch.atan({0})",
    "sinh": "torch.sinh(torch.clamp({0}, -EXP_MAX, EXP_MAX))",
    "cosh": "torch.cosh(torch.clamp({0}, -EXP_MAX, EXP_MAX))",
    "tanh": "torch.tanh({0})",
    "arcsinh": "torch.asinh({0})",
    "arccosh": "torch.acosh(torch.clamp(torch.abs({0}), min=1.0))",
    "arctanh": "torch.atanh(torch.clamp({0}, -1.0 + 1e-6, 1.0 - 1e-6))",
    "exp": "torch.exp(torch.clamp({0}, max=EXP_MAX))",
    "exp2": "torch.exp2(torch.clamp({0}, max=126.0))",
    "exp10": "torch.pow(10.0, torch.clamp({0}, max=38.0))",
    "expm1": "torch.expm1(torch.clamp({0}, max=EXP_MAX))",
    "log": "torch.log(torch.abs({0}) + EPS)",
    "log10": "torch.log10(torch.abs({0}) + EPS)",
    "log2": "torch.log2(torch.abs({0}) + EPS)",
    "log1p": "torch.log1p(torch.abs({0}))",
    "square": "torch.square({0})",
    "sqrt": "torch.sqrt(torch.abs({0}))",
    "cube": "{0} * {0} * {0}",
    "cbrt": "torch.sign({0}) * torch.pow(torch.abs({0}), 1.0 / 3.0)",
    "sign": "torch.sign({0})",
    "reciprocal": "1.0 / _safe_denominator({0})",
    "negative": "torch.neg({0})",
    "rsqrt": "1.0 / torch.sqrt(torch.clamp(torch.abs({0}), min=EPS))",
    "norm": "_norm({0}, segment_ids, num_segments)",
    "add": "{0} + {1}",
    "subtract": "{0} - {1}",
    "multiply": "{0} * {1}",
    "divide": "{0} / _safe_denominator({1})",
    "max": "torch.maximum({0}, {1})",
    "min": "torch.minimum({0}, {1})",
    "interp": "(1.0 - {2}) * {0} + {2} * {1}",
    "global_norm": "_global_norm({0})",
    "dot": "torch.sum({0} * {1})",
    "cosine_sim": (
        "torch.sum({0} * {1})"
        " / torch.clamp(_global_norm({0}) * _global_norm({1}), min=EPS)"
    ),
    "clip_by_global_norm": (
        "{0} * torch.clamp("
        "torch.abs({1}) / torch.clamp(_global_norm({0}), min=EPS), max=1.0)"
    ),
    "power": (
        "torch.exp(torch.clamp({1} * torch.log(torch.clamp(torch.abs({0}), min=1e-30)),"
        " -EXP_MAX, EXP_MAX))"
    ),
}

_PRELUDE = '''"""An optimizer discovered by optsearch, exported as a PyTorch optimizer.

Usage:
    opt = ProgramOptimizer(model.parameters())   # lr_schedule=1.0: as found
    loss.backward(); opt.step(); opt.zero_grad()

`lr_schedule` multiplies the program's `lr` input, which the program already scales
by its own constants: 1.0 trains it as found. It is kept as each param group's
"lr", so torch's LR schedulers scale it; it is not a learning rate like Adam's.
The step function below is the program (its variables other than w, g, m, v, lr,
update are prefixed `v_`). Depends only on torch.
"""

import torch

EPS = {eps}
EXP_MAX = {exp_max}
#: State slots the program carries between steps (only these are allocated).
SLOTS = {slots!r}
#: Whether the program reduces over the whole parameter set: it then runs on a
#: param group's parameters raveled into one vector, otherwise one by one.
WHOLE_SET = {whole_set!r}


def _const(value, like):
    return torch.tensor(value, dtype=torch.float32, device=like.device)


def _safe_denominator(x):
    return torch.where(torch.abs(x) < EPS, torch.where(x < 0, -EPS, EPS), x)


def _global_norm(t):
    return torch.sqrt(torch.sum(torch.square(t)))


def _norm(x, segment_ids, num_segments):
    if x.dim() == 0:
        return torch.abs(x)
    sums = torch.zeros(num_segments, dtype=x.dtype, device=x.device)
    sums = sums.index_add(0, segment_ids, torch.square(x))
    return torch.sqrt(sums[segment_ids])

'''

_WRAPPER = '''


def _flat(t):
    return t.reshape(-1).to(torch.float32)


class ProgramOptimizer(torch.optim.Optimizer):
    """The program as a torch optimizer: each step, p -= update."""

    def __init__(self, params, lr_schedule=1.0, **unknown):
        if "lr" in unknown or "learning_rate" in unknown:
            raise TypeError(
                "ProgramOptimizer takes no lr: the program already scales its lr input "
                "by its own constants. Pass lr_schedule= (1.0 trains it as found)."
            )
        if unknown:
            raise TypeError(f"unexpected arguments: {', '.join(sorted(unknown))}")
        super().__init__(params, {"lr": float(lr_schedule)})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            if any(p.grad.is_sparse for p in params):
                raise RuntimeError("ProgramOptimizer does not support sparse gradients")
            for p in params:
                for slot in SLOTS:
                    if slot not in self.state[p]:
                        self.state[p][slot] = torch.zeros_like(p, dtype=torch.float32)
            lr = torch.tensor(group["lr"], dtype=torch.float32, device=params[0].device)
            batches = [params] if WHOLE_SET else [[p] for p in params]
            for batch in batches:
                self._step_batch(batch, lr)
        return loss

    def _step_batch(self, params, lr):
        device = params[0].device
        sizes = [p.numel() for p in params]
        segment_ids = torch.repeat_interleave(
            torch.arange(len(params), device=device), torch.tensor(sizes, device=device)
        )

        def cat(tensors):
            return torch.cat([_flat(t) for t in tensors])

        def slot(name):
            return cat([self.state[p][name] for p in params]) if name in SLOTS else None

        update, m, v = program_step(
            cat(params), cat([p.grad for p in params]), slot("m"), slot("v"), lr,
            segment_ids, len(params),
        )
        carried = {name: value.split(sizes) for name, value in (("m", m), ("v", v))
                   if name in SLOTS}
        for index, (p, u) in enumerate(zip(params, update.split(sizes))):
            p.sub_(u.reshape(p.shape).to(p.dtype))
            for name, parts in carried.items():
                self.state[p][name].copy_(parts[index].reshape(p.shape))
'''


def to_torch_source(program: Program) -> str:
    """A standalone module defining `ProgramOptimizer`, a torch optimizer running
    `program` (dead code dropped). Holds nothing but what the program determines.

    Raises:
        InvalidProgram: the program is not valid.
    """
    plan = plan_export(program)
    lines = [
        _PRELUDE.format(
            eps=literal(EPS),
            exp_max=literal(EXP_MAX),
            slots=plan.slots,
            whole_set=plan.needs_flat,
        ),
        "\ndef program_step(w, g, m, v, lr, segment_ids, num_segments):",
        *STEP_DOCSTRING,
    ]
    lines += statement_lines(plan, TORCH_TEMPLATES, lambda value: f"_const({value}, g)")
    lines.append("    return update, m, v")
    return "\n".join(lines) + _WRAPPER


assert set(TORCH_TEMPLATES) == set(OPS), "every op needs a torch template"
