"""Tests of backproplab.studies.reference_runs: published runs, reproduced."""

import numpy as np
import pytest

from backproplab.data import load_digits, one_hot, xor
from backproplab.gradcheck import numerical_gradient, relative_error
from backproplab.layers import Activation, Dense
from backproplab.network import MLP, Sequential
from backproplab.studies.reference_runs import (
    ARTICLE_FIGURES,
    HALF_SSE,
    NIELSEN_SPEEDS,
    article_run,
    article_weights,
    fastest_fall,
    half_sse,
    half_sse_grad,
    matches_printed,
    nielsen_learning_speeds,
    playground_run,
)
from backproplab.training import train


def article_loop(steps):
    """The article's run written out as plain NumPy: output error (y_hat - y) y_hat (1 - y_hat),
    gradients summed over the four samples, learning rate 0.1."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    state = np.random.RandomState(42)
    W1, W2 = state.randn(2, 3), state.randn(3, 1)
    b1, b2 = np.zeros(3), np.zeros(1)
    losses, grads = [], []
    for _ in range(steps):
        h = 1 / (1 + np.exp(-(X @ W1 + b1)))
        out = 1 / (1 + np.exp(-(h @ W2 + b2)))
        losses.append(np.mean((out - y) ** 2))
        d2 = (out - y) * out * (1 - out)
        d1 = (d2 @ W2.T) * h * (1 - h)
        dW1, dW2 = X.T @ d1, h.T @ d2
        grads.append((np.abs(dW1).mean(), np.abs(dW2).mean()))
        W1, b1 = W1 - 0.1 * dW1, b1 - 0.1 * d1.sum(0)
        W2, b2 = W2 - 0.1 * dW2, b2 - 0.1 * d2.sum(0)
    return np.array(losses), np.array(grads)


def test_article_run_equals_the_plain_numpy_loop():
    losses, grads = article_loop(600)
    run = article_run(steps=600)
    np.testing.assert_allclose(run.loss[0], losses, rtol=1e-11)
    np.testing.assert_allclose(run.grad_mean_abs[0], grads, rtol=1e-9)


def test_article_run_equals_train_with_half_summed_squared_error():
    W1, W2 = article_weights()
    model = Sequential([Dense(2, 3, W=W1), Activation("sigmoid"),
                        Dense(3, 1, W=W2), Activation("sigmoid")])
    X, y = xor()
    history = train(model, X, y, loss=HALF_SSE, lr=0.1, epochs=300, shuffle=False)
    run = article_run(steps=300)
    # half_sse = 0.5 * sum over 4 samples = 2 * mean squared error
    np.testing.assert_allclose(run.loss[0], np.array(history.loss) / 2, rtol=1e-12)
    np.testing.assert_allclose(run.grad_mean_abs[0], history.grad_stats, rtol=1e-12)


def test_article_weights_are_the_legacy_draws_of_seed_42():
    W1, W2 = article_weights()
    assert W1.shape == (2, 3) and W2.shape == (3, 1)
    assert W1[0, 0] == pytest.approx(0.4967141530112327, rel=1e-15)  # first randn of seed 42
    assert W1[0, 1] == pytest.approx(-0.13826430117118466, rel=1e-15)


def test_article_figures_reproduced_to_every_printed_digit():
    run = article_run()
    loss, grads = run.loss[0], run.grad_mean_abs[0]
    assert matches_printed(loss[0], ARTICLE_FIGURES["loss_start"])
    assert matches_printed(loss[5000], ARTICLE_FIGURES["loss_5000"])
    assert matches_printed(loss[9999], ARTICLE_FIGURES["loss_10000"])
    assert matches_printed(run.final_loss[0], ARTICLE_FIGURES["loss_10000"])
    assert matches_printed(grads[9999, 1], ARTICLE_FIGURES["grad_W2_end"])
    assert matches_printed(grads[9999, 0], ARTICLE_FIGURES["grad_W1_end"])
    # ... but it is not flat for its first 2,000 steps.
    assert loss[2000] < 0.5 * loss[0]


def test_matches_printed():
    assert matches_printed(0.0099922, "0.010")
    assert matches_printed(0.31824, "0.318")
    assert not matches_printed(0.3186, "0.318")
    assert matches_printed(0.00059047, "0.000590")


def test_half_sse_and_its_gradient():
    rng = np.random.default_rng(0)
    p, t = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    by_hand = 0.5 * sum((a - b) ** 2 for a, b in zip(p.ravel(), t.ravel(), strict=True))
    assert half_sse(p, t) == pytest.approx(by_hand)
    numeric = numerical_gradient(lambda: half_sse(p, t), p)
    assert relative_error(half_sse_grad(p, t), numeric) < 1e-8
    with pytest.raises(ValueError, match="y_true must have shape"):
        half_sse(p, t[:3])


def test_playground_seeds_42_and_123():
    # The playground article: 2-2-1, lr 0.5, 5,000 epochs; seed 42 stuck at 75 %, 123 solved.
    study = playground_run([42, 123])
    np.testing.assert_array_equal(study.accuracy, [0.75, 1.0])


def test_playground_seed_42_leaves_75_percent_later():
    # Measured by the issue on another machine: 50 % at epoch 5,250 and still at 10,000.
    study = playground_run([42], epochs=10_000, record_accuracy=True)
    curve = study.run.accuracy_curve[0]  # column t: after t updates
    assert curve[5000] == 0.75 and curve[5250] == 0.5 and study.accuracy[0] == 0.5
    assert np.all(curve[5250:] == 0.5)


def test_fastest_fall_on_a_curve_with_a_known_inflection():
    # A quick exponential drop, then a logistic fall centred on step 60 (fastest there).
    t = np.arange(200)
    loss = 0.1 * np.exp(-t / 3) + 0.2 / (1 + np.exp((t - 60.5) / 8))
    assert fastest_fall(loss) == 60
    assert fastest_fall(np.exp(-t / 10)) == 0  # the fall only slows down
    with pytest.raises(ValueError, match="loss must be a finite curve"):
        fastest_fall([1.0, np.nan, 0.5])


def test_the_article_curve_falls_fastest_around_step_2500():
    # The article: "around step 2,500 something changes. The loss starts dropping."
    loss = article_run().loss[0]
    assert 2000 < fastest_fall(loss) < 3000


def nielsen_cost(model, X, Y):
    """Nielsen's cross-entropy: summed over the outputs, averaged over the samples."""
    a = 1 / (1 + np.exp(-model.forward(X)))
    return -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / len(X)


