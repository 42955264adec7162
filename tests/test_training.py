"""Tests of the training loop in backproplab.training."""

import math

import numpy as np
import pytest

from backproplab.clipping import global_norm
from backproplab.data import make_moons, xor
from backproplab.network import MLP
from backproplab.optimizers import SGD
from backproplab.training import History, accuracy, minibatches, train


def regression_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 1))
    return X, np.sin(3 * X) + 0.1 * rng.standard_normal((n, 1))


def weights_after(model_seed, train_seed, **kwargs):
    X, y = make_moons(n_samples=64, seed=0)
    model = MLP([2, 8, 2], activation="tanh", seed=model_seed)
    train(model, X, y, loss="softmax_cross_entropy", lr=0.2, epochs=5, batch_size=8,
          seed=train_seed, **kwargs)
    return [p.copy() for p in model.params]


class RecordingSGD(SGD):
    """Plain SGD that keeps a copy of the gradients it is given at every step."""

    def __init__(self, params, lr):
        super().__init__(params, lr)
        self.seen = []

    def step(self, grads):
        self.seen.append([np.array(g, copy=True) for g in grads])
        super().step(grads)


# ----- determinism ----------------------------------------------------------------------------
def test_same_seeds_give_bit_identical_weights():
    for a, b in zip(weights_after(1, 2), weights_after(1, 2), strict=True):
        np.testing.assert_array_equal(a, b)


def test_different_shuffle_seed_or_model_seed_give_different_weights():
    reference = weights_after(1, 2)
    for other in (weights_after(1, 3), weights_after(4, 2)):
        assert not all(np.array_equal(a, b) for a, b in zip(reference, other, strict=True))


# ----- XOR ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("model_seed", range(5))
def test_xor_2_4_1_tanh_sigmoid_reaches_full_accuracy(model_seed):
    # Stated setting: MSE, plain full-batch gradient descent, lr = 1.0, 2000 epochs.
    X, y = xor()
    model = MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", seed=model_seed)
    history = train(model, X, y, loss="mse", lr=1.0, epochs=2000)
    assert accuracy(model, X, y) == 1.0
    np.testing.assert_array_equal(model.predict_classes(X), [0, 1, 1, 0])
    assert history.accuracy[-1] == 1.0
    assert history.loss[-1] < 0.05 < history.loss[0]
    assert not history.diverged and history.steps == 2000


# ----- mini-batches and shuffling ----------------------------------------------------------
def spy_on_forward(model):
    """Record the first-column values of every batch that goes through model.forward."""
    batches = []
    forward = model.forward

    def recording_forward(X):
        batches.append(np.array(X[:, 0]))
        return forward(X)

    model.forward = recording_forward
    return batches


@pytest.mark.parametrize(("n", "batch_size"), [(50, 8), (48, 8), (7, 7), (10, 1), (10, 3)])
def test_updates_per_epoch_is_ceil_n_over_batch_size(n, batch_size):
    X = np.arange(n, dtype=float)[:, None] / n
    model = MLP([1, 3, 1], activation="tanh", seed=0)
    batches = spy_on_forward(model)
    history = train(model, X, X, lr=0.01, epochs=3, batch_size=batch_size, seed=0)
    per_epoch = math.ceil(n / batch_size)
    assert history.steps == 3 * per_epoch
    sizes = [len(b) for b in batches[:per_epoch]]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


def test_shuffling_changes_batch_order_but_not_the_set():
    n = 24
    X = np.arange(n, dtype=float)[:, None]
    model = MLP([1, 2, 1], activation="tanh", seed=0)
    batches = spy_on_forward(model)
    train(model, X / n, X / n, lr=1e-3, epochs=3, batch_size=6, seed=0)
    epochs = [np.concatenate(batches[i * 4:(i + 1) * 4]) for i in range(3)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), X[:, 0] / n)  # every row once
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[0], X[:, 0] / n)

    model = MLP([1, 2, 1], activation="tanh", seed=0)
    batches = spy_on_forward(model)
    train(model, X / n, X / n, lr=1e-3, epochs=2, batch_size=6, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(batches), np.tile(X[:, 0] / n, 2))


