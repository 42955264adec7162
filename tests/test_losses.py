"""Losses: gradients against central differences and autograd, the y_hat - y identities,
stable forms, and hand-computed values."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from backproplab.activations import sigmoid, sigmoid_grad
from backproplab.gradcheck import check_function_gradient, numerical_gradient, relative_error
from backproplab.losses import (
    LOSSES,
    Loss,
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    get_loss,
    half_mse,
    half_mse_grad,
    log_softmax,
    mae,
    mae_grad,
    mse,
    mse_grad,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)

EPS = 1e-5  # near the cube root of machine epsilon: the most accurate central differences


def reference_sigmoid(z):
    return 1.0 / (1.0 + anp.exp(-z))


def reference_log_softmax(z):
    return z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))


# Losses written directly in autograd.numpy (naive textbook forms), keyed by backproplab name.
REFERENCE_LOSSES = {
    "mse": lambda p, y: anp.mean((p - y) ** 2),
    "half_mse": lambda p, y: 0.5 * anp.mean((p - y) ** 2),
    "mae": lambda p, y: anp.mean(anp.abs(p - y)),
    "bce": lambda p, y: -anp.mean(y * anp.log(p) + (1 - y) * anp.log(1 - p)),
    "bce_with_logits": lambda z, y: (
        -anp.mean(y * anp.log(reference_sigmoid(z)) + (1 - y) * anp.log(1 - reference_sigmoid(z)))
    ),
    "softmax_cross_entropy": lambda z, y: -anp.sum(y * reference_log_softmax(z)) / z.shape[0],
}


def one_hot(labels, k):
    return np.eye(k)[labels]


def sample_case(name, seed, n, k):
    """(prediction, target, target for the reference) for loss ``name`` from ``seed``."""
    rng = np.random.default_rng(seed)
    if name in ("bce", "bce_with_logits"):
        target = rng.uniform(0, 1, (n, k))
        if name == "bce":
            return rng.uniform(0.02, 0.98, (n, k)), target, target
        return 3.0 * rng.standard_normal((n, k)), target, target
    if name == "softmax_cross_entropy":
        k = max(k, 2)  # one class would make the loss identically zero
        labels = rng.integers(0, k, n)
        return 2.0 * rng.standard_normal((n, k)), labels, one_hot(labels, k)
    prediction, target = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    if name == "mae":  # keep every residual 1e-3 away from the kink of |r|
        gap = prediction - target
        prediction = np.where(np.abs(gap) < 1e-3, target + np.copysign(1e-3, gap), prediction)
    return prediction, target, target


cases = {
    "name": st.sampled_from(sorted(LOSSES)),
    "seed": st.integers(0, 2**32 - 1),
    "n": st.integers(1, 6),
    "k": st.integers(1, 4),
}


@settings(max_examples=40, deadline=None)
@given(**cases)
def test_gradient_matches_central_differences(name, seed, n, k):
    loss = get_loss(name)
    prediction, target, _ = sample_case(name, seed, n, k)
    error = check_function_gradient(
        lambda p: loss.value(p, target), lambda p: loss.grad(p, target), prediction, eps=EPS
    )
    assert error < 1e-7


@settings(max_examples=40, deadline=None)
@given(**cases)
def test_value_and_gradient_match_autograd(name, seed, n, k):
    loss = get_loss(name)
    prediction, target, reference_target = sample_case(name, seed, n, k)
    reference = REFERENCE_LOSSES[name]
    expected_value = reference(prediction, reference_target)
    assert relative_error(loss.value(prediction, target), expected_value) < 1e-10
    expected = grad(reference)(prediction, reference_target)
    assert relative_error(loss.grad(prediction, target), expected) < 1e-10


def test_mse_family_by_hand():
    y_pred, y_true = np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))
    assert mse(y_pred, y_true) == 7.5  # (1 + 4 + 9 + 16) / 4
    np.testing.assert_array_equal(mse_grad(y_pred, y_true), [[0.5, 1.0], [1.5, 2.0]])  # 2 r / 4
    assert half_mse(y_pred, y_true) == 3.75
    np.testing.assert_array_equal(half_mse_grad(y_pred, y_true), [[0.25, 0.5], [0.75, 1.0]])
    assert mae(y_pred, -y_pred) == 5.0  # mean of 2, 4, 6, 8
    gradient = mae_grad([[1.0, -2.0, 3.0]], [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(gradient, [[1 / 3, -1 / 3, 0.0]])  # sign / N, 0 where equal


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(1, 1), (5, 1), (4, 3), (7,)]))
def test_mse_gradient_is_two_residuals_over_element_count(seed, shape):
    rng = np.random.default_rng(seed)
    y_pred, y_true = rng.standard_normal(shape), rng.standard_normal(shape)
    np.testing.assert_allclose(mse_grad(y_pred, y_true), 2 * (y_pred - y_true) / y_pred.size)


def test_label_vector_is_accepted_for_a_single_output_column():
    y_pred, labels = np.array([[0.2], [0.9], [0.4]]), np.array([0.0, 1.0, 1.0])
    expected = (0.2**2 + 0.1**2 + 0.6**2) / 3  # not the (3, 3) broadcast mean
    assert mse(y_pred, labels) == pytest.approx(expected, rel=1e-14)
    assert mse_grad(y_pred, labels).shape == (3, 1)


def test_bce_by_hand_and_clipping():
    assert binary_cross_entropy([[0.5]], [[1.0]]) == pytest.approx(np.log(2.0), rel=1e-15)
    value = binary_cross_entropy([[0.9], [0.2]], [[1.0], [0.0]])
    assert value == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2, rel=1e-14)
    # a certain, wrong answer is clipped to p = 1e-12: large but finite
    assert binary_cross_entropy([[0.0]], [[1.0]]) == pytest.approx(-np.log(1e-12), rel=1e-9)
    assert np.isfinite(binary_cross_entropy_grad([[0.0], [1.0]], [[1.0], [0.0]])).all()


def test_bce_with_logits_equals_bce_of_sigmoid_for_moderate_logits():
    rng = np.random.default_rng(0)
    z, y = rng.uniform(-6, 6, (20, 1)), rng.integers(0, 2, (20, 1)).astype(float)
    expected = binary_cross_entropy(sigmoid(z), y)
    assert binary_cross_entropy_with_logits(z, y) == pytest.approx(expected, rel=1e-12)


def test_bce_with_logits_is_exact_for_huge_logits():
    # -log sigmoid(z) = log1p(exp(-z)) and -log(1 - sigmoid(z)) = z + log1p(exp(-z)) for z > 0
    z = np.array([[800.0], [-800.0], [800.0], [-800.0], [30.0], [30.0]])
    y = np.array([[1.0], [0.0], [0.0], [1.0], [1.0], [0.0]])
    per_sample = [0.0, 0.0, 800.0, 800.0, np.log1p(np.exp(-30.0)), 30.0 + np.log1p(np.exp(-30.0))]
    for zi, yi, expected in zip(z, y, per_sample, strict=True):
        value = binary_cross_entropy_with_logits(zi[None], yi[None])
        assert value == pytest.approx(expected, rel=1e-14, abs=1e-300)
    assert np.log1p(np.exp(-30.0)) == pytest.approx(9.357622968839e-14, rel=1e-12)
    grads = binary_cross_entropy_with_logits_grad(z, y)
    np.testing.assert_allclose(grads[:4, 0], [0.0, 0.0, 1 / 6, -1 / 6], atol=1e-300)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 8))
def test_sigmoid_then_bce_has_gradient_y_hat_minus_y(seed, n):
    rng = np.random.default_rng(seed)
    z, y = rng.uniform(-5, 5, (n, 1)), rng.integers(0, 2, (n, 1)).astype(float)
    chain = binary_cross_entropy_grad(sigmoid(z), y) * sigmoid_grad(z)
    np.testing.assert_allclose(chain, (sigmoid(z) - y) / n, rtol=1e-9)
    np.testing.assert_allclose(binary_cross_entropy_with_logits_grad(z, y), (sigmoid(z) - y) / n)
    numeric = numerical_gradient(lambda: binary_cross_entropy(sigmoid(z), y), z, eps=EPS)
    assert relative_error(numeric, (sigmoid(z) - y) / n) < 1e-7


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), k=st.integers(2, 5))
def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot(seed, n, k):
    rng = np.random.default_rng(seed)
    logits, labels = 2.0 * rng.standard_normal((n, k)), rng.integers(0, k, n)
    expected = (softmax(logits) - one_hot(labels, k)) / n
    np.testing.assert_allclose(softmax_cross_entropy_grad(logits, labels), expected, atol=1e-15)
    numeric = numerical_gradient(lambda: softmax_cross_entropy(logits, labels), logits, eps=EPS)
    assert relative_error(numeric, expected) < 1e-7


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 8))
def test_sigmoid_then_mse_does_not_have_gradient_y_hat_minus_y(seed, n):
    rng = np.random.default_rng(seed)
    z, y = rng.uniform(-5, 5, (n, 1)), rng.integers(0, 2, (n, 1)).astype(float)
    s = 1.0 / (1.0 + np.exp(-z))
    chain = mse_grad(sigmoid(z), y) * sigmoid_grad(z)
    with_derivative = 2 * (s - y) * s * (1 - s) / n  # the sigma'(z) factor stays
    np.testing.assert_allclose(chain, with_derivative, rtol=1e-9, atol=1e-300)
    numeric = numerical_gradient(lambda: mse(sigmoid(z), y), z, eps=EPS)
    assert relative_error(numeric, with_derivative) < 1e-7
    # 2 sigma'(z) <= 1/2, so the true gradient is at most half of (s - y)/n or 2(s - y)/n
    assert relative_error(chain, (s - y) / n) > 0.3
    assert relative_error(chain, 2 * (s - y) / n) > 0.3


def test_softmax_rows_sum_to_one_and_ignore_constant_shifts():
    rng = np.random.default_rng(1)
    z = 4.0 * rng.standard_normal((6, 5))
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(softmax(z + 7.5), softmax(z), rtol=1e-13)
    np.testing.assert_allclose(softmax(z + 1000.0), softmax(z), rtol=1e-13)
    np.testing.assert_allclose(softmax([[0.0, np.log(2.0)]]), [[1 / 3, 2 / 3]], rtol=1e-15)


def test_log_softmax_is_stable():
    np.testing.assert_allclose(log_softmax([[1000.0, 0.0]]), [[0.0, -1000.0]], atol=1e-12)
    z = np.array([[0.5, -1.0, 2.0]])
    np.testing.assert_allclose(log_softmax(z), np.log(np.exp(z) / np.exp(z).sum()), rtol=1e-14)


def test_softmax_cross_entropy_by_hand():
    assert softmax_cross_entropy(np.zeros((3, 4)), [0, 1, 3]) == pytest.approx(np.log(4.0))
    logits, labels = np.array([[2.0, 0.0], [0.0, 0.0]]), np.array([0, 1])
    expected = (np.log(1 + np.exp(-2.0)) + np.log(2.0)) / 2
    assert softmax_cross_entropy(logits, labels) == pytest.approx(expected, rel=1e-14)
    assert softmax_cross_entropy(logits, one_hot(labels, 2)) == pytest.approx(expected, rel=1e-14)
    soft = np.array([[0.25, 0.75], [0.5, 0.5]])
    soft_expected = -(0.25 * np.log(1 / (1 + np.exp(-2.0))) + 0.75 * np.log(1 / (1 + np.exp(2.0))))
    soft_expected = (soft_expected + np.log(2.0)) / 2
    assert softmax_cross_entropy(logits, soft) == pytest.approx(soft_expected, rel=1e-13)


def test_loss_objects():
    assert set(LOSSES) == {
        "mse",
        "half_mse",
        "mae",
        "bce",
        "bce_with_logits",
        "softmax_cross_entropy",
    }
    assert [name for name, loss in LOSSES.items() if loss.from_logits] == [
        "bce_with_logits",
        "softmax_cross_entropy",
    ]
    assert get_loss("mse").value([[3.0]], [[1.0]]) == 4.0
    probabilities = get_loss("bce_with_logits").predict_proba([[0.0, np.log(3.0)]])
    np.testing.assert_allclose(probabilities, [[0.5, 0.75]])
    probabilities = get_loss("softmax_cross_entropy").predict_proba([[0.0, np.log(3.0)]])
    np.testing.assert_allclose(probabilities, [[0.25, 0.75]])
    np.testing.assert_array_equal(get_loss("mse").predict_proba([[2.5]]), [[2.5]])
    custom = Loss("custom", mse, mse_grad)
    assert get_loss(custom) is custom
