"""Step-size limits of 2-D surfaces, and batch / stochastic / mini-batch descent recorded per
update, checked against gradient descent on linear least squares written out in NumPy."""

import math
from itertools import combinations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import hessian as autograd_hessian

from backproplab.network import MLP
from backproplab.studies.descent import (
    DescentRun,
    gradient_noise,
    max_stable_lr,
    run_descent,
    surface_hessian,
)
from backproplab.studies.surfaces import Quadratic, Surface, get_surface, run_optimizer


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def saddle(p):
    return 0.5 * p[0] ** 2 + 0.25 * p[1] ** 4 - 0.5 * p[1] ** 2


# ----- curvature and the largest stable step ---------------------------------------------------
@pytest.mark.parametrize(
    ("name", "func", "point"),
    [
        ("rosenbrock", rosenbrock, (1.0, 1.0)),
        ("rosenbrock", rosenbrock, (-1.2, 1.0)),
        ("rosenbrock", rosenbrock, (0.3, -0.4)),
        ("saddle", saddle, (0.0, 0.0)),
        ("saddle", saddle, (0.7, -1.3)),
    ],
)
def test_surface_hessian_matches_autograd(name, func, point):
    expected = autograd_hessian(func)(anp.array(point))
    got = surface_hessian(name, point)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-5)


def test_surface_hessian_of_a_rotated_quadratic_is_its_matrix():
    eigenvalues, degrees = np.array([0.5, 12.0]), 35.0
    c, s = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
    R = np.array([[c, -s], [s, c]])
    q = Quadratic(eigenvalues, rotation_deg=degrees)
    np.testing.assert_allclose(surface_hessian(q, (0.3, -0.8)), R @ np.diag(eigenvalues) @ R.T,
                               atol=1e-8)


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("bowl", 2.0),
        ("valley", 2.0 / 5.0),
        ("saddle", 2.0 / 2.0),  # curvature 3 y^2 - 1 = 2 along y at the minimum (0, 1)
        ("rosenbrock", 2.0 / (501 + math.sqrt(501**2 - 400))),  # eigenvalues of [[802, -400],
        # [-400, 200]] are 501 +- sqrt(501^2 - 400)
    ],
)
def test_max_stable_lr_at_the_minimum(surface, expected):
    assert max_stable_lr(surface) == pytest.approx(expected, rel=1e-7)


def test_max_stable_lr_separates_convergence_from_divergence():
    q = Quadratic((1.0, 10.0), rotation_deg=20)
    limit = max_stable_lr(q)
    below = run_optimizer(q, "sgd", start=(0.5, 0.5), steps=3000, lr=0.98 * limit)
    above = run_optimizer(q, "sgd", start=(0.5, 0.5), steps=3000, lr=1.02 * limit)
    assert not below.diverged and np.linalg.norm(below.points[-1]) < 1e-6
    assert above.diverged


def test_surface_hessian_rejects_bad_input():
    with pytest.raises(ValueError, match="point must have shape"):
        surface_hessian("bowl", (1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="surface must be"):
        surface_hessian(42)
    flat = Surface("plane", lambda x, y: x + y, lambda x, y: (1.0 + 0 * x, 1.0 + 0 * y),
                   extent=(-1, 1, -1, 1))
    with pytest.raises(ValueError, match="point is needed"):
        surface_hessian(flat)
    with pytest.raises(ValueError, match="no positive curvature"):
        max_stable_lr(flat, (0.0, 0.0))


# ----- gradient descent on linear least squares, by hand ---------------------------------------
@pytest.fixture
def regression():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(10, 2))
    y = X @ np.array([[1.5], [-2.0]]) + 0.3 + 0.1 * rng.normal(size=(10, 1))
    return X, y


def weights(model):
    """[W; b] of a one-layer MLP as a column (n_features + 1, 1)."""
    W, b = model.params
    return np.vstack([W, b.reshape(1, -1)])


def mse(X1, w, y):
    return float(np.mean((X1 @ w - y) ** 2))


def least_squares_descent(X, y, w0, lr, orders, batch_size):
    """Mini-batch gradient descent on mean((X1 w - y)^2), written out: returns the loss on all
    rows before the first update and after each one."""
    X1 = np.column_stack([X, np.ones(len(X))])
    w, losses = w0.copy(), [mse(X1, w0, y)]
    for order in orders:
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            w = w - lr * 2 / len(rows) * X1[rows].T @ (X1[rows] @ w - y[rows])
            losses.append(mse(X1, w, y))
    return w, np.array(losses)


@pytest.mark.parametrize("batch_size", [None, 1, 3, 10])
def test_run_descent_in_order_matches_hand_written_descent(regression, batch_size):
    X, y = regression
    model = MLP([2, 1], seed=0)
    w0 = weights(model)
    run = run_descent(model, X, y, lr=0.05, epochs=4, batch_size=batch_size, shuffle=False)
    size = len(X) if batch_size is None else batch_size
    w, losses = least_squares_descent(X, y, w0, 0.05, [np.arange(len(X))] * 4, size)
    np.testing.assert_allclose(run.losses, losses, rtol=1e-12)
    np.testing.assert_allclose(weights(model), w, rtol=1e-12)
    assert run.updates_per_epoch == math.ceil(len(X) / size)
    assert len(run.losses) == 4 * run.updates_per_epoch + 1
    assert run.batch_size == size and not run.diverged


