"""Tests of backproplab.studies.pitfalls: chapter 7's runs over seeds and over splits."""

import numpy as np
import pytest

from backproplab.data import make_moons, train_val_test_split
from backproplab.network import MLP
from backproplab.studies.pitfalls import (
    SeedRun,
    diverged_fraction,
    final_spread,
    largest_fall,
    noisy_labels,
    over_splits,
    runs_over_seeds,
)
from backproplab.training import History, accuracy, train

X, Y = make_moons(80, noise=0.2, seed=3)
RECIPE = dict(loss="softmax_cross_entropy", lr=0.3, epochs=3, batch_size=16,
              validation=(X[60:], Y[60:]))


def test_each_seed_sets_the_weights_and_the_order_of_its_own_run():
    runs = runs_over_seeds(lambda seed: MLP([2, 8, 2], seed=seed), X[:60], Y[:60], [4, 9],
                           **RECIPE)
    assert [run.seed for run in runs] == [4, 9]
    for run in runs:  # the same run trained by hand, bit for bit
        model = MLP([2, 8, 2], seed=run.seed)
        history = train(model, X[:60], Y[:60], seed=run.seed, **RECIPE)
        assert run.history.val_loss == history.val_loss
        assert all(np.array_equal(p, q) for p, q in zip(model.params, run.model.params,
                                                         strict=True))
    assert runs[0].history.val_loss != runs[1].history.val_loss


def test_final_spread_and_diverged_fraction_by_hand():
    runs = [History(val_accuracy=[0.1, a], loss=[2.0, 1.0]) for a in (0.5, 0.9, 0.7)]
    values = final_spread(runs)
    assert (values.median, values.low, values.high) == (0.7, 0.5, 0.9)
    assert final_spread([SeedRun(0, None, runs[0])], "loss").median == 1.0
    assert diverged_fraction(runs) == 0.0
    diverged = runs + [History(diverged=True)]
    assert diverged_fraction(diverged) == 0.25
    with pytest.raises(ValueError, match="diverged"):
        final_spread(diverged)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="build"):
        runs_over_seeds("MLP", X, Y, [0])
    with pytest.raises(ValueError, match="seed"):
        runs_over_seeds(lambda s: MLP([2, 2], seed=s), X, Y, [0], seed=1)
    with pytest.raises(ValueError, match="seeds"):
        runs_over_seeds(lambda s: MLP([2, 2], seed=s), X, Y, [1, 1], **RECIPE)
    with pytest.raises(ValueError, match="curve"):
        final_spread([History(loss=[1.0])], "steps")
    with pytest.raises(ValueError, match="val_accuracy"):
        final_spread([History(loss=[1.0])])
    with pytest.raises(ValueError, match="runs"):
        diverged_fraction([])
    with pytest.raises(ValueError, match="validation"):
        over_splits(X, Y, [2, 2], [0], validation=(X, Y))


def test_over_splits_uses_one_split_and_one_initialisation_per_seed():
    recipe = dict(loss="softmax_cross_entropy", lr=0.3, epochs=3, batch_size=16)
    runs = over_splits(X, Y, [2, 8, 2], [0, 5], val=0.25, test=0.25, **recipe)
    for run in runs:
        X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
            X, Y, val=0.25, test=0.25, seed=run.seed)
        model = MLP([2, 8, 2], seed=run.seed)
        history = train(model, X_train, y_train, seed=run.seed, validation=(X_val, y_val),
                        **recipe)
        assert history.val_loss == run.history.val_loss
        assert run.test_size == len(y_test) == 20
        assert run.test_accuracy == accuracy(model, X_test, y_test)
        assert run.val_accuracy == history.val_accuracy[-1]  # no early stopping: the last epoch
        assert np.array_equal(run.validation[0], X_val) and np.array_equal(run.validation[1], y_val)


def test_noisy_labels_changes_about_the_asked_share_and_always_to_another_class():
    y = np.repeat(np.arange(10), 200)
    noisy, changed = noisy_labels(y, 0.2, 10, seed=0)
    assert np.array_equal(noisy != y, changed)  # changed means a different label, every time
    assert abs(changed.mean() - 0.2) < 0.03  # 2,000 draws: sd of the share is 0.009
    assert noisy.min() >= 0 and noisy.max() <= 9
    counts = np.bincount((noisy[changed] - y[changed]) % 10, minlength=10)
    assert counts[0] == 0 and counts[1:].min() > 0.5 * counts[1:].mean()  # uniform over 1..9
    assert np.array_equal(noisy_labels(y, 0.0, 10, seed=1)[0], y)
    assert not np.array_equal(noisy_labels(y, 0.2, 10, seed=1)[1], changed)  # seed matters
    for bad, name in [((y, 1.5, 10), "noise"), ((y, 0.1, 5), "n_classes"),
                      ((y.astype(float), 0.1, 10), "integer")]:
        with pytest.raises(ValueError, match=name):
            noisy_labels(*bad, seed=0)


def test_largest_fall_by_hand():
    assert largest_fall([0.2, 0.9, 0.4, 0.95, 0.7]) == pytest.approx(0.5)  # 0.9 -> 0.4
    assert largest_fall([0.1, 0.2, 0.3]) == 0.0  # never goes down
    assert largest_fall([0.5]) == 0.0
    assert largest_fall([1.0, 0.0, 2.0, 1.5]) == 1.0  # the earlier fall is the larger one
    for bad in ([], [[0.1, 0.2]], [0.1, float("nan")]):
        with pytest.raises(ValueError, match="curve"):
            largest_fall(bad)