def test_minibatches_keep_arrays_aligned():
    a = np.arange(10)
    b = np.arange(10) * 10
    out = list(minibatches(a, b, batch_size=4, seed=0))
    assert [len(x) for x, _ in out] == [4, 4, 2]
    for x, z in out:
        np.testing.assert_array_equal(z, x * 10)
    assert sorted(np.concatenate([x for x, _ in out])) == list(range(10))
    with pytest.raises(ValueError, match="rows"):
        list(minibatches(a, b[:5]))


# ----- early stopping --------------------------------------------------------------------------
def test_early_stopping_restores_the_best_validation_weights():
    X, y = regression_data(20, seed=0)
    X_val, y_val = regression_data(50, seed=1)
    model = MLP([1, 64, 64, 1], activation="tanh", seed=0)
    patience = 20
    history = train(model, X, y, optimizer="adam", lr=0.01, epochs=2000,
                    validation=(X_val, y_val), early_stopping=patience)
    assert len(history.val_loss) < 2000  # it did stop early
    best = int(np.argmin(history.val_loss))
    assert history.best_epoch == best
    assert history.stopped_epoch == best + patience == len(history.val_loss) - 1
    assert history.val_loss[-1] > history.val_loss[best]
    restored_loss = np.mean((model.forward(X_val) - y_val) ** 2)
    assert restored_loss == pytest.approx(history.val_loss[best], rel=1e-12)


# ----- L2 ---------------------------------------------------------------------------------------
def test_l2_shrinks_weights():
    X, y = regression_data()

    def weight_norm(l2):
        model = MLP([1, 16, 1], activation="tanh", seed=0)
        train(model, X, y, lr=0.1, epochs=300, l2=l2)
        return sum(np.sum(layer.W ** 2) for layer in model.dense_layers())

    assert weight_norm(0.05) < 0.8 * weight_norm(0.0)


def test_l2_adds_penalty_to_loss_and_gradient_of_weights_only():
    X, y = regression_data()
    l2 = 0.3
    model = MLP([1, 5, 1], activation="tanh", seed=2)
    for layer in model.dense_layers():
        layer.b = np.full(layer.b.shape, 0.5)
    reference = model.copy()
    data_loss = reference.loss_and_grads(X, y, "mse")
    raw = [g.copy() for g in reference.grads]
    penalty = 0.5 * l2 * sum(np.sum(p ** 2) for p in reference.params if p.ndim == 2)

    optimizer = RecordingSGD(model.params, lr=0.01)
    history = train(model, X, y, optimizer=optimizer, epochs=1, l2=l2)
    assert history.loss[0] == pytest.approx(data_loss + penalty, rel=1e-12)
    for name, p, g_raw, g_seen in zip([n for n, _ in reference.named_params()],
                                      reference.params, raw, optimizer.seen[0], strict=True):
        expected = g_raw + l2 * p if name.endswith("W") else g_raw
        np.testing.assert_allclose(g_seen, expected, rtol=1e-12, atol=1e-15, err_msg=name)


# ----- divergence ----------------------------------------------------------------------------
def first_non_finite_update(model, X, y, lr):
    """Count plain gradient-descent updates until the MSE is no longer finite (by hand)."""
    updates = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            out = model.forward(X)
            if not np.all(np.isfinite(out)) or not np.isfinite(np.mean((out - y) ** 2)):
                return updates
            model.loss_and_grads(X, y, "mse")
            for p, g in zip(model.params, model.grads, strict=True):
                p -= lr * g
            updates += 1


def test_absurd_learning_rate_diverges_gracefully():
    X, y = regression_data()
    model = MLP([1, 8, 1], activation="tanh", seed=0)
    expected_updates = first_non_finite_update(model.copy(), X, y, lr=1e6)
    assert 0 < expected_updates < 200

    history = train(model, X, y, loss="mse", lr=1e6, epochs=1000)
    assert history.diverged
    assert history.steps == expected_updates  # stopped at the first non-finite loss
    assert len(history.loss) == expected_updates  # full batch: one update per epoch
    assert all(math.isfinite(v) for v in history.loss)
    assert history.stopped_epoch == expected_updates
    assert "learning rate" in history.message and "1e+06" in history.message
    assert f"epoch {expected_updates}" in history.message
    assert f"update {expected_updates + 1}" in history.message
    assert all(np.all(np.isfinite(p)) for p in model.params)


