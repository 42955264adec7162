"""Bad input to activations, losses, init, layers, network and gradcheck: each case raises
ValueError or TypeError whose message names the offending argument."""

import numpy as np
import pytest

from backproplab.activations import get_activation, leaky_relu, sigmoid
from backproplab.gradcheck import check_gradients, numerical_gradient, relative_error
from backproplab.init import get_initializer, normal
from backproplab.layers import Activation, Dense, Residual, dense_backward, dense_forward
from backproplab.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    get_loss,
    mse,
    softmax_cross_entropy,
)
from backproplab.network import MLP, Sequential


def model():
    return MLP([3, 4, 2], seed=0)


def forward_then_backward(network, dY):
    network.forward(np.ones((5, 3)))
    return network.backward(dY)


def set_weights(layer, value):
    layer.W = value


LOGITS = np.zeros((4, 3))

CASES = [
    # Sequential.forward: X is 2-D, finite, non-empty, with the right number of features
    ("X 1-D", lambda: model().forward(np.ones(3)), ValueError, r"X must be a 2-D array .* \(3,\)"),
    (
        "X NaN",
        lambda: model().forward([[1.0, np.nan, 0.0]]),
        ValueError,
        "X must contain only finite",
    ),
    ("X inf", lambda: model()([[1.0, np.inf, 0.0]]), ValueError, "X must contain only finite"),
    ("X empty", lambda: model().forward(np.ones((0, 3))), ValueError, "X must not be empty"),
    (
        "X features",
        lambda: model().forward(np.ones((5, 4))),
        ValueError,
        r"X must .*\(n_samples, 3\)",
    ),
    (
        "X text",
        lambda: model().forward([["a", "b", "c"]]),
        TypeError,
        "X must be an array of numbers",
    ),
    (
        "dY shape",
        lambda: forward_then_backward(model(), np.ones((5, 3))),
        ValueError,
        r"dY must have the forward output's shape \(5, 2\)",
    ),
    # unknown names
    ("activation name", lambda: get_activation("swish"), ValueError, "unknown activation 'swish'"),
    ("Activation layer", lambda: Activation("softplus"), ValueError, "unknown activation"),
    ("loss name", lambda: get_loss("hinge"), ValueError, "unknown loss 'hinge'; expected one of"),
    ("loss type", lambda: get_loss(3), TypeError, "loss must be a loss name or a Loss"),
    ("init name", lambda: get_initializer("orthogonal"), ValueError, "unknown init 'orthogonal'"),
    ("Dense init", lambda: Dense(3, 2, init="bogus"), ValueError, "unknown init 'bogus'"),
    (
        "predict loss",
        lambda: model().predict(np.ones((1, 3)), loss="l2"),
        ValueError,
        "unknown loss",
    ),
    # losses: shapes, finiteness, ranges, labels
    (
        "mse shapes",
        lambda: mse(np.ones((4, 2)), np.ones((4, 3))),
        ValueError,
        r"y_true must have the same shape as y_pred \(4, 2\)",
    ),
    ("mse labels for 2 outputs", lambda: mse(np.ones((4, 2)), np.ones(4)), ValueError, "y_true"),
    ("mse NaN", lambda: mse([[np.nan]], [[1.0]]), ValueError, "y_pred must contain only finite"),
    ("mse empty", lambda: mse([], []), ValueError, "y_pred must not be empty"),
    (
        "bce range",
        lambda: binary_cross_entropy([[1.5]], [[1.0]]),
        ValueError,
        r"p must .* \[0, 1\]",
    ),
    (
        "bce targets",
        lambda: binary_cross_entropy([[0.5]], [[2.0]]),
        ValueError,
        r"y must .* \[0, 1\]",
    ),
    ("bce eps", lambda: binary_cross_entropy([[0.5]], [[1.0]], eps=0), ValueError, "eps must be"),
    (
        "logits y shape",
        lambda: binary_cross_entropy_with_logits(np.ones((3, 1)), np.ones((2, 1))),
        ValueError,
        r"y must have the same shape as z \(3, 1\)",
    ),
    (
        "CE label too big",
        lambda: softmax_cross_entropy(LOGITS, [0, 1, 2, 3]),
        ValueError,
        r"y labels must be whole-number class indices in \[0, 3\)",
    ),
    (
        "CE negative label",
        lambda: softmax_cross_entropy(LOGITS, [0, -1, 2, 1]),
        ValueError,
        "y labels",
    ),
    (
        "CE fractional label",
        lambda: softmax_cross_entropy(LOGITS, [0, 1.5, 2, 1]),
        ValueError,
        "y labels",
    ),
    (
        "CE one-hot classes",
        lambda: softmax_cross_entropy(LOGITS, np.eye(4)),
        ValueError,
        r"y must be integer labels of shape \(4,\) or one-hot/probability rows of shape \(4, 3\)",
    ),
    (
        "CE label count",
        lambda: softmax_cross_entropy(LOGITS, [0, 1]),
        ValueError,
        r"y must .*\(4,\)",
    ),
    (
        "CE rows",
        lambda: softmax_cross_entropy(LOGITS, np.full((4, 3), 0.5)),
        ValueError,
        "y rows must be probability distributions",
    ),
    (
        "CE logits 1-D",
        lambda: softmax_cross_entropy(np.zeros(3), [0]),
        ValueError,
        "logits must be a 2-D",
    ),
    # activations
    ("z text", lambda: sigmoid("abc"), TypeError, "z must be an array of numbers"),
    (
        "alpha",
        lambda: leaky_relu(np.ones(2), alpha=-0.1),
        ValueError,
        "alpha must be a non-negative",
    ),
    # init
    ("std", lambda: normal(3, 2, std=0.0), ValueError, "std must be a positive"),
    ("n_in zero", lambda: Dense(0, 2), ValueError, "n_in must be a positive integer"),
    ("n_out negative", lambda: Dense(2, -1), ValueError, "n_out must be a positive integer"),
    ("n_in float", lambda: Dense(2.5, 2), TypeError, "n_in must be a positive integer"),
    # layers
    (
        "Dense W shape",
        lambda: Dense(3, 2, W=np.ones((2, 3))),
        ValueError,
        r"W must have shape \(3, 2\)",
    ),
    ("Dense b shape", lambda: Dense(3, 2, b=np.ones(3)), ValueError, r"b must have shape \(2,\)"),
    ("Dense W NaN", lambda: Dense(1, 1, W=[[np.nan]]), ValueError, "W must contain only finite"),
    (
        "W setter",
        lambda: set_weights(Dense(3, 2, seed=0), np.ones((3, 3))),
        ValueError,
        r"W must have shape \(3, 2\)",
    ),
    (
        "dense_forward X",
        lambda: dense_forward(np.ones((2, 4)), np.ones((3, 2)), np.ones(2)),
        ValueError,
        r"X must be a 2-D array of shape \(n_samples, 3\)",
    ),
    (
        "dense_forward b",
        lambda: dense_forward(np.ones((2, 3)), np.ones((3, 2)), np.ones(3)),
        ValueError,
        r"b must have shape \(2,\)",
    ),
    (
        "dense_backward dZ",
        lambda: dense_backward(
            np.ones((2, 3)), dense_forward(np.ones((2, 3)), np.ones((3, 2)), np.ones(2))[1]
        ),
        ValueError,
        "dZ must have",
    ),
    (
        "Residual shape",
        lambda: Residual([Dense(2, 3, seed=0)]).forward(np.ones((1, 2))),
        ValueError,
        "Residual inner_layers must keep the input shape",
    ),
    ("Residual empty", lambda: Residual([]), TypeError, "inner_layers must be a non-empty list"),
    (
        "Sequential layers",
        lambda: Sequential(["relu"]),
        TypeError,
        "layers must be a non-empty list",
    ),
    # MLP
    ("sizes zero", lambda: MLP([3, 0, 1]), ValueError, r"sizes\[1\] must be a positive integer"),
    (
        "sizes short",
        lambda: MLP([3]),
        ValueError,
        "sizes must list at least an input and an output",
    ),
    ("sizes float", lambda: MLP([3, 2.5, 1]), TypeError, r"sizes\[1\] must be a positive integer"),
    ("sizes type", lambda: MLP("3,4"), TypeError, "sizes must be a list of layer widths"),
    ("MLP activation", lambda: MLP([2, 1], activation="swish"), ValueError, "unknown activation"),
    (
        "MLP output",
        lambda: MLP([2, 1], output_activation="softmax"),
        ValueError,
        "unknown output_activation 'softmax'",
    ),
    ("MLP seed", lambda: MLP([2, 1], seed=1.5), TypeError, "seed must be an integer"),
    # state and gradcheck
    (
        "state keys",
        lambda: model().load_state_dict({"0.W": np.ones((3, 4))}),
        ValueError,
        r"state keys must match the model's parameters: missing \['0.b'",
    ),
    (
        "state shape",
        lambda: model().load_state_dict({**model().state_dict(), "0.W": np.ones((4, 3))}),
        ValueError,
        r"state\['0.W'\] must have shape",
    ),
    (
        "gradcheck x",
        lambda: numerical_gradient(lambda: 0.0, [1.0, 2.0]),
        TypeError,
        "x must be a float64 numpy array",
    ),
    (
        "gradcheck f",
        lambda: numerical_gradient(None, np.ones(2)),
        TypeError,
        "f must be a function",
    ),
    (
        "gradcheck eps",
        lambda: numerical_gradient(lambda: 0.0, np.ones(2), eps=-1e-6),
        ValueError,
        "eps must be a positive",
    ),
    (
        "relative_error",
        lambda: relative_error(np.ones(2), np.ones(3)),
        ValueError,
        r"b must have the shape of a \(2,\)",
    ),
    (
        "check_gradients model",
        lambda: check_gradients(Dense(2, 1, seed=0), np.ones((1, 2)), np.ones((1, 1)), "mse"),
        TypeError,
        "model must be a Sequential",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_is_rejected_with_a_message_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    "layer",
    [Dense(2, 2, seed=0), Activation("tanh"), Residual([Dense(2, 2, seed=0)])],
    ids=["Dense", "Activation", "Residual"],
)
def test_backward_before_forward(layer):
    with pytest.raises(RuntimeError, match="call forward before backward"):
        layer.backward(np.ones((1, 2)))


def test_sequential_backward_before_forward():
    with pytest.raises(RuntimeError, match="call forward before backward"):
        model().backward(np.ones((1, 2)))


def test_a_rejected_load_leaves_the_parameters_untouched():
    network = model()
    before = network.state_dict()
    bad = {**before, "0.b": np.full(4, 7.0), "2.W": np.ones((5, 5))}
    with pytest.raises(ValueError, match="state"):
        network.load_state_dict(bad)
    for name, value in network.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
