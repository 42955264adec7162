"""Layers with a forward pass that caches and a backward pass that uses the cache.

A layer maps a batch ``X`` of shape (n_samples, n_in) to ``Y`` (n_samples,
n_out). ``backward(dY)`` takes dL/dY, stores dL/d(parameter) in ``grads``
(accumulating, like PyTorch, until ``zero_grad``) and returns dL/dX.

The functional pair ``dense_forward`` / ``dense_backward`` shows the same
computation with an explicit cache, in the style of CS231n's ``layers.py``.
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import as_float_array, as_generator, check_positive_int
from backproplab.activations import get_activation
from backproplab.init import get_initializer


def dense_forward(X, W, b):
    """Affine map Z = X @ W + b.

    X (n, n_in), W (n_in, n_out), b (n_out,) -> (Z (n, n_out), cache).
    Only shapes are checked here (cheap); finiteness is checked once per batch
    by ``Sequential.forward``.
    """
    X, W, b = (np.asarray(a, dtype=np.float64) for a in (X, W, b))
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D array of shape (n_in, n_out); got shape {W.shape}")
    if b.shape != (W.shape[1],):
        raise ValueError(f"b must have shape ({W.shape[1]},) to match W {W.shape}; got {b.shape}")
    if X.ndim != 2 or X.shape[1] != W.shape[0]:
        raise ValueError(
            f"X must be a 2-D array of shape (n_samples, {W.shape[0]}) to match W {W.shape}; "
            f"got shape {X.shape}"
        )
    Z = X @ W
    Z += b
    return Z, (X, W, b)


def dense_backward(dZ, cache):
    """Gradients of Z = X @ W + b from dZ (n, n_out) and the forward cache.

    Returns (dX = dZ @ W.T (n, n_in), dW = X.T @ dZ (n_in, n_out), db = dZ.sum(0) (n_out,)).
    """
    X, W, _ = cache
    dZ = _upstream_gradient(dZ, (X.shape[0], W.shape[1]), "dZ")
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def _upstream_gradient(grad, shape, name):
    """Return ``grad`` as float64 after checking it has the forward output's ``shape``."""
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != shape:
        raise ValueError(f"{name} must have the forward output's shape {shape}; got {grad.shape}")
    return grad


