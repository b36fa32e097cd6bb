"""Using programs outside the search: optax export and standalone source."""

from __future__ import annotations

import importlib.util
import warnings

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
    ours = _trajectory(to_optax(lion, lr_schedule=3.0), params, grads)
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
    ours = _trajectory(to_optax(load_program("lion"), lr_schedule=schedule), params, grads)
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
    ours = _trajectory(to_optax(load_program("adamw"), lr_schedule=10.0), params, grads)
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
    ours = _trajectory(to_optax(program, lr_schedule=1.0), params, grads)
    theirs = _trajectory(module.optimizer(lr_schedule=1.0), params, grads)
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


def test_a_program_that_reads_weights_needs_params_in_both_exports(tmp_path):
    program = load_program("lion")  # weight decay reads w
    module = _import_source(tmp_path, to_python_source(program), "needs_params")
    params = _params()
    for tx in (to_optax(program), module.optimizer()):
        with pytest.raises(ValueError, match=r"reads the weights `w`: call update\(grads, state, params\)"):
            tx.update(params, tx.init(params))


def test_a_program_that_ignores_weights_runs_without_params(tmp_path):
    program = load_program("rmsprop")
    module = _import_source(tmp_path, to_python_source(program), "no_params")
    params = _params()
    for tx in (to_optax(program), module.optimizer()):
        updates, _ = tx.update(params, tx.init(params))
        assert jax.tree.structure(updates) == jax.tree.structure(params)


# --- Learning rate: a multiplier of the program's own, not optax's learning rate


def test_learning_rate_is_refused_with_a_pointer_to_lr_schedule():
    with pytest.raises(TypeError, match="lr_schedule="):
        to_optax(load_program("lion"), learning_rate=1e-3)


def test_a_small_multiplier_on_a_program_that_already_scales_lr_warns():
    with pytest.warns(UserWarning, match=r"scales by 0.0001 \(effective 1e-07\).*applied twice"):
        to_optax(load_program("lion"), 1e-3)


@pytest.mark.parametrize("name,multiplier", [("lion", 1.0), ("lion", 0.5), ("sgd", 1e-3)])
def test_no_warning_for_a_multiplier_near_one_or_a_program_without_a_small_scale(
    name, multiplier
):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_optax(load_program(name), multiplier)


# --- State: only live slots, shaped like the params


def test_lion_allocates_only_m_and_shapes_it_like_the_params():
    params = _params()
    state = to_optax(load_program("lion")).init(params)
    assert state.v is None
    assert jax.tree.structure(state.m) == jax.tree.structure(params)
    assert [x.shape for x in jax.tree.leaves(state.m)] == [x.shape for x in jax.tree.leaves(params)]


@pytest.mark.parametrize("name,slots", [("sgd", ()), ("rmsprop", ("v",)), ("adamw", ("m", "v")),
                                        ("program4", ("v",))])
def test_state_holds_exactly_the_slots_the_program_carries(tmp_path, name, slots):
    params = _params()
    module = _import_source(tmp_path, to_python_source(load_program(name)), f"slots_{name}")
    for tx in (to_optax(load_program(name)), module.optimizer()):
        state = tx.init(params)
        _, state = tx.update(params, state, params)
        for slot in ("m", "v"):
            value = getattr(state, slot)
            if slot in slots:
                assert jax.tree.structure(value) == jax.tree.structure(params)
            else:
                assert value is None


# --- Generated code contains no input and nothing a program name can shadow

#: Every name a generated module defines or relies on, as program variables.
SHADOWING = [
    "jnp", "jax", "np", "optax", "segment_ids", "num_segments", "step", "EPS",
    "EXP_MAX", "float", "len", "State", "optimizer", "init_fn", "update_fn",
    "_norm", "_global_norm", "_safe_denominator", "_flat", "_cat", "_split", "torch",
    "math", "SLOTS", "READS_W", "WHOLE_SET", "ProgramOptimizer", "v_update", "e",
]


def adversarial_program(whole_set: bool) -> str:
    """A valid program whose variables are named like the generated module's globals."""
    lines = ["def train(w, g, m, v, lr):", "    t = g * 1.0"]
    for name in SHADOWING:
        lines.append(f"    {name} = t * 0.5")
        lines.append(f"    t = norm({name})" if name == "e" else f"    t = t + {name}")
    if whole_set:
        lines.append("    t = clip_by_global_norm(t, lr)")
    lines += [
        "    m = interp(t, m, 0.9)", "    x = e()", "    update = m * x",
        "    wd = w * 0.01", "    update = update + wd", "    update = update * lr",
        "    return update, m, v",
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("whole_set", [False, True], ids=["leafwise", "whole-set"])
def test_variables_named_like_module_globals_export_and_run(tmp_path, whole_set):
    program = parse(adversarial_program(whole_set))
    module = _import_source(tmp_path, to_python_source(program), f"adversarial_{whole_set}")
    params = _params(8)
    grads = _grad_sequence(params, 3, seed=9)
    ours = _trajectory(to_optax(program), params, grads)
    theirs = _trajectory(module.optimizer(), params, grads)
    for x, y in zip(jax.tree.leaves(ours[-1]), jax.tree.leaves(theirs[-1])):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-7)


def test_the_step_function_assigns_program_variables_only_under_their_prefix():
    source = to_python_source(parse(adversarial_program(True)))
    step = source[source.index("def step(") : source.index("    return update, m, v")]
    for name in SHADOWING:
        assert f"    {name} = " not in step
        assert f"    v_{name} = " in step


def test_a_non_finite_constant_is_written_as_a_float_not_a_name(tmp_path):
    from dsl.program import Const, Program, Statement, Var

    program = Program((Statement("update", "multiply", (Var("g"), Const(float("inf")))),))
    source = to_python_source(program)
    assert "jnp.float32(float('inf'))" in source
    module = _import_source(tmp_path, source, "non_finite")
    tx = module.optimizer()
    updates, _ = tx.update({"a": jnp.ones(2)}, tx.init({"a": jnp.ones(2)}))
    assert np.all(np.isneginf(updates["a"]))


def test_a_name_that_is_not_an_identifier_is_refused():
    from dsl.program import Const, Program, Statement, Var

    program = Program((Statement("x\nimport os", "multiply", (Var("g"), Const(2.0))),
                       Statement("update", "multiply", (Var("x\nimport os"), Const(2.0)))))
    with pytest.raises(ValueError, match="not a variable name"):
        to_python_source(program)
