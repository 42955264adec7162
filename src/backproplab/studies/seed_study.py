"""Train many small two-layer networks at once, one per random seed.

A network for XOR has a dozen weights, so training one is all call overhead: NumPy spends its
time starting operations, not doing arithmetic. Stacking the weights of S networks into arrays
of shape (S, n_in, n_out) and using batched matrix products trains all S in about the time of
one. That makes questions like "how often does a 2-2-1 network get stuck?" cheap to answer
over hundreds of seeds.

The networks are ``input -> Dense -> activation -> Dense -> sigmoid``, trained by full-batch
gradient descent, exactly as ``backproplab.training.train`` trains
``MLP(sizes, activation, output_activation="sigmoid")`` with ``optimizer="sgd"``. The size of
the output error is chosen by ``loss``:

- ``"mse"``: dL/dy_hat = 2 (y_hat - y) / N, the course's ``losses.mse`` (N = n_samples * n_out);
- ``"half_mse"``: (y_hat - y) / N, mean squared error without the factor 2;
- ``"half_sse"``: (y_hat - y), half the *summed* squared error: gradients summed over samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backproplab._validation import (
    as_2d_float,
    as_float_array,
    check_choice,
    check_positive,
    check_positive_int,
)
from backproplab.activations import get_activation, sigmoid, sigmoid_grad
from backproplab.data import xor
from backproplab.init import get_initializer

OUTPUT_ERROR_SCALES = {
    "mse": lambda n: 2.0 / n,
    "half_mse": lambda n: 1.0 / n,
    "half_sse": lambda n: 1.0,
}
LEGACY_SCALES = {
    "unit": lambda n_in, n_out: 1.0,
    "xavier": lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)),
}


@dataclass
class TwoLayerRun:
    """The record of ``train_two_layer`` for S networks trained side by side.

    loss : (S, epochs) mean squared error mean((y_hat - y)**2) before each update
    grad_mean_abs : (S, epochs, 2) mean |dW1| and mean |dW2| of each update's gradient,
        or None when not recorded
    final_loss : (S,) mean squared error after the last update
    accuracy : (S,) fraction of samples whose output is on the right side of 0.5, at the end
    params : final weights, {"W1": (S, n_in, h), "b1": (S, h), "W2": (S, h, k), "b2": (S, k)}
    activation : name of the hidden layer's activation
    accuracy_curve : (S, epochs) accuracy before each update (column t: after t updates), or
        None when not recorded
    """

    loss: np.ndarray
    grad_mean_abs: np.ndarray | None
    final_loss: np.ndarray
    accuracy: np.ndarray
    params: dict
    activation: str = "sigmoid"
    accuracy_curve: np.ndarray | None = None

    def predict(self, X, index: int = 0) -> np.ndarray:
        """Outputs (m, k) of network ``index`` for inputs X (m, n_in)."""
        return _forward(as_2d_float(X, "X"), self.params, self.activation, index)

    def classify(self, X, index: int = 0) -> np.ndarray:
        """Class labels (m,) of network ``index`` for inputs X (m, n_in): 1 where its single
        output is above 0.5, else 0."""
        output = self.predict(X, index)
        if output.shape[1] != 1:
            raise ValueError(f"classify needs networks with one output; these have "
                             f"{output.shape[1]}")
        return (output[:, 0] > 0.5).astype(np.int64)


def _forward(X, params, activation, index=slice(None)):
    """Sigmoid outputs of the networks ``index`` for X (n, n_in): (n, k) or (S, n, k)."""
    act = get_activation(activation)[0]
    W1, b1, W2, b2 = (params[key][index] for key in ("W1", "b1", "W2", "b2"))
    hidden = act(X @ W1 + b1[..., None, :])
    return sigmoid(hidden @ W2 + b2[..., None, :])


def _stacked(W, name: str) -> np.ndarray:
    W = as_float_array(W, name)
    if W.ndim != 3:
        raise ValueError(f"{name} must have shape (n_seeds, n_in, n_out); got shape {W.shape}")
    return W.copy()


def _bias(b, W: np.ndarray, name: str) -> np.ndarray:
    shape = (W.shape[0], W.shape[2])
    if b is None:
        return np.zeros(shape)
    b = as_float_array(b, name)
    if b.shape != shape:
        raise ValueError(f"{name} must have shape {shape} to match the weights; got {b.shape}")
    return b.copy()


def _checked_problem(W1, W2, X, y):
    X = as_2d_float(X, "X")
    y = as_float_array(y, "y")
    if y.ndim == 1:
        y = y[:, None]
    if W1.shape[1] != X.shape[1]:
        raise ValueError(f"W1 must have shape (n_seeds, {X.shape[1]}, h) for X; got {W1.shape}")
    if W2.shape[0] != W1.shape[0] or W2.shape[1] != W1.shape[2]:
        raise ValueError(
            f"W2 must have shape ({W1.shape[0]}, {W1.shape[2]}, n_out) to follow W1; "
            f"got {W2.shape}"
        )
    if y.shape != (X.shape[0], W2.shape[2]):
        raise ValueError(f"y must have shape ({X.shape[0]}, {W2.shape[2]}); got {y.shape}")
    return X, y


def train_two_layer(
    W1,
    W2,
    X,
    y,
    lr,
    epochs,
    b1=None,
    b2=None,
    activation="sigmoid",
    loss="mse",
    record_grads=False,
    record_accuracy=False,
) -> TwoLayerRun:
    """Train S two-layer networks side by side by full-batch gradient descent.

    W1 (S, n_in, h) and W2 (S, h, k) are the initial weights of the S networks (copied, never
    modified); b1 (S, h) and b2 (S, k) their biases (zero by default). X is (n, n_in) and y
    (n, k) or (n,), shared by all networks. ``activation`` is the hidden layer's; the output
    is always a sigmoid. ``loss`` chooses the output error (see the module docstring); the
    recorded loss is always the mean squared error. With ``record_accuracy`` the accuracy
    before every update is kept too (``TwoLayerRun.accuracy_curve``). Returns a
    :class:`TwoLayerRun`.
    """
    W1, W2 = _stacked(W1, "W1"), _stacked(W2, "W2")
    X, y = _checked_problem(W1, W2, X, y)
    b1, b2 = _bias(b1, W1, "b1"), _bias(b2, W2, "b2")
    lr = check_positive(lr, "lr")
    epochs = check_positive_int(epochs, "epochs")
    act, act_grad = get_activation(activation)
    scale = OUTPUT_ERROR_SCALES[check_choice(loss, "loss", OUTPUT_ERROR_SCALES)](y.size)
    losses = np.empty((W1.shape[0], epochs))
    grads = np.empty((W1.shape[0], epochs, 2)) if record_grads else None
    accuracy = np.empty((W1.shape[0], epochs)) if record_accuracy else None
    positive = y > 0.5
    XT = X.T
    for t in range(epochs):
        Z1 = X @ W1
        Z1 += b1[:, None, :]
        H = act(Z1)
        Z2 = H @ W2
        Z2 += b2[:, None, :]
        output = sigmoid(Z2)
        error = output - y
        losses[:, t] = (error * error).sum(axis=(1, 2)) / y.size
        if record_accuracy:
            accuracy[:, t] = ((output > 0.5) == positive).mean(axis=(1, 2))
        dZ2 = (scale * error) * sigmoid_grad(Z2)
        dZ1 = (dZ2 @ W2.transpose(0, 2, 1)) * act_grad(Z1)
        dW2 = H.transpose(0, 2, 1) @ dZ2
        dW1 = XT @ dZ1
        if record_grads:
            grads[:, t, 0] = np.abs(dW1).sum(axis=(1, 2)) / dW1[0].size
            grads[:, t, 1] = np.abs(dW2).sum(axis=(1, 2)) / dW2[0].size
        W1 -= lr * dW1
        b1 -= lr * dZ1.sum(axis=1)
        W2 -= lr * dW2
        b2 -= lr * dZ2.sum(axis=1)
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    output = _forward(X, params, activation)
    return TwoLayerRun(
        loss=losses,
        grad_mean_abs=grads,
        final_loss=np.mean((output - y) ** 2, axis=(1, 2)),
        accuracy=np.mean((output > 0.5) == (y > 0.5), axis=(1, 2)),
        params=params,
        activation=activation,
        accuracy_curve=accuracy,
    )


def _seed_list(seeds) -> list[int]:
    seeds = [seeds] if isinstance(seeds, int | np.integer) else list(seeds)
    if not seeds or not all(isinstance(s, int | np.integer) and s >= 0 for s in seeds):
        raise ValueError("seeds must be a non-empty list of non-negative integers")
    return [int(s) for s in seeds]


def initial_weights(sizes, seeds, init="xavier", legacy=False) -> list[np.ndarray]:
    """Initial weight matrices of one network per seed, stacked: [(S, n_in, n_out), ...].

    With ``legacy=False`` network s draws its matrices in order from
    ``np.random.default_rng(s)`` with the initialiser ``init`` of ``backproplab.init``, the same
    numbers as ``MLP(sizes, init=init, seed=s)``. With ``legacy=True`` it draws
    ``np.random.RandomState(s).randn(n_in, n_out) * scale`` in order, as code written with
    ``np.random.seed(s)`` does; ``init`` then names the scale: "unit" (1) or "xavier"
    (sqrt(2 / (n_in + n_out))).
    """
    sizes = [check_positive_int(n, "sizes") for n in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least two widths like [2, 2, 1]; got {sizes}")
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    stacks: list[list[np.ndarray]] = [[] for _ in pairs]
    for seed in _seed_list(seeds):
        if legacy:
            state = np.random.RandomState(seed)
            scale = LEGACY_SCALES[check_choice(init, "init", LEGACY_SCALES)]
            draws = [state.randn(n_in, n_out) * scale(n_in, n_out) for n_in, n_out in pairs]
        else:
            rng, draw = np.random.default_rng(seed), get_initializer(init)
            draws = [draw(n_in, n_out, rng) for n_in, n_out in pairs]
        for stack, W in zip(stacks, draws, strict=True):
            stack.append(W)
    return [np.stack(stack) for stack in stacks]


@dataclass
class SeedStudy:
    """Outcome of training one XOR network per seed.

    seeds : (S,) the seeds; accuracy : (S,) final training accuracy; final_loss : (S,) final
    mean squared error; run : the full :class:`TwoLayerRun` (loss curves and weights).
    """

    seeds: np.ndarray
    accuracy: np.ndarray
    final_loss: np.ndarray
    run: TwoLayerRun

    @property
    def solved_share(self) -> float:
        """Fraction of seeds that classify all four XOR points correctly."""
        return float(np.mean(self.accuracy == 1.0))

    def outcomes(self) -> dict[float, int]:
        """How many seeds ended at each accuracy, e.g. {0.5: 3, 0.75: 40, 1.0: 157}."""
        values, counts = np.unique(self.accuracy, return_counts=True)
        return {float(v): int(c) for v, c in zip(values, counts, strict=True)}


CONVENTIONS = {"course": (False, "mse"), "playground": (True, "half_mse")}


def xor_seed_study(
    hidden, seeds, lr=1.0, epochs=5000, init="xavier", conventions="course", activation="sigmoid",
    record_accuracy=False,
) -> SeedStudy:
    """Train a 2-``hidden``-1 network on XOR for every seed at once; return a :class:`SeedStudy`.

    ``conventions="course"`` draws weights like ``MLP([2, hidden, 1], init=init, seed=s)`` and
    uses the course's MSE gradient 2 (y_hat - y) / N, so each network is the one
    ``train(model, X, y, loss="mse", lr=lr, epochs=epochs)`` would produce.
    ``conventions="playground"`` draws ``randn(n_in, n_out) * sqrt(2 / (n_in + n_out))`` after
    ``np.random.seed(s)`` and uses the error (y_hat - y) / N without the factor 2
    (``init`` is then ignored). Biases start at zero. ``record_accuracy`` keeps the accuracy
    before every update in ``study.run.accuracy_curve`` (S, epochs).
    """
    hidden = check_positive_int(hidden, "hidden")
    legacy, loss = CONVENTIONS[check_choice(conventions, "conventions", CONVENTIONS)]
    seeds = _seed_list(seeds)
    W1, W2 = initial_weights([2, hidden, 1], seeds, "xavier" if legacy else init, legacy)
    X, y = xor()
    run = train_two_layer(W1, W2, X, y, lr, epochs, activation=activation, loss=loss,
                          record_accuracy=record_accuracy)
    return SeedStudy(np.array(seeds), run.accuracy, run.final_loss, run)


# The losses (MSE on XOR) of a network that gives one output to a group of points: the best
# output is the group's mean target, and the loss is the group's target variance over 4 points.
TRAP_LEVELS = {"two points merged (1/8)": 1 / 8, "three merged (1/6)": 1 / 6,
               "all four merged (1/4)": 1 / 4}


def trap_outcomes(accuracy, final_loss, tol=0.005) -> dict[str, int]:
    """Count XOR networks by how they ended: solved, on a trap level, or something else.

    ``accuracy`` and ``final_loss`` (S,) are a :class:`SeedStudy`'s. A network is "solved" when
    its accuracy is 1; otherwise it is counted at the level of :data:`TRAP_LEVELS` its final
    loss is within ``tol`` of (1/8, 1/6 or 1/4), or as "other". Returns a dict with the keys
    "solved", the keys of :data:`TRAP_LEVELS`, and "other", in that order.
    """
    accuracy = as_float_array(accuracy, "accuracy")
    final_loss = as_float_array(final_loss, "final_loss")
    if accuracy.ndim != 1 or accuracy.shape != final_loss.shape:
        raise ValueError(f"accuracy and final_loss must have the same shape (S,); got "
                         f"{accuracy.shape} and {final_loss.shape}")
    tol = check_positive(tol, "tol")
    failed = accuracy < 1
    counts = {"solved": int(np.sum(~failed))}
    matched = np.zeros_like(failed)
    for label, level in TRAP_LEVELS.items():
        here = failed & (np.abs(final_loss - level) < tol)
        counts[label] = int(np.sum(here))
        matched |= here
    counts["other"] = int(np.sum(failed & ~matched))
    return counts
