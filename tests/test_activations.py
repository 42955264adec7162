"""Activations: derivatives against central differences and autograd, and hand-derived facts."""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import elementwise_grad
from hypothesis import given, settings
from hypothesis import strategies as st

from backproplab.activations import (
    ACTIVATIONS,
    elu,
    elu_grad,
    get_activation,
    identity,
    identity_grad,
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    tanh,
    tanh_grad,
)
from backproplab.gradcheck import check_function_gradient, relative_error

# Forward passes written directly in autograd.numpy, independent of backproplab.
REFERENCE_ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
    "tanh": anp.tanh,
    "relu": lambda z: anp.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
    "elu": lambda z: anp.where(z > 0, z, anp.exp(z) - 1.0),
    "identity": lambda z: 1.0 * z,
}
NAMES = sorted(ACTIVATIONS)
# Central differences are most accurate in float64 for eps near the cube root of machine epsilon.
EPS = 1e-5

shapes = st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple)
seeds = st.integers(0, 2**32 - 1)


def sample_away_from_zero(seed, shape, low=1e-3, high=3.0):
    """Random z with |z| in [low, high]: no sample within 1e-3 of a ReLU-family kink.

    The default ``high`` keeps tanh'(z) >= 0.01, well above the ~1e-11 rounding noise of a
    central difference with eps = 1e-5.
    """
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=30, deadline=None)
@given(shape=shapes, seed=seeds)
def test_derivative_matches_central_differences(name, shape, seed):
    fn, grad_fn = get_activation(name)
    z = sample_away_from_zero(seed, shape)
    assert check_function_gradient(fn, grad_fn, z, eps=EPS) < 1e-7


@pytest.mark.parametrize(
    ("fn", "grad_fn"), [(leaky_relu, leaky_relu_grad), (elu, elu_grad)], ids=["leaky", "elu"]
)
@settings(max_examples=30, deadline=None)
@given(seed=seeds, alpha=st.floats(0.0, 3.0))
def test_derivative_with_alpha_matches_central_differences(fn, grad_fn, seed, alpha):
    z = sample_away_from_zero(seed, (4, 3))
    error = check_function_gradient(lambda x: fn(x, alpha), lambda x: grad_fn(x, alpha), z, EPS)
    assert error < 1e-7


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=30, deadline=None)
@given(shape=shapes, seed=seeds)
def test_value_and_derivative_match_autograd(name, shape, seed):
    fn, grad_fn = get_activation(name)
    reference = REFERENCE_ACTIVATIONS[name]
    z = sample_away_from_zero(seed, shape, high=20.0)
    assert relative_error(fn(z), reference(z)) < 1e-10
    assert relative_error(grad_fn(z), elementwise_grad(reference)(z)) < 1e-10


@pytest.mark.parametrize("name", NAMES)
def test_output_shape_matches_input_shape(name):
    fn, grad_fn = get_activation(name)
    for z in (0.3, np.ones(4), np.ones((2, 3)), np.ones((2, 1, 3))):
        assert fn(z).shape == np.shape(z)
        assert grad_fn(z).shape == np.shape(z)
        assert fn(z).dtype == np.float64


def test_sigmoid_at_zero_and_the_quarter_bound():
    assert sigmoid(0.0) == 0.5
    assert sigmoid_grad(0.0) == 0.25
    z = np.linspace(-10, 10, 20001)
    grads = sigmoid_grad(z)
    assert grads.max() == 0.25
    assert z[np.argmax(grads)] == 0.0
    assert np.all(grads <= 0.25)


def test_sigmoid_is_stable_and_exact_at_extremes():
    z = np.array([-1e4, -1000.0, 1000.0, 1e4])
    # Underflow of exp(-1000) to 0 is harmless and expected; overflow or NaN is not.
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        values, grads = sigmoid(z), sigmoid_grad(z)
    np.testing.assert_array_equal(values, [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(grads, [0.0, 0.0, 0.0, 0.0])


def test_sigmoid_keeps_relative_accuracy_in_the_far_tail():
    # sigmoid(-t) = exp(-t) / (1 + exp(-t)); a naive 1 / (1 + exp(t)) overflows for t > 709.
    for t in (30.0, 200.0, 700.0):
        expected = np.exp(-t) / (1.0 + np.exp(-t))
        np.testing.assert_allclose(sigmoid(-t), expected, rtol=1e-13)


def test_sigmoid_symmetry_and_link_to_tanh():
    z = np.linspace(-8, 8, 33)
    np.testing.assert_allclose(sigmoid(-z), 1.0 - sigmoid(z), atol=1e-15)
    np.testing.assert_allclose(tanh(z), 2.0 * sigmoid(2.0 * z) - 1.0, atol=1e-15)
    np.testing.assert_allclose(sigmoid(np.log(3.0)), 0.75, rtol=1e-15)


def test_tanh_derivative_facts():
    assert tanh_grad(0.0) == 1.0
    # tanh'(z) = 4 sigmoid'(2z) follows from tanh(z) = 2 sigmoid(2z) - 1.
    z = np.linspace(-5, 5, 21)
    np.testing.assert_allclose(tanh_grad(z), 4.0 * sigmoid_grad(2.0 * z), rtol=0, atol=1e-15)


def test_relu_family_values_and_kink_convention():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu_grad(z), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(leaky_relu(z, alpha=0.1), [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(leaky_relu_grad(z, alpha=0.1), [0.1, 0.1, 1.0])
    np.testing.assert_allclose(leaky_relu(-100.0), -1.0)


def test_elu_values():
    np.testing.assert_allclose(elu(np.array([-np.log(2.0), 2.0])), [-0.5, 2.0], rtol=1e-15)
    np.testing.assert_allclose(elu(-50.0, alpha=2.0), -2.0, rtol=1e-15)
    np.testing.assert_allclose(elu_grad(-np.log(2.0), alpha=2.0), 1.0, rtol=1e-15)
    # continuous with slope 1 at 0 when alpha = 1
    assert elu(-1e-12) == pytest.approx(-1e-12, rel=1e-6)
    assert elu_grad(-1e-12) == pytest.approx(1.0)


def test_identity():
    z = np.array([[-1.5, 2.0]])
    np.testing.assert_array_equal(identity(z), z)
    np.testing.assert_array_equal(identity_grad(z), [[1.0, 1.0]])


def test_registry_names_and_lookup():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "identity"}
    assert get_activation("tanh") == (tanh, tanh_grad)
    with pytest.raises(ValueError, match="unknown activation 'swish'; expected one of: elu"):
        get_activation("swish")


def test_wrong_derivative_is_detected():
    z = sample_away_from_zero(0, (5,))
    assert check_function_gradient(sigmoid, tanh_grad, z, eps=EPS) > 0.1
