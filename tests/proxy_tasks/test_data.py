"""Data sets: bundled, local and synthetic, deterministic, with clean validation."""

from __future__ import annotations

import numpy as np

from proxy_tasks import data


def test_digits_come_from_the_bundled_images():
    ds = data.digits()
    assert ds.x_train.shape[1] == 64 and ds.num_classes == 10
    assert ds.x_train.shape[0] + ds.x_val.shape[0] == 1797
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0


def test_label_noise_flips_about_the_requested_fraction_of_training_labels():
    clean, noisy = data.digits(), data.digits(label_noise=0.4)
    flipped = np.mean(clean.y_train != noisy.y_train)
    assert 0.35 < flipped < 0.45
    np.testing.assert_array_equal(clean.y_val, noisy.y_val)


def test_stdlib_text_is_next_character_prediction_over_a_fixed_vocabulary():
    ds = data.stdlib_text(context=8, num_train=500, num_val=100)
    assert ds.x_train.shape == (500, 8) and ds.y_train.shape == (500,)
    assert ds.num_classes == data.TEXT_VOCAB
    assert 0 <= ds.x_train.min() and ds.x_train.max() < data.TEXT_VOCAB
    seq = data.stdlib_text(context=8, num_train=50, num_val=10, sequence=True)
    np.testing.assert_array_equal(seq.x_train[:, 1:], seq.y_train[:, :-1])


def test_builders_are_deterministic_and_chance_levels_are_sensible():
    a = data.load("teacher", (("label_noise", 0.3),))
    b = data.teacher(label_noise=0.3)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert 0 < a.chance_loss <= np.log(a.num_classes) + 1e-6
    r = data.heavy_tail_regression()
    assert r.num_classes == 0 and r.chance_loss > 0
    # Heavy tails: a few training targets are far outside the clean range.
    assert np.abs(r.y_train).max() > 5 and np.abs(r.y_val).max() <= 1


def test_feature_decades_rescale_the_inputs_and_leave_the_labels_alone():
    plain = data.teacher(dim=8, num_train=256, num_val=64, label_noise=0.3, seed=3)
    spread = data.teacher(
        dim=8, num_train=256, num_val=64, label_noise=0.3, feature_decades=2.0, seed=3
    )
    np.testing.assert_array_equal(plain.y_train, spread.y_train)
    np.testing.assert_array_equal(plain.y_val, spread.y_val)
    scales = spread.x_train / plain.x_train
    np.testing.assert_allclose(scales[0], np.logspace(-1, 1, 8), rtol=1e-5)
    same_every_row = np.broadcast_to(scales[0], scales.shape)
    np.testing.assert_allclose(scales, same_every_row, rtol=1e-5)


def test_whitened_validation_hides_the_conditioning_from_the_weights():
    # The adaptive target's task: training inputs scaled over 2.5 decades,
    # validation inputs isotropic, true weights drawn without the scales.
    from proxy_tasks.data import ill_conditioned

    plain = ill_conditioned(dim=16, num_train=4096, num_val=4096, condition=1e5, seed=0)
    white = ill_conditioned(dim=16, num_train=4096, num_val=4096, condition=1e5, seed=0,
                            noise_scale=1e-4, whitened_val=True)
    train_std = white.x_train.std(axis=0)
    assert train_std[0] / train_std[-1] > 100           # the training inputs are conditioned
    assert np.allclose(white.x_val.std(axis=0), 1.0, atol=0.1)   # validation is not
    assert plain.x_val.std(axis=0)[-1] < 0.01
    # The least-squares weights recover the true ones; only the plain task's
    # grow as the scales shrink.
    u_plain = np.linalg.lstsq(plain.x_val, plain.y_val, rcond=None)[0].ravel()
    u_white = np.linalg.lstsq(white.x_val, white.y_val, rcond=None)[0].ravel()
    assert np.abs(u_plain[-4:]).mean() > 30 * np.abs(u_plain[:4]).mean()
    assert np.abs(u_white[-4:]).mean() < 10 * np.abs(u_white[:4]).mean()
