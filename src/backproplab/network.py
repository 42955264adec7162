"""A sequential model (layers applied in order) and the MLP builder.

``Sequential.forward`` is the one public entry point that checks the batch
thoroughly (2-D, finite, non-empty); the layers behind it only check shapes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np

from backproplab._validation import (
    as_2d_float,
    as_generator,
    check_choice,
    check_positive_int,
)
from backproplab.activations import ACTIVATIONS
from backproplab.layers import Activation, Dense, Layer
from backproplab.losses import get_loss

RELU_FAMILY = ("relu", "leaky_relu", "elu")


class Sequential:
    """Layers applied in order: forward left to right, backward right to left.

    ``output_is_logit`` says how ``predict_classes`` reads a single output
    column: threshold 0 for a logit, 0.5 for a probability. ``MLP`` sets it
    from its ``loss`` and ``loss_and_grads`` from the loss it is given.
    """

    def __init__(self, layers):
        layers = list(layers) if isinstance(layers, list | tuple) else None
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("layers must be a non-empty list of Layer objects")
        self.layers = layers
        self.output_is_logit = False

    def forward(self, X):
        """Output (n_samples, n_outputs) for a finite batch X (n_samples, n_features)."""
        out = as_2d_float(X, "X")
        for layer in self.layers:
            out = layer.forward(out)
        return out

    __call__ = forward

    def backward(self, dY):
        """Backpropagate dL/d(output) (n_samples, n_outputs); return dL/dX (n_samples, n_features).

        Parameter gradients accumulate in every layer's ``grads`` until ``zero_grad``.
        """
        grad = np.asarray(dY, dtype=np.float64)
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def named_params(self):
        """List of ``("{layer index}.{key}", array)`` pairs, e.g. ``("0.W", W)``; live arrays."""
        return [
            (f"{i}.{key}", value)
            for i, layer in enumerate(self.layers)
            for key, value in layer.params.items()
        ]

    @property
    def params(self):
        """Parameter arrays in a stable order (live references: update them in place)."""
        return [value for layer in self.layers for value in layer.params.values()]

    @property
    def grads(self):
        """Gradient arrays aligned with ``params``."""
        return [value for layer in self.layers for value in layer.grads.values()]

    @property
    def num_params(self) -> int:
        """Total number of scalar parameters."""
        return sum(value.size for value in self.params)

    def zero_grad(self):
        """Reset every parameter gradient to zero, in place."""
        for layer in self.layers:
            layer.zero_grad()

    def dense_layers(self):
        """The ``Dense`` layers in forward order, including those inside residual blocks."""
        return _dense_layers(self.layers)

    def loss_and_grads(self, X, y, loss) -> float:
        """zero_grad, forward X, backward the gradient of ``loss``; return the loss value.

        ``loss`` is a name from ``backproplab.losses.LOSSES`` or a ``Loss``; ``y``
        holds the targets in the shape that loss expects.
        """
        loss = get_loss(loss)
        self.output_is_logit = loss.from_logits
        self.zero_grad()
        output = self.forward(X)
        value = loss.value(output, y)
        self.backward(loss.grad(output, y))
        return value

    def predict(self, X, loss=None):
        """Network output for X (n, n_features); probabilities if ``loss`` works on logits."""
        output = self.forward(X)
        return output if loss is None else get_loss(loss).predict_proba(output)

    def predict_classes(self, X):
        """Integer labels (n,): argmax for several outputs, a threshold for a single one."""
        output = self.forward(X)
        if output.shape[1] > 1:
            return np.argmax(output, axis=1)
        threshold = 0.0 if self.output_is_logit else 0.5
        return (output[:, 0] > threshold).astype(np.int64)

    def gradient_stats(self):
        """Per Dense layer (input side first): {"layer", "mean_abs", "norm", "max_abs"} of dW."""
        stats = []
        for i, layer in enumerate(self.dense_layers()):
            dW = layer.grads["W"]
            stats.append(
                {
                    "layer": i,
                    "mean_abs": float(np.mean(np.abs(dW))),
                    "norm": float(np.linalg.norm(dW)),
                    "max_abs": float(np.max(np.abs(dW))),
                }
            )
        return stats

    def copy(self):
        """An independent deep copy (parameters, gradients and caches)."""
        return copy.deepcopy(self)

    def state_dict(self):
        """Dict name -> copy of each parameter array (see ``named_params``)."""
        return {name: value.copy() for name, value in self.named_params()}

    def load_state_dict(self, state):
        """Copy the arrays of ``state`` (from ``state_dict``) into the parameters, in place."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a dict from state_dict(); got {type(state).__name__}")
        params = dict(self.named_params())
        if params.keys() != state.keys():
            raise ValueError(
                f"state keys must match the model's parameters: missing "
                f"{sorted(params.keys() - state.keys())}, unexpected "
                f"{sorted(state.keys() - params.keys())}"
            )
        values = {name: np.asarray(state[name], dtype=np.float64) for name in params}
        for name, value in values.items():
            if value.shape != params[name].shape:
                raise ValueError(
                    f"state['{name}'] must have shape {params[name].shape}; got {value.shape}"
                )
        for name, value in values.items():
            params[name][...] = value

    def __repr__(self):
        lines = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({lines}\n)"


def _dense_layers(layers):
    found = []
    for layer in layers:
        if isinstance(layer, Dense):
            found.append(layer)
        found.extend(_dense_layers(getattr(layer, "layers", [])))
    return found


def _checked_sizes(sizes):
    if not isinstance(sizes, list | tuple | np.ndarray):
        raise TypeError(f"sizes must be a list of layer widths like [2, 4, 1]; got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(
            f"sizes must list at least an input and an output width, like [2, 4, 1]; got {sizes}"
        )
    return [check_positive_int(size, f"sizes[{i}]") for i, size in enumerate(sizes)]


def MLP(
    sizes,
    activation="relu",
    output_activation="identity",
    init=None,
    rng=None,
    seed=None,
    loss=None,
):
    """Multi-layer perceptron: Dense layers of ``sizes`` widths, ``activation`` between them.

    ``sizes`` like [2, 4, 1] gives Dense(2, 4), activation, Dense(4, 1), then
    ``output_activation`` (left out when it is "identity"). ``init`` defaults
    to "he" for the ReLU family and "xavier" otherwise. Every weight comes
    from one generator, so the same ``seed`` gives bit-identical networks.
    ``loss`` (optional) only records whether the output is a logit, for
    ``predict_classes``.
    """
    sizes = _checked_sizes(sizes)
    check_choice(activation, "activation", ACTIVATIONS)
    check_choice(output_activation, "output_activation", ACTIVATIONS)
    if init is None:
        init = "he" if activation in RELU_FAMILY else "xavier"
    rng = as_generator(rng, seed)
    n_layers = len(sizes) - 1
    layers = []
    for i in range(n_layers):
        layers.append(Dense(sizes[i], sizes[i + 1], init=init, rng=rng))
        layer_activation = activation if i < n_layers - 1 else output_activation
        if layer_activation != "identity":
            layers.append(Activation(layer_activation))
    model = Sequential(layers)
    if loss is not None:
        model.output_is_logit = get_loss(loss).from_logits
    return model
