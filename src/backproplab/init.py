"""Weight initialisers: each returns a float64 weight matrix of shape (n_in, n_out).

The scale of the initial weights decides whether signals and gradients keep
their size through many layers: Xavier/Glorot keeps the variance of tanh and
sigmoid layers steady, He/Kaiming does the same for ReLU layers (which zero
half their inputs, hence the extra factor 2).
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import as_generator, check_choice, check_positive, check_positive_int


def _shape(n_in, n_out):
    return check_positive_int(n_in, "n_in"), check_positive_int(n_out, "n_out")


def zeros(n_in, n_out, rng=None, seed=None):
    """All-zero weights (n_in, n_out): every unit of a layer stays identical (symmetry).

    ``rng`` and ``seed`` are unused; they keep the signature of the other initialisers.
    """
    return np.zeros(_shape(n_in, n_out))


def normal(n_in, n_out, std=0.01, rng=None, seed=None):
    """Gaussian weights (n_in, n_out) with mean 0 and a fixed standard deviation ``std``."""
    shape = _shape(n_in, n_out)
    std = check_positive(std, "std")
    return std * as_generator(rng, seed).standard_normal(shape)


def xavier(n_in, n_out, rng=None, seed=None):
    """Glorot normal weights (n_in, n_out), std = sqrt(2 / (n_in + n_out))."""
    n_in, n_out = _shape(n_in, n_out)
    return normal(n_in, n_out, np.sqrt(2.0 / (n_in + n_out)), rng, seed)


def xavier_uniform(n_in, n_out, rng=None, seed=None):
    """Glorot uniform weights (n_in, n_out) on [-a, a], a = sqrt(6 / (n_in + n_out))."""
    n_in, n_out = _shape(n_in, n_out)
    limit = np.sqrt(6.0 / (n_in + n_out))
    return as_generator(rng, seed).uniform(-limit, limit, size=(n_in, n_out))


def he(n_in, n_out, rng=None, seed=None):
    """He/Kaiming normal weights (n_in, n_out), std = sqrt(2 / n_in), for ReLU layers."""
    n_in, n_out = _shape(n_in, n_out)
    return normal(n_in, n_out, np.sqrt(2.0 / n_in), rng, seed)


def lecun(n_in, n_out, rng=None, seed=None):
    """LeCun normal weights (n_in, n_out), std = sqrt(1 / n_in)."""
    n_in, n_out = _shape(n_in, n_out)
    return normal(n_in, n_out, np.sqrt(1.0 / n_in), rng, seed)


INITIALIZERS = {
    "zeros": zeros,
    "normal": normal,
    "xavier": xavier,
    "xavier_uniform": xavier_uniform,
    "he": he,
    "lecun": lecun,
}


def get_initializer(name: str):
    """Return the initialiser ``fn(n_in, n_out, rng)`` registered under ``name``."""
    init = INITIALIZERS[check_choice(name, "init", INITIALIZERS)]
    return lambda n_in, n_out, rng=None: init(n_in, n_out, rng=rng)
