"""Small data sets for the course: XOR, two moons, circles, spirals and handwritten digits.

The synthetic sets are drawn with NumPy from an explicit Generator, so the
same seed gives the same points, bit for bit. Points come shuffled, features
as float64 arrays of shape (n_samples, 2), labels as int arrays of shape
(n_samples,).
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import (
    as_2d_float,
    as_float_array,
    as_generator,
    check_fraction,
    check_non_negative,
    check_positive_int,
)

__all__ = [
    "load_digits",
    "make_circles",
    "make_moons",
    "make_spirals",
    "one_hot",
    "train_val_test_split",
    "xor",
]


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: X (4, 2) with rows 00, 01, 10, 11 and targets y (4, 1) = 0, 1, 1, 0."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, y


def _check_count(n_samples, minimum: int = 2) -> int:
    n = check_positive_int(n_samples, "n_samples")
    if n < minimum:
        raise ValueError(f"n_samples must be at least {minimum} (one per class); got {n}")
    return n


def _noisy_shuffled(parts, noise: float, rng: np.random.Generator):
    """Stack ``parts`` (list of (points, label)), add N(0, noise^2) jitter, shuffle rows."""
    X = np.concatenate([points for points, _ in parts])
    y = np.concatenate([np.full(len(points), label) for points, label in parts])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order].astype(np.int64)


def make_moons(n_samples=200, noise=0.1, rng=None, seed=None):
    """Two interleaving half circles.

    Class 0 is the upper arc (cos t, sin t), class 1 the lower arc
    (1 - cos t, 0.5 - sin t), t in [0, pi]; class 0 gets n_samples - n_samples // 2
    points. Gaussian noise of standard deviation ``noise`` is added to each
    coordinate. Returns X (n_samples, 2) float64 and y (n_samples,) int.
    """
    n = _check_count(n_samples)
    noise = check_non_negative(noise, "noise")
    rng = as_generator(rng, seed)
    n_upper = n - n // 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n // 2)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    return _noisy_shuffled([(upper, 0), (lower, 1)], noise, rng)


def make_circles(n_samples=200, noise=0.1, factor=0.5, rng=None, seed=None):
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor`` (0 < factor < 1).

    Class 0 gets n_samples - n_samples // 2 points, evenly spaced in angle;
    Gaussian noise of standard deviation ``noise`` is added to each coordinate.
    Returns X (n_samples, 2) float64 and y (n_samples,) int.
    """
    n = _check_count(n_samples)
    noise = check_non_negative(noise, "noise")
    factor = check_fraction(factor, "factor")
    if factor == 0.0:
        raise ValueError("factor must be in (0, 1); got 0.0")
    rng = as_generator(rng, seed)

    def circle(count: int, radius: float) -> np.ndarray:
        angle = np.linspace(0.0, 2.0 * np.pi, count, endpoint=False)
        return radius * np.column_stack([np.cos(angle), np.sin(angle)])

    return _noisy_shuffled([(circle(n - n // 2, 1.0), 0), (circle(n // 2, factor), 1)], noise, rng)


def make_spirals(n_per_class=100, n_classes=3, noise=0.2, rng=None, seed=None):
    """``n_classes`` interleaved spiral arms (the CS231n spiral data).

    Arm k has radius r in [0, 1] and angle 4k + 4r (radians) plus Gaussian
    noise of standard deviation ``noise`` on the angle; a point is
    r * (sin angle, cos angle). Returns X (n_per_class * n_classes, 2) float64
    and y (n_per_class * n_classes,) int in [0, n_classes).
    """
    n = check_positive_int(n_per_class, "n_per_class")
    k = check_positive_int(n_classes, "n_classes")
    if k < 2:
        raise ValueError(f"n_classes must be at least 2; got {k}")
    noise = check_non_negative(noise, "noise")
    rng = as_generator(rng, seed)
    radius = np.tile(np.linspace(0.0, 1.0, n), k)
    y = np.repeat(np.arange(k), n)
    angle = 4.0 * (y + radius) + noise * rng.standard_normal(n * k)
    X = radius[:, None] * np.column_stack([np.sin(angle), np.cos(angle)])
    order = rng.permutation(n * k)
    return X[order], y[order].astype(np.int64)


def load_digits():
    """The 8x8 handwritten digits bundled with scikit-learn (no download).

    Returns X (1797, 64) float64 with pixel intensities scaled from 0..16 to
    [0, 1], and y (1797,) int labels 0..9. Needs scikit-learn
    (``pip install scikit-learn`` or the ``data`` extra).
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as exc:
        raise ImportError(
            "load_digits needs scikit-learn: pip install scikit-learn"
        ) from exc
    bunch = sklearn_load_digits()
    return bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64)


def _as_labels(y, name: str) -> np.ndarray:
    labels = as_float_array(y, name)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels; got shape {labels.shape}")
    if np.any(labels != np.round(labels)) or np.any(labels < 0):
        raise ValueError(f"{name} must hold non-negative integer class labels")
    return labels.astype(np.int64)


def one_hot(y, n_classes=None) -> np.ndarray:
    """Encode integer labels y (n,) as a float64 matrix (n, n_classes) of 0s with one 1 per row.

    ``n_classes`` defaults to max(y) + 1.
    """
    labels = _as_labels(y, "y")
    k = int(labels.max()) + 1 if n_classes is None else check_positive_int(n_classes, "n_classes")
    if labels.max() >= k:
        raise ValueError(f"y must hold labels in [0, n_classes={k}); found {labels.max()}")
    encoded = np.zeros((labels.size, k))
    encoded[np.arange(labels.size), labels] = 1.0
    return encoded


def _strata(y: np.ndarray) -> np.ndarray:
    """Class of each sample: labels (n,), (n, 1) labels, or argmax of one-hot rows (n, k)."""
    key = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if key.ndim == 2:
        return np.argmax(key, axis=1)
    if np.any(key != np.round(key)):
        raise ValueError(
            "y must hold class labels when stratify=True; pass stratify=False for "
            "continuous targets"
        )
    return key


def _allocate(total: int, counts: np.ndarray) -> np.ndarray:
    """Split ``total`` over classes in proportion to ``counts`` (largest remainder method)."""
    quota = total * counts / counts.sum()
    share = np.floor(quota).astype(np.int64)
    leftover = total - share.sum()
    share[np.argsort(-(quota - share), kind="stable")[:leftover]] += 1
    return share


def train_val_test_split(X, y, val=0.15, test=0.15, rng=None, seed=None, stratify=True):
    """Shuffle and split (X, y) into training, validation and test parts.

    Parameters
    ----------
    X : array (n_samples, n_features)
    y : array (n_samples,) or (n_samples, k); class labels, (n, 1) labels or one-hot
        rows when ``stratify`` is True
    val, test : fractions in [0, 1) with val + test < 1; the validation and test
        parts get round(val * n) and round(test * n) samples
    stratify : keep each class's share (nearly) the same in every part

    Returns ``X_train, X_val, X_test, y_train, y_val, y_test`` (the order of
    scikit-learn's ``train_test_split``), each part in random order.
    """
    X = as_2d_float(X, "X")
    y_arr = as_float_array(y, "y")
    y = np.asarray(y)
    if y_arr.ndim not in (1, 2) or len(y_arr) != len(X):
        raise ValueError(
            f"y must have one row per sample of X ({len(X)}); got shape {y_arr.shape}"
        )
    val = check_fraction(val, "val")
    test = check_fraction(test, "test")
    n = len(X)
    n_val, n_test = round(val * n), round(test * n)
    if n - n_val - n_test < 1:
        raise ValueError(
            f"val + test must leave at least one training sample; got val={val}, test={test} "
            f"for {n} samples"
        )
    rng = as_generator(rng, seed)
    groups = [np.arange(n)]
    if stratify:
        strata = _strata(y_arr)
        groups = [np.flatnonzero(strata == c) for c in np.unique(strata)]
    counts = np.array([len(g) for g in groups])
    parts: list[list[np.ndarray]] = [[], [], []]
    for group, k_val, k_test in zip(
        groups, _allocate(n_val, counts), _allocate(n_test, counts), strict=True
    ):
        shuffled = rng.permutation(group)
        parts[0].append(shuffled[k_val + k_test:])
        parts[1].append(shuffled[:k_val])
        parts[2].append(shuffled[k_val:k_val + k_test])
    index = [rng.permutation(np.concatenate(p)) for p in parts]
    return (*(X[i] for i in index), *(y[i] for i in index))