def test_nielsen_speeds_are_bias_gradient_lengths_of_nielsens_cost():
    rng = np.random.default_rng(1)
    X, Y = rng.uniform(size=(20, 5)), np.eye(3)[rng.integers(0, 3, size=20)]
    speeds = nielsen_learning_speeds(X, Y, hidden=(4, 4), seeds=[7])
    # Rebuild the same network as documented: weights from MLP(rng), then biases N(0, 1).
    rng = np.random.default_rng(7)
    model = MLP([5, 4, 4, 3], "sigmoid", init="lecun", rng=rng)
    for layer in model.dense_layers():
        layer.b = rng.standard_normal(layer.b.shape)
    for i, layer in enumerate(model.dense_layers()[:-1]):
        numeric = numerical_gradient(lambda: nielsen_cost(model, X, Y), layer.b)
        assert speeds[0, i] == pytest.approx(np.linalg.norm(numeric), rel=1e-6)


def test_nielsen_shape_on_digits():
    X, y = load_digits()
    speeds = nielsen_learning_speeds(X[:300], one_hot(y[:300], 10), seeds=[0, 1]).mean(axis=0)
    assert np.all(np.diff(speeds) > 0)  # hidden layer 1 learns slowest
    assert speeds[-1] / speeds[0] > 30  # Nielsen: about 100 times
    assert len(NIELSEN_SPEEDS) == 4 and np.all(np.diff(NIELSEN_SPEEDS) > 0)
