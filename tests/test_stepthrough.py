"""Tests of backproplab.studies.stepthrough: a forward and backward pass recorded step by step.

Forward values are checked against the formulas written out with NumPy, the
gradients against the scalar engine (a separate reverse-mode implementation)
and against central differences, and the step order against hand-written lists.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backproplab.autograd import Value, scalar_network
from backproplab.gradcheck import numerical_gradient
from backproplab.layers import Activation, Dense, Residual
from backproplab.losses import get_loss
from backproplab.network import MLP, Sequential
from backproplab.studies.stepthrough import record_pass


def _model(sizes=(2, 3, 2, 1), activation="tanh", output_activation="identity", seed=3):
    model = MLP(list(sizes), activation=activation, output_activation=output_activation,
                seed=seed)
    rng = np.random.default_rng(seed + 100)
    for layer in model.dense_layers():  # non-zero biases, so that their gradients matter
        layer.b = rng.normal(scale=0.4, size=layer.n_out)
    return model


X_SAMPLE, Y_SAMPLE = np.array([0.5, -1.0]), np.array([0.8])


def test_forward_values_follow_the_layer_formulas():
    model = _model()
    record = record_pass(model, X_SAMPLE, Y_SAMPLE)
    W = [d.W for d in model.dense_layers()]
    b = [d.b for d in model.dense_layers()]
    z1 = X_SAMPLE @ W[0] + b[0]
    a1 = np.tanh(z1)
    z2 = a1 @ W[1] + b[1]
    a2 = np.tanh(z2)
    z3 = a2 @ W[2] + b[2]
    for got, expected in [(record.z[1], z1), (record.a[1], a1), (record.z[2], z2),
                          (record.a[2], a2), (record.z[3], z3), (record.a[3], z3)]:
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)
    assert record.loss == pytest.approx(0.5 * (z3[0] - 0.8) ** 2, rel=1e-13)
    np.testing.assert_allclose(record.a[0], X_SAMPLE)
    assert record.sizes == (2, 3, 2, 1)
    assert record.activation_names == {1: "tanh", 2: "tanh", 3: "identity"}


@pytest.mark.parametrize("activation,output_activation,loss", [
    ("tanh", "identity", "half_mse"),
    ("sigmoid", "sigmoid", "mse"),
    ("relu", "tanh", "half_mse"),
])
def test_gradients_agree_with_the_scalar_engine(activation, output_activation, loss):
    model = _model((3, 4, 2, 2), activation, output_activation, seed=5)
    x, y = np.array([0.3, -0.7, 1.1]), np.array([0.2, 0.9])
    record = record_pass(model, x, y, loss)

    dense = model.dense_layers()
    net = scalar_network([d.W for d in dense], [d.b for d in dense],
                         [activation, activation, output_activation])
    inputs = [Value(v) for v in x]
    out = net(inputs)
    scale = 0.5 if loss == "half_mse" else 1.0
    value = scale * sum((o - t) ** 2 for o, t in zip(out, y, strict=True)) / len(y)
    value.backward()

    assert record.loss == pytest.approx(value.data, rel=1e-13)
    for k, (dW, db) in enumerate(zip(net.weight_grads(), net.bias_grads(), strict=True), 1):
        np.testing.assert_allclose(record.dW[k], dW, rtol=0, atol=1e-13)
        np.testing.assert_allclose(record.db[k], db, rtol=0, atol=1e-13)
    np.testing.assert_allclose(record.da[0], [v.grad for v in inputs], rtol=0, atol=1e-13)
    np.testing.assert_allclose(record.output_grad,
                               get_loss(loss).grad(record.a[3][None], y[None])[0])


def test_deltas_follow_the_backward_recursion():
    model = _model((2, 4, 3, 1), "tanh", "sigmoid", seed=2)
    record = record_pass(model, [1.0, -0.5], [0.1])
    sigmoid = 1 / (1 + np.exp(-record.z[3]))
    np.testing.assert_allclose(record.delta[3],
                               (sigmoid - 0.1) * sigmoid * (1 - sigmoid), rtol=1e-12)
    for k in (3, 2):  # delta_{k-1} = (delta_k W_k^T) * tanh'(z_{k-1})
        expected = (record.delta[k] @ record.W[k].T) * (1 - np.tanh(record.z[k - 1]) ** 2)
        np.testing.assert_allclose(record.delta[k - 1], expected, rtol=1e-12)
        np.testing.assert_allclose(record.dW[k], np.outer(record.a[k - 1], record.delta[k]),
                                   rtol=1e-12)
        np.testing.assert_allclose(record.db[k], record.delta[k], rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    activation=st.sampled_from(["tanh", "sigmoid", "elu"]),
    seed=st.integers(0, 10_000),
)
def test_weight_gradients_match_central_differences(sizes, activation, seed):
    model = _model(sizes, activation, "identity", seed=seed)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=sizes[0]), rng.normal(size=sizes[-1])
    record = record_pass(model, x, y)
    loss = get_loss("half_mse")
    for k, layer in enumerate(model.dense_layers(), 1):
        numeric = numerical_gradient(lambda: loss.value(model.forward(x[None]), y[None]), layer.W)
        np.testing.assert_allclose(record.dW[k], numeric, rtol=1e-6, atol=1e-8)


def test_steps_come_in_the_order_the_layers_run():
    record = record_pass(_model((2, 3, 1), "relu", "sigmoid"), [1.0, 2.0], [1.0], "bce")
    kinds = [(s.phase, s.kind, s.column, s.layer) for s in record.steps]
    assert kinds == [
        ("forward", "input", 0, None),
        ("forward", "dense", 1, 1),
        ("forward", "activation", 1, 1),
        ("forward", "dense", 2, 2),
        ("forward", "activation", 2, 2),
        ("forward", "loss", 2, None),
        ("backward", "loss_grad", 2, None),
        ("backward", "activation_back", 2, 2),
        ("backward", "dense_back", 1, 2),
        ("backward", "activation_back", 1, 1),
        ("backward", "dense_back", 0, 1),
    ]
    assert all(s.title.count("$") % 2 == 0 for s in record.steps)  # balanced mathtext


def test_frames_replay_the_pass():
    record = record_pass(_model(), X_SAMPLE, Y_SAMPLE)
    first = record.frame(0)
    assert first.columns[0].name == "x" and first.columns[1:] == [None, None, None]
    assert first.loss is None and first.edge_is_grad == [False] * 3
    np.testing.assert_array_equal(first.edges[0], record.W[1])

    after_loss = record.frame(6)
    assert after_loss.step.kind == "loss" and after_loss.loss == record.loss
    assert [c.name for c in after_loss.columns] == ["x", "a1", "a2", "y_hat"]

    middle = record.frame(9)  # delta2 just computed; layer 3 gradients known
    assert middle.edge_is_grad == [False, False, True]
    assert [c.phase for c in middle.columns] == ["forward", "forward", "backward", "backward"]
    assert middle.columns[2].name == "delta2"
    np.testing.assert_array_equal(middle.biases[2], record.db[3])
    np.testing.assert_array_equal(middle.biases[1], record.b[2])

    last = record.frame(len(record.steps) - 1)
    assert last.edge_is_grad == [True] * 3
    assert [c.name for c in last.columns] == ["dL/dx", "delta1", "delta2", "delta3"]
    np.testing.assert_array_equal(last.edges[0], record.dW[1])


def test_frame_rejects_a_bad_index():
    record = record_pass(_model(), X_SAMPLE, Y_SAMPLE)
    with pytest.raises(ValueError, match="index"):
        record.frame(len(record.steps))
    with pytest.raises(TypeError, match="index"):
        record.frame(1.0)


def test_the_model_holds_this_sample_gradients_afterwards():
    model = _model()
    model.loss_and_grads(np.ones((3, 2)), np.zeros((3, 1)), "mse")  # stale gradients
    record = record_pass(model, X_SAMPLE, Y_SAMPLE)
    record_pass(model, X_SAMPLE, Y_SAMPLE)  # a second pass must not double them
    for k, layer in enumerate(model.dense_layers(), 1):
        np.testing.assert_array_equal(layer.grads["W"], record.dW[k])
        np.testing.assert_array_equal(layer.grads["b"], record.db[k])


def test_record_is_a_copy_of_the_parameters():
    model = _model()
    record = record_pass(model, X_SAMPLE, Y_SAMPLE)
    before = record.W[1].copy()
    model.dense_layers()[0].W = np.zeros((2, 3))
    np.testing.assert_array_equal(record.W[1], before)


def test_inputs_may_be_rows_and_numbers():
    model = _model()
    a = record_pass(model, X_SAMPLE, 0.8)
    b = record_pass(model, X_SAMPLE[None, :], np.array([[0.8]]))
    assert a.loss == b.loss


def test_bad_inputs_are_explained():
    model = _model()
    with pytest.raises(ValueError, match="x must be one sample of shape \\(2,\\)"):
        record_pass(model, np.ones(3), 0.8)
    with pytest.raises(ValueError, match="x must"):
        record_pass(model, np.ones((2, 2)), 0.8)
    with pytest.raises(ValueError, match="y must be one sample of shape \\(1,\\)"):
        record_pass(model, X_SAMPLE, [1.0, 2.0])
    with pytest.raises(TypeError, match="model must be a Sequential"):
        record_pass(model.layers, X_SAMPLE, 0.8)
    with pytest.raises(ValueError, match="Dense layers, each followed"):
        record_pass(Sequential([Dense(2, 2), Activation("tanh"), Activation("tanh")]),
                    X_SAMPLE, [0.0, 0.0])
    with pytest.raises(ValueError, match="Dense layers, each followed"):
        record_pass(Sequential([Residual([Dense(2, 2)])]), X_SAMPLE, [0.0, 0.0])
    with pytest.raises(ValueError, match="loss"):
        record_pass(model, X_SAMPLE, 0.8, loss="hinge")
