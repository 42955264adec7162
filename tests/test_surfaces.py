"""Loss surfaces (gradients, critical points), the optimizer runner, and convergence rates on
quadratics against the closed-form theory in shared/REFERENCE_RUNS.md."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as autograd_grad

from backproplab.optimizers import Momentum
from backproplab.studies.surfaces import (
    DIVERGENCE_RADIUS,
    SURFACES,
    Quadratic,
    Surface,
    gd_theory,
    get_surface,
    measured_rate,
    momentum_theory,
    run_optimizer,
)

# The same functions written independently in autograd.numpy, on a point p = (x, y).
INDEPENDENT = {
    "bowl": lambda p: 0.5 * anp.sum(p**2),
    "valley": lambda p: 0.1 * p[0] ** 2 + 2.5 * p[1] ** 2,
    "saddle": lambda p: 0.5 * p[0] ** 2 + 0.25 * p[1] ** 4 - 0.5 * p[1] ** 2,
    "rosenbrock": lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
    "himmelblau": lambda p: (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2,
}


def rotated_quadratic(eigenvalues, degrees):
    """0.5 * sum(lambda_i u_i^2) in the coordinates u = R(-theta) p of the eigenbasis."""
    c, s = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))

    def f(p):
        u = anp.array([c * p[0] + s * p[1], -s * p[0] + c * p[1]])
        return 0.5 * (eigenvalues[0] * u[0] ** 2 + eigenvalues[1] * u[1] ** 2)

    return f


def central_difference(f, p, h=1e-6):
    return np.array([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(2)])


def hessian(surface, p, h=1e-5):
    """Hessian by central differences of the analytic gradient, symmetrised."""
    columns = [(surface.grad(p + h * e) - surface.grad(p - h * e)) / (2 * h) for e in np.eye(2)]
    H = np.column_stack(columns)
    return 0.5 * (H + H.T)


def random_points(surface, rng, n=20):
    xmin, xmax, ymin, ymax = surface.extent
    return np.column_stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)])


def surfaces_with_independent_forms():
    cases = [(get_surface(name), INDEPENDENT[name]) for name in SURFACES]
    for eigenvalues, degrees in [((1.0, 10.0), 30.0), ((0.3, 4.0), -75.0)]:
        cases.append((Quadratic(eigenvalues, degrees), rotated_quadratic(eigenvalues, degrees)))
    return cases


CASES = surfaces_with_independent_forms()
CASE_IDS = [surface.name + str(i) for i, (surface, _) in enumerate(CASES)]


@pytest.mark.parametrize(("surface", "f"), CASES, ids=CASE_IDS)
def test_value_and_gradient_match_autograd(surface, f):
    df = autograd_grad(f)
    for p in random_points(surface, np.random.default_rng(0)):
        assert surface.f(p) == pytest.approx(f(p), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(surface.grad(p), df(p), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize(("surface", "f"), CASES, ids=CASE_IDS)
def test_gradient_matches_central_differences(surface, f):
    for p in random_points(surface, np.random.default_rng(1)):
        numeric = central_difference(surface.f, p)
        scale = max(1.0, np.abs(numeric).max())
        np.testing.assert_allclose(surface.grad(p), numeric, rtol=0, atol=1e-6 * scale)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_value_grid_layout(name):
    surface = get_surface(name)
    xs, ys = np.linspace(-1.0, 2.0, 4), np.linspace(-0.5, 0.5, 3)
    grid = surface.value_grid(xs, ys)
    assert grid.shape == (3, 4)
    assert grid[2, 1] == pytest.approx(surface.f([xs[1], ys[2]]), rel=1e-14)


def test_known_minima_have_zero_gradient_and_positive_curvature():
    rosenbrock = get_surface("rosenbrock")
    np.testing.assert_array_equal(rosenbrock.minimum, [1.0, 1.0])
    np.testing.assert_array_equal(rosenbrock.grad([1.0, 1.0]), [0.0, 0.0])
    assert rosenbrock.f([1.0, 1.0]) == 0.0
    for name in SURFACES:
        surface = get_surface(name)
        for m in surface.minima:
            np.testing.assert_allclose(surface.grad(m), 0.0, atol=1e-10)
            assert np.all(np.linalg.eigvalsh(hessian(surface, m)) > 0)
    himmelblau = get_surface("himmelblau")
    assert len(himmelblau.minima) == 4
    assert max(himmelblau.f(m) for m in himmelblau.minima) < 1e-20


def test_saddle_has_zero_gradient_and_a_descent_direction_at_the_origin():
    saddle = get_surface("saddle")
    origin = np.zeros(2)
    np.testing.assert_array_equal(saddle.grad(origin), [0.0, 0.0])
    curvatures, directions = np.linalg.eigh(hessian(saddle, origin))
    np.testing.assert_allclose(curvatures, [-1.0, 1.0], atol=1e-6)  # f = x^2/2 - y^2/2 + y^4/4
    down = directions[:, 0]
    assert saddle.f(0.1 * down) < saddle.f(origin) < saddle.f(0.1 * directions[:, 1])


def test_quadratic_matrix_has_the_given_spectrum_and_rotation():
    q = Quadratic((2.0, 8.0), rotation_deg=30.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(q.A), [2.0, 8.0], rtol=1e-14)
    first_axis = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    np.testing.assert_allclose(q.A @ first_axis, 2.0 * first_axis, rtol=1e-14)
    assert q.condition_number == 4.0
    assert get_surface("valley").condition_number == pytest.approx(25.0)


def test_theory_helpers_by_hand():
    # lambda in {1, 9}: kappa = 9, sqrt(kappa) = 3
    gd = gd_theory([1.0, 9.0])
    assert gd == pytest.approx({"best_lr": 0.2, "rate": 0.8, "max_lr": 2 / 9})
    momentum = momentum_theory([1.0, 9.0])  # (2 / (1 + 3))^2, ((3 - 1) / (3 + 1))^2, 2 / 4
    assert momentum == pytest.approx({"best_lr": 0.25, "best_momentum": 0.25, "rate": 0.5})
    # any number of eigenvalues: only the extremes matter (kappa = 16)
    assert gd_theory([4.0, 1.0, 16.0])["rate"] == pytest.approx(15 / 17)
    assert momentum_theory([4.0, 1.0, 16.0])["rate"] == pytest.approx(0.6)


# Convergence rates on quadratics. The start (-0.9, 0.7) has a sizeable component along both
# eigenvectors for every rotation used here, so the slow and the fast direction are excited.
START = np.array([-0.9, 0.7])
SPECTRA = [((1.0, 10.0), 30.0), ((0.5, 12.5), -60.0), ((2.0, 200.0), 10.0)]


def eigen_components(q):
    return np.abs(np.linalg.eigh(q.A)[1].T @ START)


@pytest.mark.parametrize(("eigenvalues", "degrees"), SPECTRA)
def test_gradient_descent_rate_at_best_step_matches_theory(eigenvalues, degrees):
    q = Quadratic(eigenvalues, degrees)
    assert np.all(eigen_components(q) > 0.1)
    theory = gd_theory(eigenvalues)
    path = run_optimizer(q, "sgd", start=START, steps=300, lr=theory["best_lr"])
    assert not path.diverged
    assert measured_rate(path) == pytest.approx(theory["rate"], rel=0.02)


@pytest.mark.parametrize(("eigenvalues", "degrees"), SPECTRA)
def test_gradient_descent_stability_edge_at_two_over_lambda_max(eigenvalues, degrees):
    q = Quadratic(eigenvalues, degrees)
    max_lr = gd_theory(eigenvalues)["max_lr"]
    above = run_optimizer(q, "sgd", start=START, steps=2000, lr=1.02 * max_lr)
    assert above.diverged
    below = run_optimizer(q, "sgd", start=START, steps=2000, lr=0.98 * max_lr)
    assert not below.diverged
    # slowest factor |1 - lr * lambda| over both eigenvalues, derived by hand
    expected = max(abs(1 - 0.98 * max_lr * lam) for lam in eigenvalues)
    assert measured_rate(below) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize(("eigenvalues", "degrees"), SPECTRA)
def test_momentum_rate_at_best_pair_matches_theory(eigenvalues, degrees):
    # At (lr*, beta*) both eigenvalues give a double root of z^2 - (1 + b - lr l) z + b, so the
    # distance behaves like (a + b k) r^k: the per-step ratio over a window [k0, k1] carries an
    # extra factor (k1 / k0)^(1 / (k1 - k0)). The minimum is the origin, where floating point
    # keeps relative precision, so we measure down to 1e-200 of the start: the window is a
    # few hundred to a few thousand steps long and the factor is below 0.5% (we allow 1.5%).
    q = Quadratic(eigenvalues, degrees)
    theory = momentum_theory(eigenvalues)
    lr, beta = theory["best_lr"], theory["best_momentum"]
    path = run_optimizer(q, "momentum", start=START, steps=4000, lr=lr, momentum=beta)
    assert not path.diverged
    rate = measured_rate(path, rtol=1e-200)
    assert rate == pytest.approx(theory["rate"], rel=0.015)
    assert rate < gd_theory(eigenvalues)["rate"] - 0.1  # much faster than the best plain GD


@pytest.mark.parametrize("beta", [0.3, 0.6, 0.9])
def test_momentum_stability_edge(beta):
    # converges iff 0 < lr * lambda < 2 + 2 beta for every eigenvalue; the edge is set by lambda_max
    q = Quadratic((1.0, 10.0), 20.0)
    edge = (2 + 2 * beta) / 10.0
    above = run_optimizer(q, Momentum, start=START, steps=3000, lr=1.02 * edge, momentum=beta)
    assert above.diverged
    below = run_optimizer(q, Momentum, start=START, steps=3000, lr=0.98 * edge, momentum=beta)
    assert not below.diverged
    assert np.linalg.norm(below.points[-1]) < 1e-6 * np.linalg.norm(START)


def test_measured_rate_ignores_the_rounding_floor():
    # GD with lr 0.01 near Himmelblau's minimum (3, 2), where the Hessian is [[74, 20], [20, 34]]
    # with eigenvalues 54 +- 20 sqrt(2): the slow factor is 1 - 0.01 (54 - 20 sqrt(2)). The
    # distance reaches rounding level (~1e-15) after ~120 steps and then stalls; the remaining
    # 280 steps must not drag the estimate towards 1.
    surface = get_surface("himmelblau")
    path = run_optimizer(surface, "sgd", start=(3.3, 2.2), steps=400, lr=0.01)
    assert np.linalg.norm(path.points[-1] - [3.0, 2.0]) < 1e-13
    expected = 1 - 0.01 * (54 - 20 * np.sqrt(2))
    assert measured_rate(path) == pytest.approx(expected, rel=0.01)


# The runner ---------------------------------------------------------------------------------


def test_run_records_the_path_without_touching_the_start():
    start = np.array([-1.2, 1.0])
    path = run_optimizer("rosenbrock", "adam", start=start, steps=50, lr=0.05)
    np.testing.assert_array_equal(start, [-1.2, 1.0])
    assert path.points.shape == (51, 2) and path.losses.shape == (51,)
    assert not path.diverged and path.stopped_at == 50
    rosenbrock = get_surface("rosenbrock")
    np.testing.assert_allclose(path.losses, [rosenbrock.f(p) for p in path.points], rtol=1e-14)
    np.testing.assert_array_equal(path.points[0], start)


def test_run_one_step_of_gradient_descent_by_hand():
    # bowl f = |p|^2 / 2, grad = p: one step with lr 0.25 gives 0.75 p
    path = run_optimizer(get_surface("bowl"), "sgd", start=(2.0, -4.0), steps=1, lr=0.25)
    np.testing.assert_allclose(path.points, [[2.0, -4.0], [1.5, -3.0]], rtol=1e-15)
    np.testing.assert_allclose(path.losses, [10.0, 5.625], rtol=1e-15)


def test_run_uses_the_default_start():
    surface = get_surface("saddle")
    path = run_optimizer(surface, "sgd", steps=3, lr=0.1)
    np.testing.assert_array_equal(path.points[0], surface.default_starts[0])


def test_run_stops_on_divergence_and_names_the_learning_rate():
    path = run_optimizer("rosenbrock", "sgd", start=(-1.2, 1.0), steps=100, lr=0.01)
    assert path.diverged
    k = path.stopped_at
    assert 1 <= k < 100
    assert path.points.shape == (k, 2) and path.losses.shape == (k,)
    assert np.all(np.isfinite(path.points)) and np.all(np.isfinite(path.losses))
    assert np.all(np.linalg.norm(path.points, axis=1) <= DIVERGENCE_RADIUS)
    assert f"step {k}" in path.message
    assert "learning rate" in path.message and "lr=0.01" in path.message


def test_run_stops_when_the_loss_overflows():
    # A huge step sends p to ~1e300 at once: the loss overflows to inf.
    path = run_optimizer("bowl", "sgd", start=(1.0, 1.0), steps=5, lr=1e300)
    assert path.diverged and path.stopped_at == 1
    assert path.points.shape == (1, 2)


def test_custom_surface():
    # a tilted plane z = x + 2 y: every step moves by -lr * (1, 2)
    plane = Surface(
        "plane",
        lambda x, y: x + 2 * y,
        lambda x, y: (np.ones_like(x), 2 * np.ones_like(y)),
        extent=(-1, 1, -1, 1),
        default_starts=[(0.0, 0.0)],
    )
    path = run_optimizer(plane, "sgd", steps=2, lr=0.5)
    np.testing.assert_allclose(path.points[-1], [-1.0, -2.0])
    np.testing.assert_allclose(path.losses, [0.0, -2.5, -5.0])
    assert plane.minimum is None
