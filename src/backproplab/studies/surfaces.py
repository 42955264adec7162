"""Two-dimensional loss surfaces, a runner that records an optimizer's path across one, and
the theory of gradient descent and momentum on quadratics that the paths are checked against.

A point is an array ``p`` of shape (2,) holding (x, y). Each surface is defined by a
vectorised function of x and y (so contour grids cost one call) and its analytic gradient.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from backproplab._validation import (
    as_float_array,
    check_choice,
    check_positive,
    check_positive_int,
)
from backproplab.optimizers import get_optimizer

DIVERGENCE_RADIUS = 1e6  # a run stops once |p| exceeds this


def _as_point(p, name: str) -> np.ndarray:
    point = as_float_array(p, name, ndim=1)
    if point.shape != (2,):
        raise ValueError(f"{name} must have shape (2,), a point (x, y); got shape {point.shape}")
    return point


class Surface:
    """A loss surface z = f(x, y).

    func(x, y) -> z and grad_func(x, y) -> (dz/dx, dz/dy) work elementwise on arrays.
    extent: (xmin, xmax, ymin, ymax) for plots; minima: the known local minima, as (2,) points,
    the global one first; default_starts: start points that show the surface's character.
    """

    def __init__(self, name, func, grad_func, extent, minima=(), default_starts=()):
        self.name = name
        self._func = func
        self._grad_func = grad_func
        self.extent = tuple(float(v) for v in extent)
        self.minima = [np.asarray(m, dtype=np.float64) for m in minima]
        self.default_starts = [np.asarray(s, dtype=np.float64) for s in default_starts]

    @property
    def minimum(self) -> np.ndarray | None:
        """The global minimum, shape (2,), or None if the surface has none."""
        return self.minima[0].copy() if self.minima else None

    def f(self, p) -> float:
        """The value at the point ``p``, shape (2,)."""
        x, y = _as_point(p, "p")
        return float(self._func(x, y))

    def grad(self, p) -> np.ndarray:
        """The gradient at the point ``p``, shape (2,) -> shape (2,)."""
        x, y = _as_point(p, "p")
        return np.array(self._grad_func(x, y), dtype=np.float64)

    def value_grid(self, xs, ys) -> np.ndarray:
        """Values on the grid ``xs`` (nx,) by ``ys`` (ny,), shape (ny, nx), for ``contour``."""
        xs = as_float_array(xs, "xs", ndim=1)
        ys = as_float_array(ys, "ys", ndim=1)
        X, Y = np.meshgrid(xs, ys)
        return self._func(X, Y)

    def __repr__(self) -> str:
        return f"Surface({self.name!r})"


class Quadratic(Surface):
    """f(p) = 0.5 p^T A p with A = R diag(eigenvalues) R^T, R a rotation by ``rotation_deg``.

    eigenvalues: two positive curvatures; the first lies along the x axis before rotation.
    The minimum is the origin; ``A`` (2, 2) and ``condition_number`` are exposed.
    """

    def __init__(self, eigenvalues, rotation_deg=0.0, name="quadratic"):
        eigenvalues = as_float_array(eigenvalues, "eigenvalues", ndim=1)
        if eigenvalues.shape != (2,) or np.any(eigenvalues <= 0):
            raise ValueError(f"eigenvalues must be two positive numbers; got {eigenvalues}")
        if isinstance(rotation_deg, bool) or not isinstance(rotation_deg, numbers.Real):
            raise TypeError(f"rotation_deg must be a number of degrees; got {rotation_deg!r}")
        theta = np.deg2rad(float(rotation_deg))
        rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        self.eigenvalues = eigenvalues
        self.A = rotation @ np.diag(eigenvalues) @ rotation.T
        self.condition_number = float(eigenvalues.max() / eigenvalues.min())
        (a, b), (_, c) = self.A

        def func(x, y):
            return 0.5 * (a * x * x + 2.0 * b * x * y + c * y * y)

        def grad_func(x, y):
            return a * x + b * y, b * x + c * y

        super().__init__(
            name,
            func,
            grad_func,
            extent=(-1.0, 1.0, -1.0, 1.0),
            minima=[(0.0, 0.0)],
            default_starts=[(-0.9, 0.7)],
        )


def _saddle() -> Surface:
    # f = x^2/2 + y^4/4 - y^2/2: a saddle at the origin (curvature +1 along x, -1 along y)
    # between two minima at (0, +1) and (0, -1).
    return Surface(
        "saddle",
        lambda x, y: 0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2,
        lambda x, y: (x, y**3 - y),
        extent=(-2.0, 2.0, -1.6, 1.6),
        minima=[(0.0, 1.0), (0.0, -1.0)],
        default_starts=[(-1.8, 1e-3), (-1.8, 0.3)],
    )


def _rosenbrock() -> Surface:
    # f = (1 - x)^2 + 100 (y - x^2)^2: a curved, flat-bottomed valley; minimum at (1, 1).
    return Surface(
        "rosenbrock",
        lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2,
        lambda x, y: (-2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)),
        extent=(-2.0, 2.0, -1.0, 3.0),
        minima=[(1.0, 1.0)],
        default_starts=[(-1.2, 1.0), (0.0, 2.5)],
    )


def _himmelblau() -> Surface:
    # f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima with f = 0.
    return Surface(
        "himmelblau",
        lambda x, y: (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2,
        lambda x, y: (
            4.0 * x * (x**2 + y - 11.0) + 2.0 * (x + y**2 - 7.0),
            2.0 * (x**2 + y - 11.0) + 4.0 * y * (x + y**2 - 7.0),
        ),
        extent=(-5.0, 5.0, -5.0, 5.0),
        minima=[
            (3.0, 2.0),
            (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.283185991286170),
            (3.584428340330492, -1.848126526964404),
        ],
        default_starts=[(0.0, 0.0), (-1.0, -1.0), (1.0, -4.5)],
    )


SURFACES = {
    "bowl": lambda: Quadratic((1.0, 1.0), name="bowl"),
    "valley": lambda: Quadratic((0.2, 5.0), name="valley"),
    "saddle": _saddle,
    "rosenbrock": _rosenbrock,
    "himmelblau": _himmelblau,
}


def get_surface(name) -> Surface:
    """A fresh surface by name: one of ``SURFACES`` ("bowl", "valley" (a quadratic with
    condition number 25), "saddle", "rosenbrock", "himmelblau")."""
    check_choice(name, "surface", SURFACES)
    return SURFACES[name]()


@dataclass
class OptimizerPath:
    """The record of one run: ``points`` (n, 2) and ``losses`` (n,) for steps 0 .. n-1.

    ``stopped_at`` is the number of steps taken (on divergence: the step that left the finite
    region, whose point is not recorded, so n == stopped_at). ``minimum`` is the surface's
    minimum (for measuring convergence), or None.
    """

    points: np.ndarray
    losses: np.ndarray
    diverged: bool
    message: str
    stopped_at: int
    minimum: np.ndarray | None = field(default=None, repr=False)


def run_optimizer(surface, optimizer="sgd", start=None, steps=100, lr=0.01, **opt_kwargs):
    """Run ``optimizer`` (a name or an Optimizer class) on ``surface`` (a Surface or its name)
    from ``start`` (2,) (default: the surface's first default start) for ``steps`` updates.

    Returns an OptimizerPath with points (steps + 1, 2) and losses (steps + 1,). If the point or
    the loss stops being finite, or |p| exceeds 1e6, the run stops there with ``diverged=True``
    and a message naming the step and the learning rate; the path holds the points before.
    """
    if isinstance(surface, str):
        surface = get_surface(surface)
    elif not isinstance(surface, Surface):
        raise TypeError(f"surface must be a Surface or a surface name; got {type(surface)}")
    p = _as_point(surface.default_starts[0] if start is None else start, "start").copy()
    steps = check_positive_int(steps, "steps")
    lr = check_positive(lr, "lr")
    opt = get_optimizer(optimizer, [p], lr=lr, **opt_kwargs)
    points, losses = [p.copy()], [surface.f(p)]
    diverged, message = False, f"ran {steps} steps with {type(opt).__name__}(lr={lr:g})"
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, steps + 1):  # p and its gradient are checked (2,) floats: no
            opt._apply([np.array(surface._grad_func(*p), dtype=np.float64)])  # checks per step
            loss = float(surface._func(*p))
            if not (np.isfinite(loss) and np.linalg.norm(p) <= DIVERGENCE_RADIUS):
                diverged = True
                message = (
                    f"diverged at step {step}: the learning rate lr={lr:g} is too large for "
                    f"{type(opt).__name__} on the {surface.name} surface (|p| exceeded "
                    f"{DIVERGENCE_RADIUS:g} or the loss became inf/nan)"
                )
                break
            points.append(p.copy())
            losses.append(loss)
    return OptimizerPath(
        points=np.array(points),
        losses=np.array(losses),
        diverged=diverged,
        message=message,
        stopped_at=step,
        minimum=surface.minimum,
    )


def _check_eigenvalues(eigenvalues) -> tuple[float, float]:
    values = as_float_array(eigenvalues, "eigenvalues", ndim=1)
    if np.any(values <= 0):
        raise ValueError(f"eigenvalues must all be positive; got {values}")
    return float(values.min()), float(values.max())


def gd_theory(eigenvalues) -> dict[str, float]:
    """Gradient descent on 0.5 w^T A w with the given eigenvalues of A (any number, all > 0).

    Returns best_lr = 2 / (lmin + lmax), the per-step rate (kappa - 1) / (kappa + 1) at that
    step size (kappa = lmax / lmin), and max_lr = 2 / lmax (diverges above it).
    """
    lmin, lmax = _check_eigenvalues(eigenvalues)
    kappa = lmax / lmin
    return {
        "best_lr": 2.0 / (lmin + lmax),
        "rate": (kappa - 1.0) / (kappa + 1.0),
        "max_lr": 2.0 / lmax,
    }


def momentum_theory(eigenvalues) -> dict[str, float]:
    """Heavy-ball momentum (v = beta v + g, w -= lr v) on 0.5 w^T A w.

    Returns best_lr = (2 / (sqrt(lmin) + sqrt(lmax)))**2,
    best_momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2 and the per-step rate
    (sqrt(kappa) - 1) / (sqrt(kappa) + 1). It converges iff 0 < lr * lambda < 2 + 2 beta for
    every eigenvalue lambda.
    """
    lmin, lmax = _check_eigenvalues(eigenvalues)
    root_kappa = np.sqrt(lmax / lmin)
    rate = (root_kappa - 1.0) / (root_kappa + 1.0)
    return {
        "best_lr": (2.0 / (np.sqrt(lmin) + np.sqrt(lmax))) ** 2,
        "best_momentum": rate**2,
        "rate": rate,
    }


def measured_rate(path: OptimizerPath, skip=0.25, rtol=1e-12) -> float:
    """The per-step contraction of the distance d_k = |p_k - minimum| over the tail of a run.

    Uses the steps before d first falls to ``rtol * d_0`` (beyond that, rounding dominates),
    drops the first ``skip`` fraction of them (transients), and returns the geometric mean of
    d_{k+1} / d_k over the rest, i.e. (d_end / d_start) ** (1 / (end - start)).
    """
    if path.minimum is None:
        raise ValueError("path must come from a surface with a known minimum")
    if not 0.0 <= skip < 1.0:
        raise ValueError(f"skip must be in [0, 1); got {skip}")
    rtol = check_positive(rtol, "rtol")
    distances = np.linalg.norm(path.points - path.minimum, axis=1)
    if distances[0] == 0:
        raise ValueError("path must not start at the minimum")
    converged = np.flatnonzero(distances <= rtol * distances[0])
    end = converged[0] - 1 if converged.size else len(distances) - 1
    start = int(skip * end)
    if end - start < 1:
        raise ValueError(
            f"path has too few steps ({end}) above rtol * d_0 to measure a rate; "
            "run more steps or use a smaller learning rate"
        )
    return float((distances[end] / distances[start]) ** (1.0 / (end - start)))
