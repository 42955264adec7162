"""Looking inside a trained classifier: which classes it confuses, and which units never fire.

Accuracy is one number; a confusion matrix says where the mistakes are. For a
ReLU network, ``never_active_units`` finds the hidden units whose
pre-activation is at most zero on every sample: a ReLU unit like that outputs
0 and passes back no gradient for any of those samples. In the first hidden
layer, whose inputs are the fixed data, plain gradient descent (no momentum, no
weight decay) then never changes its weights again, so it can never revive; a
unit deeper in the network can, when the layers below it change its inputs.
``activation_spread`` measures how different the samples still look to each
layer: in a deep sigmoid network the forward signal fades layer by layer.
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import as_2d_float, as_float_array, check_positive_int
from backproplab.layers import Activation
from backproplab.network import MLP
from backproplab.training import train

__all__ = [
    "activation_spread",
    "confusion_matrix",
    "most_confused",
    "never_active_units",
    "per_class_accuracy",
    "predictions_after_each_update",
]


def _as_labels(y, name: str) -> np.ndarray:
    """Return integer class labels (n,) from a 1-D array of non-negative whole numbers."""
    labels = as_float_array(y, name)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels; got shape {labels.shape}")
    if np.any(labels != np.round(labels)) or labels.min() < 0:
        raise ValueError(f"{name} must hold non-negative integer class labels")
    return labels.astype(np.int64)


def confusion_matrix(y_true, y_pred, n_classes=None) -> np.ndarray:
    """Count matrix (n_classes, n_classes): entry [i, j] counts samples of class i predicted as j.

    y_true, y_pred : integer labels (n,). Rows are true classes and columns
    predicted ones (scikit-learn's convention), so the diagonal holds the
    correct predictions and each row sums to the number of samples of that
    class. ``n_classes`` defaults to the largest label + 1.
    """
    true = _as_labels(y_true, "y_true")
    pred = _as_labels(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ValueError(
            f"y_pred must have one label per entry of y_true {true.shape}; got shape {pred.shape}"
        )
    largest = int(max(true.max(), pred.max()))
    k = largest + 1 if n_classes is None else check_positive_int(n_classes, "n_classes")
    if largest >= k:
        raise ValueError(f"labels must be in [0, n_classes={k}); found {largest}")
    return np.bincount(true * k + pred, minlength=k * k).reshape(k, k)


def _as_matrix(matrix) -> np.ndarray:
    matrix = as_float_array(matrix, "matrix", ndim=2)
    if matrix.shape[0] != matrix.shape[1] or np.any(matrix < 0):
        raise ValueError(
            f"matrix must be a square confusion matrix of counts >= 0; got shape {matrix.shape}"
        )
    return matrix


def per_class_accuracy(matrix) -> np.ndarray:
    """Fraction of each true class predicted correctly (its recall), shape (n_classes,).

    ``matrix`` is a confusion matrix (rows = true classes). A class with no
    samples gets NaN.
    """
    matrix = _as_matrix(matrix)
    totals = matrix.sum(axis=1)
    correct = np.diag(matrix)
    return np.divide(correct, totals, out=np.full(len(totals), np.nan), where=totals > 0)


def most_confused(matrix, top=3) -> list[tuple[int, int, int]]:
    """The ``top`` largest mistakes as (true class, predicted class, count), largest first.

    Only off-diagonal entries with a count above zero are listed; equal counts
    come in (true, predicted) order.
    """
    matrix = _as_matrix(matrix)
    top = check_positive_int(top, "top")
    errors = matrix.copy()
    np.fill_diagonal(errors, 0)
    order = np.argsort(-errors, axis=None, kind="stable")[:top]
    pairs = [np.unravel_index(i, errors.shape) for i in order]
    return [(int(i), int(j), int(errors[i, j])) for i, j in pairs if errors[i, j] > 0]


def never_active_units(model, X) -> list[np.ndarray]:
    """For each activation layer of ``model``, which units have input <= 0 on every row of X.

    model : a ``Sequential`` (e.g. from ``MLP``); X : (n_samples, n_features).
    Returns one boolean array (n_units,) per top-level ``Activation`` layer,
    in forward order. For ReLU such a unit is dead on X: its output and its
    local gradient are 0 for every sample, so the gradient of every weight feeding it is 0.
    (Its weights still move under momentum left over from earlier steps or under weight
    decay, and the inputs of a unit beyond the first layer change as earlier layers learn.)
    """
    if not hasattr(model, "layers"):
        raise TypeError(f"model must be a backproplab Sequential; got {type(model).__name__}")
    out = as_2d_float(X, "X")
    masks = []
    for layer in model.layers:
        if isinstance(layer, Activation):
            masks.append(np.all(out <= 0.0, axis=0))
        out = layer.forward(out)
    return masks


def activation_spread(model, X) -> np.ndarray:
    """How different the rows of X look after each activation layer of ``model``.

    model : a ``Sequential`` (e.g. from ``MLP``); X : (n_samples, n_features), n_samples >= 2.
    Returns (n_activation_layers,): for each top-level ``Activation`` layer, in forward order,
    the standard deviation of each unit's output across the rows of X, averaged over the
    units. A value near 0 means that every sample produces almost the same output there.
    """
    if not hasattr(model, "layers"):
        raise TypeError(f"model must be a backproplab Sequential; got {type(model).__name__}")
    out = as_2d_float(X, "X")
    if len(out) < 2:
        raise ValueError(f"X must have at least 2 rows to have a spread; got {len(out)}")
    spreads = []
    for layer in model.layers:
        out = layer.forward(out)
        if isinstance(layer, Activation):
            spreads.append(float(out.std(axis=0).mean()))
    return np.array(spreads)


def predictions_after_each_update(
    X, y, X_watch, epochs=2, shuffle=False, seed=0, batch_size=32, lr=0.1, sizes=(64, 64, 10)
):
    """Train by plain SGD one mini-batch at a time and predict ``X_watch`` after every update.

    ``X`` (n, d) and integer labels ``y`` (n,) are the training set, taken in order when
    ``shuffle`` is False (the computation of ``train(..., shuffle=False)``, bit for bit).
    Returns the model, the predictions (updates, len(X_watch)) and, per update, the most
    common label of its mini-batch (updates,).
    """
    X, y = as_2d_float(X, "X"), _as_labels(y, "y")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    model, rng = MLP(list(sizes), seed=seed), np.random.default_rng(seed)
    predictions, batch_labels = [], []
    for _ in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        for batch in np.array_split(order, range(batch_size, len(X), batch_size)):
            train(model, X[batch], y[batch], loss="softmax_cross_entropy", lr=lr, epochs=1)
            predictions.append(model.predict_classes(X_watch))
            batch_labels.append(np.bincount(y[batch]).argmax())
    return model, np.array(predictions), np.array(batch_labels)
