"""Tests of backproplab.studies.stacked_training: networks of any depth, one per seed, at once."""

import numpy as np
import pytest

from backproplab.data import make_moons, xor
from backproplab.layers import Activation, Dense
from backproplab.network import MLP, Sequential
from backproplab.studies.gradient_flow import deep_network, layer_sizes
from backproplab.studies.stacked_training import (
    StackedRun,
    stacked_weights,
    train_seeds,
    train_stacked,
)
from backproplab.training import train


def moons(n=60):
    X, y = make_moons(n_samples=n, noise=0.1, seed=0)
    return X, y[:, None].astype(float)


# ----- agreement with the course's training loop --------------------------------------------
@pytest.mark.parametrize("clip", [{}, {"clip_norm": 1.0}, {"clip_value": 0.1}])
def test_deep_relu_networks_match_train(clip):
    X, y = moons()
    run = train_seeds(layer_sizes(5, 8, 2), [0, 3], X, y, 0.1, 15, activation="relu",
                      init="he", weight_scale=1.5, loss="bce_with_logits", record_grads=True,
                      **clip)
    for row, seed in enumerate([0, 3]):
        model = deep_network(5, 8, 2, "relu", "he", weight_scale=1.5, seed=seed)
        history = train(model, X, y, loss="bce_with_logits", lr=0.1, epochs=15, **clip)
        np.testing.assert_allclose(run.loss[row], history.loss, rtol=1e-9, atol=0)
        np.testing.assert_allclose(run.accuracy[row], history.accuracy, rtol=0, atol=0)
        np.testing.assert_allclose(run.grad_mean_abs[row], history.grad_stats, rtol=1e-9)
        dense = model.dense_layers()
        for i, layer in enumerate(dense):
            np.testing.assert_allclose(run.weights[i][row], layer.W, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(run.biases[i][row], layer.b, rtol=1e-9, atol=1e-12)


def test_sigmoid_networks_with_mse_match_train():
    X, y = xor()
    run = train_seeds([2, 3, 3, 1], [1, 5], X, y, 2.0, 300, activation="sigmoid",
                      output_activation="sigmoid", loss="mse")
    for row, seed in enumerate([1, 5]):
        model = MLP([2, 3, 3, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
        history = train(model, X, y, loss="mse", lr=2.0, epochs=300, shuffle=False)
        np.testing.assert_allclose(run.loss[row], history.loss, rtol=1e-9, atol=0)
        assert run.final_accuracy[row] == history.accuracy[-1]


def test_each_network_in_a_stack_trains_as_if_alone():
    X, y = moons(40)
    weights = stacked_weights(layer_sizes(4, 6, 2), [2, 4, 9], "he", "relu", weight_scale=2.0)
    together = train_stacked(weights, X, y, 0.1, 30, activation="relu", loss="bce_with_logits",
                             clip_norm=0.5)
    for s in range(3):
        alone = train_stacked([W[s:s + 1] for W in weights], X, y, 0.1, 30, activation="relu",
                              loss="bce_with_logits", clip_norm=0.5)
        np.testing.assert_allclose(together.loss[s], alone.loss[0], rtol=1e-12)


def test_clip_norm_uses_each_networks_own_norm():
    # Two networks in one stack, one with weights 10 times the other's: clipping must rescale
    # each by its own global norm, as train does for each alone.
    X, y = moons(30)
    small = stacked_weights([2, 4, 1], [6], "xavier", "tanh")
    weights = [np.concatenate([W, 10 * W]) for W in small]
    run = train_stacked(weights, X, y, 0.5, 1, activation="tanh", loss="bce_with_logits",
                        clip_norm=0.3)
    for s, scale in enumerate([1.0, 10.0]):
        model = Sequential([Dense(2, 4, W=scale * small[0][0]), Activation("tanh"),
                            Dense(4, 1, W=scale * small[1][0])])
        train(model, X, y, loss="bce_with_logits", lr=0.5, epochs=1, clip_norm=0.3)
        dense = model.dense_layers()
        for i in range(2):
            np.testing.assert_allclose(run.weights[i][s], dense[i].W, rtol=1e-12)
            moved = np.sqrt(sum(np.sum((run.weights[j][s] - weights[j][s]) ** 2)
                                + np.sum(run.biases[j][s] ** 2) for j in range(2)))
        assert moved <= 0.5 * 0.3 * (1 + 1e-9)  # a step of at most lr * clip_norm


# ----- divergence ------------------------------------------------------------------------
def test_a_diverging_network_stops_as_train_stops_and_the_others_carry_on():
    X, y = moons()
    sizes = layer_sizes(10, 16, 2)
    run = train_seeds(sizes, range(6), X, y, 0.1, 20, activation="relu", init="he",
                      weight_scale=2.0, loss="bce_with_logits")
    assert run.diverged.any() and not run.diverged.all()
    for s in range(6):
        model = deep_network(10, 16, 2, "relu", "he", weight_scale=2.0, seed=s)
        history = train(model, X, y, loss="bce_with_logits", lr=0.1, epochs=20)
        assert bool(run.diverged[s]) == history.diverged
        n = len(history.loss)
        np.testing.assert_allclose(run.loss[s, :n], history.loss, rtol=1e-9)
        if history.diverged:
            assert run.diverged_at[s] == n and np.all(np.isnan(run.loss[s, n:]))
            assert np.isnan(run.final_loss[s]) and np.isnan(run.final_accuracy[s])
            # the failing update is not made: the weights are those train was left with
            for i, layer in enumerate(model.dense_layers()):
                np.testing.assert_allclose(run.weights[i][s], layer.W, rtol=1e-9)
        else:
            assert run.diverged_at[s] == -1


# ----- the record ------------------------------------------------------------------------
def test_first_below_and_final_values():
    loss = np.array([[0.3, 0.2, 0.05, 0.01], [0.3, 0.3, 0.3, 0.3], [0.01, 0.5, np.nan, np.nan]])
    run = StackedRun(loss, None, None, np.array([-1, -1, 2]), [], [])
    np.testing.assert_array_equal(run.first_below(0.1), [2, -1, 0])
    np.testing.assert_array_equal(run.diverged, [False, False, True])
    # rises above the lowest loss so far: none; none; 0.5 / 0.01 = 50 before the divergence
    np.testing.assert_allclose(run.largest_rise(), [1.0, 1.0, 50.0])
    assert run.final_loss[0] == 0.01 and np.isnan(run.final_loss[2])
    with pytest.raises(ValueError, match="accuracy was not recorded"):
        run.final_accuracy  # noqa: B018


def test_accuracy_only_for_label_targets():
    X, _ = moons(20)
    run = train_seeds([2, 3, 1], [0], X, X[:, :1], 0.1, 3, activation="tanh", loss="mse")
    assert run.accuracy is None and run.grad_mean_abs is None
    assert run.seeds.tolist() == [0]


def test_inputs_are_not_modified():
    X, y = moons(20)
    weights = stacked_weights([2, 3, 1], [0, 1], "xavier")
    copies = [W.copy() for W in weights]
    train_stacked(weights, X, y, 0.1, 5, loss="bce_with_logits")
    for W, copy in zip(weights, copies, strict=True):
        np.testing.assert_array_equal(W, copy)


def test_bad_input_is_explained():
    X, y = moons(20)
    weights = stacked_weights([2, 3, 1], [0], "xavier")
    with pytest.raises(ValueError, match="weights must be a non-empty list"):
        train_stacked([], X, y, 0.1, 1)
    with pytest.raises(ValueError, match="weights must be arrays"):
        train_stacked([weights[0][0], weights[1][0]], X, y, 0.1, 1)
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape"):
        train_stacked([weights[0], weights[0]], X, y, 0.1, 1)
    with pytest.raises(ValueError, match="y must have shape"):
        train_stacked(weights, X, y[:5], 0.1, 1)
    with pytest.raises(ValueError, match="unknown loss"):
        train_stacked(weights, X, y, 0.1, 1, loss="hinge")
    with pytest.raises(ValueError, match="output_activation must be 'identity'"):
        train_stacked(weights, X, y, 0.1, 1, loss="bce_with_logits",
                      output_activation="sigmoid")
    with pytest.raises(ValueError, match="lr"):
        train_stacked(weights, X, y, -0.1, 1)
    with pytest.raises(ValueError, match="clip_norm"):
        train_stacked(weights, X, y, 0.1, 1, clip_norm=0)
    with pytest.raises(ValueError, match="seeds"):
        train_seeds([2, 3, 1], [-1], X, y, 0.1, 1)
    with pytest.raises(ValueError, match="weight_scale"):
        stacked_weights([2, 3, 1], [0], weight_scale=0)
