"""A program's live constants as a vector: read, perturbed, written back."""

import numpy as np
import pytest

from dsl.constants import (
    constant_slots,
    executor_positions,
    perturbed_constants,
    with_constants,
)
from dsl.executor import encode
from dsl.library import load_builtin
from dsl.parser import parse

WITH_DEAD_CODE = """\
def train(w, g, m, v, lr):
    t = g * 7.0
    m = interp(g, m, 0.9)
    wd = w * 0.01
    update = sign(m)
    update = update + wd
    update = update * lr
    return update, m, v
"""


def test_only_live_constants_are_slots_in_program_order():
    slots = constant_slots(parse(WITH_DEAD_CODE))
    assert [s.value for s in slots] == [0.9, 0.01]
    assert [s.mixing for s in slots] == [True, False]


def test_written_back_constants_land_where_they_were_read():
    tuned = with_constants(parse(WITH_DEAD_CODE), [0.95, 3.0])
    assert [s.value for s in constant_slots(tuned)] == [0.95, 3.0]
    assert "t = g * 7.0" in tuned.to_text()  # dead code untouched


def test_written_back_values_are_rounded_to_four_digits():
    tuned = with_constants(parse(WITH_DEAD_CODE), [0.123456, 2.0])
    assert constant_slots(tuned)[0].value == 0.1235


@pytest.mark.parametrize("values", [[1.0], [1.0, 2.0, 3.0], [float("nan"), 1.0]])
def test_wrong_or_non_finite_values_are_refused(values):
    with pytest.raises(ValueError):
        with_constants(parse(WITH_DEAD_CODE), values)


def test_executor_positions_address_the_encoded_constants():
    program = load_builtin("adamw")
    code = encode(program, 16)
    consts = np.asarray(code.consts)
    assert list(consts[executor_positions(program)]) == pytest.approx(
        [s.value for s in constant_slots(program)]
    )


def test_perturbations_keep_interp_weights_inside_zero_one_and_signs_of_others():
    slots = constant_slots(load_builtin("adamw"))
    draws = perturbed_constants(slots, 500, 3.0, np.random.default_rng(0))
    mixing = np.array([s.mixing for s in slots])
    assert ((draws[:, mixing] > 0) & (draws[:, mixing] < 1)).all()
    assert (np.sign(draws[:, ~mixing]) == np.sign([s.value for s in slots if not s.mixing])).all()
    # Eventually far from the start: x 2^(3 N(0, 1)) reaches 100x within 500 draws.
    decay = [s.value for s in slots].index(0.01)
    assert draws[:, decay].max() > 1.0


def test_perturbations_are_a_function_of_the_generator():
    slots = constant_slots(load_builtin("adamw"))
    a = perturbed_constants(slots, 8, 1.0, np.random.default_rng(3))
    b = perturbed_constants(slots, 8, 1.0, np.random.default_rng(3))
    assert (a == b).all()


def test_the_grid_moves_one_constant_at_a_time_to_absolute_values():
    from dsl.constants import MAGNITUDE_GRID, MIXING_GRID, grid_constants

    adamw = load_builtin("adamw")  # live constants: 0.9, 0.999, 0.01, 0.001
    slots = constant_slots(adamw)
    own = np.array([s.value for s in slots])
    rows = grid_constants(slots)
    moved = rows != own
    assert (moved.sum(axis=1) == 1).all(), "each row moves exactly one constant"
    # Per slot: every grid value but its own (0.9, 0.999, 0.01, 0.001 are on it).
    assert moved.sum(axis=0).tolist() == [
        len(MIXING_GRID) - 1, len(MIXING_GRID) - 1,
        len(MAGNITUDE_GRID) - 1, len(MAGNITUDE_GRID) - 1,
    ]
    decays = sorted(rows[moved[:, 2], 2])
    assert decays == [1e-3, 0.1, 1.0, 10.0]  # absolute: 0.01 reaches 1 in one step


def test_the_grid_keeps_a_constants_sign_and_skips_zero():
    from dsl.constants import grid_constants

    program = parse(
        "def train(w, g, m, v, lr):\n"
        "    a = g * -0.5\n"
        "    b = a * 0.0\n"
        "    update = a + b\n"
        "    return update, m, v\n"
    )
    slots = constant_slots(program)
    rows = grid_constants(slots)
    assert (rows[:, 0] < 0).all() and (rows[:, 1] == 0).all()
    assert len(rows) == 5  # five magnitudes for -0.5, none for the zero
