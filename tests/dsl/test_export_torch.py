"""The PyTorch export: a generated optimizer that trains as the optax export does."""

from __future__ import annotations

import importlib.util

import jax
import numpy as np
import pytest

from dsl import load_program, parse, to_optax
from dsl.export_torch import TORCH_TEMPLATES, to_torch_source
from dsl.library import builtin_names
from dsl.ops import OPS
from tests.dsl.test_export import (
    _grad_sequence,
    _params,
    _trajectory,
    adversarial_program,
)

torch = pytest.importorskip("torch")


def _import(tmp_path, source: str, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our generated export, not program text
    return module


def _torch_trajectory(module, params, grads, **kwargs):
    """Train torch copies of `params` on `grads`; the params after each step."""
    tensors = jax.tree.map(lambda p: torch.tensor(np.asarray(p), requires_grad=True), params)
    leaves = jax.tree.leaves(tensors)
    optimizer = module.ProgramOptimizer(leaves, **kwargs)
    out = []
    for g in grads:
        for p, grad in zip(leaves, jax.tree.leaves(g)):
            p.grad = torch.tensor(np.asarray(grad))
        optimizer.step()
        out.append([p.detach().numpy().copy() for p in leaves])
    return out, optimizer


def _all_ops_program():
    lines = ["def train(w, g, m, v, lr):", "    s = lr * 0.7", "    update = g * 0.0"]
    for index, op in enumerate(OPS.values()):
        args = ["g", "w", "s"][: op.arity]
        if op.arg_kinds and op.arg_kinds[-1].value == "scalar":
            args[-1] = "s"
        rhs = f"{args[0]} {op.infix} {args[1]}" if op.infix else f"{op.name}({', '.join(args)})"
        lines += [f"    t{index} = {rhs}", f"    update = update + t{index}"]
    lines.append("    return update, m, v")
    return parse("\n".join(lines) + "\n")


PROGRAMS = {name: (lambda name=name: load_program(name)) for name in builtin_names()}
PROGRAMS["adversarial-leafwise"] = lambda: parse(adversarial_program(False))
PROGRAMS["adversarial-whole-set"] = lambda: parse(adversarial_program(True))
PROGRAMS["all-ops"] = _all_ops_program


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_torch_optimizer_matches_the_optax_export(tmp_path, name):
    program = PROGRAMS[name]()
    module = _import(tmp_path, to_torch_source(program), f"torch_{name.replace('-', '_')}")
    params = _params(10)
    # Every op at once diverges within a few steps (cube, exp, ...): compare one.
    grads = _grad_sequence(params, 1 if name == "all-ops" else 6, seed=11)
    expected = _trajectory(to_optax(program, 2.0), params, grads)
    got, _ = _torch_trajectory(module, params, grads, lr_schedule=2.0)
    for want, have in zip(expected, got):
        for x, y in zip(jax.tree.leaves(want), have):
            np.testing.assert_allclose(y, x, rtol=2e-5, atol=1e-6)


def test_torch_state_holds_only_the_carried_slot_shaped_like_each_param(tmp_path):
    module = _import(tmp_path, to_torch_source(load_program("lion")), "torch_lion_state")
    params = _params()
    _, optimizer = _torch_trajectory(module, params, _grad_sequence(params, 1))
    for p in optimizer.param_groups[0]["params"]:
        assert set(optimizer.state[p]) == {"m"}
        assert optimizer.state[p]["m"].shape == p.shape


def test_torch_optimizer_refuses_lr_with_a_pointer_to_lr_schedule(tmp_path):
    module = _import(tmp_path, to_torch_source(load_program("lion")), "torch_lion_lr")
    with pytest.raises(TypeError, match="lr_schedule="):
        module.ProgramOptimizer([torch.zeros(2, requires_grad=True)], lr=1e-3)


def test_every_op_has_a_torch_template():
    assert set(TORCH_TEMPLATES) == set(OPS)