def test_run_descent_shuffles_with_its_generator_each_epoch(regression):
    X, y = regression
    model = MLP([2, 1], seed=0)
    w0 = weights(model)
    run = run_descent(model, X, y, lr=0.05, epochs=3, batch_size=2, seed=11)
    rng = np.random.default_rng(11)
    orders = [rng.permutation(len(X)) for _ in range(3)]
    _, losses = least_squares_descent(X, y, w0, 0.05, orders, 2)
    np.testing.assert_allclose(run.losses, losses, rtol=1e-12)
    again = run_descent(MLP([2, 1], seed=0), X, y, lr=0.05, epochs=3, batch_size=2, seed=11)
    other = run_descent(MLP([2, 1], seed=0), X, y, lr=0.05, epochs=3, batch_size=2, seed=12)
    np.testing.assert_array_equal(run.losses, again.losses)
    assert not np.allclose(run.losses, other.losses)


def test_run_descent_follows_the_schedule(regression):
    X, y = regression
    model = MLP([2, 1], seed=0)
    w0 = weights(model)
    run = run_descent(model, X, y, lr=0.1, epochs=3, schedule=lambda epoch: 0.1 / (epoch + 1))
    np.testing.assert_allclose(run.lrs, [0.1, 0.05, 0.1 / 3])
    X1 = np.column_stack([X, np.ones(len(X))])
    w = w0
    for lr in (0.1, 0.05, 0.1 / 3):
        w = w - lr * 2 / len(X) * X1.T @ (X1 @ w - y)
    np.testing.assert_allclose(weights(model), w, rtol=1e-12)


def test_epoch_views_of_a_run():
    run = DescentRun(losses=np.arange(7.0), lrs=np.array([0.1, 0.1, 0.1]), batch_size=4,
                     updates_per_epoch=2)
    np.testing.assert_array_equal(run.epoch_losses, [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(run.epochs, [0, 0.5, 1, 1.5, 2, 2.5, 3])


def test_full_batch_descent_on_least_squares_only_goes_downhill(regression):
    # Below 2 / lambda_max every eigen-component of the error shrinks, so the loss falls.
    X, y = regression
    X1 = np.column_stack([X, np.ones(len(X))])
    lam_max = np.linalg.eigvalsh(2 / len(X) * X1.T @ X1).max()
    run = run_descent(MLP([2, 1], seed=0), X, y, lr=1.9 / lam_max, epochs=50)
    assert np.all(np.diff(run.losses) < 0)


def test_run_descent_stops_and_explains_divergence(regression):
    X, y = regression
    with np.errstate(over="ignore"):
        run = run_descent(MLP([2, 1], seed=0), X, y, lr=50.0, epochs=500)
    assert run.diverged
    assert run.message.startswith("diverged at epoch")
    assert "learning rate 50 is too large" in run.message
    assert np.all(np.isfinite(run.losses)) and len(run.losses) < 501


def test_run_descent_rejects_bad_input(regression):
    X, y = regression
    model = MLP([2, 1], seed=0)
    with pytest.raises(ValueError, match="batch_size must be at most"):
        run_descent(model, X, y, batch_size=11)
    with pytest.raises(ValueError, match="batch_size"):
        run_descent(model, X, y, batch_size=0)
    with pytest.raises(ValueError, match="y must have one row per row of X"):
        run_descent(model, X, y[:5])
    with pytest.raises(ValueError, match="lr"):
        run_descent(model, X, y, lr=-0.1)
    with pytest.raises(TypeError, match="model must be"):
        run_descent("not a model", X, y)


# ----- gradient noise ----------------------------------------------------------------------------
def test_gradient_noise_of_the_full_batch_is_zero(regression):
    X, y = regression
    # Every "batch" is the whole data set in some order: zero up to rounding.
    assert gradient_noise(MLP([2, 1], seed=0), X, y, batch_size=len(X), draws=5) < 1e-25


def test_gradient_noise_matches_the_average_over_every_batch():
    # n = 5 rows, B = 2: the exact expectation is the mean over all 10 subsets.
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    model = MLP([2, 1], seed=0)
    X1 = np.column_stack([X, np.ones(5)])
    per_sample = 2 * (X1 @ weights(model) - y) * X1
    full = per_sample.mean(axis=0)
    exact = np.mean([np.sum((per_sample[list(s)].mean(axis=0) - full) ** 2)
                     for s in combinations(range(5), 2)])
    spread = np.mean(np.sum((per_sample - full) ** 2, axis=1))
    assert exact == pytest.approx((5 - 2) / (2 * 4) * spread, rel=1e-12)  # the 1/B law
    measured = gradient_noise(model, X, y, batch_size=2, draws=4000, seed=1)
    assert measured == pytest.approx(exact, rel=0.05)


def test_gradient_noise_is_reproducible_and_validated(regression):
    X, y = regression
    model = MLP([2, 1], seed=0)
    first = gradient_noise(model, X, y, batch_size=3, draws=50, seed=4)
    assert first == gradient_noise(model, X, y, batch_size=3, draws=50, seed=4)
    with pytest.raises(ValueError, match="draws"):
        gradient_noise(model, X, y, draws=0)


def test_get_surface_names_work_everywhere():
    assert max_stable_lr(get_surface("valley")) == pytest.approx(max_stable_lr("valley"))
