"""Gradient checking: central differences, relative error, and that a wrong gradient is caught."""

import numpy as np
import pytest

from backproplab.activations import sigmoid, sigmoid_grad, tanh_grad
from backproplab.gradcheck import (
    check_function_gradient,
    check_gradients,
    numerical_gradient,
    relative_error,
)
from backproplab.layers import Dense
from backproplab.network import MLP, Sequential


def test_central_difference_of_a_quadratic_is_exact_up_to_rounding():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    numeric = numerical_gradient(lambda: float(np.sum(x**2)), x)
    np.testing.assert_allclose(numeric, 2 * x, rtol=1e-8)


def test_central_difference_truncation_error_is_eps_squared_for_a_cubic():
    # ((x + h)^3 - (x - h)^3) / (2h) = 3x^2 + h^2 exactly
    x, h = np.array([0.5, 1.0, 2.0]), 1e-3
    numeric = numerical_gradient(lambda: float(np.sum(x**3)), x, eps=h)
    np.testing.assert_allclose(numeric - 3 * x**2, h**2, rtol=1e-3)


def test_perturbation_is_in_place_and_restored_exactly():
    x = np.array([0.1, 0.2, 0.3])
    before = x.copy()
    seen = []
    numerical_gradient(lambda: seen.append(x.copy()) or 0.0, x)
    assert any(not np.array_equal(s, before) for s in seen)  # f saw the perturbed array
    np.testing.assert_array_equal(x, before)


def test_array_is_restored_when_f_raises():
    x = np.array([1.0, 2.0])
    before = x.copy()

    def explode():
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        numerical_gradient(explode, x)
    np.testing.assert_array_equal(x, before)


def test_works_on_a_strided_view():
    base = np.arange(12.0).reshape(3, 4)
    view = base[:, ::2]
    numeric = numerical_gradient(lambda: float(np.sum(np.sin(view))), view)
    np.testing.assert_allclose(numeric, np.cos(view), rtol=1e-8)
    np.testing.assert_array_equal(base, np.arange(12.0).reshape(3, 4))


def test_relative_error_by_hand():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, -a) == 1.0  # |2a| / (|a| + |a|)
    assert relative_error(a, np.zeros(2)) == 1.0
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2)
    assert relative_error(1.0, 1.0 + 2e-9) == pytest.approx(1e-9, rel=1e-6)
    assert np.isnan(relative_error([np.nan], [1.0]))


def test_check_function_gradient_accepts_right_and_rejects_wrong_derivatives():
    z = np.linspace(-3, 3, 7)
    assert check_function_gradient(sigmoid, sigmoid_grad, z) < 1e-8
    assert check_function_gradient(sigmoid, tanh_grad, z) > 0.1
    np.testing.assert_array_equal(z, np.linspace(-3, 3, 7))  # the caller's array is untouched


def test_check_gradients_names_every_parameter():
    model = MLP([3, 4, 2], activation="tanh", seed=0)
    rng = np.random.default_rng(0)
    errors = check_gradients(
        model, rng.standard_normal((5, 3)), rng.integers(0, 2, 5), "softmax_cross_entropy"
    )
    assert list(errors) == ["0.W", "0.b", "2.W", "2.b"]
    assert max(errors.values()) < 1e-7


class DenseWithBiasBug(Dense):
    """A Dense layer whose backward forgets the bias gradient's sum over samples."""

    def backward(self, dY):
        dX = super().backward(dY)
        self.grads["b"] -= np.asarray(dY)[1:].sum(axis=0)
        return dX


class DenseWithTransposeBug(Dense):
    """A square Dense layer whose backward stores dW transposed."""

    def backward(self, dY):
        dX = super().backward(dY)
        self.grads["W"][...] = self.grads["W"].T.copy()
        return dX


@pytest.mark.parametrize(
    ("layer_class", "broken"), [(DenseWithBiasBug, "1.b"), (DenseWithTransposeBug, "1.W")]
)
def test_check_gradients_catches_a_broken_backward(layer_class, broken):
    rng = np.random.default_rng(1)
    model = Sequential([Dense(3, 3, rng=rng), layer_class(3, 3, rng=rng)])
    X, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    errors = check_gradients(model, X, y, "mse")
    assert errors[broken] > 1e-2
    assert errors["0.W"] < 1e-7  # the layer before still gets a correct input gradient