class Layer:
    """Base class: ``params`` and ``grads`` are dicts of arrays with the same keys and shapes."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache = None

    def forward(self, X):
        """Map X (n, n_in) to Y (n, n_out), caching what backward needs."""
        raise NotImplementedError

    def backward(self, dY):
        """Map dL/dY (n, n_out) to dL/dX (n, n_in), accumulating parameter gradients."""
        raise NotImplementedError

    def __call__(self, X):
        return self.forward(X)

    def zero_grad(self):
        """Reset every gradient to zero, in place."""
        for grad in self.grads.values():
            grad.fill(0.0)

    def _forward_cache(self):
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}: call forward before backward")
        return self.cache


def _parameter(value, name, shape):
    """Return a float64 copy of ``value`` after checking it is finite with ``shape``."""
    arr = as_float_array(value, name)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got shape {arr.shape}")
    return np.array(arr, dtype=np.float64)


class Dense(Layer):
    """Fully connected layer Z = X @ W + b with W (n_in, n_out) and b (n_out,).

    W is drawn by the initialiser ``init`` (see ``backproplab.init``) and b
    starts at zero, unless ``W``/``b`` are given explicitly (they are copied).
    The parameter arrays are never replaced, only updated in place, so
    optimisers may keep references to them.
    """

    def __init__(self, n_in, n_out, init="xavier", rng=None, seed=None, W=None, b=None):
        super().__init__()
        self.n_in = check_positive_int(n_in, "n_in")
        self.n_out = check_positive_int(n_out, "n_out")
        if W is None:
            W = get_initializer(init)(self.n_in, self.n_out, as_generator(rng, seed))
        if b is None:
            b = np.zeros(self.n_out)
        self.params = {
            "W": _parameter(W, "W", (self.n_in, self.n_out)),
            "b": _parameter(b, "b", (self.n_out,)),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    @property
    def W(self):
        """Weight matrix (n_in, n_out); assigning to it copies the values in place."""
        return self.params["W"]

    @W.setter
    def W(self, value):
        self.params["W"][...] = _parameter(value, "W", (self.n_in, self.n_out))

    @property
    def b(self):
        """Bias vector (n_out,); assigning to it copies the values in place."""
        return self.params["b"]

    @b.setter
    def b(self, value):
        self.params["b"][...] = _parameter(value, "b", (self.n_out,))

    def forward(self, X):
        """Z = X @ W + b for X (n, n_in); returns Z (n, n_out) and caches X."""
        Z, self.cache = dense_forward(X, self.params["W"], self.params["b"])
        return Z

    def backward(self, dY):
        """Add X.T @ dY to grads['W'] and dY.sum(0) to grads['b']; return dY @ W.T (n, n_in)."""
        cache = self._forward_cache()
        dY = _upstream_gradient(dY, (cache[0].shape[0], self.n_out), "dY")
        dX, dW, db = dense_backward(dY, cache)
        self.grads["W"] += dW
        self.grads["b"] += db
        return dX

    def _train_forward(self, X):
        """``forward`` without checks, for the training loop: X is a finite float64 (n, n_in)."""
        W, b = self.params["W"], self.params["b"]
        Z = X @ W
        Z += b
        self.cache = (X, W, b)
        return Z

    def _train_backward(self, dY, input_grad):
        """``backward`` without checks that *overwrites* grads (the training loop would zero
        them first) and returns dL/dX (n, n_in) only if ``input_grad``, else None."""
        X, W, _ = self.cache
        np.matmul(X.T, dY, out=self.grads["W"])
        np.add.reduce(dY, axis=0, out=self.grads["b"])
        return dY @ W.T if input_grad else None

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out})"


class Activation(Layer):
    """Elementwise activation layer, e.g. ``Activation("relu")``; no parameters."""

    def __init__(self, name):
        super().__init__()
        self.fn, self.grad_fn = get_activation(name)
        self.name = name

    def forward(self, X):
        """Y = fn(Z) for Z = X of any shape; caches Z."""
        self.cache = np.asarray(X, dtype=np.float64)
        return self.fn(self.cache)

    def backward(self, dY):
        """dL/dZ = dY * fn'(Z), shape of Z."""
        Z = self._forward_cache()
        return _upstream_gradient(dY, Z.shape, "dY") * self.grad_fn(Z)

    def _train_forward(self, X):
        """``forward`` without checks, for the training loop: X is a finite float64 array."""
        self.cache = X
        return self.fn(X)

    def _train_backward(self, dY, input_grad):
        """``backward`` without checks; None unless ``input_grad`` (there are no parameters)."""
        return dY * self.grad_fn(self.cache) if input_grad else None

    def __repr__(self):
        return f"Activation({self.name!r})"


class Residual(Layer):
    """Skip connection Y = X + inner(X), where ``inner_layers`` run in order.

    The inner layers must map (n, d) back to (n, d). Their parameters appear
    in ``params``/``grads`` as ``"{i}.{key}"``, i being the inner layer's index.
    """

    def __init__(self, inner_layers):
        super().__init__()
        layers = list(inner_layers) if isinstance(inner_layers, list | tuple) else None
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("inner_layers must be a non-empty list of Layer objects")
        self.layers = layers
        self.params = _prefixed(layers, "params")
        self.grads = _prefixed(layers, "grads")

    def forward(self, X):
        """Y = X + inner(X), shape of X."""
        X = np.asarray(X, dtype=np.float64)
        out = X
        for layer in self.layers:
            out = layer.forward(out)
        if out.shape != X.shape:
            raise ValueError(
                f"Residual inner_layers must keep the input shape {X.shape}; got {out.shape}"
            )
        self.cache = X.shape
        return X + out

    def backward(self, dY):
        """dL/dX = dY + inner'(X)^T dY, shape of X."""
        dY = _upstream_gradient(dY, self._forward_cache(), "dY")
        grad = dY
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return dY + grad

    def __repr__(self):
        return f"Residual({self.layers!r})"


def _prefixed(layers, attribute):
    """Merge each layer's params or grads dict into one, keys prefixed by the layer index."""
    return {
        f"{i}.{key}": value
        for i, layer in enumerate(layers)
        for key, value in getattr(layer, attribute).items()
    }