def test_no_divergence_leaves_message_empty():
    X, y = xor()
    history = train(MLP([2, 2, 1], seed=0), X, y, lr=0.1, epochs=5)
    assert not history.diverged and history.message == ""


# ----- clipping ------------------------------------------------------------------------------
def test_clip_norm_keeps_global_gradient_norm_below_max_norm():
    X, y = regression_data()
    X = 5 * X

    def gradients_seen(**kwargs):
        model = MLP([1, 16, 1], activation="tanh", seed=0)
        optimizer = RecordingSGD(model.params, lr=0.05)
        train(model, X, y, optimizer=optimizer, epochs=30, batch_size=10, seed=0, **kwargs)
        return optimizer.seen

    unclipped = [global_norm(g) for g in gradients_seen()]
    assert max(unclipped) > 0.5  # clipping has something to do
    clipped = [global_norm(g) for g in gradients_seen(clip_norm=0.5)]
    assert max(clipped) <= 0.5 + 1e-12
    by_value = gradients_seen(clip_value=0.05)
    assert max(np.max(np.abs(g)) for step in by_value for g in step) <= 0.05


# ----- schedules, callbacks, statistics, accuracy ----------------------------------------------
def test_schedule_sets_learning_rate_each_epoch_and_callback_sees_history():
    X, y = xor()
    seen = []

    def callback(epoch, history):
        seen.append((epoch, len(history.loss), history.lr[-1]))

    history = train(MLP([2, 3, 1], seed=0), X, y, lr=0.5, epochs=4,
                    schedule=lambda epoch: 0.5 / (epoch + 1), callback=callback)
    assert history.lr == [0.5, 0.25, 0.5 / 3, 0.125]
    assert seen == [(e, e + 1, 0.5 / (e + 1)) for e in range(4)]


def test_gradient_statistics_are_mean_abs_dW_per_layer_per_epoch():
    X, y = xor()
    model = MLP([2, 3, 3, 1], activation="sigmoid", seed=0)
    reference = model.copy()
    reference.loss_and_grads(X, y, "mse")
    expected = [np.mean(np.abs(layer.grads["W"])) for layer in reference.dense_layers()]
    history = train(model, X, y, lr=0.5, epochs=7)
    assert history.grad_stats.shape == (7, 3)
    np.testing.assert_allclose(history.grad_stats[0], expected, rtol=1e-13)


def test_classification_history_records_accuracy_and_validation():
    X, y = make_moons(n_samples=120, noise=0.1, seed=0)
    X_val, y_val = make_moons(n_samples=60, noise=0.1, seed=1)
    model = MLP([2, 16, 2], activation="tanh", seed=0)
    history = train(model, X, y, loss="softmax_cross_entropy", optimizer="adam", lr=0.05,
                    epochs=60, batch_size=16, seed=0, validation=(X_val, y_val))
    assert len(history.accuracy) == len(history.val_accuracy) == len(history.val_loss) == 60
    assert history.val_accuracy[-1] == accuracy(model, X_val, y_val)
    assert history.val_accuracy[-1] > 0.9
    assert history.best_epoch == int(np.argmin(history.val_loss))


def test_regression_history_has_no_accuracy():
    X, y = regression_data()
    history = train(MLP([1, 4, 1], seed=0), X, y, lr=0.05, epochs=3)
    assert history.accuracy == [] and history.val_accuracy == []
    assert isinstance(history, History) and len(history.loss) == 3


def test_accuracy_helper_by_hand():
    model = MLP([1, 1], seed=0)
    layer = model.dense_layers()[0]
    layer.W, layer.b = [[1.0]], [0.0]  # output = x
    X = np.array([[0.2], [0.7], [-0.3], [0.9]])
    y = np.array([0, 1, 1, 0])
    assert accuracy(model, X, y) == 0.5  # threshold 0.5 on a probability: 0, 1, 0, 1
    assert accuracy(model, X, y, loss="bce_with_logits") == 0.25  # threshold 0: 1, 1, 0, 1


def test_progress_is_quiet_by_default_and_prints_when_asked(capsys):
    X, y = xor()
    train(MLP([2, 2, 1], seed=0), X, y, epochs=3)
    assert capsys.readouterr().out == ""
    train(MLP([2, 2, 1], seed=0), X, y, epochs=3, progress=True)
    out = capsys.readouterr().out
    assert "epoch 3/3" in out and "loss" in out and out.endswith("\n")
