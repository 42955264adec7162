"""How big is each layer's gradient? Deep networks measured at initialisation.

Backpropagation multiplies the error signal, layer after layer, by a weight matrix and by the
slope of an activation. Whether the product shrinks (vanishing gradients) or grows (exploding
gradients) with depth depends on the activation and on the scale of the initial weights. This
module builds deep plain or residual networks and measures the mean |dL/dW| of every layer on a
fixed batch, for many random seeds at once.

The networks are ``depth`` Dense layers: ``n_in -> width``, then ``depth - 2`` layers
``width -> width`` (each optionally wrapped in a residual connection, ``h + f(h W + b)``), then
``width -> n_out`` with no activation. The loss is the mean squared error against fixed targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backproplab._validation import (
    as_2d_float,
    as_generator,
    check_choice,
    check_positive,
    check_positive_int,
)
from backproplab.activations import ACTIVATIONS, get_activation
from backproplab.init import INITIALIZERS
from backproplab.layers import Activation, Dense, Residual
from backproplab.network import Sequential
from backproplab.studies.seed_study import initial_weights

INIT_LABELS = {"normal": "naive N(0, 0.01²)", "xavier": "Xavier", "he": "He"}


def _check_depth(depth) -> int:
    depth = check_positive_int(depth, "depth")
    if depth < 2:
        raise ValueError(f"depth must be at least 2 (one hidden layer); got {depth}")
    return depth


def layer_sizes(depth, width, n_in, n_out=1) -> list[int]:
    """Widths [n_in, width, ..., width, n_out] of a network with ``depth`` Dense layers."""
    return [n_in] + [width] * (_check_depth(depth) - 1) + [n_out]


def deep_network(
    depth, width, n_in, activation="sigmoid", init="xavier", n_out=1, residual=False,
    weight_scale=1.0, rng=None, seed=None,
) -> Sequential:
    """A Sequential of ``depth`` Dense layers (see the module docstring).

    Weights are drawn layer by layer from one generator with ``init`` and then multiplied by
    ``weight_scale``; without residual connections the network equals
    ``MLP(layer_sizes(depth, width, n_in, n_out), activation, init=init, seed=seed)`` times
    ``weight_scale``. With ``residual=True`` each middle layer becomes
    ``Residual([Dense(width, width), Activation(activation)])``.
    """
    sizes = layer_sizes(depth, width, n_in, n_out)
    check_choice(activation, "activation", ACTIVATIONS)
    scale = check_positive(weight_scale, "weight_scale")
    rng = as_generator(rng, seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        dense = Dense(a, b, init=init, rng=rng)
        dense.W = dense.W * scale
        if i == len(sizes) - 2:
            layers.append(dense)
        elif residual and i > 0:
            layers.append(Residual([dense, Activation(activation)]))
        else:
            layers.extend([dense, Activation(activation)])
    return Sequential(layers)


def fixed_batch(n_samples=64, n_in=32, n_out=1, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A standard normal batch X (n_samples, n_in) and targets y (n_samples, n_out)."""
    rng = as_generator(seed=seed)
    X = rng.standard_normal((check_positive_int(n_samples, "n_samples"), n_in))
    return X, rng.standard_normal((n_samples, n_out))


def gradient_sizes(
    depth, activation, init, seeds, X, y, width=32, weight_scale=1.0, residual=False
) -> np.ndarray:
    """Mean |dL/dW| of every layer (input side first) for one network per seed: (S, depth).

    Network s is ``deep_network(depth, width, X.shape[1], activation, init, y.shape[1],
    residual, weight_scale, seed=s)``; all S are evaluated together with batched matrix
    products on the batch X (n, n_in), y (n, n_out), loss = mean squared error. Biases are zero
    at initialisation and are left out.
    """
    X, y = as_2d_float(X, "X"), as_2d_float(y, "y")
    if len(y) != len(X):
        raise ValueError(f"y must have {len(X)} rows like X; got shape {y.shape}")
    sizes = layer_sizes(depth, width, X.shape[1], y.shape[1])
    check_choice(init, "init", INITIALIZERS)
    act, act_grad = get_activation(activation)
    scale = check_positive(weight_scale, "weight_scale")
    weights = [W * scale for W in initial_weights(sizes, seeds, init)]
    hidden, pre = [X], []
    for i, W in enumerate(weights[:-1]):
        pre.append(hidden[-1] @ W)
        skip = hidden[-1] if residual and i > 0 else 0.0
        hidden.append(skip + act(pre[-1]))
    n_layers = len(weights)
    result = np.empty((len(weights[0]), n_layers))
    grad = (2.0 / y.size) * (hidden[-1] @ weights[-1] - y)  # dL/d(output)
    d_hidden_next = 0.0  # dL/d(hidden[i + 1]), carried down the skip connections
    for i in range(n_layers - 1, -1, -1):
        result[:, i] = np.abs(np.swapaxes(hidden[i], -1, -2) @ grad).mean(axis=(-2, -1))
        if i == 0:
            break
        d_hidden = grad @ np.swapaxes(weights[i], -1, -2)  # dL/d(hidden[i])
        if residual and i < n_layers - 1:
            d_hidden += d_hidden_next
        grad = d_hidden * act_grad(pre[i - 1])  # dL/d(pre-activation of layer i - 1)
        d_hidden_next = d_hidden
    return result


@dataclass
class DepthSweep:
    """Per-layer gradient sizes at initialisation for every (activation, init, depth).

    sizes[(activation, init, depth)] is an array (depth,): mean |dL/dW| of each layer,
    input side first, averaged over the seeds.
    """

    depths: list[int]
    activations: list[str]
    inits: list[str]
    sizes: dict

    def first(self, activation, init) -> np.ndarray:
        """First-layer gradient size for each depth, (len(depths),)."""
        return np.array([self.sizes[activation, init, d][0] for d in self.depths])

    def last(self, activation, init) -> np.ndarray:
        """Last-layer gradient size for each depth, (len(depths),)."""
        return np.array([self.sizes[activation, init, d][-1] for d in self.depths])

    def ratio(self, activation, init) -> np.ndarray:
        """First-layer over last-layer gradient size for each depth, (len(depths),)."""
        return self.first(activation, init) / self.last(activation, init)


def depth_sweep(
    depths=(2, 5, 10, 20, 30, 50),
    activations=("sigmoid", "tanh", "relu"),
    inits=("normal", "xavier", "he"),
    seeds=range(5),
    width=32,
    n_samples=64,
    data_seed=0,
) -> DepthSweep:
    """Run :func:`gradient_sizes` for every combination on one fixed batch (see ``fixed_batch``).

    Inputs have ``width`` features and one target; sizes are averaged over ``seeds``.
    """
    depths = [_check_depth(d) for d in depths]
    X, y = fixed_batch(n_samples, width, 1, data_seed)
    seeds = list(seeds)
    sizes = {
        (a, i, d): gradient_sizes(d, a, i, seeds, X, y, width).mean(axis=0)
        for a in activations
        for i in inits
        for d in depths
    }
    return DepthSweep(depths, list(activations), list(inits), sizes)


def get_init_label(init: str) -> str:
    """Readable name of an initialiser for figures."""
    return INIT_LABELS.get(init, init)

