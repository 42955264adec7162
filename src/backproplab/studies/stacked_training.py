"""Train one network per seed, all at once, for networks of any depth.

A claim drawn from training runs must hold over many seeds, and a small network is all call
overhead: NumPy spends its time starting operations, not doing arithmetic. Stacking the
weights of S networks into arrays of shape (S, n_in, n_out) and using batched matrix products
trains all S in little more than the time of one (``seed_study`` does the same for two-layer
networks only).

Network s is ``MLP(sizes, activation, output_activation, init=init, seed=s)`` with its weight
matrices multiplied by ``weight_scale`` (for ``layer_sizes(depth, ...)`` that is
``gradient_flow.deep_network(..., seed=s)``), trained the way ``backproplab.training.train``
trains it with ``optimizer="sgd"``, full batch, and the same ``clip_value`` / ``clip_norm``:
per epoch one forward pass, the loss and accuracy *before* the update, backward, clipping
(by value, then by the global norm of each network's own gradients), update. A network whose
loss becomes inf or NaN stops there, as ``train`` stops: that update is not made, and its
later epochs are recorded as NaN. The others carry on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backproplab._validation import (
    as_2d_float,
    as_float_array,
    check_choice,
    check_positive,
    check_positive_int,
)
from backproplab.activations import get_activation, sigmoid, sigmoid_grad
from backproplab.clipping import NORM_EPS
from backproplab.network import RELU_FAMILY
from backproplab.studies.seed_study import _seed_list, initial_weights

LOSSES = ("mse", "bce_with_logits")
OUTPUT_ACTIVATIONS = ("identity", "sigmoid")


@dataclass
class StackedRun:
    """The record of :func:`train_stacked` for S networks trained side by side.

    loss : (S, epochs) training loss before each update; NaN from the epoch a network diverged
    accuracy : (S, epochs) training accuracy before each update (NaN likewise), or None when
        the targets are not 0/1 labels
    grad_mean_abs : (S, epochs, L) mean |dW| of each of the L weight matrices (input side
        first, before clipping), or None when not recorded
    diverged_at : (S,) the epoch in which the loss became inf/NaN, -1 for a run that did not
    weights, biases : final parameters, lists of L arrays (S, n_in, n_out) and (S, n_out)
    seeds : (S,) the seeds, or None when the weights were given directly
    """

    loss: np.ndarray
    accuracy: np.ndarray | None
    grad_mean_abs: np.ndarray | None
    diverged_at: np.ndarray
    weights: list
    biases: list
    seeds: np.ndarray | None = None

    @property
    def diverged(self) -> np.ndarray:
        """(S,) True for the networks whose loss became inf or NaN."""
        return self.diverged_at >= 0

    @property
    def final_loss(self) -> np.ndarray:
        """(S,) loss in the last epoch (before its update); NaN for a diverged network."""
        return self.loss[:, -1]

    @property
    def final_accuracy(self) -> np.ndarray:
        """(S,) accuracy in the last epoch (before its update); NaN for a diverged network."""
        if self.accuracy is None:
            raise ValueError("accuracy was not recorded: the targets are not 0/1 labels")
        return self.accuracy[:, -1]

    def largest_rise(self) -> np.ndarray:
        """(S,) the largest factor by which a network's loss ever rose above the lowest loss
        it had reached before: 1 for a loss that never rises, 10 for a tenfold spike."""
        with np.errstate(invalid="ignore", divide="ignore"):
            lowest = np.fmin.accumulate(self.loss, axis=1)
            ratio = self.loss[:, 1:] / lowest[:, :-1]
        return np.fmax(np.fmax.reduce(ratio, axis=1, initial=1.0), 1.0)

    def first_below(self, level) -> np.ndarray:
        """(S,) first epoch whose loss is below ``level``; -1 for a network that never is."""
        below = self.loss < level
        return np.where(below.any(axis=1), np.argmax(below, axis=1), -1)


def stacked_weights(sizes, seeds, init=None, activation="sigmoid", weight_scale=1.0) -> list:
    """Initial weights of ``MLP(sizes, activation, init=init, seed=s)`` for every seed, times
    ``weight_scale``: a list of arrays (S, n_in, n_out). ``init=None`` picks what ``MLP``
    picks: "he" for the ReLU family, "xavier" otherwise."""
    if init is None:
        init = "he" if activation in RELU_FAMILY else "xavier"
    scale = check_positive(weight_scale, "weight_scale")
    return [W * scale for W in initial_weights(sizes, seeds, init)]


def _checked_weights(weights, X) -> list[np.ndarray]:
    if not isinstance(weights, list | tuple) or not weights:
        raise ValueError("weights must be a non-empty list of arrays (S, n_in, n_out)")
    weights = [as_float_array(W, "weights").copy() for W in weights]
    if any(W.ndim != 3 for W in weights):
        raise ValueError(f"weights must be arrays (S, n_in, n_out); got shapes "
                         f"{[W.shape for W in weights]}")
    n_in = X.shape[1]
    for i, W in enumerate(weights):
        if W.shape[0] != weights[0].shape[0] or W.shape[1] != n_in:
            raise ValueError(f"weights[{i}] must have shape ({weights[0].shape[0]}, {n_in}, n)"
                             f" to follow the layer before; got {W.shape}")
        n_in = W.shape[2]
    return weights


def _checked_targets(y, n: int, k: int) -> np.ndarray:
    y = as_float_array(y, "y")
    if y.ndim == 1:
        y = y[:, None]
    if y.shape != (n, k):
        raise ValueError(f"y must have shape ({n}, {k}) for the networks' {k} outputs; "
                         f"got {y.shape}")
    return y


def train_stacked(
    weights,
    X,
    y,
    lr,
    epochs,
    activation="sigmoid",
    output_activation="identity",
    loss="mse",
    clip_value=None,
    clip_norm=None,
    record_grads=False,
) -> StackedRun:
    """Train S networks with the initial weights ``weights`` side by side (see the module).

    weights : list of L arrays (S, n_in, n_out), copied, never modified; biases start at 0.
    X (n, n_features) and y (n, k) or (n,) are shared by all networks. ``activation`` is the
    hidden layers'; ``output_activation`` is "identity" or "sigmoid"; ``loss`` is "mse"
    (mean over the n * k entries) or "bce_with_logits" (needs an identity output). Accuracy
    is recorded when y holds 0/1 targets in one column: the output is read as class 1 above
    0 (logits) or above 0.5. Returns a :class:`StackedRun`.
    """
    X = as_2d_float(X, "X")
    weights = _checked_weights(weights, X)
    y = _checked_targets(y, len(X), weights[-1].shape[2])
    lr = check_positive(lr, "lr")
    epochs = check_positive_int(epochs, "epochs")
    check_choice(loss, "loss", LOSSES)
    check_choice(output_activation, "output_activation", OUTPUT_ACTIVATIONS)
    if loss == "bce_with_logits" and output_activation != "identity":
        raise ValueError("loss 'bce_with_logits' works on logits: output_activation must be "
                         f"'identity'; got {output_activation!r}")
    clip_value = None if clip_value is None else check_positive(clip_value, "clip_value")
    clip_norm = None if clip_norm is None else check_positive(clip_norm, "clip_norm")
    act, act_grad = get_activation(activation)
    n_seeds, n_layers = weights[0].shape[0], len(weights)
    biases = [np.zeros((n_seeds, W.shape[2])) for W in weights]
    labels = y.shape[1] == 1 and bool(np.all((y == 0) | (y == 1)))
    threshold = 0.0 if loss == "bce_with_logits" else 0.5
    losses = np.full((n_seeds, epochs), np.nan)
    accuracy = np.full((n_seeds, epochs), np.nan) if labels else None
    grads_record = np.full((n_seeds, epochs, n_layers), np.nan) if record_grads else None
    diverged_at = np.full(n_seeds, -1)
    final_W, final_b = [W.copy() for W in weights], [b.copy() for b in biases]
    active = np.arange(n_seeds)  # the networks still training; W, b hold only theirs
    W, b = weights, biases
    backward = _Backward(act_grad, activation == "relu", len(X))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for t in range(epochs):
            inputs, pre = [X], []
            for i in range(n_layers):
                Z = inputs[-1] @ W[i]
                Z += b[i][:, None, :]
                pre.append(Z)
                if i < n_layers - 1:
                    inputs.append(act(Z))
            output, value, grad = _output_loss_grad(pre[-1], y, loss, output_activation)
            finite = np.isfinite(value) & np.isfinite(output).all(axis=(1, 2))
            if not finite.all():  # these networks stop here, before the update
                stopped = active[~finite]
                diverged_at[stopped] = t
                for i in range(n_layers):
                    final_W[i][stopped], final_b[i][stopped] = W[i][~finite], b[i][~finite]
                active, output, value, grad = active[finite], output[finite], value[finite], \
                    grad[finite]
                W, b = [w[finite] for w in W], [c[finite] for c in b]
                inputs = [inputs[0]] + [h[finite] for h in inputs[1:]]
                pre = [z[finite] for z in pre]
                if not len(active):
                    break
            losses[active, t] = value
            if accuracy is not None:
                correct = (output[..., 0] > threshold) == (y[:, 0] > 0.5)
                accuracy[active, t] = correct.mean(axis=1)
            grad_W, grad_b = backward(grad, inputs, pre, W)
            if record_grads:
                for i, g in enumerate(grad_W):
                    grads_record[active, t, i] = np.abs(g).mean(axis=(1, 2))
            grad_W, grad_b = _clipped(grad_W, grad_b, clip_value, clip_norm)
            for i in range(n_layers):
                W[i] -= lr * grad_W[i]
                b[i] -= lr * grad_b[i]
    for i in range(n_layers):
        final_W[i][active], final_b[i][active] = W[i], b[i]
    return StackedRun(losses, accuracy, grads_record, diverged_at, final_W, final_b)


def _output_loss_grad(Z, y, loss, output_activation):
    """Outputs (S, n, k), losses (S,) and dL/dZ (S, n, k) from the last layer's Z (S, n, k)."""
    n_entries = y.size
    if loss == "bce_with_logits":
        value = (np.maximum(Z, 0.0) - Z * y + np.log1p(np.exp(-np.abs(Z)))).mean(axis=(1, 2))
        return Z, value, (sigmoid(Z) - y) / n_entries
    output = sigmoid(Z) if output_activation == "sigmoid" else Z
    error = output - y
    grad = (2.0 / n_entries) * error
    if output_activation == "sigmoid":
        grad = grad * sigmoid_grad(Z)
    return output, (error * error).mean(axis=(1, 2)), grad


