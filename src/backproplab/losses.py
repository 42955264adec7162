"""Loss functions, their gradients, and the ``Loss`` objects the training loop uses.

Every loss is a mean: over all elements for the elementwise losses (as
``torch.nn.MSELoss`` does), over samples for softmax cross-entropy. Each
``*_grad`` function returns dL/d(first argument), an array shaped like it.

Elementwise losses take ``y_pred`` and ``y_true`` of the same shape; a 1-D
``y_true`` of shape (n,) is also accepted for a single-output ``y_pred`` of
shape (n, 1), because that is how label vectors usually arrive (broadcasting
the two silently would build an (n, n) matrix instead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backproplab._validation import as_2d_float, as_float_array, check_choice, check_positive
from backproplab.activations import identity, sigmoid


def _pair(y_pred, y_true, pred_name="y_pred", true_name="y_true"):
    """Validate a prediction and a target of matching shape; return both as float64."""
    y_pred = as_float_array(y_pred, pred_name)
    y_true = as_float_array(y_true, true_name)
    if y_true.ndim == 1 and y_pred.shape == (y_true.shape[0], 1):
        y_true = y_true[:, None]
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"{true_name} must have the same shape as {pred_name} {y_pred.shape}; "
            f"got shape {y_true.shape}"
        )
    return y_pred, y_true


def _check_unit_interval(x, name):
    if x.min() < 0.0 or x.max() > 1.0:
        raise ValueError(f"{name} must contain values in [0, 1]; got range [{x.min()}, {x.max()}]")


# Every public loss function checks its inputs, then calls an unchecked core ``_name``
# (value) or ``_name_grad`` (gradient) on float64 arrays of matching shapes. The training
# loop, which checks its targets once per call of ``train``, calls the cores directly
# (see ``_unchecked_fns``).
def _mse(y_pred, y_true) -> float:
    return float(np.mean((y_pred - y_true) ** 2))


def _mse_grad(y_pred, y_true):
    return (2.0 / y_pred.size) * (y_pred - y_true)


def mse(y_pred, y_true) -> float:
    """Mean squared error mean((y_pred - y_true)**2) over all elements; shapes must match."""
    return _mse(*_pair(y_pred, y_true))


def mse_grad(y_pred, y_true):
    """dMSE/dy_pred = 2 (y_pred - y_true) / N with N = y_pred.size; shape of ``y_pred``."""
    return _mse_grad(*_pair(y_pred, y_true))


def _half_mse(y_pred, y_true) -> float:
    return 0.5 * _mse(y_pred, y_true)


def _half_mse_grad(y_pred, y_true):
    return 0.5 * _mse_grad(y_pred, y_true)


def half_mse(y_pred, y_true) -> float:
    """Half the mean squared error, whose gradient has no factor 2."""
    return _half_mse(*_pair(y_pred, y_true))


def half_mse_grad(y_pred, y_true):
    """(y_pred - y_true) / N, shape of ``y_pred``."""
    return _half_mse_grad(*_pair(y_pred, y_true))


def _mae(y_pred, y_true) -> float:
    return float(np.mean(np.abs(y_pred - y_true)))


def _mae_grad(y_pred, y_true):
    return np.sign(y_pred - y_true) / y_pred.size


def mae(y_pred, y_true) -> float:
    """Mean absolute error mean(|y_pred - y_true|) over all elements."""
    return _mae(*_pair(y_pred, y_true))


def mae_grad(y_pred, y_true):
    """sign(y_pred - y_true) / N (0 where they are equal), shape of ``y_pred``."""
    return _mae_grad(*_pair(y_pred, y_true))


def _bce_inputs(p, y, eps):
    p, y = _pair(p, y, "p", "y")
    _check_unit_interval(p, "p")
    _check_unit_interval(y, "y")
    eps = check_positive(eps, "eps")
    return np.clip(p, eps, 1.0 - eps), y


def _bce(p, y) -> float:
    """BCE of probabilities ``p`` already clipped away from 0 and 1."""
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def _bce_grad(p, y):
    return (p - y) / (p * (1.0 - p) * p.size)


def binary_cross_entropy(p, y, eps=1e-12) -> float:
    """-mean(y log p + (1 - y) log(1 - p)) for probabilities ``p`` in [0, 1].

    ``p`` is clipped to [eps, 1 - eps] so a confident wrong answer costs a
    large but finite amount. ``y`` holds targets in [0, 1], same shape as ``p``.
    """
    return _bce(*_bce_inputs(p, y, eps))


def binary_cross_entropy_grad(p, y, eps=1e-12):
    """dBCE/dp = (p - y) / (p (1 - p)) / N on the clipped ``p``; shape of ``p``."""
    return _bce_grad(*_bce_inputs(p, y, eps))


def _clipped_output(p, eps=1e-12):
    """A network output checked to lie in [0, 1], then clipped as ``binary_cross_entropy`` does."""
    _check_unit_interval(p, "p")
    return np.clip(p, eps, 1.0 - eps)


def _logit_inputs(z, y):
    z, y = _pair(z, y, "z", "y")
    _check_unit_interval(y, "y")
    return z, y


def _bce_with_logits(z, y) -> float:
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _bce_with_logits_grad(z, y):
    return (sigmoid(z) - y) / z.size


def binary_cross_entropy_with_logits(z, y) -> float:
    """BCE of sigmoid(z) computed from the logit ``z`` without overflow.

    Uses mean(max(z, 0) - z y + log1p(exp(-|z|))), exact for every finite z
    (z = 800 with y = 0 costs 800, not inf). ``y`` has the shape of ``z``.
    """
    return _bce_with_logits(*_logit_inputs(z, y))


def binary_cross_entropy_with_logits_grad(z, y):
    """d/dz = (sigmoid(z) - y) / N: the "y_hat - y" identity; shape of ``z``."""
    return _bce_with_logits_grad(*_logit_inputs(z, y))


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z):
    """log(softmax(z)) along the last axis, computed stably; shape of ``z``."""
    return _log_softmax(as_float_array(z, "z"))


def softmax(z):
    """exp(z) / sum(exp(z)) along the last axis (each row of an (n, k) array sums to 1)."""
    return _softmax(as_float_array(z, "z"))


def _one_hot_rows(labels, k):
    """One-hot rows (n, k) for integer labels (n,) already checked to lie in [0, k)."""
    onehot = np.zeros((labels.shape[0], k))
    onehot[np.arange(labels.shape[0]), labels.astype(np.intp)] = 1.0
    return onehot


def _class_targets(logits, y):
    """Return (logits (n, k), target probabilities (n, k)) from labels or one-hot rows."""
    logits = as_2d_float(logits, "logits")
    n, k = logits.shape
    y = as_float_array(y, "y")
    if y.shape == (n,):
        if np.any(y != np.floor(y)) or y.min() < 0 or y.max() >= k:
            raise ValueError(
                f"y labels must be whole-number class indices in [0, {k}) for logits with "
                f"{k} columns; got values in [{y.min()}, {y.max()}]"
            )
        return logits, _one_hot_rows(y, k)
    if y.shape != (n, k):
        raise ValueError(
            f"y must be integer labels of shape ({n},) or one-hot/probability rows of shape "
            f"({n}, {k}) to match logits; got shape {y.shape}"
        )
    if y.min() < 0 or not np.allclose(y.sum(axis=1), 1.0):
        raise ValueError("y rows must be probability distributions (non-negative, summing to 1)")
    return logits, y


def softmax_cross_entropy(logits, y) -> float:
    """Mean over samples of -sum(onehot * log_softmax(logits)).

    ``logits`` (n, k); ``y`` is integer labels (n,) in [0, k) or one-hot /
    probability rows (n, k). Matches ``torch.nn.CrossEntropyLoss``.
    """
    return _softmax_cross_entropy(*_class_targets(logits, y))


def softmax_cross_entropy_grad(logits, y):
    """d/dlogits = (softmax(logits) - onehot) / n, shape (n, k)."""
    return _softmax_cross_entropy_grad(*_class_targets(logits, y))


def _softmax_cross_entropy(logits, target) -> float:
    return float(-np.sum(target * _log_softmax(logits)) / logits.shape[0])


def _softmax_cross_entropy_grad(logits, target):
    return (_softmax(logits) - target) / logits.shape[0]


def _target_rows(logits, y):
    """One-hot rows for checked integer labels (n,); checked (n, k) rows pass through."""
    return _one_hot_rows(y, logits.shape[1]) if y.ndim == 1 else y


@dataclass(frozen=True)
class Loss:
    """A named loss: its value, its gradient, and how to read the network's output.

    ``from_logits`` is True when the network's raw output is a logit (the
    sigmoid or softmax lives inside the loss); ``predict_proba(output)`` then
    turns an output (n, k) into probabilities, and is the identity otherwise.
    """

    name: str
    value_fn: Callable = field(repr=False)
    grad_fn: Callable = field(repr=False)
    from_logits: bool = False
    proba_fn: Callable = field(default=identity, repr=False)

    def value(self, y_pred, y_true) -> float:
        """Loss value (a float) for the network output ``y_pred`` and targets ``y_true``."""
        return self.value_fn(y_pred, y_true)

    def grad(self, y_pred, y_true):
        """dL/dy_pred, shaped like ``y_pred``."""
        return self.grad_fn(y_pred, y_true)

    def predict_proba(self, output):
        """Probabilities (or plain predictions) from a network output."""
        return self.proba_fn(output)


LOSSES = {
    "mse": Loss("mse", mse, mse_grad),
    "half_mse": Loss("half_mse", half_mse, half_mse_grad),
    "mae": Loss("mae", mae, mae_grad),
    "bce": Loss("bce", binary_cross_entropy, binary_cross_entropy_grad),
    "bce_with_logits": Loss(
        "bce_with_logits",
        binary_cross_entropy_with_logits,
        binary_cross_entropy_with_logits_grad,
        from_logits=True,
        proba_fn=sigmoid,
    ),
    "softmax_cross_entropy": Loss(
        "softmax_cross_entropy",
        softmax_cross_entropy,
        softmax_cross_entropy_grad,
        from_logits=True,
        proba_fn=softmax,
    ),
}


def _on_probabilities(core):
    return lambda p, y: core(_clipped_output(p), y)


def _on_class_targets(core):
    return lambda logits, y: core(logits, _target_rows(logits, y))


# The unchecked (value, gradient) cores of the registered losses, by name. Targets must have
# been checked the way ``train`` checks them; a bce output is still checked to lie in [0, 1].
_UNCHECKED = {
    "mse": (_mse, _mse_grad),
    "half_mse": (_half_mse, _half_mse_grad),
    "mae": (_mae, _mae_grad),
    "bce": (_on_probabilities(_bce), _on_probabilities(_bce_grad)),
    "bce_with_logits": (_bce_with_logits, _bce_with_logits_grad),
    "softmax_cross_entropy": (
        _on_class_targets(_softmax_cross_entropy),
        _on_class_targets(_softmax_cross_entropy_grad),
    ),
}


def _unchecked_fns(loss: Loss):
    """``(value, grad)`` functions for the training loop's inner step.

    For a loss registered in ``LOSSES`` these skip the input checks: the caller must pass a
    finite float64 output (n, k) and targets that ``train`` has checked, (n, k) floats or,
    for softmax cross-entropy, integer labels (n,) or one-hot rows checked to be
    distributions. Any other ``Loss`` gets its own (checked) ``value`` and ``grad``.
    """
    if LOSSES.get(loss.name) is loss:
        return _UNCHECKED[loss.name]
    return loss.value, loss.grad


def _prepared_targets(loss: Loss, y, n_outputs: int):
    """Targets ``y`` (checked by ``train``) in the form the cores of ``_unchecked_fns`` take
    fastest: integer labels become one-hot rows once, rather than once per mini-batch."""
    if LOSSES.get(loss.name) is loss and loss.name == "softmax_cross_entropy" and y.ndim == 1:
        return _one_hot_rows(y, n_outputs)
    return y


def get_loss(loss) -> Loss:
    """Return ``loss`` itself if it is a ``Loss``, else the ``Loss`` registered under that name."""
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a loss name or a Loss; got {type(loss).__name__}")
    return LOSSES[check_choice(loss, "loss", LOSSES)]
