"""Layers and initialisers: shapes, accumulation, gradients against central differences and
autograd, and the statistics of the initial weights."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backproplab.gradcheck import numerical_gradient, relative_error
from backproplab.init import (
    INITIALIZERS,
    get_initializer,
    he,
    lecun,
    normal,
    xavier,
    xavier_uniform,
    zeros,
)
from backproplab.layers import Activation, Dense, Residual, dense_backward, dense_forward
from test_activations import REFERENCE_ACTIVATIONS, sample_away_from_zero

EPS = 1e-5  # near the cube root of machine epsilon: the most accurate central differences
seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 5)


def upstream_loss(layer, X, R):
    """Scalar L = sum(R * layer(X)), so that dL/dY = R."""
    return float(np.sum(R * layer.forward(X)))


def assert_backward_matches_central_differences(layer, X, R):
    """Backward with dY = R against central differences of sum(R * layer(X)), for X and params.

    Cases whose non-zero gradients are below 1e-3 |L| (a saturated tanh, say) are skipped:
    rounding noise of about 1e-11 |L| in the difference quotient would swamp them.
    """
    layer.zero_grad()
    value = upstream_loss(layer, X, R)
    dX = layer.backward(R)
    arrays = {"X": (X, dX), **{key: (layer.params[key], layer.grads[key]) for key in layer.params}}
    norms = [np.linalg.norm(analytic) for _, analytic in arrays.values()]
    assume(all(norm == 0 or norm >= 1e-3 * max(abs(value), 1.0) for norm in norms))
    for name, (array, analytic) in arrays.items():
        numeric = numerical_gradient(lambda: upstream_loss(layer, X, R), array, eps=EPS)
        error = relative_error(analytic, numeric)
        assert error < 1e-7, f"{name}: relative error {error:.2e}"


def test_dense_shapes():
    layer = Dense(3, 4, seed=0)
    X = np.ones((5, 3))
    Z = layer.forward(X)
    assert layer.W.shape == (3, 4) and layer.b.shape == (4,)
    assert Z.shape == (5, 4)
    assert layer.backward(np.ones((5, 4))).shape == (5, 3)
    assert layer.grads["W"].shape == (3, 4) and layer.grads["b"].shape == (4,)
    assert set(layer.params) == set(layer.grads) == {"W", "b"}
    assert layer.params["W"] is layer.W and layer.params["b"] is layer.b


def test_dense_forward_and_backward_by_hand():
    layer = Dense(2, 2, W=[[1.0, 2.0], [3.0, 4.0]], b=[0.5, -0.5])
    X = np.array([[1.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(layer.forward(X), [[4.5, 5.5], [2.5, 3.5]])
    dY = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(layer.backward(dY), [[1.0, 3.0], [2.0, 4.0]])  # dY @ W.T
    np.testing.assert_array_equal(layer.grads["W"], [[1.0, 2.0], [1.0, 0.0]])  # X.T @ dY
    np.testing.assert_array_equal(layer.grads["b"], [1.0, 1.0])  # dY summed over samples


def test_gradients_accumulate_until_zero_grad():
    layer = Dense(2, 2, W=[[1.0, 2.0], [3.0, 4.0]], b=[0.0, 0.0])
    W, grad_W = layer.W, layer.grads["W"]
    X, dY = np.array([[1.0, 1.0], [2.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    for _ in range(3):
        layer.forward(X)
        layer.backward(dY)
    np.testing.assert_array_equal(layer.grads["W"], 3 * np.array([[1.0, 2.0], [1.0, 0.0]]))
    np.testing.assert_array_equal(layer.grads["b"], [3.0, 3.0])
    layer.zero_grad()
    np.testing.assert_array_equal(layer.grads["W"], np.zeros((2, 2)))
    np.testing.assert_array_equal(layer.grads["b"], np.zeros(2))
    assert layer.W is W and layer.grads["W"] is grad_W  # same arrays, updated in place


def test_assigning_weights_copies_in_place():
    source = np.array([[1.0], [2.0]])
    layer = Dense(2, 1, W=source)
    source[0, 0] = 99.0
    assert layer.W[0, 0] == 1.0
    W = layer.W
    layer.W = [[5.0], [6.0]]
    layer.b = [7.0]
    assert layer.W is W
    np.testing.assert_array_equal(layer.forward([[1.0, 1.0]]), [[18.0]])


def test_functional_pair_by_hand():
    X, W, b = np.array([[1.0, -1.0]]), np.array([[2.0], [3.0]]), np.array([1.0])
    Z, cache = dense_forward(X, W, b)
    np.testing.assert_array_equal(Z, [[0.0]])  # 2 - 3 + 1
    dX, dW, db = dense_backward(np.array([[2.0]]), cache)
    np.testing.assert_array_equal(dX, [[4.0, 6.0]])
    np.testing.assert_array_equal(dW, [[2.0], [-2.0]])
    np.testing.assert_array_equal(db, [2.0])


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=sizes, n_in=sizes, n_out=sizes)
def test_dense_gradients_match_central_differences(seed, n, n_in, n_out):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, rng=rng, b=rng.standard_normal(n_out))
    X, R = rng.standard_normal((n, n_in)), rng.standard_normal((n, n_out))
    assert_backward_matches_central_differences(layer, X, R)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=sizes, n_in=sizes, n_out=sizes)
def test_dense_gradients_match_autograd(seed, n, n_in, n_out):
    rng = np.random.default_rng(seed)
    X, W, b, R = (rng.standard_normal(s) for s in ((n, n_in), (n_in, n_out), (n_out,), (n, n_out)))
    layer = Dense(n_in, n_out, W=W, b=b)
    layer.forward(X)
    dX = layer.backward(R)

    def reference(X, W, b):
        return anp.sum(R * (anp.dot(X, W) + b))

    for argnum, ours in enumerate((dX, layer.grads["W"], layer.grads["b"])):
        assert relative_error(ours, grad(reference, argnum)(X, W, b)) < 1e-10


@pytest.mark.parametrize("name", sorted(REFERENCE_ACTIVATIONS))
@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=sizes, d=sizes)
def test_activation_layer_gradients(name, seed, n, d):
    layer = Activation(name)
    X = sample_away_from_zero(seed, (n, d))
    R = np.random.default_rng(seed + 1).standard_normal((n, d))
    assert_backward_matches_central_differences(layer, X, R)
    layer.forward(X)
    expected = grad(lambda x: anp.sum(R * REFERENCE_ACTIVATIONS[name](x)))(X)
    assert relative_error(layer.backward(R), expected) < 1e-10
    assert layer.params == {} and layer.grads == {}


def residual_block(d, rng):
    """Residual block X + Dense(tanh(Dense(X))) with random weights and biases."""
    inner = [Dense(d, d, rng=rng, b=rng.standard_normal(d)), Activation("tanh")]
    return Residual([*inner, Dense(d, d, rng=rng, b=rng.standard_normal(d))])


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=sizes, d=sizes)
def test_residual_gradients_match_central_differences_and_autograd(seed, n, d):
    rng = np.random.default_rng(seed)
    block = residual_block(d, rng)
    X, R = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    assert set(block.params) == {"0.W", "0.b", "2.W", "2.b"}
    assert_backward_matches_central_differences(block, X, R)

    def reference(X, W0, b0, W2, b2):
        return anp.sum(R * (X + anp.dot(anp.tanh(anp.dot(X, W0) + b0), W2) + b2))

    block.zero_grad()
    block.forward(X)
    ours = [block.backward(R)] + [block.grads[key] for key in ("0.W", "0.b", "2.W", "2.b")]
    arrays = [X] + [block.params[key] for key in ("0.W", "0.b", "2.W", "2.b")]
    for argnum, gradient in enumerate(ours):
        assert relative_error(gradient, grad(reference, argnum)(*arrays)) < 1e-10


def test_residual_adds_its_input():
    block = Residual([Dense(2, 2, W=np.zeros((2, 2)), b=[1.0, 2.0])])
    np.testing.assert_array_equal(block.forward([[3.0, 4.0]]), [[4.0, 6.0]])
    np.testing.assert_array_equal(block.backward([[1.0, 1.0]]), [[1.0, 1.0]])  # W = 0: skip only


@pytest.mark.parametrize(
    "layer", [Dense(2, 2, seed=0), Activation("relu"), residual_block(2, np.random.default_rng(0))]
)
def test_backward_before_forward_is_an_error(layer):
    with pytest.raises(RuntimeError, match="call forward before backward"):
        layer.backward(np.ones((1, 2)))


@pytest.mark.parametrize(
    ("init", "n_in", "n_out", "expected_std"),
    [
        (xavier, 400, 600, np.sqrt(2 / (400 + 600))),
        (xavier_uniform, 400, 600, np.sqrt(2 / (400 + 600))),  # uniform on +-sqrt(6/(in+out))
        (he, 500, 300, np.sqrt(2 / 500)),
        (lecun, 500, 300, np.sqrt(1 / 500)),
        (normal, 300, 300, 0.01),
    ],
)
def test_initialiser_standard_deviation(init, n_in, n_out, expected_std):
    W = init(n_in, n_out, seed=7)
    assert W.shape == (n_in, n_out) and W.dtype == np.float64
    assert W.std() == pytest.approx(expected_std, rel=0.03)
    assert abs(W.mean()) < 5 * expected_std / np.sqrt(W.size)  # five standard errors


def test_xavier_uniform_bound_and_zeros():
    W = xavier_uniform(30, 70, seed=1)
    assert np.abs(W).max() <= np.sqrt(6 / 100)
    assert np.abs(W).max() > 0.95 * np.sqrt(6 / 100)
    np.testing.assert_array_equal(zeros(3, 2), np.zeros((3, 2)))


def test_initialisers_are_reproducible_and_registered():
    assert set(INITIALIZERS) == {"zeros", "normal", "xavier", "xavier_uniform", "he", "lecun"}
    np.testing.assert_array_equal(he(4, 3, seed=5), he(4, 3, seed=5))
    assert not np.array_equal(he(4, 3, seed=5), he(4, 3, seed=6))
    from_registry = get_initializer("he")(4, 3, np.random.default_rng(5))
    np.testing.assert_array_equal(from_registry, he(4, 3, seed=5))


def test_dense_default_init_is_xavier():
    layer = Dense(400, 600, seed=3)
    assert layer.W.std() == pytest.approx(np.sqrt(2 / 1000), rel=0.03)
    np.testing.assert_array_equal(layer.b, np.zeros(600))
    assert Dense(400, 600, init="he", seed=3).W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.03)
