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
from backproplab.studies.stacked_training import train_seeds

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



def clipping_study(
    X, y, seeds=range(16), depth=10, width=16, weight_scale=2.0, lr=0.1, epochs=500,
    clip_norm=1.0, clip_value=0.1, control=True,
) -> dict:
    """Deep ReLU networks with He weights times ``weight_scale``, trained with and without
    gradient clipping, one network per seed: ``{label: StackedRun}``.

    Network s is ``deep_network(depth, width, X.shape[1], "relu", "he", y.shape[1],
    weight_scale=weight_scale, seed=s)``, trained full batch with binary cross-entropy on its
    logits (``train(..., loss="bce_with_logits", lr=lr, epochs=epochs, clip_norm=...)``) on X
    (n, n_features) with 0/1 targets y (n, 1). The labels are "no clipping", "clip by norm"
    (``clip_norm``), "clip by value" (``clip_value``) and, with ``control``, "He × 1, no
    clipping": the same networks with ordinary He weights and no clipping.
    """
    X = as_2d_float(X, "X")
    y = as_2d_float(y, "y")
    sizes = layer_sizes(depth, width, X.shape[1], y.shape[1])
    settings = {
        "no clipping": (weight_scale, {}),
        "clip by norm": (weight_scale, {"clip_norm": check_positive(clip_norm, "clip_norm")}),
        "clip by value": (weight_scale, {"clip_value": check_positive(clip_value, "clip_value")}),
    }
    if control:
        settings["He × 1, no clipping"] = (1.0, {})
    return {
        label: train_seeds(sizes, seeds, X, y, lr, epochs, activation="relu", init="he",
                           weight_scale=scale, loss="bce_with_logits", **clip)
        for label, (scale, clip) in settings.items()
    }


def plateau_study(
    X, y, hidden_layers=(1, 2, 3), width=4, seeds=range(50), lr=2.0, epochs=3000
) -> dict:
    """Sigmoid networks with 1, 2, ... hidden layers of ``width`` units, one per seed:
    ``{"2-4-1": StackedRun, "2-4-4-1": ..., ...}`` with per-layer gradient sizes recorded.

    Network s of each depth is ``MLP([n_in, width, ..., width, n_out], activation="sigmoid",
    output_activation="sigmoid", seed=s)`` (Xavier weights, zero biases), trained full batch
    with the mean squared error on X (n, n_in) and y (n, n_out), as ``train(model, X, y,
    loss="mse", lr=lr, epochs=epochs, shuffle=False)`` trains it.
    """
    X = as_2d_float(X, "X")
    y = as_2d_float(y, "y")
    width = check_positive_int(width, "width")
    runs = {}
    for n_hidden in hidden_layers:
        sizes = [X.shape[1]] + [width] * check_positive_int(n_hidden, "hidden_layers") + [
            y.shape[1]]
        runs["-".join(map(str, sizes))] = train_seeds(
            sizes, seeds, X, y, lr, epochs, activation="sigmoid", output_activation="sigmoid",
            loss="mse", record_grads=True,
        )
    return runs


def censored_median(first_epochs, budget) -> float:
    """Median of first-passage epochs (S,), where -1 means "not within ``budget`` epochs".

    The runs that never got there count as later than every run that did, so the median is
    exact while more than half of the runs got there; otherwise it is ``inf`` (beyond the
    budget).
    """
    first = np.asarray(first_epochs)
    if first.ndim != 1 or first.size == 0:
        raise ValueError(f"first_epochs must be a non-empty 1-D array; got shape {first.shape}")
    budget = check_positive_int(budget, "budget")
    if np.any((first < -1) | (first >= budget)):
        raise ValueError(f"first_epochs must lie in [0, {budget}) or be -1 (never)")
    return float(np.median(np.where(first >= 0, first, np.inf)))


def per_layer_factor(sizes) -> float:
    """Geometric-mean ratio of neighbouring layers' gradient sizes, away from both ends.

    ``sizes`` (depth,) holds the mean |dL/dW| of every layer, input side first, as one row of
    :func:`gradient_sizes` (depth >= 4). The first and the last layer are left out, since their
    inputs (the data) and their errors (the loss) differ from the middle layers'; the result is
    ``(sizes[1] / sizes[-2]) ** (1 / (depth - 3))``, the factor by which the gradient shrinks
    (below 1) or grows (above 1) per layer on its way from the output to the input.
    """
    sizes = np.asarray(sizes, dtype=np.float64)
    if sizes.ndim != 1 or len(sizes) < 4:
        raise ValueError(f"sizes must have shape (depth,) with depth >= 4; got {sizes.shape}")
    if not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise ValueError("sizes must be finite and positive")
    return float((sizes[1] / sizes[-2]) ** (1 / (len(sizes) - 3)))


def saturated_share(
    depth, activation, init, seeds, X, width=32, weight_scale=1.0, threshold=0.01
) -> np.ndarray:
    """Share of hidden units whose activation slope is below ``threshold``: shape (S,).

    The networks are the plain (no residual) networks of :func:`gradient_sizes`, one per seed,
    on the batch X (n, n_in). For network s, every hidden layer's slope ``act'(z)`` is taken at
    every sample and unit (``(depth - 1) * n * width`` values) and the fraction below
    ``threshold`` is returned. A saturated sigmoid unit (slope near 0) passes almost no signal.
    """
    X = as_2d_float(X, "X")
    threshold = check_positive(threshold, "threshold")
    sizes = layer_sizes(depth, width, X.shape[1], 1)
    check_choice(init, "init", INITIALIZERS)
    act, act_grad = get_activation(activation)
    scale = check_positive(weight_scale, "weight_scale")
    weights = [W * scale for W in initial_weights(sizes, seeds, init)]
    hidden, below, count = X, 0.0, 0
    for W in weights[:-1]:
        pre = hidden @ W
        slopes = act_grad(pre)
        below = below + np.sum(slopes < threshold, axis=(-2, -1))
        count += slopes.shape[-2] * slopes.shape[-1]
        hidden = act(pre)
    return np.asarray(below, dtype=np.float64) / count
