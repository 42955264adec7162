"""What a gradient costs: forward passes and seconds, bytes, and digits.

- Time: finite differences need two forward passes per parameter; backprop
  needs one forward and one backward pass for all of them
  (:func:`time_gradients`, measured with ``time.perf_counter``).
- Memory: the backward pass reads what the forward pass cached, so training
  holds every layer's input while inference needs only the current layer's
  (:func:`memory_footprint`).
- Digits: a central difference loses accuracy to truncation when eps is large
  and to rounding when eps is small, and float32 has far fewer digits to lose
  (:func:`finite_difference_gradients`, :func:`gradient_check_error`).

The models are ``Sequential`` networks of ``Dense`` and ``Activation`` layers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from backproplab._validation import (
    as_2d_float,
    as_float_array,
    as_generator,
    check_choice,
    check_positive,
    check_positive_int,
)
from backproplab.gradcheck import numerical_gradient, relative_error
from backproplab.layers import Activation, Dense
from backproplab.losses import get_loss
from backproplab.network import Sequential


def _check_model(model):
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential; got {type(model).__name__}")
    for layer in model.layers:
        if not isinstance(layer, Dense | Activation):
            raise ValueError(f"model must hold only Dense and Activation layers; found {layer!r}")
    return model


# ----- time ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GradientTiming:
    """Cost of one gradient of a model on one batch, two ways.

    ``forward_passes`` is the number of forward passes one finite-difference
    gradient made (counted, not computed); the times are in seconds.
    """

    n_params: int
    forward_passes: int
    finite_difference_seconds: float
    backprop_seconds: float
    forward_seconds: float

    @property
    def ratio(self) -> float:
        """How many times longer finite differences took than backprop."""
        return self.finite_difference_seconds / self.backprop_seconds


def _min_time(fn, repeats: int, budget: float = np.inf) -> float:
    """Shortest wall-clock time of ``fn()`` over ``repeats`` calls, in seconds.

    The minimum is the run least disturbed by other work on the machine, the
    usual estimate of what the code itself costs (as in ``timeit``). Stops
    early, after at least one call, once the calls have taken ``budget`` seconds.
    """
    best, spent = np.inf, 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent >= budget:
            break
    return best


def time_gradients(model, X, y, loss="half_mse", repeats=20, fd_repeats=5) -> GradientTiming:
    """Time the full gradient of ``loss`` by central differences and by backprop.

    X (n, n_features) and y are one batch. Finite differences (through
    ``gradcheck.numerical_gradient``, over every parameter) run up to
    ``fd_repeats`` times, fewer once they have taken a quarter of a second;
    one forward pass, and one forward+backward pass (``loss_and_grads``), run
    ``repeats`` times each. Every time is the shortest of its runs, measured
    with ``time.perf_counter``. ``forward_passes`` counts the passes of one
    finite-difference gradient. Leaves the model's ``grads`` holding the
    backprop gradient.
    """
    _check_model(model)
    X = as_2d_float(X, "X")
    loss = get_loss(loss)
    repeats = check_positive_int(repeats, "repeats")
    fd_repeats = check_positive_int(fd_repeats, "fd_repeats")
    passes = []

    def loss_value():
        passes[-1] += 1
        return loss.value(model.forward(X), y)

    def finite_differences():
        passes.append(0)
        for param in model.params:
            numerical_gradient(loss_value, param)

    fd_seconds = _min_time(finite_differences, fd_repeats, budget=0.25)
    forward_seconds = _min_time(lambda: loss.value(model.forward(X), y), repeats)
    backprop_seconds = _min_time(lambda: model.loss_and_grads(X, y, loss), repeats)
    return GradientTiming(model.num_params, passes[0], fd_seconds, backprop_seconds,
                          forward_seconds)


# ----- memory ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MemoryFootprint:
    """Bytes a model holds for one batch.

    ``cache_bytes``: arrays the layers keep from the forward pass for the
    backward pass. ``peak_activation_bytes``: the largest input plus output of
    a single layer, all that a forward pass without caches must hold at once.
    """

    parameter_bytes: int
    gradient_bytes: int
    cache_bytes: int
    peak_activation_bytes: int

    @property
    def training_bytes(self) -> int:
        """Parameters, their gradients and the forward caches (no optimiser state)."""
        return self.parameter_bytes + self.gradient_bytes + self.cache_bytes

    @property
    def inference_bytes(self) -> int:
        """Parameters and the largest layer input plus output."""
        return self.parameter_bytes + self.peak_activation_bytes


def cached_arrays(model) -> list:
    """The distinct arrays the layers' caches hold after a forward pass, parameters excluded."""
    _check_model(model)
    params = {id(p) for p in model.params}
    found = {}
    for layer in model.layers:
        cache = layer.cache if isinstance(layer.cache, tuple) else (layer.cache,)
        for item in cache:
            if isinstance(item, np.ndarray) and id(item) not in params:
                found[id(item)] = item
    return list(found.values())


