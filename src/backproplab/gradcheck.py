"""Gradient checking: central differences and the relative error between two gradients.

The central difference (f(x + eps) - f(x - eps)) / (2 eps) has error of order
eps**2 from truncation and of order (machine epsilon * |f|) / eps from
rounding, so in float64 eps around 1e-6 gives agreement near 1e-9 or better.
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import as_2d_float, as_float_array, check_positive
from backproplab.losses import get_loss
from backproplab.network import Sequential


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``f`` takes no arguments and must read ``x``: each entry of ``x`` is
    perturbed IN PLACE by +-eps and restored (even if ``f`` raises), so this
    works directly on a network's parameter arrays. Returns an array shaped like ``x``.
    """
    if not callable(f):
        raise TypeError(f"f must be a function taking no arguments; got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 numpy array (it is perturbed in place)")
    if not x.flags.writeable:
        raise ValueError("x must be writeable (it is perturbed in place)")
    eps = check_positive(eps, "eps")
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + eps
            f_plus = float(f())
            x[index] = original - eps
            f_minus = float(f())
        finally:
            x[index] = original
        grad[index] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||) with Frobenius norms; 0 when both are zero.

    ``a`` and ``b`` must have the same shape. NaN or inf entries give a NaN or
    inf result rather than an error, so a broken gradient simply fails a check.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b must have the shape of a {a.shape}; got shape {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / max(scale, 1e-300))


def check_gradients(model, X, y, loss, eps=1e-6):
    """Relative error between backprop and central differences for every parameter.

    ``model`` is a ``Sequential``; X (n, n_features) and y are a batch and its
    targets for ``loss`` (a name or ``Loss``). Returns {"0.W": error, "0.b": ...}.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential; got {type(model).__name__}")
    loss = get_loss(loss)
    X = as_2d_float(X, "X")
    model.loss_and_grads(X, y, loss)
    analytic = [grad.copy() for grad in model.grads]

    def loss_value():
        return loss.value(model.forward(X), y)

    return {
        name: relative_error(grad, numerical_gradient(loss_value, param, eps))
        for (name, param), grad in zip(model.named_params(), analytic, strict=True)
    }


def check_function_gradient(f, grad_f, x, eps=1e-6):
    """Relative error between ``grad_f(x)`` and the central-difference gradient of sum(f(x)).

    For an elementwise ``f`` (an activation) ``grad_f`` is its derivative; for a
    scalar ``f`` (a loss in its first argument) it is the gradient. ``x`` is
    any finite array; a private copy is perturbed, never ``x`` itself.
    """
    x = np.array(as_float_array(x, "x"), dtype=np.float64)
    analytic = np.array(grad_f(x), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"grad_f(x) must have the shape of x {x.shape}; got {analytic.shape}")
    numeric = numerical_gradient(lambda: np.sum(f(x)), x, eps)
    return relative_error(analytic, numeric)
