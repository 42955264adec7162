"""Tests of backproplab.studies.seed_study: many XOR networks trained at once."""

import numpy as np
import pytest

from backproplab.activations import sigmoid
from backproplab.data import xor
from backproplab.gradcheck import numerical_gradient
from backproplab.layers import Activation, Dense
from backproplab.network import MLP, Sequential
from backproplab.studies.seed_study import (
    SeedStudy,
    initial_weights,
    train_two_layer,
    xor_seed_study,
)
from backproplab.training import accuracy, train


def mse_of(W1, b1, W2, b2, X, y, hidden=np.tanh):
    """Mean squared error of one network written out directly (independent of the module)."""
    out = 1.0 / (1.0 + np.exp(-(hidden(X @ W1 + b1) @ W2 + b2)))
    return np.mean((out - y) ** 2)


# ----- agreement with the course's training loop --------------------------------------------
@pytest.mark.parametrize("seed", [0, 11])
@pytest.mark.parametrize("hidden", [2, 4])
def test_batched_trainer_matches_train_for_single_seeds(seed, hidden):
    X, y = xor()
    model = MLP([2, hidden, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
    history = train(model, X, y, loss="mse", lr=1.0, epochs=400, shuffle=False)
    study = xor_seed_study(hidden, [seed], lr=1.0, epochs=400)
    np.testing.assert_allclose(study.run.loss[0], history.loss, rtol=1e-12, atol=0)
    dense = model.dense_layers()
    for key, layer, param in [("W1", 0, "W"), ("b1", 0, "b"), ("W2", 1, "W"), ("b2", 1, "b")]:
        np.testing.assert_allclose(
            study.run.params[key][0], dense[layer].params[param], rtol=1e-12, atol=1e-15
        )
    assert study.accuracy[0] == accuracy(model, X, y)


def test_each_network_in_a_batch_trains_as_if_alone():
    X, y = xor()
    W1, W2 = initial_weights([2, 3, 1], [3, 5, 8])
    together = train_two_layer(W1, W2, X, y, lr=0.7, epochs=200, activation="tanh")
    for s in range(3):
        alone = train_two_layer(W1[s:s + 1], W2[s:s + 1], X, y, lr=0.7, epochs=200,
                                activation="tanh")
        np.testing.assert_allclose(together.loss[s], alone.loss[0], rtol=1e-12)
        np.testing.assert_allclose(together.params["W1"][s], alone.params["W1"][0], rtol=1e-12)


@pytest.mark.parametrize("loss, factor", [("mse", 1.0), ("half_mse", 0.5), ("half_sse", 2.0)])
def test_one_update_moves_weights_against_the_numerical_gradient(loss, factor):
    # Each loss is a known multiple of the mean squared error over the 4 XOR samples:
    # mse = MSE, half_mse = MSE / 2, half_sse = sum / 2 = 2 * MSE.
    X, y = xor()
    rng = np.random.default_rng(4)
    W1, b1, W2, b2 = (rng.normal(size=s) for s in [(2, 3), (3,), (3, 1), (1,)])
    lr = 0.3
    run = train_two_layer(W1[None], W2[None], X, y, lr, 1, b1=b1[None], b2=b2[None],
                          activation="tanh", loss=loss, record_grads=True)
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    for key, value in params.items():
        numeric = factor * numerical_gradient(lambda: mse_of(W1, b1, W2, b2, X, y), value)
        step = (value - run.params[key][0]) / lr
        np.testing.assert_allclose(step, numeric, rtol=1e-6, atol=1e-9)
    grad_W1 = factor * numerical_gradient(lambda: mse_of(W1, b1, W2, b2, X, y), W1)
    assert run.grad_mean_abs[0, 0, 0] == pytest.approx(np.abs(grad_W1).mean(), rel=1e-6)
    assert run.loss[0, 0] == pytest.approx(mse_of(W1, b1, W2, b2, X, y), rel=1e-12)


def test_final_loss_and_accuracy_describe_the_final_weights():
    X, y = xor()
    W1, W2 = initial_weights([2, 2, 1], range(6))
    run = train_two_layer(W1, W2, X, y, lr=1.0, epochs=300)
    for s in range(6):
        p = {k: v[s] for k, v in run.params.items()}
        out = sigmoid(sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
        assert run.final_loss[s] == pytest.approx(np.mean((out - y) ** 2), rel=1e-12)
        assert run.accuracy[s] == np.mean((out > 0.5) == (y > 0.5))
        np.testing.assert_allclose(run.predict(X, s), out, rtol=1e-12)
        np.testing.assert_array_equal(run.classify(X, s), (out[:, 0] > 0.5).astype(int))


def test_accuracy_curve_is_the_accuracy_after_each_number_of_updates():
    X, y = xor()
    W1, W2 = initial_weights([2, 2, 1], range(8))
    run = train_two_layer(W1, W2, X, y, lr=1.0, epochs=400, record_accuracy=True)
    assert run.accuracy_curve.shape == (8, 400)
    for t in (1, 57, 399):  # column t is the accuracy of the weights after t updates
        shorter = train_two_layer(W1, W2, X, y, lr=1.0, epochs=t)
        np.testing.assert_array_equal(run.accuracy_curve[:, t], shorter.accuracy)
    out = sigmoid(sigmoid(X @ W1) @ W2)  # before any update: zero biases
    np.testing.assert_array_equal(run.accuracy_curve[:, 0],
                                  np.mean((out > 0.5) == (y > 0.5), axis=(1, 2)))
    assert train_two_layer(W1, W2, X, y, lr=1.0, epochs=3).accuracy_curve is None


def test_inputs_are_not_modified():
    X, y = xor()
    W1, W2 = initial_weights([2, 2, 1], [1, 2])
    copies = W1.copy(), W2.copy()
    train_two_layer(W1, W2, X, y, lr=1.0, epochs=5)
    np.testing.assert_array_equal(W1, copies[0])
    np.testing.assert_array_equal(W2, copies[1])


# ----- initial weights ----------------------------------------------------------------------
def test_initial_weights_match_mlp_with_the_same_seed():
    W1, W2 = initial_weights([2, 4, 1], [0, 7], init="xavier")
    for s, seed in enumerate([0, 7]):
        dense = MLP([2, 4, 1], activation="sigmoid", init="xavier", seed=seed).dense_layers()
        np.testing.assert_array_equal(W1[s], dense[0].W)
        np.testing.assert_array_equal(W2[s], dense[1].W)


def test_legacy_weights_follow_np_random_seed():
    W1, W2 = initial_weights([2, 2, 1], [42], init="xavier", legacy=True)
    state = np.random.RandomState(42)
    np.testing.assert_array_equal(W1[0], state.randn(2, 2) * np.sqrt(2 / 4))
    np.testing.assert_array_equal(W2[0], state.randn(2, 1) * np.sqrt(2 / 3))
    # The first standard normal of seed 42 in the legacy generator is 0.4967141530112327.
    assert W1[0, 0, 0] / np.sqrt(0.5) == pytest.approx(0.4967141530112327, rel=1e-15)


# ----- the seed study ------------------------------------------------------------------------
def test_playground_conventions_match_train_with_half_mse():
    X, y = xor()
    study = xor_seed_study(2, [5], lr=0.5, epochs=300, conventions="playground")
    W1, W2 = initial_weights([2, 2, 1], [5], init="xavier", legacy=True)
    model = Sequential([Dense(2, 2, W=W1[0]), Activation("sigmoid"),
                        Dense(2, 1, W=W2[0]), Activation("sigmoid")])
    history = train(model, X, y, loss="half_mse", lr=0.5, epochs=300, shuffle=False)
    # train records half the MSE; the study always records the MSE itself.
    np.testing.assert_allclose(study.run.loss[0], 2 * np.array(history.loss), rtol=1e-12)


def test_seed_study_summaries():
    study = SeedStudy(np.arange(5), np.array([1.0, 0.75, 1.0, 0.5, 1.0]), np.zeros(5), None)
    assert study.solved_share == pytest.approx(0.6)
    assert study.outcomes() == {0.5: 1, 0.75: 1, 1.0: 3}


def test_wider_networks_get_stuck_less_often():
    narrow = xor_seed_study(2, range(60), lr=1.0, epochs=2000)
    wide = xor_seed_study(4, range(60), lr=1.0, epochs=2000)
    assert wide.solved_share > narrow.solved_share


# ----- bad input -----------------------------------------------------------------------------
def test_bad_input_is_explained():
    X, y = xor()
    W1, W2 = initial_weights([2, 2, 1], [0])
    with pytest.raises(ValueError, match="W1 must have shape"):
        train_two_layer(W1[0], W2, X, y, lr=1.0, epochs=1)
    with pytest.raises(ValueError, match="W2 must have shape"):
        train_two_layer(W1, W2[:, :1], X, y, lr=1.0, epochs=1)
    with pytest.raises(ValueError, match="y must have shape"):
        train_two_layer(W1, W2, X, y[:3], lr=1.0, epochs=1)
    with pytest.raises(ValueError, match="b1 must have shape"):
        train_two_layer(W1, W2, X, y, lr=1.0, epochs=1, b1=np.zeros(2))
    with pytest.raises(ValueError, match="unknown loss"):
        train_two_layer(W1, W2, X, y, lr=1.0, epochs=1, loss="hinge")
    with pytest.raises(ValueError, match="lr"):
        train_two_layer(W1, W2, X, y, lr=-1.0, epochs=1)
    with pytest.raises(ValueError, match="seeds"):
        xor_seed_study(2, [-1])
    with pytest.raises(ValueError, match="unknown conventions"):
        xor_seed_study(2, [0], conventions="mine")
    with pytest.raises(ValueError, match="unknown init"):
        initial_weights([2, 2, 1], [0], init="he", legacy=True)


def test_trap_outcomes_counts_levels():
    from backproplab.studies.seed_study import trap_outcomes

    accuracy = np.array([1.0, 0.5, 0.75, 0.5, 0.5, 0.75])
    final_loss = np.array([0.001, 0.125 + 0.004, 1 / 6 - 0.001, 0.25, 0.2, 0.125 - 0.006])
    counts = trap_outcomes(accuracy, final_loss)
    assert list(counts.values()) == [1, 1, 1, 1, 2]  # solved, 1/8, 1/6, 1/4, other
    assert list(counts)[0] == "solved" and list(counts)[-1] == "other"
    # A solved network counts as solved even with a loss on a level.
    assert trap_outcomes([1.0], [0.125])["solved"] == 1
    with pytest.raises(ValueError, match="same shape"):
        trap_outcomes(accuracy, final_loss[:3])
    with pytest.raises(ValueError, match="tol"):
        trap_outcomes(accuracy, final_loss, tol=0)
