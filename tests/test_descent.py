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
    expected_gradient_noise,
    gradient_noise,
    inverse_time_decay,
    max_stable_lr,
    run_descent,
    sharpness_along,
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


def test_run_descent_checks_the_targets_once_before_the_fast_loop(regression):
    # The loop uses the loss's unchecked cores, so the first (checked) loss must catch a target
    # that would broadcast: y of shape (n,) against outputs (n, 1) would give an (n, n) error.
    X, y = regression
    with pytest.raises(ValueError, match="shape"):
        run_descent(MLP([2, 1], seed=0), X, y[:, 0], lr=0.05, epochs=1, batch_size=2)


def test_run_descent_takes_integer_labels_like_one_hot_rows():
    rng = np.random.default_rng(5)
    X, labels = rng.normal(size=(12, 2)), rng.integers(0, 3, size=12)
    by_label = run_descent(MLP([2, 4, 3], seed=0), X, labels, loss="softmax_cross_entropy",
                           lr=0.3, epochs=3, batch_size=4, seed=1)
    by_row = run_descent(MLP([2, 4, 3], seed=0), X, np.eye(3)[labels],
                         loss="softmax_cross_entropy", lr=0.3, epochs=3, batch_size=4, seed=1)
    np.testing.assert_allclose(by_label.losses, by_row.losses, rtol=1e-12)
    assert by_label.losses[0] == pytest.approx(np.log(3), rel=0.5)  # near-uniform start
    assert by_label.losses[-1] < by_label.losses[0]


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


def test_expected_gradient_noise_is_the_average_over_every_batch():
    # n = 6 rows: the exact expectation is the mean over all C(6, B) subsets, written out.
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    model = MLP([2, 1], seed=2)
    X1 = np.column_stack([X, np.ones(6)])
    per_sample = 2 * (X1 @ weights(model) - y) * X1
    full = per_sample.mean(axis=0)
    for B in (1, 2, 4):
        exact = np.mean([np.sum((per_sample[list(s)].mean(axis=0) - full) ** 2)
                         for s in combinations(range(6), B)])
        assert expected_gradient_noise(model, X, y, batch_size=B) == pytest.approx(exact,
                                                                                 rel=1e-10)
    assert expected_gradient_noise(model, X, y, batch_size=6) == 0.0


def test_expected_gradient_noise_agrees_with_a_network_measurement():
    # Not only for linear models: a tanh network, against many random batches.
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    model = MLP([3, 4, 1], activation="tanh", seed=3)
    exact = expected_gradient_noise(model, X, y, batch_size=5)
    assert gradient_noise(model, X, y, batch_size=5, draws=4000, seed=2) == pytest.approx(
        exact, rel=0.06)


def test_expected_gradient_noise_rejects_bad_input(regression):
    X, y = regression
    with pytest.raises(ValueError, match="batch_size must be at most"):
        expected_gradient_noise(MLP([2, 1], seed=0), X, y, batch_size=11)
    with pytest.raises(ValueError, match="at least 2 rows"):
        expected_gradient_noise(MLP([2, 1], seed=0), X[:1], y[:1])


def test_gradient_noise_is_reproducible_and_validated(regression):
    X, y = regression
    model = MLP([2, 1], seed=0)
    first = gradient_noise(model, X, y, batch_size=3, draws=50, seed=4)
    assert first == gradient_noise(model, X, y, batch_size=3, draws=50, seed=4)
    with pytest.raises(ValueError, match="draws"):
        gradient_noise(model, X, y, draws=0)


def test_get_surface_names_work_everywhere():
    assert max_stable_lr(get_surface("valley")) == pytest.approx(max_stable_lr("valley"))


