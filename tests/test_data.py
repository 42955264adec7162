"""Tests of the data sets and the train/validation/test split in backproplab.data."""

import numpy as np
import pytest

from backproplab.data import (
    load_digits,
    make_circles,
    make_moons,
    make_spirals,
    one_hot,
    train_val_test_split,
    xor,
)

GENERATORS = {
    "moons": lambda **kw: make_moons(n_samples=201, **kw),
    "circles": lambda **kw: make_circles(n_samples=201, **kw),
    "spirals": lambda **kw: make_spirals(n_per_class=67, n_classes=3, **kw),
}


def test_xor_has_the_four_truth_table_rows():
    X, y = xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [[0], [1], [1], [0]])
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(X[:, 0], X[:, 1]))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_synthetic_shapes_types_and_balance(name):
    X, y = GENERATORS[name](seed=0)
    assert X.shape == (201, 2) and X.dtype == np.float64
    assert y.shape == (201,) and np.issubdtype(y.dtype, np.integer)
    counts = np.bincount(y)
    expected = [101, 100] if name != "spirals" else [67, 67, 67]
    np.testing.assert_array_equal(counts, expected)
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_data_different_seed_different_data(name):
    X1, y1 = GENERATORS[name](seed=5)
    X2, y2 = GENERATORS[name](rng=np.random.default_rng(5))
    X3, _ = GENERATORS[name](seed=6)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_points_are_shuffled(name):
    _, y = GENERATORS[name](seed=1)
    assert np.any(np.diff(y) < 0)  # not all class-0 points first


def test_noise_free_moons_lie_on_their_arcs():
    X, y = make_moons(n_samples=100, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_noise_free_circles_have_radius_1_and_factor():
    X, y = make_circles(n_samples=60, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-12)


def test_noise_free_spiral_arm_k_has_angle_4k_plus_4r():
    X, y = make_spirals(n_per_class=50, n_classes=4, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    keep = r > 1e-9
    angle = np.arctan2(X[keep, 0], X[keep, 1])  # x = r sin t, y = r cos t
    expected = 4.0 * (y[keep] + r[keep])
    wrapped = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(wrapped, 0.0, atol=1e-9)
    assert r.max() == pytest.approx(1.0)


def test_load_digits_shape_range_and_classes():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    assert y.shape == (1797,)
    # pixel intensities were 0..16, so every value is a multiple of 1/16
    np.testing.assert_array_equal(X * 16, np.round(X * 16))


def test_one_hot():
    encoded = one_hot([2, 0, 1, 2], 4)
    np.testing.assert_array_equal(
        encoded, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    )
    assert one_hot(np.array([1, 0])).shape == (2, 2)
    with pytest.raises(ValueError, match="y"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="y"):
        one_hot([0.5, 1])


def make_labelled(n=200, seed=0):
    """X whose first column is the row index, so rows can be traced through the split."""
    y = np.repeat([0, 1, 2], [100, 60, 40])[:n]
    X = np.column_stack([np.arange(n), np.random.default_rng(seed).normal(size=n)])
    return X, y


def test_split_sizes_no_overlap_and_alignment():
    X, y = make_labelled()
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(X, y, val=0.15, test=0.2, seed=0)
    assert (len(X_tr), len(X_va), len(X_te)) == (130, 30, 40)
    ids = [part[:, 0].astype(int) for part in (X_tr, X_va, X_te)]
    all_ids = np.concatenate(ids)
    assert len(np.unique(all_ids)) == 200  # every row exactly once: no overlap, nothing lost
    for part_ids, part_y in zip(ids, (y_tr, y_va, y_te), strict=True):
        np.testing.assert_array_equal(part_y, y[part_ids])


def test_split_is_stratified():
    X, y = make_labelled()
    parts = train_val_test_split(X, y, val=0.15, test=0.2, seed=3)
    class_share = np.bincount(y) / len(y)  # 0.5, 0.3, 0.2
    for labels in parts[3:]:
        counts = np.bincount(labels, minlength=3)
        # each class gets its share of the part, up to rounding to whole samples
        assert np.all(np.abs(counts - class_share * len(labels)) < 1.0)


def test_split_unstratified_still_partitions():
    X, y = make_labelled()
    X_tr, X_va, X_te, *_ = train_val_test_split(X, y, val=0.1, test=0.1, seed=0, stratify=False)
    assert (len(X_tr), len(X_va), len(X_te)) == (160, 20, 20)
    assert len(np.unique(np.concatenate([X_tr, X_va, X_te])[:, 0])) == 200


def test_split_accepts_one_hot_targets_and_is_deterministic():
    X, y = make_labelled()
    Y = one_hot(y)
    first = train_val_test_split(X, Y, seed=11)
    second = train_val_test_split(X, Y, seed=11)
    other = train_val_test_split(X, Y, seed=12)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    np.testing.assert_array_equal(first[3], one_hot(y)[first[0][:, 0].astype(int)])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"val": 0.5, "test": 0.5}, "val"),
        ({"val": 1.2}, "val"),
        ({"test": -0.1}, "test"),
    ],
)
def test_split_rejects_bad_fractions(kwargs, name):
    X, y = make_labelled()
    with pytest.raises(ValueError, match=name):
        train_val_test_split(X, y, **kwargs)


def test_split_rejects_mismatched_or_continuous_targets():
    X, y = make_labelled()
    with pytest.raises(ValueError, match="y must have one row per sample"):
        train_val_test_split(X, y[:-1])
    with pytest.raises(ValueError, match="stratify"):
        train_val_test_split(X, np.linspace(0, 1, 200))


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: make_moons(n_samples=0), ValueError, "n_samples"),
        (lambda: make_moons(n_samples=1.5), TypeError, "n_samples"),
        (lambda: make_moons(noise=-1), ValueError, "noise"),
        (lambda: make_circles(factor=1.0), ValueError, "factor"),
        (lambda: make_spirals(n_classes=1), ValueError, "n_classes"),
        (lambda: make_spirals(n_per_class=0), ValueError, "n_per_class"),
        (lambda: make_moons(seed=1, rng=np.random.default_rng(1)), ValueError, "rng"),
    ],
)
def test_generators_reject_bad_arguments(call, error, name):
    with pytest.raises(error, match=name):
        call()
