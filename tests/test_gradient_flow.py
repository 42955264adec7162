"""Tests of backproplab.studies.gradient_flow: per-layer gradient sizes of deep networks."""

import numpy as np
import pytest

from backproplab.data import make_moons, xor
from backproplab.gradcheck import numerical_gradient
from backproplab.layers import Residual
from backproplab.losses import mse
from backproplab.network import MLP
from backproplab.studies.gradient_flow import (
    DepthSweep,
    censored_median,
    clipping_study,
    deep_network,
    depth_sweep,
    fixed_batch,
    gradient_sizes,
    layer_sizes,
    plateau_study,
)
from backproplab.training import train


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("residual", [False, True])
def test_batched_sizes_match_the_library_network(activation, residual):
    X, y = fixed_batch(16, 6, 1, seed=3)
    sizes = gradient_sizes(5, activation, "xavier", [0, 4], X, y, width=6, weight_scale=1.5,
                           residual=residual)
    for row, seed in zip(sizes, [0, 4], strict=True):
        model = deep_network(5, 6, 6, activation, "xavier", residual=residual,
                             weight_scale=1.5, seed=seed)
        model.loss_and_grads(X, y, "mse")
        expected = [stats["mean_abs"] for stats in model.gradient_stats()]
        np.testing.assert_allclose(row, expected, rtol=1e-12)


@pytest.mark.parametrize("residual", [False, True])
def test_sizes_agree_with_central_differences(residual):
    X, y = fixed_batch(8, 3, 1, seed=0)
    model = deep_network(4, 3, 3, "tanh", "xavier", residual=residual, seed=2)
    sizes = gradient_sizes(4, "tanh", "xavier", [2], X, y, width=3, residual=residual)[0]
    for i, layer in enumerate(model.dense_layers()):
        numeric = numerical_gradient(lambda: mse(model.forward(X), y), layer.W)
        assert sizes[i] == pytest.approx(np.abs(numeric).mean(), rel=1e-6)


def test_two_layer_linear_network_in_closed_form():
    # Z = X W1 W2, L = mean((Z - y)^2): dL/dW2 = (X W1)^T e, dL/dW1 = X^T e W2^T, e = 2 (Z - y) / n
    X, y = fixed_batch(10, 4, 1, seed=5)
    dense = MLP([4, 3, 1], activation="identity", init="he", seed=9).dense_layers()
    W1, W2 = dense[0].W, dense[1].W
    e = 2 * (X @ W1 @ W2 - y) / len(X)
    expected = [np.abs(X.T @ e @ W2.T).mean(), np.abs((X @ W1).T @ e).mean()]
    sizes = gradient_sizes(2, "identity", "he", [9], X, y, width=3)[0]
    np.testing.assert_allclose(sizes, expected, rtol=1e-12)


def test_deep_network_structure():
    plain = deep_network(4, 5, 3, "relu", "he", seed=1)
    reference = MLP(layer_sizes(4, 5, 3), activation="relu", init="he", seed=1)
    for a, b in zip(plain.params, reference.params, strict=True):
        np.testing.assert_array_equal(a, b)
    residual = deep_network(4, 5, 3, "relu", "he", residual=True, weight_scale=2.0, seed=1)
    assert sum(isinstance(layer, Residual) for layer in residual.layers) == 2
    for a, b in zip(residual.params, reference.params, strict=True):
        np.testing.assert_array_equal(a, 2.0 * b if a.ndim == 2 else b)
    assert layer_sizes(3, 8, 2, 4) == [2, 8, 8, 4]


def test_sigmoid_gradients_vanish_with_depth_and_residuals_rescue_them():
    X, y = fixed_batch(32, 16, 1, seed=0)
    plain = gradient_sizes(20, "sigmoid", "xavier", [0, 1], X, y, width=16).mean(axis=0)
    skip = gradient_sizes(20, "sigmoid", "xavier", [0, 1], X, y, width=16,
                          residual=True).mean(axis=0)
    # sigma' <= 1/4: a Xavier layer (gain about 1) shrinks the signal by at least about 4.
    assert plain[0] / plain[-2] < 4.0 ** -10
    assert skip[0] > 1e6 * plain[0]


def test_depth_sweep_accessors():
    sweep = depth_sweep(depths=(2, 4), activations=("tanh",), inits=("he",), seeds=[0],
                        width=5, n_samples=7)
    assert isinstance(sweep, DepthSweep)
    X, y = fixed_batch(7, 5, 1, seed=0)
    deep = gradient_sizes(4, "tanh", "he", [0], X, y, width=5)[0]
    np.testing.assert_allclose(sweep.sizes["tanh", "he", 4], deep)
    assert sweep.first("tanh", "he")[1] == deep[0]
    assert sweep.last("tanh", "he")[1] == deep[-1]
    np.testing.assert_allclose(sweep.ratio("tanh", "he"),
                               sweep.first("tanh", "he") / sweep.last("tanh", "he"))