class _Backward:
    """The backward pass of stacked networks: weight and bias gradients, input side first."""

    def __init__(self, act_grad, relu: bool, n_samples: int):
        self.act_grad, self.relu = act_grad, relu
        self.ones = np.ones(n_samples)

    def __call__(self, grad, inputs, pre, W):
        n_layers = len(W)
        grad_W, grad_b = [None] * n_layers, [None] * n_layers
        for i in range(n_layers - 1, -1, -1):
            grad_W[i] = np.swapaxes(inputs[i], -1, -2) @ grad
            grad_b[i] = self.ones @ grad  # the sum over the samples, as one fast product
            if i > 0:
                grad = grad @ np.swapaxes(W[i], -1, -2)
                if self.relu:  # multiplying by the mask z > 0 is multiplying by relu_grad(z)
                    np.multiply(grad, pre[i - 1] > 0, out=grad)
                else:
                    grad *= self.act_grad(pre[i - 1])
        return grad_W, grad_b


def _clipped(grad_W, grad_b, clip_value, clip_norm):
    """Clip by value, then rescale each network's gradients to global norm <= clip_norm."""
    if clip_value is not None:
        grad_W = [np.clip(g, -clip_value, clip_value) for g in grad_W]
        grad_b = [np.clip(g, -clip_value, clip_value) for g in grad_b]
    if clip_norm is not None:
        squares = sum((gW * gW).sum(axis=(1, 2)) + (gb * gb).sum(axis=1)
                      for gW, gb in zip(grad_W, grad_b, strict=True))
        scale = np.minimum(1.0, clip_norm / (np.sqrt(squares) + NORM_EPS))
        grad_W = [g * scale[:, None, None] for g in grad_W]
        grad_b = [g * scale[:, None] for g in grad_b]
    return grad_W, grad_b


def train_seeds(
    sizes, seeds, X, y, lr, epochs, activation="sigmoid", init=None, weight_scale=1.0,
    **options,
) -> StackedRun:
    """:func:`train_stacked` from the weights of ``MLP(sizes, activation, init=init, seed=s)``
    times ``weight_scale``, one network per seed in ``seeds``; ``options`` are those of
    :func:`train_stacked` (output_activation, loss, clip_value, clip_norm, record_grads)."""
    seeds = _seed_list(seeds)
    weights = stacked_weights(sizes, seeds, init, activation, weight_scale)
    run = train_stacked(weights, X, y, lr, epochs, activation=activation, **options)
    run.seeds = np.array(seeds)
    return run
