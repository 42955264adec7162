"""Sequential and MLP: whole-network gradients against central differences and autograd,
bookkeeping (params, grads, state), determinism, predictions and gradient statistics."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backproplab.activations import ACTIVATIONS
from backproplab.gradcheck import check_gradients, relative_error
from backproplab.layers import Activation, Dense, Residual
from backproplab.losses import LOSSES
from backproplab.network import MLP, RELU_FAMILY, Sequential
from test_activations import REFERENCE_ACTIVATIONS
from test_losses import REFERENCE_LOSSES, one_hot

EPS = 1e-5  # near the cube root of machine epsilon: the most accurate central differences


@st.composite
def network_cases(draw):
    """A random MLP (depth 1 to 3, widths 1 to 6), batch, targets and loss."""
    loss = draw(st.sampled_from(sorted(LOSSES)))
    activation = draw(st.sampled_from(sorted(ACTIVATIONS)))
    widths = list(draw(st.lists(st.integers(1, 6), min_size=2, max_size=4)))
    n, seed = draw(st.integers(1, 6)), draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if loss == "softmax_cross_entropy":
        widths[-1] = max(widths[-1], 2)
    output_activation = "sigmoid" if loss == "bce" else "identity"
    model = MLP(widths, activation=activation, output_activation=output_activation, rng=rng)
    for layer in model.dense_layers():  # non-zero biases, so their gradients are tested too
        layer.b = 0.1 * rng.standard_normal(layer.n_out)
    X, k = rng.standard_normal((n, widths[0])), widths[-1]
    if loss == "softmax_cross_entropy":
        y = rng.integers(0, k, n)
        return model, X, y, one_hot(y, k), loss
    y = rng.uniform(0, 1, (n, k)) if loss.startswith("bce") else rng.standard_normal((n, k))
    return model, X, y, y, loss


def resolvable(model, X, y, loss):
    """True when central differences in float64 can resolve this case to 1e-7.

    That rules out: a ReLU-family pre-activation (or MAE residual) within 1e-3 of its
    kink; an MAE output-bias gradient of exactly zero (as many residuals above as below);
    a sigmoid output saturated beyond [0.01, 0.99] under "bce", where log(1 - p) loses
    digits; and a parameter gradient that is non-zero but below 1e-3 |L|, which rounding
    noise of about 1e-11 |L| in the difference quotient would swamp.
    """
    value = model.loss_and_grads(X, y, loss)
    output = model.forward(X)
    near_zero = [
        layer.cache
        for layer in model.layers
        if isinstance(layer, Activation) and layer.name in RELU_FAMILY
    ]
    if loss == "mae":
        near_zero += [output - y, np.sign(output - y).sum(axis=0)]
    if any(np.min(np.abs(z)) <= 1e-3 for z in near_zero):
        return False
    if loss == "bce" and not np.all((output > 0.01) & (output < 0.99)):
        return False
    norms = [np.linalg.norm(g) for g in model.grads]
    return all(norm == 0 or norm >= 1e-3 * max(abs(value), 1.0) for norm in norms)


def reference_loss(params, X, y, activations, loss):
    """The same network written in autograd.numpy; params = [W0, b0, W1, b1, ...]."""
    out = X
    for i, activation in enumerate(activations):
        out = REFERENCE_ACTIVATIONS[activation](anp.dot(out, params[2 * i]) + params[2 * i + 1])
    return REFERENCE_LOSSES[loss](out, y)


def layer_activations(model):
    """Activation name after each Dense layer ('identity' where there is none)."""
    names = []
    for layer in model.layers:
        if isinstance(layer, Dense):
            names.append("identity")
        else:
            names[-1] = layer.name
    return names


@settings(max_examples=40, deadline=None)
@given(case=network_cases())
def test_mlp_gradients_match_central_differences(case):
    model, X, y, _, loss = case
    assume(resolvable(model, X, y, loss))
    errors = check_gradients(model, X, y, loss, eps=EPS)
    assert set(errors) == {name for name, _ in model.named_params()}
    assert max(errors.values()) < 1e-7, errors


@settings(max_examples=40, deadline=None)
@given(case=network_cases())
def test_mlp_gradients_match_autograd(case):
    model, X, y, y_reference, loss = case
    assume(resolvable(model, X, y, loss))
    value = model.loss_and_grads(X, y, loss)
    params = [p.copy() for p in model.params]
    activations = layer_activations(model)
    assert relative_error(value, reference_loss(params, X, y_reference, activations, loss)) < 1e-10
    expected = grad(reference_loss)(params, X, y_reference, activations, loss)
    # Both sides are exact up to rounding, but they sum in different orders (BLAS kernels differ
    # between CPUs). Where a backpropagated delta is a sum of terms that nearly cancel, rounding
    # of about 1e-16 per term shows up, relative to the small sum, as up to ~1e-10 (seen: 1.5e-10
    # for a delta 1e6 times smaller than its terms). A wrong formula is off by far more than 1e-8.
    for ours, theirs in zip(model.grads, expected, strict=True):
        assert relative_error(ours, theirs) < 1e-8


def residual_network(rng, d_in=3, width=4, d_out=2):
    return Sequential(
        [
            Dense(d_in, width, rng=rng, b=rng.standard_normal(width)),
            Activation("tanh"),
            Residual(
                [Dense(width, width, rng=rng, b=rng.standard_normal(width)), Activation("sigmoid")]
            ),
            Dense(width, d_out, rng=rng),
        ]
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6))
def test_residual_network_gradients(seed, n):
    rng = np.random.default_rng(seed)
    model = residual_network(rng)
    X, y = rng.standard_normal((n, 3)), rng.standard_normal((n, 2))
    errors = check_gradients(model, X, y, "mse", eps=EPS)
    assert set(errors) == {"0.W", "0.b", "2.0.W", "2.0.b", "3.W", "3.b"}
    assert max(errors.values()) < 1e-7, errors

    def reference(params):
        W0, b0, W1, b1, W2, b2 = params
        h = anp.tanh(anp.dot(X, W0) + b0)
        h = h + REFERENCE_ACTIVATIONS["sigmoid"](anp.dot(h, W1) + b1)
        return anp.mean((anp.dot(h, W2) + b2 - y) ** 2)

    model.loss_and_grads(X, y, "mse")
    expected = grad(reference)([p.copy() for p in model.params])
    for ours, theirs in zip(model.grads, expected, strict=True):
        assert relative_error(ours, theirs) < 1e-10


def test_sigmoid_output_with_bce_equals_logits_with_bce_with_logits_but_not_mse():
    rng = np.random.default_rng(3)
    W, b = rng.standard_normal((3, 1)), rng.standard_normal(1)
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 2, (8, 1)).astype(float)
    probability_model = Sequential([Dense(3, 1, W=W, b=b), Activation("sigmoid")])
    logit_model = Sequential([Dense(3, 1, W=W, b=b)])
    value = probability_model.loss_and_grads(X, y, "bce")
    assert logit_model.loss_and_grads(X, y, "bce_with_logits") == pytest.approx(value, rel=1e-12)
    for ours, theirs in zip(probability_model.grads, logit_model.grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    # dW = X.T (sigmoid(XW + b) - y) / n: the y_hat - y identity, by hand
    s = 1 / (1 + np.exp(-(X @ W + b)))
    np.testing.assert_allclose(logit_model.grads[0], X.T @ (s - y) / 8, rtol=1e-12)
    probability_model.loss_and_grads(X, y, "mse")
    assert relative_error(probability_model.grads[0], X.T @ (s - y) / 8) > 0.3
    np.testing.assert_allclose(probability_model.grads[0], X.T @ (2 * (s - y) * s * (1 - s)) / 8)


def test_same_seed_gives_bit_identical_networks_and_different_seeds_differ():
    def weights(model):
        return [p.tobytes() for p in model.params]

    sizes = [4, 16, 8, 3]
    assert weights(MLP(sizes, seed=11)) == weights(MLP(sizes, seed=11))
    assert weights(MLP(sizes, rng=np.random.default_rng(11))) == weights(MLP(sizes, seed=11))
    first, second = MLP(sizes, seed=11), MLP(sizes, seed=12)
    for a, b in zip(first.params, second.params, strict=True):
        if a.ndim == 2:
            assert not np.array_equal(a, b)


def test_mlp_structure_and_default_initialisers():
    model = MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Activation"] * 2
    assert [layer.name for layer in model.layers[1::2]] == ["tanh", "sigmoid"]
    assert len(MLP([2, 4, 1], seed=0).layers) == 3  # identity output layer left out
    relu_model, tanh_model = MLP([400, 300, 2], seed=1), MLP([400, 300, 2], "tanh", seed=1)
    assert relu_model.layers[0].W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.03)  # He
    assert tanh_model.layers[0].W.std() == pytest.approx(np.sqrt(2 / 700), rel=0.03)  # Xavier


def test_parameter_bookkeeping():
    model = MLP([3, 5, 4, 2], seed=0)
    assert model.num_params == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    assert MLP([2, 4, 1], seed=0).num_params == 17
    names = [name for name, _ in model.named_params()]
    assert names == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    assert [p.shape for p in model.params] == [g.shape for g in model.grads]
    assert all(p is q for p, (_, q) in zip(model.params, model.named_params(), strict=True))
    X = np.ones((2, 3))
    before = model.forward(X)
    model.params[-1] += 1.0  # live references: an in-place update changes the output
    np.testing.assert_allclose(model(X), before + 1.0)


def test_loss_and_grads_resets_while_backward_accumulates():
    model = MLP([2, 3, 1], activation="tanh", seed=0)
    X, y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[1.0], [0.0]])
    model.loss_and_grads(X, y, "mse")
    once = [g.copy() for g in model.grads]
    model.loss_and_grads(X, y, "mse")
    for g, g_once in zip(model.grads, once, strict=True):
        np.testing.assert_array_equal(g, g_once)
    output = model.forward(X)
    model.backward(2 * (output - y) / 2)  # dMSE/doutput, by hand
    for g, g_once in zip(model.grads, once, strict=True):
        np.testing.assert_allclose(g, 2 * g_once, rtol=1e-14)
    model.zero_grad()
    assert all(not g.any() for g in model.grads)


def test_backward_returns_input_gradient():
    model = Sequential([Dense(2, 1, W=[[2.0], [-3.0]], b=[0.0])])
    model.forward([[1.0, 1.0]])
    np.testing.assert_array_equal(model.backward([[1.0]]), [[2.0, -3.0]])


def test_state_dict_round_trip_and_copy():
    model = MLP([2, 3, 1], seed=0)
    state = model.state_dict()
    original = [p.copy() for p in model.params]
    clone = model.copy()
    for p in model.params:
        p += 1.0
    for p, q in zip(clone.params, original, strict=True):
        np.testing.assert_array_equal(p, q)  # the copy did not move
    arrays = model.params
    model.load_state_dict(state)
    for p, q, r in zip(model.params, original, arrays, strict=True):
        np.testing.assert_array_equal(p, q)
        assert p is r  # restored in place
    state["0.W"][0, 0] = 123.0
    assert model.params[0][0, 0] != 123.0  # state_dict holds copies


def test_predict_classes_thresholds_and_argmax():
    model = Sequential([Dense(1, 1, W=[[1.0]], b=[0.0])])
    X = np.array([[-0.5], [0.2], [0.7]])
    np.testing.assert_array_equal(model.predict_classes(X), [0, 0, 1])  # probability: 0.5
    model.output_is_logit = True
    np.testing.assert_array_equal(model.predict_classes(X), [0, 1, 1])  # logit: 0
    assert MLP([1, 1], loss="bce_with_logits", seed=0).output_is_logit
    assert not MLP([1, 1], output_activation="sigmoid", loss="bce", seed=0).output_is_logit
    model.loss_and_grads(X, np.array([[0.0], [1.0], [1.0]]), "mse")
    assert not model.output_is_logit  # recorded from the loss used
    multi = Sequential([Dense(3, 3, W=np.eye(3), b=np.zeros(3))])
    np.testing.assert_array_equal(multi.predict_classes([[0.1, 0.9, 0.0], [5.0, 1.0, 2.0]]), [1, 0])


def test_predict_gives_probabilities_for_logit_losses():
    model = Sequential([Dense(1, 1, W=[[1.0]], b=[0.0])])
    X = np.array([[0.0], [np.log(3.0)]])
    np.testing.assert_allclose(model.predict(X, loss="bce_with_logits"), [[0.5], [0.75]])
    np.testing.assert_array_equal(model.predict(X), X)
    two = Sequential([Dense(2, 2, W=np.eye(2), b=np.zeros(2))])
    probabilities = two.predict([[0.0, np.log(3.0)]], "softmax_cross_entropy")
    np.testing.assert_allclose(probabilities, [[0.25, 0.75]])


def test_gradient_stats():
    model = residual_network(np.random.default_rng(0))
    entries = ([3.0, -4.0], [1.0, -1.0], [0.0, 2.0])
    for layer, values in zip(model.dense_layers(), entries, strict=True):
        layer.grads["W"][...] = 0.0
        layer.grads["W"].flat[: len(values)] = values
    stats = model.gradient_stats()
    assert [s["layer"] for s in stats] == [0, 1, 2]
    first = stats[0]
    assert first["norm"] == pytest.approx(5.0)
    assert first["max_abs"] == 4.0
    assert first["mean_abs"] == pytest.approx(7.0 / 12)  # 12 entries in the (3, 4) matrix
    assert stats[1]["mean_abs"] == pytest.approx(2.0 / 16)
    assert stats[2]["max_abs"] == 2.0


def test_repr_lists_layers():
    text = repr(MLP([2, 4, 1], seed=0))
    assert "Dense(2, 4)" in text and "Activation('relu')" in text and "Dense(4, 1)" in text
