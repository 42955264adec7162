"""Training speed of ``backproplab.training.train`` against the same training in PyTorch.

Both sides train the same architecture from the same initial weights (copied from the
backproplab model into ``torch.nn.Linear``), in float64, on the same data, with the same
batch size, step count, shuffling order (the same NumPy permutations) and plain SGD, and
both keep the same per-epoch history (mean loss and accuracy). Because the computation is
the same, the two per-epoch loss histories must agree to rounding: the run checks it.

For the large MLP the module also measures how much of a training step is matrix
multiplication, and how long the backward pass takes against the forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backproplab.data import load_digits, xor
from backproplab.layers import Dense
from backproplab.losses import get_loss
from backproplab.network import MLP
from backproplab.optimizers import SGD
from backproplab.training import _Stepper, train

from .report import figure
from .timing import interleaved

SEED = 0  # initial weights
SHUFFLE_SEED = 1  # order of the mini-batches


@dataclass(frozen=True)
class Workload:
    """One training run: an MLP of ``sizes`` trained with SGD on one data set."""

    key: str
    title: str
    sizes: tuple[int, ...]
    activation: str
    loss: str
    lr: float
    epochs: int
    batch_size: int | None
    target: float
    rounds: int

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return DATA[self.key]()

    def model(self):
        return MLP(list(self.sizes), activation=self.activation, seed=SEED, loss=self.loss)

    def steps(self, n_samples: int) -> int:
        per_epoch = 1 if self.batch_size is None else -(-n_samples // self.batch_size)
        return self.epochs * per_epoch


def _large_data(n_samples=16 * 256, n_features=784, n_classes=10):
    """MNIST-shaped stand-in data: standard normal pixels, random labels."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((n_samples, n_features)), rng.integers(0, n_classes, n_samples)


DATA = {"xor": xor, "digits": load_digits, "large": _large_data}

WORKLOADS = (
    Workload("xor", "XOR 2-4-1, full batch, 10,000 steps", (2, 4, 1), "tanh",
             "bce_with_logits", 0.5, 10_000, None, 1.0, 5),
    Workload("digits", "digits 64-64-10, batch 32, 5 epochs", (64, 64, 10), "relu",
             "softmax_cross_entropy", 0.1, 5, 32, 1.0, 9),
    Workload("large", "MLP 784-512-512-10, batch 256, 16 steps", (784, 512, 512, 10), "relu",
             "softmax_cross_entropy", 0.01, 1, 256, 1.5, 7),
)


# ----- the two contestants ------------------------------------------------------------------
def backproplab_factory(workload: Workload, X, y, histories: dict):
    """Prepare a fresh model; the timed call trains it with ``train``."""

    def prepare():
        model = workload.model()

        def run():
            histories["backproplab"] = train(
                model, X, y, loss=workload.loss, optimizer="sgd", lr=workload.lr,
                epochs=workload.epochs, batch_size=workload.batch_size, seed=SHUFFLE_SEED,
            ).loss

        return run

    return prepare


def torch_mirror(torch, model):
    """A ``torch.nn.Sequential`` with the same layers and weights as a backproplab MLP."""
    activations = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    modules = []
    for layer in model.layers:
        if isinstance(layer, Dense):
            linear = torch.nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.W.T))
                linear.bias.copy_(torch.from_numpy(layer.b))
            modules.append(linear)
        else:
            modules.append(activations[layer.name]())
    return torch.nn.Sequential(*modules)


