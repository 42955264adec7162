"""Activation functions and their derivatives.

Every function is elementwise: it takes the pre-activation ``z`` (an array of
any shape, or a number) and returns a float64 array of the same shape. The
``*_grad`` functions return the derivative with respect to ``z``, so a layer's
backward pass is simply ``dY * grad(z)``.
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import check_choice, check_non_negative


def _as_array(z) -> np.ndarray:
    """Return ``z`` as a float64 array without copying when it already is one."""
    try:
        return np.asarray(z, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"z must be an array of numbers; got {type(z).__name__}") from exc


def sigmoid(z):
    """Logistic function 1 / (1 + exp(-z)), shape of ``z``.

    Computed from exp(-|z|), which never overflows, so it is accurate and
    warning-free for any finite ``z`` (sigmoid(-1000) is 0, sigmoid(1000) is 1).
    """
    z = _as_array(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_grad(z):
    """Derivative sigmoid(z) * (1 - sigmoid(z)), shape of ``z``; at most 1/4, at z = 0.

    Written as e / (1 + e)**2 with e = exp(-|z|), which keeps full relative accuracy
    in the tails, where 1 - sigmoid(z) would cancel.
    """
    e = np.exp(-np.abs(_as_array(z)))
    return e / (1.0 + e) ** 2


def tanh(z):
    """Hyperbolic tangent, shape of ``z``."""
    return np.tanh(_as_array(z))


def tanh_grad(z):
    """Derivative 1 - tanh(z)**2, shape of ``z``.

    Written as 4 e / (1 + e)**2 with e = exp(-2|z|), accurate in the tails where
    1 - tanh(z)**2 would cancel.
    """
    e = np.exp(-2.0 * np.abs(_as_array(z)))
    return 4.0 * e / (1.0 + e) ** 2


def relu(z):
    """max(z, 0), shape of ``z``."""
    return np.maximum(_as_array(z), 0.0)


def relu_grad(z):
    """1 where z > 0, else 0 (the derivative at the kink z = 0 is taken as 0)."""
    return (_as_array(z) > 0).astype(np.float64)


def leaky_relu(z, alpha=0.01):
    """z where z > 0, else alpha * z, shape of ``z``."""
    z = _as_array(z)
    alpha = check_non_negative(alpha, "alpha")
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha=0.01):
    """1 where z > 0, else alpha, shape of ``z``."""
    z = _as_array(z)
    alpha = check_non_negative(alpha, "alpha")
    return np.where(z > 0, 1.0, alpha)


def elu(z, alpha=1.0):
    """z where z > 0, else alpha * (exp(z) - 1), shape of ``z``."""
    z = _as_array(z)
    alpha = check_non_negative(alpha, "alpha")
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def elu_grad(z, alpha=1.0):
    """1 where z > 0, else alpha * exp(z), shape of ``z``."""
    z = _as_array(z)
    alpha = check_non_negative(alpha, "alpha")
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def identity(z):
    """z itself (as float64), shape of ``z``: the 'no activation' of a linear output."""
    return _as_array(z)


def identity_grad(z):
    """Ones, shape of ``z``."""
    return np.ones_like(_as_array(z))


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "identity": (identity, identity_grad),
}


def get_activation(name: str):
    """Return the pair ``(fn, grad_fn)`` registered under ``name`` in ``ACTIVATIONS``."""
    return ACTIVATIONS[check_choice(name, "activation", ACTIVATIONS)]
