"""Gradient clipping: limit each entry, or rescale all gradients together.

Both functions take a list of gradient arrays (e.g. ``model.grads``) and return a new list of
new arrays; the inputs are never modified.
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import check_positive

NORM_EPS = 1e-6  # added to the norm before dividing, as torch.nn.utils.clip_grad_norm_ does


def _as_array_list(grads) -> list[np.ndarray]:
    if not isinstance(grads, (list, tuple)) or len(grads) == 0:
        raise TypeError(f"grads must be a non-empty list of arrays; got {type(grads).__name__}")
    try:
        return [np.asarray(g, dtype=np.float64) for g in grads]
    except (TypeError, ValueError) as exc:
        raise TypeError("grads must be a list of arrays of numbers") from exc


def global_norm(grads) -> float:
    """The Euclidean norm of all gradients taken together: ``sqrt(sum_i ||grads[i]||^2)``."""
    return float(np.sqrt(sum(np.vdot(g, g) for g in _as_array_list(grads))))


def clip_by_value(grads, clip_value) -> list[np.ndarray]:
    """Clip every entry to ``[-clip_value, clip_value]`` (``torch.nn.utils.clip_grad_value_``).

    grads: list of arrays of any shapes; returns new arrays of the same shapes.
    """
    clip_value = check_positive(clip_value, "clip_value")
    return [np.clip(g, -clip_value, clip_value) for g in _as_array_list(grads)]


def clip_by_norm(grads, max_norm) -> list[np.ndarray]:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    Like ``torch.nn.utils.clip_grad_norm_``: the scale is
    ``min(1, max_norm / (global_norm + 1e-6))``, so directions are kept and gradients already
    inside the ball are returned unchanged (as copies).
    """
    max_norm = check_positive(max_norm, "max_norm")
    arrays = _as_array_list(grads)
    scale = min(1.0, max_norm / (global_norm(arrays) + NORM_EPS))
    return [g * scale for g in arrays]