def memory_footprint(model, batch_size, rng=None, seed=None) -> MemoryFootprint:
    """Run a forward pass on a random batch of ``batch_size`` rows and measure its bytes.

    The byte counts are the ``nbytes`` of the arrays involved (float64: 8 bytes
    per number); Python object overhead is ignored.
    """
    _check_model(model)
    batch_size = check_positive_int(batch_size, "batch_size")
    n_in = model.dense_layers()[0].n_in
    out = as_generator(rng, seed).normal(size=(batch_size, n_in))
    peak = 0
    for layer in model.layers:
        new = layer.forward(out)
        peak = max(peak, out.nbytes + new.nbytes)
        out = new
    return MemoryFootprint(
        parameter_bytes=sum(p.nbytes for p in model.params),
        gradient_bytes=sum(g.nbytes for g in model.grads),
        cache_bytes=sum(a.nbytes for a in cached_arrays(model)),
        peak_activation_bytes=peak,
    )


# ----- digits ----------------------------------------------------------------------------------
def _stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1, e) / (1 + e)


_DTYPE_ACTIVATIONS = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": _stable_sigmoid,
    "tanh": np.tanh,
}
_DTYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}


def _typed_loss(model, X, y, params, dtype):
    """Half the mean squared error of the model's output, computed entirely in ``dtype``."""
    out, i = X, 0
    for layer in model.layers:
        if isinstance(layer, Dense):
            out = out @ params[i] + params[i + 1]
            i += 2
        else:
            out = _DTYPE_ACTIVATIONS[layer.name](out)
    return dtype(0.5) * np.mean((out - y) ** 2, dtype=dtype)


def _typed_inputs(model, X, y, dtype):
    _check_model(model)
    for layer in model.layers:
        if isinstance(layer, Activation):
            check_choice(layer.name, "activation", _DTYPE_ACTIVATIONS)
    dtype = _DTYPES[check_choice(np.dtype(dtype).name, "dtype", _DTYPES)]
    X = as_2d_float(X, "X").astype(dtype)
    y = as_float_array(y, "y").astype(dtype)
    return dtype, X, y.reshape(X.shape[0], -1)


def finite_difference_gradients(model, X, y, eps=1e-6, dtype=np.float64) -> list:
    """Central-difference gradients of the half-MSE loss, everything computed in ``dtype``.

    The parameters, the perturbation ±eps, the forward pass and the loss are
    all in ``dtype`` (float64, float32 or float16); the activations must be
    identity, relu, sigmoid or tanh. Returns float64 arrays aligned with
    ``model.params``; the model itself is not modified.
    """
    dtype, X, y = _typed_inputs(model, X, y, dtype)
    eps = check_positive(eps, "eps")
    params = [p.astype(dtype) for p in model.params]
    grads = []
    for p in params:
        grad = np.zeros(p.shape)
        for index in np.ndindex(p.shape):
            original = p[index]
            p[index] = original + dtype(eps)
            plus = _typed_loss(model, X, y, params, dtype)
            p[index] = original - dtype(eps)
            minus = _typed_loss(model, X, y, params, dtype)
            p[index] = original
            grad[index] = (float(plus) - float(minus)) / (2.0 * eps)
        grads.append(grad)
    return grads


def gradient_check_error(model, X, y, eps=1e-6, dtype=np.float64) -> float:
    """Relative error between backprop (float64) and central differences in ``dtype``.

    The loss is half the mean squared error; the relative error is taken over
    all parameters at once, ||g - g_fd|| / (||g|| + ||g_fd||). Leaves the
    model's ``grads`` holding the backprop gradient.
    """
    model.loss_and_grads(X, y, "half_mse")
    analytic = np.concatenate([g.ravel() for g in model.grads])
    numeric = np.concatenate(
        [g.ravel() for g in finite_difference_gradients(model, X, y, eps, dtype)]
    )
    return relative_error(analytic, numeric)
