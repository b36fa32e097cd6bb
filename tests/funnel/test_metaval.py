"""When meta-overfitting began, by the documented rule."""

from funnel.metaval import MetavalPoint, overfit_onset


def points(search, metaval, every=100):
    return [MetavalPoint((i + 1) * every, i, s, m) for i, (s, m) in enumerate(zip(search, metaval))]


def test_onset_is_the_metaval_peak_once_search_rises_while_metaval_falls():
    run = points([1.0, 1.2, 1.4, 1.5, 1.6], [0.5, 0.8, 0.7, 0.6, 0.6])
    assert overfit_onset(run, patience=2) == 200


def test_no_onset_while_metaval_keeps_improving():
    run = points([1.0, 1.2, 1.4], [0.5, 0.6, 0.7])
    assert overfit_onset(run, patience=1) is None


def test_no_onset_when_search_fitness_is_flat_after_the_peak():
    run = points([1.0, 1.2, 1.2, 1.2], [0.5, 0.8, 0.7, 0.6])
    assert overfit_onset(run, patience=1) is None


def test_patience_counts_rises_of_search_fitness():
    run = points([1.0, 1.2, 1.3, 1.3], [0.5, 0.8, 0.7, 0.6])
    assert overfit_onset(run, patience=1) == 200
    assert overfit_onset(run, patience=2) is None


def test_a_diverging_metaval_counts_as_a_fall():
    run = points([2.4, 2.5, 2.6, 2.9], [1.0, 1.3, 1.6, float("-inf")])
    assert overfit_onset(run, patience=1) == 300