def test_bad_input_is_explained():
    X, y = fixed_batch(4, 3, 1)
    with pytest.raises(ValueError, match="depth must be at least 2"):
        gradient_sizes(1, "tanh", "he", [0], X, y, width=3)
    with pytest.raises(ValueError, match="y must have 4 rows"):
        gradient_sizes(3, "tanh", "he", [0], X, y[:2], width=3)
    with pytest.raises(ValueError, match="unknown init"):
        gradient_sizes(3, "tanh", "glorot", [0], X, y, width=3)
    with pytest.raises(ValueError, match="unknown activation"):
        deep_network(3, 3, 3, "swish")
    with pytest.raises(ValueError, match="weight_scale"):
        deep_network(3, 3, 3, weight_scale=0.0)


# ----- studies over seeds --------------------------------------------------------------------
def test_clipping_study_trains_the_networks_train_would():
    X, y = make_moons(n_samples=40, noise=0.1, seed=0)
    y = y[:, None].astype(float)
    runs = clipping_study(X, y, seeds=[0, 2], depth=4, width=6, weight_scale=2.0, lr=0.1,
                          epochs=8, clip_norm=0.5, clip_value=0.05)
    assert list(runs) == ["no clipping", "clip by norm", "clip by value", "He × 1, no clipping"]
    settings = {"no clipping": (2.0, {}), "clip by norm": (2.0, {"clip_norm": 0.5}),
                "clip by value": (2.0, {"clip_value": 0.05}), "He × 1, no clipping": (1.0, {})}
    for label, (scale, clip) in settings.items():
        for row, seed in enumerate([0, 2]):
            model = deep_network(4, 6, 2, "relu", "he", weight_scale=scale, seed=seed)
            history = train(model, X, y, loss="bce_with_logits", lr=0.1, epochs=8, **clip)
            np.testing.assert_allclose(runs[label].loss[row], history.loss, rtol=1e-9)
    assert list(clipping_study(X, y, seeds=[0], depth=3, width=4, epochs=2, control=False)) == [
        "no clipping", "clip by norm", "clip by value"]


def test_plateau_study_trains_sigmoid_networks_of_each_depth():
    X, y = xor()
    runs = plateau_study(X, y, hidden_layers=(1, 3), width=3, seeds=[4, 8], lr=2.0, epochs=60)
    assert list(runs) == ["2-3-1", "2-3-3-3-1"]
    model = MLP([2, 3, 3, 3, 1], activation="sigmoid", output_activation="sigmoid", seed=8)
    history = train(model, X, y, loss="mse", lr=2.0, epochs=60, shuffle=False)
    np.testing.assert_allclose(runs["2-3-3-3-1"].loss[1], history.loss, rtol=1e-9)
    np.testing.assert_allclose(runs["2-3-3-3-1"].grad_mean_abs[1], history.grad_stats,
                               rtol=1e-9)


def test_censored_median():
    # Runs that never got there (-1) count as later than all others.
    assert censored_median([30, 10, 20], 100) == 20
    assert censored_median([30, -1, 10, -1, 20], 100) == 30
    assert censored_median([10, -1, -1], 100) == np.inf
    with pytest.raises(ValueError, match="first_epochs must lie in"):
        censored_median([10, 100], 100)
    with pytest.raises(ValueError, match="first_epochs must be a non-empty"):
        censored_median([], 100)


def test_per_layer_factor_is_the_geometric_mean_ratio():
    from backproplab.studies.gradient_flow import per_layer_factor

    sizes = 7.0 * 0.5 ** np.arange(6)[::-1]  # each layer twice the one before it
    sizes[0], sizes[-1] = 1e-9, 1e9  # the end layers are ignored
    assert per_layer_factor(sizes) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="depth >= 4"):
        per_layer_factor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="positive"):
        per_layer_factor([1.0, 0.0, 3.0, 4.0])


def test_saturated_share_by_hand():
    from backproplab.studies.gradient_flow import saturated_share
    from backproplab.studies.seed_study import initial_weights

    X, _ = fixed_batch(16, 8, 1, seed=1)
    share = saturated_share(3, "sigmoid", "lecun", [0, 1], X, width=8, weight_scale=6.0,
                            threshold=0.05)
    expected = []
    for s in (0, 1):
        W = initial_weights([8, 8, 8, 1], [s], "lecun")
        h, slopes = X, []
        for Wk in W[:2]:
            z = h @ (6.0 * Wk[0])
            h = 1 / (1 + np.exp(-z))
            slopes.append(h * (1 - h))
        expected.append(np.mean(np.concatenate([sl.ravel() for sl in slopes]) < 0.05))
    np.testing.assert_allclose(share, expected)
    assert share.min() > 0 and share.max() < 1
    small = saturated_share(3, "sigmoid", "lecun", [0], X, width=8, weight_scale=0.1)
    assert small[0] == 0.0  # slopes near 1/4 everywhere
    with pytest.raises(ValueError, match="threshold"):
        saturated_share(3, "sigmoid", "lecun", [0], X, threshold=-1)
