"""Input checks shared by every module.

Each check either returns a clean value or raises an error whose message names
the argument and says what was expected, so a learner's mistake is explained
where it happens rather than deep inside NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_generator(rng=None, seed=None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from ``rng`` or ``seed`` (not both)."""
    if rng is not None and seed is not None:
        raise ValueError("pass either rng or seed, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator; got {type(rng).__name__}"
            )
        return rng
    if seed is not None and not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer; got {type(seed).__name__}")
    return np.random.default_rng(seed)


def as_float_array(x, name: str, ndim: int | None = None) -> np.ndarray:
    """Return ``x`` as a finite, non-empty float64 array, optionally of ``ndim`` dimensions."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers; got {type(x).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers; found NaN or inf")
    return arr


def as_2d_float(X, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite float64 matrix of shape (n_samples, n_features)."""
    arr = np.asarray(X) if not isinstance(X, np.ndarray) else X
    if getattr(arr, "ndim", None) != 2:
        shape = getattr(arr, "shape", None)
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); got shape {shape}"
        )
    return as_float_array(arr, name, ndim=2)


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float after checking it is finite and strictly positive."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value}")
    return value


def check_non_negative(value, name: str) -> float:
    """Return ``value`` as a float after checking it is finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a non-negative number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative finite number; got {value}")
    return value


def check_fraction(value, name: str) -> float:
    """Return ``value`` as a float in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1); got {type(value).__name__}")
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1); got {value}")
    return value


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int after checking it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer; got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value}")
    return int(value)


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise list the valid names."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string; got {type(value).__name__}")
    if value not in choices:
        expected = ", ".join(sorted(choices))
        raise ValueError(f"unknown {name} '{value}'; expected one of: {expected}")
    return value
