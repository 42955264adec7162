"""Tests of backproplab.studies.cost: forward passes, bytes and digits of a gradient.

Byte counts are checked against formulas written from the layer sizes, the
finite-difference gradients against a closed-form gradient and against
gradcheck.numerical_gradient, and the float32 loss of accuracy against the
size of float32's machine epsilon.
"""

import numpy as np
import pytest

from backproplab.gradcheck import numerical_gradient
from backproplab.layers import Dense, Residual
from backproplab.losses import get_loss
from backproplab.network import MLP, Sequential
from backproplab.studies import cost


def _data(n_in=3, n_out=1, n=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.normal(size=(n, n_out))


@pytest.mark.parametrize("sizes", [[4, 3, 2], [5, 7, 6, 1], [2, 1]])
@pytest.mark.parametrize("batch", [1, 9])
def test_memory_footprint_matches_the_layer_sizes(sizes, batch):
    model = MLP(sizes, activation="tanh", seed=0)
    footprint = cost.memory_footprint(model, batch, seed=1)
    hidden = sizes[1:-1]
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    # each Dense caches its input; each hidden activation caches its pre-activation
    assert footprint.cache_bytes == 8 * batch * (sizes[0] + 2 * sum(hidden))
    assert footprint.parameter_bytes == footprint.gradient_bytes == 8 * n_params
    layer_io = [a + b for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    layer_io += [2 * h for h in hidden]
    assert footprint.peak_activation_bytes == 8 * batch * max(layer_io)
    assert footprint.training_bytes == 16 * n_params + footprint.cache_bytes
    assert footprint.inference_bytes == 8 * n_params + footprint.peak_activation_bytes


def test_an_output_activation_adds_its_cache():
    plain = cost.memory_footprint(MLP([3, 4, 2], seed=0), 5, seed=0)
    squashed = cost.memory_footprint(MLP([3, 4, 2], output_activation="sigmoid", seed=0), 5, seed=0)
    assert squashed.cache_bytes - plain.cache_bytes == 8 * 5 * 2


def test_cached_arrays_are_distinct_and_exclude_parameters():
    model = MLP([3, 4, 4, 2], seed=0)
    model.forward(np.ones((2, 3)))
    arrays = cost.cached_arrays(model)
    assert len({id(a) for a in arrays}) == len(arrays) == 5
    params = model.params
    assert not any(a is p for a in arrays for p in params)


def test_time_gradients_counts_two_passes_per_parameter():
    model = MLP([3, 4, 1], activation="tanh", seed=0)
    X, y = _data()
    timing = cost.time_gradients(model, X, y, repeats=3, fd_repeats=2)
    assert timing.n_params == 3 * 4 + 4 + 4 + 1
    assert timing.forward_passes == 2 * timing.n_params
    assert timing.backprop_seconds > 0 and timing.forward_seconds > 0
    assert timing.ratio == timing.finite_difference_seconds / timing.backprop_seconds
    expected = [g.copy() for g in model.grads]
    model.loss_and_grads(X, y, "half_mse")
    for got, want in zip(expected, model.grads, strict=True):
        np.testing.assert_array_equal(got, want)


def test_finite_differences_of_a_linear_model_match_the_closed_form():
    X, y = _data(n_in=3, n_out=2, n=5)
    layer = Dense(3, 2, seed=4, b=[0.3, -0.2])
    model = Sequential([layer])
    residual = X @ layer.W + layer.b - y
    # L = mean(residual**2) / 2 over all n * m entries
    dW = X.T @ residual / residual.size
    db = residual.sum(axis=0) / residual.size
    dW_fd, db_fd = cost.finite_difference_gradients(model, X, y, eps=1e-5)
    np.testing.assert_allclose(dW_fd, dW, rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(db_fd, db, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_float64_finite_differences_agree_with_numerical_gradient(activation):
    model = MLP([3, 4, 1], activation=activation, seed=2)
    X, y = _data()
    loss = get_loss("half_mse")
    before = [p.copy() for p in model.params]
    ours = cost.finite_difference_gradients(model, X, y, eps=1e-6)
    for p, got, old in zip(model.params, ours, before, strict=True):
        np.testing.assert_array_equal(p, old)  # the model is left alone
        reference = numerical_gradient(lambda: loss.value(model.forward(X), y), p, eps=1e-6)
        np.testing.assert_allclose(got, reference, rtol=1e-6, atol=1e-9)


def test_float64_check_is_tight_and_float32_is_not():
    model = MLP([3, 5, 1], activation="tanh", seed=1)
    X, y = _data()
    assert cost.gradient_check_error(model, X, y, eps=1e-6) < 1e-8
    # float32 keeps about 7 digits: a step of 1e-6 on weights of size ~1 is mostly rounding
    assert cost.gradient_check_error(model, X, y, eps=1e-6, dtype=np.float32) > 1e-3
    best32 = min(cost.gradient_check_error(model, X, y, eps=e, dtype="float32")
                 for e in (1e-2, 1e-3))
    assert best32 > 10 * np.finfo(np.float32).eps


def test_the_error_is_v_shaped_in_eps():
    model = MLP([2, 3, 1], activation="sigmoid", seed=0)
    X, y = _data(n_in=2)
    errors = {eps: cost.gradient_check_error(model, X, y, eps=eps)
              for eps in (1e-1, 1e-6, 1e-11)}
    assert errors[1e-1] > 1e3 * errors[1e-6]   # truncation, O(eps^2)
    assert errors[1e-11] > 1e2 * errors[1e-6]  # rounding, O(1/eps)


def test_bad_inputs_are_explained():
    X, y = _data()
    with pytest.raises(TypeError, match="model must be a Sequential"):
        cost.memory_footprint([Dense(3, 1)], 4)
    with pytest.raises(ValueError, match="only Dense and Activation"):
        cost.memory_footprint(Sequential([Residual([Dense(3, 3)]), Dense(3, 1)]), 4)
    with pytest.raises(ValueError, match="batch_size"):
        cost.memory_footprint(MLP([3, 1]), 0)
    with pytest.raises(ValueError, match="activation"):
        cost.finite_difference_gradients(MLP([3, 2, 1], activation="elu"), X, y)
    with pytest.raises(ValueError, match="dtype"):
        cost.finite_difference_gradients(MLP([3, 1]), X, y, dtype=np.int64)
    with pytest.raises(ValueError, match="eps"):
        cost.finite_difference_gradients(MLP([3, 1]), X, y, eps=0.0)
    with pytest.raises(ValueError, match="repeats"):
        cost.time_gradients(MLP([3, 1]), X, y, repeats=0)
    with pytest.raises(ValueError, match="fd_repeats"):
        cost.time_gradients(MLP([3, 1]), X, y, fd_repeats=0)
    with pytest.raises(ValueError, match="X must be a 2-D"):
        cost.time_gradients(MLP([3, 1]), X[0], y)
