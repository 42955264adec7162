"""Published training runs, set up exactly as their authors ran them, so the course can check them.

- The loss-curve article: a 2-3-1 sigmoid network on XOR, weights from ``np.random.seed(42)``,
  gradients summed over the four samples, learning rate 0.1, 10,000 steps.
- The playground article: 2-2-1 networks on XOR with its own initialisation and loss scaling.
- Nielsen's *Neural Networks and Deep Learning*, chapter 5: the size of each hidden layer's bias
  gradient at initialisation in a deep sigmoid network.

The first two need NumPy's legacy generator (``np.random.RandomState``), because that is what
the published code seeded; everything else in the course uses ``np.random.Generator``.
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import as_2d_float, check_positive_int
from backproplab.data import xor
from backproplab.losses import Loss
from backproplab.network import MLP
from backproplab.studies.seed_study import (
    SeedStudy,
    TwoLayerRun,
    initial_weights,
    train_two_layer,
    xor_seed_study,
)

# The loss-curve article's figures, exactly as printed.
ARTICLE_FIGURES = {
    "loss_start": "0.318",
    "loss_5000": "0.010",
    "loss_10000": "0.0023",
    "grad_W2_end": "0.001217",
    "grad_W1_end": "0.000590",
}
# Nielsen's measured gradient sizes for hidden layers 1 to 4 of a [784, 30, 30, 30, 30, 10] net.
NIELSEN_SPEEDS = (0.003, 0.017, 0.070, 0.285)


def matches_printed(value: float, printed: str) -> bool:
    """True if ``value`` rounds to the string ``printed`` at the number of decimals it shows."""
    decimals = len(printed.partition(".")[2])
    return f"{value:.{decimals}f}" == printed


def fastest_fall(loss) -> int:
    """The step at which a loss curve (steps,) falls the most, after its initial drop.

    A loss curve often starts with a quick fall that slows down, then speeds up again as the
    network finds its way, and slows once more. The initial drop ends at the first step where
    the fall gets faster; the answer is the step t, from there on, with the largest
    ``loss[t] - loss[t + 1]``. A curve whose fall never speeds up again gives 0.
    """
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 1 or len(loss) < 3 or not np.all(np.isfinite(loss)):
        raise ValueError(f"loss must be a finite curve of at least 3 steps; got {loss.shape}")
    fall = -np.diff(loss)
    speeding_up = np.flatnonzero(np.diff(fall) > 0)
    if len(speeding_up) == 0:
        return 0
    start = int(speeding_up[0]) + 1
    return start + int(np.argmax(fall[start:]))


def half_sse(y_pred, y_true) -> float:
    """Half the summed squared error 0.5 * sum((y_pred - y_true)**2); shapes must match."""
    y_pred, y_true = np.asarray(y_pred, dtype=float), np.asarray(y_true, dtype=float)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"y_true must have shape {y_pred.shape}; got {y_true.shape}")
    return float(0.5 * np.sum((y_pred - y_true) ** 2))


def half_sse_grad(y_pred, y_true):
    """d(half_sse)/dy_pred = y_pred - y_true: per-sample errors, summed (not averaged)."""
    y_pred, y_true = np.asarray(y_pred, dtype=float), np.asarray(y_true, dtype=float)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"y_true must have shape {y_pred.shape}; got {y_true.shape}")
    return y_pred - y_true


HALF_SSE = Loss("half_sse", half_sse, half_sse_grad)


def article_weights(seed=42) -> tuple[np.ndarray, np.ndarray]:
    """The article's initial weights: after ``np.random.seed(seed)``, W1 = randn(2, 3) and then
    W2 = randn(3, 1)."""
    W1, W2 = initial_weights([2, 3, 1], [seed], init="unit", legacy=True)
    return W1[0], W2[0]


def article_run(steps=10_000, lr=0.1, seed=42) -> TwoLayerRun:
    """The loss-curve article's run: 2-3-1 sigmoid on XOR, summed gradients, full batch.

    Returns a :class:`~backproplab.studies.seed_study.TwoLayerRun` for one network:
    ``loss[0, t]`` is mean((y_hat - y)**2) before update t and ``grad_mean_abs[0, t]`` holds
    mean |dW1| and mean |dW2| of update t. Biases start at zero and are trained.
    """
    W1, W2 = article_weights(seed)
    X, y = xor()
    return train_two_layer(
        W1[None], W2[None], X, y, lr, check_positive_int(steps, "steps"),
        loss="half_sse", record_grads=True,
    )


def playground_run(seeds, hidden=2, lr=0.5, epochs=5000, record_accuracy=False) -> SeedStudy:
    """The playground article's XOR networks under its conventions, one per seed.

    Weights ``randn(n_in, n_out) * sqrt(2 / (n_in + n_out))`` after ``np.random.seed(seed)``
    (W1 then W2), zero biases, mean squared error without the factor 2, averaged gradients.
    ``record_accuracy`` keeps the accuracy before every update (``run.accuracy_curve``).
    """
    return xor_seed_study(hidden, seeds, lr=lr, epochs=epochs, conventions="playground",
                          record_accuracy=record_accuracy)


def nielsen_learning_speeds(X, Y, hidden=(30, 30, 30, 30), seeds=range(10)) -> np.ndarray:
    """Length of each hidden layer's bias gradient at initialisation, (S, len(hidden)).

    Set up as Nielsen measured it: sigmoid units everywhere, cross-entropy on the sigmoid
    outputs summed over the k outputs and averaged over the samples X (n, n_in) with one-hot
    targets Y (n, k), weights N(0, 1/n_in) and biases N(0, 1). One network per seed.
    """
    X, Y = as_2d_float(X, "X"), as_2d_float(Y, "Y")
    if len(Y) != len(X):
        raise ValueError(f"Y must have {len(X)} rows like X; got shape {Y.shape}")
    speeds = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        model = MLP([X.shape[1], *hidden, Y.shape[1]], "sigmoid", init="lecun", rng=rng)
        for layer in model.dense_layers():
            layer.b = rng.standard_normal(layer.b.shape)
        model.loss_and_grads(X, Y, "bce_with_logits")  # mean over n * k entries
        k = Y.shape[1]
        speeds.append([k * np.linalg.norm(d.grads["b"]) for d in model.dense_layers()[:-1]])
    return np.array(speeds)
