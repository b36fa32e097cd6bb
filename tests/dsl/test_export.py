"""Using programs outside the search: optax export and standalone source."""

from __future__ import annotations

import importlib.util

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from dsl import InvalidProgram, load_program, parse, to_optax, to_python_source
from dsl.library import builtin_names


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "dense": {"kernel": jnp.asarray(rng.normal(size=(4, 3)), jnp.float32),
                  "bias": jnp.asarray(rng.normal(size=(3,)), jnp.float32)},
        "scale": jnp.asarray(rng.normal(size=(5,)), jnp.float32),
    }


def _grad_sequence(params, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [jax.tree.map(lambda p: jnp.asarray(rng.normal(size=p.shape), jnp.float32), params)
            for _ in range(steps)]


def _trajectory(tx, params, grads):
    state = tx.init(params)
    step = jax.jit(tx.update)
    out = []
    for g in grads:
        updates, state = step(g, state, params)
        params = optax.apply_updates(params, updates)
        out.append(params)
    return out


def test_exported_lion_matches_optax_lion_update_for_update():
    lion = load_program("lion")  # lr scale 1e-4, weight decay 0.1, betas 0.9 / 0.99
    params = _params()
    grads = _grad_sequence(params, 30)
    ours = _trajectory(to_optax(lion, learning_rate=3.0), params, grads)
    reference = _trajectory(
        optax.lion(learning_rate=3.0 * 1e-4, b1=0.9, b2=0.99, weight_decay=0.1), params, grads
    )
    for a, b in zip(ours, reference):
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
            np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)


def test_exported_lion_follows_an_optax_schedule():
    schedule = optax.linear_schedule(2.0, 0.5, 20)
    params = _params(2)
    grads = _grad_sequence(params, 20, seed=3)
    ours = _trajectory(to_optax(load_program("lion"), learning_rate=schedule), params, grads)
    reference = _trajectory(
        optax.lion(lambda c: schedule(c) * 1e-4, weight_decay=0.1), params, grads
    )
    np.testing.assert_allclose(ours[-1]["scale"], reference[-1]["scale"], rtol=1e-6, atol=1e-7)


def _program3_by_hand(params, grads, lr):
    """Program 3 (AdamW as the paper writes it), step by step in numpy."""
    flat = lambda tree: np.concatenate([np.ravel(x) for x in jax.tree.leaves(tree)])
    w = flat(params).astype(np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    trajectory = []
    for g_tree in grads:
        g = flat(g_tree)
        m = 0.1 * g + 0.9 * m
        v = 0.001 * g * g + 0.999 * v
        root = np.sqrt(v)
        root = np.where(root < 1e-8, 1e-8, root)
        update = (m / root + 0.01 * w) * (lr * 0.001)
        w = w - update
        trajectory.append(w.copy())
    return trajectory


def test_exported_adamw_matches_a_hand_written_program_3():
    params = _params(4)
    grads = _grad_sequence(params, 25, seed=5)
    ours = _trajectory(to_optax(load_program("adamw"), learning_rate=10.0), params, grads)
    expected = _program3_by_hand(params, grads, 10.0)
    for a, b in zip(ours, expected):
        flat = np.concatenate([np.ravel(x) for x in jax.tree.leaves(a)])
        np.testing.assert_allclose(flat, b, rtol=1e-5, atol=1e-6)


def _import_source(tmp_path, source, name):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our generated export, not program text
    return module


@pytest.mark.parametrize("name", builtin_names())
def test_standalone_source_matches_the_optax_export(tmp_path, name):
    program = load_program(name)
    module = _import_source(tmp_path, to_python_source(program), f"exported_{name}")
    params = _params(6)
    grads = _grad_sequence(params, 8, seed=7)
    ours = _trajectory(to_optax(program, learning_rate=1.0), params, grads)
    theirs = _trajectory(module.optimizer(learning_rate=1.0), params, grads)
    for x, y in zip(jax.tree.leaves(ours[-1]), jax.tree.leaves(theirs[-1])):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-7)


def test_every_op_has_a_source_template_that_matches_its_implementation(tmp_path):
    from dsl.export import SOURCE_TEMPLATES
    from dsl.ops import OPS

    assert set(SOURCE_TEMPLATES) == set(OPS)
    lines = ["def train(w, g, m, v, lr):", "    s = lr * 0.7"]
    tensors = []
    for index, op in enumerate(OPS.values()):
        args = ["g", "w", "s"][: op.arity]
        if op.arg_kinds and op.arg_kinds[-1].value == "scalar":
            args[-1] = "s"
        lines.append(f"    t{index} = {op.name}({', '.join(args)})" if not op.infix
                     else f"    t{index} = {args[0]} {op.infix} {args[1]}")
        tensors.append(f"t{index}")
    lines.append("    update = g * 0.0")
    for t in tensors:
        lines.append(f"    update = update + {t}")
    lines.append("    return update, m, v")
    program = parse("\n".join(lines) + "\n")
    module = _import_source(tmp_path, to_python_source(program), "all_ops")
    params = {"a": jnp.linspace(-0.9, 0.9, 6).astype(jnp.float32)}
    grads = {"a": jnp.linspace(0.8, -0.7, 6).astype(jnp.float32)}
    ours = to_optax(program, 1.0)
    theirs = module.optimizer(1.0)
    a, _ = ours.update(grads, ours.init(params), params)
    b, _ = theirs.update(grads, theirs.init(params), params)
    np.testing.assert_allclose(a["a"], b["a"], rtol=1e-5)


def test_export_refuses_an_invalid_program():
    program = parse("def train(w, g, m, v, lr):\n    update = sqrt(x)\n    return update, m, v\n")
    with pytest.raises(InvalidProgram, match="reads `x` before it is written"):
        to_optax(program)


def test_a_program_that_reads_weights_needs_params():
    tx = to_optax(load_program("lion"))
    params = _params()
    with pytest.raises(ValueError, match="pass params"):
        tx.update(params, tx.init(params))
