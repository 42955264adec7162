"""Gradient descent in practice: how large a step a surface allows, and batch, stochastic and
mini-batch descent recorded update by update.

:func:`max_stable_lr` reads the largest stable step 2 / lambda_max off the curvature of a
2-D surface. :func:`backproplab.training.train` keeps one number per epoch; to see what
happens *inside* an epoch, :func:`run_descent` runs the same loop (shuffle, mini-batches,
forward, backward, update) and records the loss on the whole training set after every single
update, so that runs with different batch sizes can be compared per update and per epoch.
:func:`gradient_noise` measures how far a mini-batch gradient strays from the full one, and
:func:`expected_gradient_noise` gives the exact expectation that measurement estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backproplab._validation import (
    as_2d_float,
    as_float_array,
    as_generator,
    check_positive,
    check_positive_int,
)
from backproplab.losses import _prepared_targets, _unchecked_fns, get_loss
from backproplab.optimizers import SGD
from backproplab.schedules import _check_epoch
from backproplab.studies.surfaces import Surface, get_surface
from backproplab.training import minibatches

__all__ = [
    "DescentRun",
    "expected_gradient_noise",
    "gradient_noise",
    "inverse_time_decay",
    "max_stable_lr",
    "run_descent",
    "sharpness_along",
    "surface_hessian",
]


def _as_surface(surface) -> Surface:
    if isinstance(surface, str):
        return get_surface(surface)
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a Surface or a surface name; got {type(surface)}")
    return surface


def surface_hessian(surface, point=None, eps=1e-5) -> np.ndarray:
    """The Hessian (2, 2) of ``surface`` at ``point`` (2,) (default: its global minimum), by
    central differences of the analytic gradient with step ``eps``, symmetrised."""
    surface = _as_surface(surface)
    if point is None:
        if surface.minimum is None:
            raise ValueError(f"point is needed: the {surface.name} surface has no minimum")
        point = surface.minimum
    point = as_float_array(point, "point", ndim=1)
    if point.shape != (2,):
        raise ValueError(f"point must have shape (2,); got shape {point.shape}")
    eps = check_positive(eps, "eps")
    columns = [
        (surface.grad(point + eps * e) - surface.grad(point - eps * e)) / (2 * eps)
        for e in np.eye(2)
    ]
    H = np.column_stack(columns)
    return 0.5 * (H + H.T)


def max_stable_lr(surface, point=None) -> float:
    """2 / lambda_max, the largest learning rate at which gradient descent is stable near
    ``point`` (default: the minimum), lambda_max the largest eigenvalue of the Hessian there.

    On a quadratic it is exact everywhere; elsewhere it holds where the surface is close to
    its second-order expansion at ``point``.
    """
    lam_max = float(np.linalg.eigvalsh(surface_hessian(surface, point)).max())
    if lam_max <= 0:
        raise ValueError("the surface has no positive curvature at point: no step limit")
    return 2.0 / lam_max


def inverse_time_decay(lr0, tau):
    """The schedule ``epoch -> lr0 / (1 + epoch / tau)``, a function like those of
    :mod:`backproplab.schedules` (which has no such schedule).

    Unlike step, exponential and cosine decay it meets both Robbins-Monro conditions: the
    rates fall like 1 / epoch, so their sum diverges (like the harmonic series) while the sum
    of their squares stays finite. ``lr0`` and ``tau`` must be positive.
    """
    lr0 = check_positive(lr0, "lr0")
    tau = check_positive(tau, "tau")

    def schedule(epoch):
        return lr0 / (1.0 + _check_epoch(epoch) / tau)

    return schedule


def sharpness_along(surface, points, lr) -> np.ndarray:
    """``lr * lambda_max`` of the Hessian at each of ``points`` (m, 2): shape (m,).

    Gradient descent at learning rate ``lr`` is locally stable where this is below 2 (the
    edge of stability is 2); a path can pass through places above 2 but cannot settle there.
    """
    surface = _as_surface(surface)
    points = as_2d_float(points, "points")
    if points.shape[1] != 2:
        raise ValueError(f"points must have shape (m, 2); got shape {points.shape}")
    lr = check_positive(lr, "lr")
    return np.array([lr * np.linalg.eigvalsh(surface_hessian(surface, p)).max() for p in points])


@dataclass
class DescentRun:
    """The record of one :func:`run_descent`.

    losses : (n_updates + 1,) loss on the whole training set before the first update and
        after each update (shorter if the run diverged)
    lrs : (epochs,) learning rate used in each epoch
    batch_size : rows per update (n for full-batch descent)
    updates_per_epoch : ceil(n / batch_size)
    diverged, message : set when the loss became inf or NaN (the run stops there)
    """

    losses: np.ndarray
    lrs: np.ndarray
    batch_size: int
    updates_per_epoch: int
    diverged: bool = False
    message: str = ""

    @property
    def epochs(self) -> np.ndarray:
        """Position of each entry of ``losses`` in epochs, shape like ``losses``."""
        return np.arange(len(self.losses)) / self.updates_per_epoch

    @property
    def epoch_losses(self) -> np.ndarray:
        """The loss at the start and at the end of every completed epoch, (epochs + 1,)."""
        return self.losses[:: self.updates_per_epoch]


def _check_data(model, X, y):
    X = as_2d_float(X, "X")
    y = as_float_array(y, "y")
    if len(y) != len(X):
        raise ValueError(f"y must have one row per row of X ({len(X)}); got shape {y.shape}")
    if not hasattr(model, "loss_and_grads"):
        raise TypeError(f"model must be a backproplab Sequential; got {type(model).__name__}")
    return X, y


def _check_batch_size(batch_size, n: int) -> int:
    if batch_size is None:
        return n
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(
            f"batch_size must be at most the number of samples ({n}); got {batch_size}"
        )
    return batch_size


def _forward(model, X: np.ndarray) -> np.ndarray:
    """``model.forward(X)`` without re-checking X, which ``_check_data`` checked once (the
    same layers in the same order: the same numbers)."""
    for layer in model.layers:
        X = layer.forward(X)
    return X


def run_descent(
    model,
    X,
    y,
    loss="mse",
    lr=0.1,
    epochs=10,
    batch_size=None,
    shuffle=True,
    schedule=None,
    rng=None,
    seed=None,
) -> DescentRun:
    """Plain gradient descent on ``model`` with mini-batches of ``batch_size`` rows of X (n, d).

    ``batch_size=None`` is full-batch descent (one update per epoch), 1 is stochastic gradient
    descent (n updates per epoch). With ``shuffle`` the rows are permuted by the generator at
    the start of every epoch; without it they are visited in the order given. ``schedule``
    (epoch -> learning rate) overrides ``lr`` at the start of each epoch. The parameters of
    ``model`` are updated in place. Returns a :class:`DescentRun`.
    """
    X, y = _check_data(model, X, y)
    loss = get_loss(loss)
    size = _check_batch_size(batch_size, len(X))
    epochs = check_positive_int(epochs, "epochs")
    optimizer = SGD(model.params, lr=check_positive(lr, "lr"))
    rng = as_generator(rng, seed)
    output = model.forward(X)
    losses, lrs = [loss.value(output, y)], []  # the checked loss: it validates y once
    # Inside the loop, as in ``train``, the loss's unchecked cores (the same arithmetic).
    value, grad = _unchecked_fns(loss)
    y = _prepared_targets(loss, y, output.shape[1])
    model.output_is_logit = loss.from_logits
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            if schedule is not None:
                optimizer.lr = schedule(epoch)
            lrs.append(optimizer.lr)
            for X_batch, y_batch in minibatches(X, y, batch_size=size, shuffle=shuffle, rng=rng):
                model.zero_grad()
                model.backward(grad(_forward(model, X_batch), y_batch))
                optimizer.step(model.grads)
                losses.append(value(_forward(model, X), y))
                if not math.isfinite(losses[-1]):
                    message = (
                        f"diverged at epoch {epoch} (update {len(losses) - 1}): the loss became "
                        f"{losses.pop()}; the learning rate {optimizer.lr:g} is too large"
                    )
                    return DescentRun(np.array(losses), np.array(lrs), size,
                                      math.ceil(len(X) / size), True, message)
    return DescentRun(np.array(losses), np.array(lrs), size, math.ceil(len(X) / size))


def gradient_noise(model, X, y, loss="mse", batch_size=1, draws=200, rng=None, seed=None):
    """Mean squared distance E|g_B - g|^2 between the gradient g_B on a random mini-batch and
    the full-batch gradient g, at the model's current parameters.

    Each of ``draws`` mini-batches holds ``batch_size`` distinct rows of X (n, d) drawn at
    random; the squared distance is summed over every parameter entry. For a loss that
    averages per-sample terms, theory gives (n - B) / (B (n - 1)) times the variance of the
    per-sample gradients: the noise falls like 1 / B.
    """
    X, y = _check_data(model, X, y)
    loss = get_loss(loss)
    size = _check_batch_size(batch_size, len(X))
    draws = check_positive_int(draws, "draws")
    rng = as_generator(rng, seed)
    model.loss_and_grads(X, y, loss)  # the checked loss: it validates y once
    full = np.concatenate([g.ravel() for g in model.grads])
    _, grad = _unchecked_fns(loss)
    y = _prepared_targets(loss, y, model.forward(X[:1]).shape[1])
    total = 0.0
    for _ in range(draws):
        rows = rng.choice(len(X), size=size, replace=False)
        model.zero_grad()
        model.backward(grad(model.forward(X[rows]), y[rows]))
        batch = np.concatenate([g.ravel() for g in model.grads])
        total += float(np.sum((batch - full) ** 2))
    return total / draws


def expected_gradient_noise(model, X, y, loss="mse", batch_size=1) -> float:
    """The exact E|g_B - g|^2 that :func:`gradient_noise` estimates, at the model's parameters.

    From the per-sample gradients g_i (one backward pass per row of X (n, d)) and their mean
    g: (n - B) / (B (n - 1)) * mean_i |g_i - g|^2, the variance of the mean of B rows drawn
    without replacement. It holds for a loss that averages per-sample terms (every loss in
    ``backproplab.losses``), where the full gradient g is the mean of the g_i. Leaves the
    model's ``grads`` holding the gradient of the last row.
    """
    X, y = _check_data(model, X, y)
    loss = get_loss(loss)
    n = len(X)
    size = _check_batch_size(batch_size, n)
    if n < 2:
        raise ValueError(f"X must have at least 2 rows to have gradient noise; got {n}")
    per_sample = []
    for i in range(n):
        model.loss_and_grads(X[i:i + 1], y[i:i + 1], loss)
        per_sample.append(np.concatenate([g.ravel() for g in model.grads]))
    per_sample = np.array(per_sample)
    spread = float(np.mean(np.sum((per_sample - per_sample.mean(axis=0)) ** 2, axis=1)))
    return (n - size) / (size * (n - 1)) * spread