# ----- the figures, over seeds --------------------------------------------------------------------
def _run(losses, per_epoch=2):
    losses = np.asarray(losses, dtype=float)
    return DescentRun(losses=losses, lrs=np.full((len(losses) - 1) // per_epoch, 0.1),
                      batch_size=1, updates_per_epoch=per_epoch)


def test_excess_loss_of_several_seeds_is_a_median_and_a_band():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.collections import PolyCollection

    from backproplab.plots.descent import plot_excess_loss

    seeds = [_run([5, 3, 2, 1.5, 1.2]), _run([4, 2, 3, 1.0, 1.1]), _run([6, 4, 1, 2.0, 1.4])]
    fig = plot_excess_loss({"sgd": seeds}, floor=1.0 - 1e-3)
    ax = fig.axes[0]
    line, = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [0, 0.5, 1, 1.5, 2])  # updates, in epochs
    np.testing.assert_allclose(line.get_ydata(), np.array([5, 3, 2, 1.5, 1.2]) - 1.0 + 1e-3)
    band, = [c for c in ax.collections if isinstance(c, PolyCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(1e-3)          # seed 2's 1.0 at update 3, minus the floor
    assert ys.max() == pytest.approx(6 - 1.0 + 1e-3)  # seed 3's start
    assert ax.get_legend().get_title().get_text() == "median of 3 seeds, band: their range"


def test_excess_loss_per_epoch_draws_one_thin_line_per_seed():
    import matplotlib
    matplotlib.use("Agg")

    from backproplab.plots.descent import plot_excess_loss

    seeds = [_run([5, 3, 2, 1.5, 1.2]), _run([4, 2, 3, 1.0, 1.1])]
    fig = plot_excess_loss({"sgd": seeds, "batch": _run([5, 4, 3, 2, 1.5])}, floor=0.0,
                           every_update=False, x="updates")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[0].get_ydata(), [5, 2, 1.2])   # every 2nd: epoch ends
    np.testing.assert_allclose(lines[1].get_ydata(), [4, 3, 1.1])
    np.testing.assert_allclose(lines[0].get_xdata(), [1, 3, 5])     # updates made + 1
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["sgd", "batch"]
    assert fig.axes[0].get_legend().get_title().get_text() == "one line per seed (2 seeds)"


def test_excess_loss_rejects_runs_that_are_not_runs():
    from backproplab.plots.descent import plot_excess_loss

    with pytest.raises(ValueError, match=r"runs\['sgd'\] must be a DescentRun"):
        plot_excess_loss({"sgd": []}, floor=0.0)
    with pytest.raises(ValueError, match="updates per epoch"):
        plot_excess_loss({"sgd": [_run([3, 2, 1], 2), _run([3, 2, 1, 0.5], 3)]}, floor=0.0)


def test_excess_loss_draws_the_named_run_on_top_and_thicker():
    import matplotlib
    matplotlib.use("Agg")

    from backproplab.plots.descent import plot_excess_loss

    seeds = [_run([5, 3, 2, 1.5, 1.2]), _run([4, 2, 3, 1.0, 1.1])]
    plain = plot_excess_loss({"sgd": seeds, "batch": seeds}, floor=0.0).axes[0].get_lines()
    fig = plot_excess_loss({"sgd": seeds, "batch": seeds}, floor=0.0, on_top="sgd")
    sgd, batch = fig.axes[0].get_lines()
    assert sgd.get_linewidth() == 2 * plain[0].get_linewidth()
    assert batch.get_linewidth() == plain[1].get_linewidth()
    assert sgd.get_zorder() > batch.get_zorder()
    with pytest.raises(ValueError, match="on_top must be one of the keys"):
        plot_excess_loss({"sgd": seeds}, floor=0.0, on_top="adam")


def test_sharpness_along_a_path_is_lr_times_the_largest_curvature():
    # A quadratic has the same Hessian everywhere: lr * lambda_max = 0.1 * 5 at every point.
    points = np.array([[0.0, 0.0], [1.0, -2.0], [3.0, 0.5]])
    assert np.allclose(sharpness_along(Quadratic((0.2, 5.0)), points, lr=0.1), 0.5, rtol=1e-8)
    # Rosenbrock (1 - x)^2 + 100 (y - x^2)^2, its Hessian written out by hand.
    x, y = 0.5, 0.1
    H = np.array([[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200.0]])
    expected = 0.002 * np.linalg.eigvalsh(H).max()
    assert sharpness_along("rosenbrock", [[x, y]], lr=0.002) == pytest.approx([expected], rel=1e-6)


@pytest.mark.parametrize(
    "points, lr, match",
    [([0.0, 1.0], 0.1, "points"), ([[0.0, 1.0, 2.0]], 0.1, "points"), ([[0.0, 1.0]], 0.0, "lr")],
)
def test_sharpness_along_rejects_bad_input(points, lr, match):
    with pytest.raises(ValueError, match=match):
        sharpness_along("bowl", points, lr)


def test_inverse_time_decay_follows_its_formula_and_its_sum_diverges():
    schedule = inverse_time_decay(0.05, tau=2)
    assert schedule(0) == 0.05 and schedule(2) == pytest.approx(0.025)
    assert schedule(6) == pytest.approx(0.0125)
    # tau = 1: lr0 times the harmonic numbers, H_30 = 3.99499 (to 5 decimals), which grow
    # without bound (H_n > ln n); the squares sum to at most lr0^2 pi^2 / 6.
    harmonic = inverse_time_decay(1.0, tau=1)
    assert sum(harmonic(e) for e in range(30)) == pytest.approx(3.99499, abs=1e-5)
    assert sum(harmonic(e) for e in range(20_000)) > math.log(20_000)
    assert sum(harmonic(e) ** 2 for e in range(20_000)) < math.pi**2 / 6


@pytest.mark.parametrize("lr0, tau, match", [(0.0, 1.0, "lr0"), (0.1, -1.0, "tau")])
def test_inverse_time_decay_rejects_bad_input(lr0, tau, match):
    with pytest.raises(ValueError, match=match):
        inverse_time_decay(lr0, tau)
    with pytest.raises(ValueError, match="epoch"):
        inverse_time_decay(0.1, 1.0)(-1)


def test_schedules_panel_draws_epoch_means_each_with_its_own_line_style_and_marker():
    import matplotlib
    matplotlib.use("Agg")

    from backproplab.plots import style, use_style
    from backproplab.plots.descent import epoch_mean_losses, plot_schedules

    # two updates per epoch: epoch means of the losses after each update
    seeds = [_run([5, 3, 2, 1.5, 1.2]), _run([4, 2, 3, 1.0, 1.1]), _run([6, 4, 1, 2.0, 1.4])]
    np.testing.assert_allclose(epoch_mean_losses(seeds[0]), [2.5, 1.35])
    names = ["constant", "step", "exponential", "cosine"]
    with matplotlib.rc_context():
        use_style()
        fig = plot_schedules({name: (lambda e: 0.1) for name in names},
                             {name: seeds for name in names}, floor=0.5)
    left, right = fig.axes
    lines = right.get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose(lines[0].get_xdata(), [0.5, 1.5])   # the epochs' middles
    np.testing.assert_allclose(lines[0].get_ydata(), [2.5 - 0.5, 1.35 - 0.5])  # seed medians
    assert len({(line.get_linestyle(), line.get_marker()) for line in lines}) == 4
    assert len({line.get_marker() for line in lines}) == 4
    for drawn, rate in zip(left.get_lines(), lines, strict=True):  # same look in both panels
        assert (drawn.get_color(), drawn.get_marker()) == (rate.get_color(), rate.get_marker())
    legend, = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == names
    assert "median of 3 seeds" in legend.get_title().get_text()
    fig.canvas.draw()
    assert fig.get_figwidth() <= style.MAX_WIDTH
    assert style.smallest_text(fig)[0] >= style.MIN_TEXT_PX


def test_batch_comparison_has_one_legend_below_its_panels():
    import matplotlib
    matplotlib.use("Agg")

    from backproplab.plots import style, use_style
    from backproplab.plots.descent import plot_batch_comparison

    seeds = [_run([5, 3, 2, 1.5, 1.2]), _run([4, 2, 3, 1.0, 1.1])]
    with matplotlib.rc_context():
        use_style()
        fig = plot_batch_comparison({"sgd": seeds, "batch": seeds}, floor=0.0)
    assert all(ax.get_legend() is None for ax in fig.axes)
    legend, = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["sgd", "batch"]
    assert legend.get_title().get_text() == "2 seeds each"
    assert fig.get_figwidth() <= style.MAX_WIDTH
    assert style.smallest_text(fig)[0] >= style.MIN_TEXT_PX


def test_parabola_steps_note_a_run_that_lands_exactly_and_label_the_minimum():
    import matplotlib
    matplotlib.use("Agg")

    from backproplab.plots.descent import plot_parabola_steps

    # curvature 4, theta* = 3, from 0: alpha = 0.25 lands on 3 at step 1 (factor 1 - 1 = 0);
    # alpha = 0.1 has factor 0.6 and never lands
    paths = {f"α = {lr} (αλ = {4 * lr:.2f})": 3 - 3 * (1 - 4 * lr) ** np.arange(6)
             for lr in (0.1, 0.25)}
    fig = plot_parabola_steps(paths, 3.0, zoom_steps=4)
    left, right = fig.axes
    notes = [t.get_text() for t in right.texts]
    assert notes == ["α = 0.25: exactly on the\nminimum after step 1"]
    assert right.texts[0].get_color() == left.get_lines()[1].get_color()
    legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_labels[-1] == r"the minimum $\theta^*$ = 3"
    fig = plot_parabola_steps({"α = 0.1": paths["α = 0.1 (αλ = 0.40)"]}, 3.0, zoom_steps=4)
    assert len(fig.axes[1].texts) == 0  # nothing lands, nothing to note


def test_rate_scan_draws_theory_over_the_measured_dots_and_names_the_line_at_one():
    import matplotlib
    matplotlib.use("Agg")

    from backproplab.plots.descent import plot_rate_scan

    lrs = np.linspace(0.01, 0.22, 12)
    measured = np.maximum(np.abs(1 - lrs), np.abs(1 - 10 * lrs))
    fig = plot_rate_scan(lrs, measured, (1.0, 10.0))
    ax, = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    dots, theory = lines["measured"], lines["theory: the larger of the two (the V)"]
    assert theory.get_zorder() > dots.get_zorder()
    assert theory.get_linewidth() > max(line.get_linewidth() for line in ax.get_lines()
                                        if line is not theory)
    assert dots.get_markerfacecolor() == "none"
    label, = [t for t in ax.texts if t.get_text() == "no progress"]
    assert label.xy[1] == 1 and 0 < label.xy[0] < 2 / 11


def test_shuffling_limits_follow_the_data_in_the_window_shown():
    import matplotlib
    matplotlib.use("Agg")

    from backproplab.plots.descent import plot_shuffling

    # 2 updates per epoch, 4 epochs; from epoch 2 on (update 4) the losses are 0.2 to 2 above
    # the floor, before it 50 and 1e-6 above it: those are outside the window
    losses = np.array([51.0, 1e-6 + 1, 2.0, 4.0, 1.2, 3.0, 1.5, 2.5, 1.4])
    fig = plot_shuffling({"a": [_run(losses), _run(losses)]}, floor=1.0, last_epochs=2)
    ax, = fig.axes
    low, high = ax.get_ylim()
    assert ax.get_xlim() == (2.0, 4.0)
    assert 0.2 / 2 < low < 0.2 and 2 < high < 2 * 2