def torch_train(torch, net, X, y, workload: Workload) -> list[float]:
    """The PyTorch loop that does what ``train`` does: shuffle each epoch with the same
    NumPy generator, slice mini-batches, record the epoch's mean loss and accuracy."""
    if workload.loss == "bce_with_logits":
        loss_fn = torch.nn.BCEWithLogitsLoss()

        def correct(out, target):
            return ((out[:, 0] > 0) == (target[:, 0] > 0.5)).sum().item()
    else:
        loss_fn = torch.nn.CrossEntropyLoss()

        def correct(out, target):
            return (out.argmax(dim=1) == target).sum().item()

    optimizer = torch.optim.SGD(net.parameters(), lr=workload.lr)
    rng = np.random.default_rng(SHUFFLE_SEED)
    n = len(X)
    size = n if workload.batch_size is None else workload.batch_size
    history = []
    for _ in range(workload.epochs):
        X_epoch, y_epoch = X, y
        if size < n:
            order = torch.from_numpy(rng.permutation(n))
            X_epoch, y_epoch = X[order], y[order]
        total = right = 0.0
        for start in range(0, n, size):
            xb, yb = X_epoch[start:start + size], y_epoch[start:start + size]
            optimizer.zero_grad()
            out = net(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            right += correct(out.detach(), yb)
        history.append((total / n, right / n))
    return [loss for loss, _ in history]


def torch_factory(torch, workload: Workload, X, y, histories: dict):
    X_t = torch.from_numpy(X)
    y_t = torch.from_numpy(y if workload.loss == "bce_with_logits" else y.astype(np.int64))

    def prepare():
        net = torch_mirror(torch, workload.model())

        def run():
            histories["pytorch"] = torch_train(torch, net, X_t, y_t, workload)

        return run

    return prepare


def compare_with_torch(torch, workload: Workload, rounds: int | None = None) -> dict:
    """Interleaved timing of both; returns a figure with the time ratio."""
    X, y = workload.data()
    histories: dict = {}
    comparison = interleaved(
        {
            "backproplab": backproplab_factory(workload, X, y, histories),
            "pytorch": torch_factory(torch, workload, X, y, histories),
        },
        rounds=rounds or workload.rounds,
    )
    ours, theirs = np.array(histories["backproplab"]), np.array(histories["pytorch"])
    steps = workload.steps(len(X))
    details = comparison.summary("backproplab", "pytorch")
    details.update(
        steps=steps,
        microseconds_per_step={
            name: 1e6 * comparison.median(name) / steps for name in ("backproplab", "pytorch")
        },
        final_loss={"backproplab": float(ours[-1]), "pytorch": float(theirs[-1])},
        max_relative_loss_difference=float(np.max(np.abs(ours - theirs) / np.abs(theirs))),
    )
    return figure(
        f"train_vs_torch_{workload.key}",
        f"training time / PyTorch's: {workload.title}",
        details["ratio"], "ratio", target=workload.target, details=details,
    )


# ----- inside one step of the large MLP -----------------------------------------------------
LARGE = WORKLOADS[2]


def _repeat(function, calls: int):
    def run():
        for _ in range(calls):
            function()

    return lambda: run


def _one_batch():
    X, y = LARGE.data()
    return X[: LARGE.batch_size], y[: LARGE.batch_size]


def _backward_over_forward(forward, backward, rounds: int, calls: int) -> dict:
    """Time ``backward(dL/dY)`` against ``forward(X)`` on one batch of the large MLP,
    interleaved; returns the comparison's summary (its ``ratio`` is backward / forward)."""
    X, y = _one_batch()
    output_grad = get_loss(LARGE.loss).grad(forward(X), y)
    comparison = interleaved(
        {
            "backward": _repeat(lambda: backward(output_grad), calls),
            "forward": _repeat(lambda: forward(X), calls),
        },
        rounds=rounds,
    )
    return comparison.summary("backward", "forward")


def forward_backward_ratio(rounds: int = 15, calls: int = 4) -> dict:
    """Backward time / forward time of the passes a training step makes, on one batch.

    These are the passes ``train`` runs (``training._Stepper``): the backward pass computes
    every parameter gradient but not dL/dX of the input, which no step needs.
    """
    model = LARGE.model()
    step = _Stepper(model, get_loss(LARGE.loss), SGD(model.params, lr=LARGE.lr), 0.0, None, None)
    details = _backward_over_forward(step._forward, step._backward, rounds, calls)
    return figure(
        "backward_over_forward_large",
        "backward time / forward time in a training step: MLP 784-512-512-10, batch 256",
        details["ratio"], "ratio", target=2.5, details=details,
    )


def public_forward_backward_ratio(rounds: int = 15, calls: int = 4) -> dict:
    """The same ratio through the public ``model.forward`` and ``model.backward``; the latter
    also returns dL/dX of the input (a further 256x512 by 512x784 product) and accumulates
    into the gradients. Reported, not judged."""
    model = LARGE.model()
    details = _backward_over_forward(model.forward, model.backward, rounds, calls)
    return figure(
        "backward_over_forward_large_public",
        "backward / forward through the public methods (backward also returns dL/dX)",
        details["ratio"], "ratio", details=details,
    )


def matmul_plan(sizes, batch_size: int, rng) -> list:
    """The matrix products of one training step, on arrays of the step's shapes and layouts.

    Per Dense layer: Z = X @ W forward; dW = X.T @ dZ into the gradient array and, except
    for the input layer (whose dL/dX the step does not need), dX = dZ @ W.T backward.
    """
    plan = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        X = rng.standard_normal((batch_size, n_in))
        W = rng.standard_normal((n_in, n_out))
        dZ = rng.standard_normal((batch_size, n_out))
        plan.append((X, W, dZ, np.zeros((n_in, n_out)), i > 0))
    return plan


def run_matmuls(plan, steps: int) -> None:
    for _ in range(steps):
        for X, W, dZ, dW, input_grad in plan:
            X @ W  # noqa: B018 - the product is what is timed
            np.matmul(X.T, dZ, out=dW)
            if input_grad:
                dZ @ W.T  # noqa: B018


def matmul_share(rounds: int = 7) -> dict:
    """Time of a training step's matrix products alone / time of the training step."""
    X, y = LARGE.data()
    steps = LARGE.steps(len(X))
    plan = matmul_plan(LARGE.sizes, LARGE.batch_size, np.random.default_rng(2))

    def train_epoch():
        model = LARGE.model()
        return lambda: train(model, X, y, loss=LARGE.loss, lr=LARGE.lr, epochs=1,
                             batch_size=LARGE.batch_size, seed=SHUFFLE_SEED)

    comparison = interleaved(
        {"matmuls": lambda: lambda: run_matmuls(plan, steps), "training step": train_epoch},
        rounds=rounds,
    )
    details = comparison.summary("matmuls", "training step")
    details["milliseconds_per_step"] = {
        name: 1e3 * comparison.median(name) / steps for name in comparison.seconds
    }
    return figure(
        "matmul_share_large",
        "share of a training step in matrix products: MLP 784-512-512-10, batch 256",
        details["ratio"], "ratio", target=0.6, comparison=">=", details=details,
    )


def run(torch, quick: bool = False) -> list[dict]:
    """Every training figure; ``quick`` uses 2 rounds each (to check the harness, not to time)."""
    rounds = 2 if quick else None
    figures = [compare_with_torch(torch, w, rounds) for w in WORKLOADS]
    figures.append(forward_backward_ratio(rounds or 15))
    figures.append(public_forward_backward_ratio(rounds or 15))
    figures.append(matmul_share(rounds or 7))
    return figures
