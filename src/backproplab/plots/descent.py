"""Chapter 2's figures: step sizes on a parabola, gradient descent across 2-D surfaces, the
measured rate on a quadratic, batch against stochastic descent, and learning-rate schedules."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import LogFormatterSciNotation, LogLocator, MaxNLocator, NullLocator

from .._validation import as_float_array, check_choice, check_positive
from ..studies.descent import DescentRun, max_stable_lr
from ..studies.surfaces import OptimizerPath, get_surface, run_optimizer
from .core import COLORS, PALETTE, get_axes, style_of
from .live import LiveFigure

EXPLORER_SURFACES = ("bowl", "valley", "saddle", "rosenbrock")
# How titles and alt text name each surface (Rosenbrock's valley carries his name).
SURFACE_NAMES = {"bowl": "bowl", "valley": "valley", "saddle": "saddle",
                 "rosenbrock": "Rosenbrock"}
# Three start points per surface: each surface's first default start, then two that show
# something different (the other side of the valley, the saddle's ridge, ...).
EXPLORER_STARTS = {
    "bowl": [(-0.9, 0.7), (0.8, 0.8), (0.3, -0.9)],
    "valley": [(-0.9, 0.7), (0.8, 0.8), (0.3, -0.9)],
    "saddle": [(-1.8, 1e-3), (-1.8, 0.3), (1.5, -1.4)],
    "rosenbrock": [(-1.2, 1.0), (1.8, 2.0), (0.5, -0.5)],
}
EXPLORER_STEPS = {"bowl": 100, "valley": 100, "saddle": 100, "rosenbrock": 2000}
# Learning rates in units of 2 / lambda_max, lambda_max the largest curvature at the minimum:
# from crawling (0.05) through the best step of the valley (0.96) to divergence (4).
LR_SCALES = (0.05, 0.25, 0.5, 0.96, 1.2, 4.0)
_TINY = 1e-16  # floor for f - f* on a log axis (a step can land exactly on the minimum)
# The saddle points the explorer marks (where the gradient is zero and the curvature has
# both signs), per surface.
EXPLORER_SADDLES = {"saddle": ((0.0, 0.0),)}
ON_THE_MINIMUM = 1e-12  # a run this close to a minimum is on it, for a reader


def plot_parabola_steps(paths: Mapping[str, Sequence[float]], target: float,
                        zoom_steps: int = 12):
    """Iterates theta_k of gradient descent on a 1-D parabola with minimum ``target``.

    ``paths`` maps a label to the sequence theta_0, theta_1, ...; the left panel shows the
    first ``zoom_steps`` iterates and the minimum (a grey line, in the legend), the right one
    |theta_k - target| for all of them on a log axis. A run that lands exactly on the target
    leaves the log axis, so the right panel says so in a note, in the run's colour, naming it
    by its label up to the first " (": "α = 0.25: exactly on the minimum after step 1" (on
    two lines).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.3, 3.9))
    notes = []
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=np.float64)
        steps = np.arange(len(path))
        style = {**style_of(i), "marker": "o", "markersize": 3}
        left.plot(steps[: zoom_steps + 1], path[: zoom_steps + 1], label=label, **style)
        gap = np.abs(path - target)
        right.plot(steps, np.where(gap > 0, gap, np.nan), **style)
        if np.any(gap == 0):
            notes.append((f"{label.split(' (')[0]}: exactly on the\nminimum after step "
                          f"{int(np.argmax(gap == 0))}", style["color"]))
    for j, (text, color) in enumerate(notes):  # bottom left, below the falling lines
        right.text(0.03, 0.03 + 0.18 * (len(notes) - 1 - j), text, color=color,
                   transform=right.transAxes, ha="left", va="bottom", linespacing=1.1)
    left.axhline(target, color="0.4", linewidth=1, label=rf"the minimum $\theta^*$ = {target:g}")
    left.set(xlabel="step $k$", ylabel=r"$\theta_k$", ylim=(target - 5, target + 5),
             title=f"the first {zoom_steps} steps")
    right.set_yscale("log")
    right.set(xlabel="step $k$", ylabel=r"$|\theta_k - \theta^*|$ (log scale)",
              title="distance to the minimum")
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncols=3)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return fig


@functools.lru_cache(maxsize=8)
def _contour_grid(name: str, resolution: int = 160):
    """(xs, ys, f - f* on the grid, f*) for a surface, computed once per surface."""
    surface = get_surface(name)
    x0, x1, y0, y1 = surface.extent
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    f_min = min(surface.f(m) for m in surface.minima)
    return xs, ys, surface.value_grid(xs, ys) - f_min, f_min


def contour_levels(name: str) -> np.ndarray:
    """The levels of f - f* at which the explorer draws contour lines for surface ``name``:
    log-spaced, each about twice the last (at most 14), from the value below which 1% of the
    surface's extent lies to the largest value on it, so that the low, narrow regions a path
    runs through (the valley floor, the basins of the minima) get lines as well as the
    steep walls."""
    gap = _contour_grid(name)[2]
    low, high = np.quantile(gap, 0.01), gap.max()
    count = int(np.clip(np.ceil(np.log2(high / low)), 7, 13)) + 1
    return np.geomspace(low, high, count)


def explorer_lr(name: str, lr_scale: float) -> float:
    """The learning rate ``lr_scale * 2 / lambda_max`` for surface ``name``."""
    return lr_scale * max_stable_lr(name)


def explorer_run(name: str, start: int, lr_scale: float) -> OptimizerPath:
    """Gradient descent on surface ``name`` from ``EXPLORER_STARTS[name][start]`` at
    ``lr_scale`` times 2 / lambda_max, for ``EXPLORER_STEPS[name]`` steps (cached)."""
    return _descent_run(name, *EXPLORER_STARTS[name][start], lr_scale)


@functools.lru_cache(maxsize=128)
def _descent_run(name: str, x0: float, y0: float, lr_scale: float) -> OptimizerPath:
    """Gradient descent on surface ``name`` from (x0, y0), as in ``explorer_run`` (cached)."""
    return run_optimizer(name, "sgd", start=(x0, y0), steps=EXPLORER_STEPS[name],
                         lr=explorer_lr(name, lr_scale))


def _sig3(value: float) -> str:
    """``value`` to 3 significant figures, trailing zeros kept: 0.270, 9.03e-31, 100."""
    return f"{value:#.3g}".rstrip(".").replace(".e", "e")


def describe_path(path: OptimizerPath, name: str, lr_scale: float | None = None) -> str:
    """One short line on how a run ended: diverged, converged, bouncing, or still on its way,
    with its numbers to 3 significant figures.

    ``lr_scale`` is the learning rate in units of 2 / lambda_max at the minimum (as in
    :func:`explorer_lr`); with it, a diverged run names its learning rate, and a run above 1
    that is neither diverged nor converged nor bouncing is said to be *not converging*,
    because the minimum is unstable at that step: it is not merely "not there yet".
    """
    if lr_scale is not None:
        lr_scale = check_positive(lr_scale, "lr_scale")
    steps = path.stopped_at
    if path.diverged:
        lr = ("the learning rate" if lr_scale is None
              else f"lr = {explorer_lr(name, lr_scale):.3g}")
        return f"diverged at step {steps}: {lr} is too large"
    surface = get_surface(name)
    points = path.points
    distance = min(np.linalg.norm(points[-1] - m) for m in surface.minima)
    which = "the" if len(surface.minima) == 1 else "a"
    if distance == 0:
        return f"converged: exactly on {which} minimum after {steps} steps"
    if distance < ON_THE_MINIMUM:
        return (f"converged: on {which} minimum (distance < {ON_THE_MINIMUM:.0e}) "
                f"after {steps} steps")
    if distance < 1e-6:
        return f"converged: within {_sig3(distance)} of {which} minimum after {steps} steps"
    if len(points) > 3:
        hop = np.linalg.norm(points[-1] - points[-2])
        if np.linalg.norm(points[-1] - points[-3]) < 1e-3 * hop:
            return f"bouncing between two points {_sig3(hop)} apart after {steps} steps"
    if lr_scale is not None and lr_scale > 1:
        return f"not converging: unstable minimum, {_sig3(distance)} away after {steps} steps"
    return f"not there yet: {_sig3(distance)} from the minimum after {steps} steps"


def _decade_log_axis(axis):
    """Every fifth decade labelled 10^-10, 10^-5, 10^0, ..., as on the chapter's other log
    axes (the labels are drawn once per surface, with the background)."""
    axis.set_major_locator(LogLocator(base=1e5))
    axis.set_major_formatter(LogFormatterSciNotation(base=10))
    axis.set_minor_locator(NullLocator())


def contour_view(name: str, start) -> tuple[float, float, float, float]:
    """The contour panel's limits (xmin, xmax, ymin, ymax) for a run from ``start`` (2,): the
    surface's extent, grown in steps of half a unit where the start lies outside it."""
    xmin, xmax, ymin, ymax = get_surface(name).extent
    x, y = start
    return (min(xmin, np.floor(2 * x) / 2), max(xmax, np.ceil(2 * x) / 2),
            min(ymin, np.floor(2 * y) / 2), max(ymax, np.ceil(2 * y) / 2))


def loss_gap_range(name: str) -> tuple[float, float]:
    """The loss panel's limits for surface ``name``: from below the floor of f - f* (an exact
    landing on the minimum) to a decade above the largest f - f* on its contour grid rounded
    up to a power of ten, so runs that do not blow up stay in view."""
    largest = _contour_grid(name)[2].max()
    return _TINY / 10, 10.0 ** (np.ceil(np.log10(largest)) + 1)


class DescentExplorer(LiveFigure):
    """Chapter 2's surface explorer: gradient descent's path over a surface's contours (left,
    with x and y axes, the start point marked and labelled) and f(theta_k) - f* per step on a
    log axis (right), under one line on how the run ended (in red if it diverged).

    ``png(surface=..., lr_scale=..., x0=..., y0=...)`` runs ``EXPLORER_STEPS[surface]`` steps
    from (x0, y0) at ``lr_scale`` times 2 / lambda_max (``start_label=`` names the start
    point, "start" by default); ``frame(surface, start, learning_rate)`` draws the static
    explorer's setting (``start`` indexes ``EXPLORER_STARTS[surface]``, labelled "start 1",
    "start 2", ...). Both panels' axes are fixed per surface and start (see ``contour_view``
    and ``loss_gap_range``), so only the path, the loss curve and the texts are redrawn; the
    contour lines (at ``contour_levels``), the saddle points of ``EXPLORER_SADDLES`` (an "x"
    labelled "saddle") and a key to the markers below the panels are still parts.
    """

    FIGSIZE = (9.5, 4.1)

    def __init__(self, page: bool = False):
        super().__init__(figsize=self.FIGSIZE, page=page)
        self.surface_ax, self.loss_ax = self.figure.subplots(1, 2, width_ratios=[1, 1.3])
        self.figure.subplots_adjust(left=0.075, right=0.965, bottom=0.22, top=0.84,
                                    wspace=0.3)
        self._stills: dict[str, list] = {}  # surface -> its contours, drawn once
        self._build_surface_panel(self.surface_ax)
        self._build_loss_panel(self.loss_ax)
        self._build_key()
        self.status_line = self.moving(self.figure.text(0.5, 0.955, " ", ha="center",
                                                        va="center", fontsize=12))

    def _build_key(self) -> None:
        """A one-line key to the contour panel's markers, below both panels."""
        red = PALETTE["vermillion"]
        handles = [
            Line2D([], [], marker="o", color=PALETTE["blue"], markersize=7, linestyle="none"),
            Line2D([], [], color=red, linewidth=1.2, marker="o", markersize=2.5),
            Line2D([], [], marker="s", markerfacecolor="none", markeredgecolor=red,
                   markeredgewidth=1.6, markersize=9, linestyle="none"),
            Line2D([], [], marker="*", color=PALETTE["black"], markersize=11, linestyle="none"),
        ]
        self.key = self.figure.legend(handles, ["start", "path", "end", "minimum"],
                                      loc="lower center", ncols=4, bbox_to_anchor=(0.5, 0.0),
                                      handletextpad=0.4, columnspacing=1.6)

    def _build_surface_panel(self, ax) -> None:
        red = PALETTE["vermillion"]
        self.path_line = self.moving(ax.plot([], [], color=red, linewidth=1.2,
                                             markersize=2.5)[0])
        self.start_dot = self.moving(ax.plot([], [], marker="o", color=PALETTE["blue"],
                                             markersize=7, linestyle="none", zorder=4)[0])
        # the minima on top of the path, and the end an open square that shows them inside
        self.minima_stars = self.moving(ax.plot([], [], marker="*", color=PALETTE["black"],
                                                markersize=11, linestyle="none", zorder=3)[0])
        self.end_square = self.moving(ax.plot([], [], marker="s", markerfacecolor="none",
                                              markeredgecolor=red, markeredgewidth=1.6,
                                              markersize=9, linestyle="none", zorder=4)[0])
        self.start_label = self.moving(ax.annotate(
            " ", (0, 0), xytext=(0, 0), textcoords="offset points", color=PALETTE["blue"],
            fontsize=11, zorder=5, annotation_clip=False,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                  "alpha": 0.8}))
        self.surface_title = self.moving(ax.set_title(" "))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set(xlabel="x", ylabel="y")
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)

    def _build_loss_panel(self, ax) -> None:
        self.loss_curve = self.moving(ax.plot([], [], color=PALETTE["vermillion"],
                                              linewidth=1.2)[0])
        ax.set_yscale("log")
        _decade_log_axis(ax.yaxis)
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.set(xlabel="step", ylabel="f(θ) − f*  (log)")

    def _draw_stills(self, name: str) -> list:
        """The still parts of surface ``name``: thin grey contour lines at
        ``contour_levels(name)`` over light flat bands (darker = higher), and its saddle
        points, each an "x" labelled "saddle"."""
        xs, ys, gap, _ = _contour_grid(name)
        levels = contour_levels(name)
        ax = self.surface_ax
        greys = [str(round(0.99 - 0.17 * i / len(levels), 3)) for i in range(len(levels))]
        stills = [ax.contourf(xs, ys, gap, levels=np.r_[min(0.0, gap.min()), levels],
                              colors=greys, antialiased=False, zorder=0),
                  ax.contour(xs, ys, gap, levels=levels, colors="0.45", linewidths=0.6,
                             zorder=1)]
        for x, y in EXPLORER_SADDLES.get(name, ()):
            stills += ax.plot([x], [y], marker="x", color=PALETTE["black"], markersize=9,
                              markeredgewidth=1.8, linestyle="none", zorder=2)
            stills.append(ax.annotate(
                "saddle", (x, y), xytext=(6, -5), textcoords="offset points", ha="left",
                va="top", zorder=2,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.8}))
        return stills

    def _show_surface(self, name: str, view: tuple[float, float, float, float]) -> None:
        """Show the still parts of surface ``name`` with the contour panel's limits ``view``."""
        if name not in self._stills:
            self._stills[name] = self._draw_stills(name)
        for shown, artists in self._stills.items():
            for artist in artists:
                artist.set_visible(shown == name)
        self.minima_stars.set_data(*np.transpose(get_surface(name).minima))
        self.surface_ax.set(xlim=view[:2], ylim=view[2:])
        self.surface_ax.apply_aspect()  # place the axes now: a kept background skips drawing
        self.loss_ax.set(xlim=(0, EXPLORER_STEPS[name]), ylim=loss_gap_range(name))

    # Where the start label may go, as (x, y) offsets from the start point in points, with
    # its alignment: beside it, above or below it, then diagonally.
    _LABEL_SPOTS = [((8, 0), "left", "center"), ((-8, 0), "right", "center"),
                    ((0, 8), "center", "bottom"), ((0, -8), "center", "top"),
                    ((7, 6), "left", "bottom"), ((-7, 6), "right", "bottom"),
                    ((7, -6), "left", "top"), ((-7, -6), "right", "top")]

    def _place_start_label(self, text: str, points: np.ndarray, minima) -> None:
        """Label the start point ``points[0]`` where the label covers the least of the path
        (``points`` (n, 2)) and of the minima, and stays inside the panel."""
        ax, label = self.surface_ax, self.start_label
        label.set_text(text)
        label.xy = tuple(points[0])
        renderer = self.figure.canvas.get_renderer()
        label.set(ha="left", va="bottom")
        label.xyann = (0, 0)
        size = label.get_window_extent(renderer)
        width, height = size.width, size.height
        frame = ax.get_window_extent(renderer)
        to_pixels = ax.transData.transform
        path = to_pixels(points)
        # the path as dots about 2 px apart (only the part near the start matters)
        path = path[np.all(np.isfinite(path), axis=1)]
        dots = [path[:1]]
        for a, b in zip(path[:-1], path[1:], strict=True):
            n = int(min(np.hypot(*(b - a)) / 2, 400)) + 1
            dots.append(a + np.linspace(0, 1, n)[:, None] * (b - a))
        dots = np.concatenate(dots + [np.repeat(to_pixels(np.atleast_2d(minima)), 40, axis=0)])
        x, y = path[0]
        scale = self.figure.dpi / 72
        best = None
        for order, ((dx, dy), ha, va) in enumerate(self._LABEL_SPOTS):
            left = x + dx * scale - {"left": 0, "center": width / 2, "right": width}[ha]
            bottom = y + dy * scale - {"bottom": 0, "center": height / 2, "top": height}[va]
            inside = (left >= frame.x0 and left + width <= frame.x1 and bottom >= frame.y0
                      and bottom + height <= frame.y1)
            covered = np.sum((dots[:, 0] >= left) & (dots[:, 0] <= left + width)
                             & (dots[:, 1] >= bottom) & (dots[:, 1] <= bottom + height))
            score = (not inside, covered, order)
            if best is None or score < best[0]:
                best = (score, (dx, dy), ha, va)
        _, offset, ha, va = best
        label.xyann = offset
        label.set(ha=ha, va=va)

    def update(self, surface: str, lr_scale: float, x0: float, y0: float,
               start_label: str = "start") -> Hashable:
        check_choice(surface, "surface", EXPLORER_SURFACES)
        lr_scale = check_positive(lr_scale, "lr_scale")
        x0 = float(as_float_array(x0, "x0", ndim=0))
        y0 = float(as_float_array(y0, "y0", ndim=0))
        path = _descent_run(surface, x0, y0, lr_scale)
        view = contour_view(surface, (x0, y0))
        self._show_surface(surface, view)
        points = path.points
        self.path_line.set_data(points[:, 0], points[:, 1])
        self.path_line.set_marker("o" if len(points) <= 200 else "None")
        self.start_dot.set_data(points[:1, 0], points[:1, 1])
        self.end_square.set_data(points[-1:, 0], points[-1:, 1])
        self._place_start_label(start_label, points, get_surface(surface).minima)
        lr = explorer_lr(surface, lr_scale)
        self.surface_title.set_text(
            f"{SURFACE_NAMES[surface]}: lr = {lr:.3g} = {lr_scale:g} × 2/λmax")
        gap = np.maximum(path.losses - _contour_grid(surface)[3], _TINY)
        self.loss_curve.set_data(np.arange(len(gap)), gap)
        self.status_line.set_text(describe_path(path, surface, lr_scale))
        self.status_line.set_color(PALETTE["vermillion"] if path.diverged else "0.15")
        return surface, view

    def frame(self, surface: str, start: int, learning_rate: float) -> bytes:
        """The static explorer's frame: from ``EXPLORER_STARTS[surface][start]`` (labelled
        "start {start + 1}") at ``learning_rate`` times 2 / lambda_max, as PNG bytes."""
        check_choice(surface, "surface", EXPLORER_SURFACES)
        x0, y0 = EXPLORER_STARTS[surface][start]
        return self.png(surface=surface, lr_scale=learning_rate, x0=x0, y0=y0,
                        start_label=f"start {start + 1}")


def plot_rate_scan(lrs, measured, eigenvalues):
    """Measured per-step contraction against the learning rate on a quadratic, with theory.

    ``lrs`` and ``measured`` (m,) are the scanned rates and the measured contractions;
    the curves are |1 - lr lambda| for the two ``eigenvalues`` and their maximum.
    """
    lmin, lmax = min(eigenvalues), max(eigenvalues)
    fig, ax = plt.subplots(figsize=(7.5, 4.3), layout="constrained")
    grid = np.linspace(0, max(lrs), 400)
    ax.plot(grid, np.abs(1 - grid * lmin), color=COLORS[0], linestyle="--", linewidth=1,
            label=r"$|1 - \alpha\lambda_{min}|$ (shallow direction)")
    ax.plot(grid, np.abs(1 - grid * lmax), color=COLORS[1], linestyle="-.", linewidth=1,
            label=r"$|1 - \alpha\lambda_{max}|$ (steep direction)")
    # the measured dots small and hollow, under the theory curve (the V), which they follow
    ax.plot(lrs, measured, "o", color=COLORS[3], markersize=5, markerfacecolor="none",
            markeredgewidth=1, zorder=2, label="measured")
    ax.plot(grid, np.maximum(np.abs(1 - grid * lmin), np.abs(1 - grid * lmax)), color="0.25",
            linewidth=2.5, alpha=0.6, zorder=3, label="theory: the larger of the two (the V)")
    ax.axvline(2 / (lmin + lmax), color=COLORS[2], linestyle=":", linewidth=1.5)
    ax.axvline(2 / lmax, color=COLORS[3], linestyle=":", linewidth=1.5)
    ax.axhline(1, color="0.5", linewidth=0.8)
    ax.annotate("no progress", (1 / (lmin + lmax), 1), xytext=(0, 2),
                textcoords="offset points", ha="center", va="bottom", color="0.35")
    ax.annotate(r"$\alpha^* = 2/(\lambda_{min}+\lambda_{max})$", (2 / (lmin + lmax), 0.05),
                xytext=(-6, 0), textcoords="offset points", ha="right")
    ax.annotate(r"$2/\lambda_{max}$", (2 / lmax, 0.05), xytext=(4, 0),
                textcoords="offset points")
    ax.set(xlabel=r"learning rate $\alpha$", ylabel="distance shrinks by this per step",
           ylim=(0, 1.3))
    fig.legend(loc="outside lower center", ncols=2)  # below: inside, it would cover the V
    return fig


def _as_seed_runs(label: str, runs) -> list[DescentRun]:
    """One run or a sequence of runs (one per seed) as a non-empty list."""
    if isinstance(runs, DescentRun):
        return [runs]
    runs = list(runs)
    if not runs or not all(isinstance(run, DescentRun) for run in runs):
        raise ValueError(f"runs[{label!r}] must be a DescentRun or a non-empty sequence of "
                         f"them (one per seed)")
    return runs


def plot_excess_loss(runs: Mapping[str, DescentRun | Sequence[DescentRun]], floor: float,
                     ax=None, x="epochs", every_update=True, title=None, legend_loc="best",
                     on_top=None):
    """Training loss minus ``floor`` (the least-squares optimum) for several runs, log axis.

    Each value of ``runs`` is one :class:`DescentRun` or a sequence of them, one per seed, all
    with the same number of updates per epoch. Several seeds are drawn as one thin line per
    seed when ``every_update=False``, and as their median with a band from the lowest to the
    highest seed when ``every_update=True`` (per-update losses are too noisy for single lines;
    the band runs as far as the shortest run). ``x="epochs"`` places the losses by epoch
    (linear axis), ``x="updates"`` by the number of updates made (log axis);
    ``every_update=False`` keeps only the loss at each epoch's end; ``legend_loc`` places the
    legend as matplotlib's ``loc`` does. ``on_top`` names one key of ``runs`` whose lines are
    drawn above the others and twice as thick (a short run that others would hide).
    """
    check_choice(x, "x", ("epochs", "updates"))
    if on_top is not None and on_top not in runs:
        raise ValueError(f"on_top must be one of the keys of runs {list(runs)}; got {on_top!r}")
    fig, ax = get_axes(ax, figsize=(5, 3.5))
    seed_counts = set()
    for i, (label, group) in enumerate(runs.items()):
        group = _as_seed_runs(label, group)
        per_epoch = group[0].updates_per_epoch
        if any(run.updates_per_epoch != per_epoch for run in group):
            raise ValueError(f"runs[{label!r}] must share one number of updates per epoch")
        step = 1 if every_update else per_epoch
        length = min(len(run.losses if every_update else run.epoch_losses) for run in group)
        gaps = np.array([(run.losses if every_update else run.epoch_losses)[:length] - floor
                         for run in group])
        gaps = np.maximum(gaps, _TINY)
        position = np.arange(length) * step
        position = position / per_epoch if x == "epochs" else position + 1.0  # log: start at 1
        style = style_of(i)
        width, top = (2.0, {"zorder": 3}) if label == on_top else (1.0, {})
        if len(group) == 1:
            ax.plot(position, gaps[0], label=label,
                    linewidth=width * (0.8 if every_update else 1.6), **style, **top)
            continue
        seed_counts.add(len(group))
        if every_update:
            ax.fill_between(position, gaps.min(axis=0), gaps.max(axis=0), color=style["color"],
                            alpha=0.25, linewidth=0)
            ax.plot(position, np.median(gaps, axis=0), linewidth=width * 0.8, label=label,
                    **style, **top)
        else:  # thin solid lines: a dash pattern is unreadable when lines cross
            for j, gap in enumerate(gaps):
                ax.plot(position, gap, linewidth=width * 0.8, alpha=0.7, color=style["color"],
                        label=label if j == 0 else None, **top)
    note = None
    if seed_counts:
        seeds = "/".join(str(n) for n in sorted(seed_counts))
        note = (f"median of {seeds} seeds, band: their range" if every_update
                else f"one line per seed ({seeds} seeds)")
    ax.set_yscale("log")
    if x == "epochs":
        ax.set_xlabel("epoch")
    else:
        ax.set_xscale("log")
        ax.set_xlabel("updates made + 1 (log scale)")
    ax.set_ylabel(r"$L(\theta) - L(\theta^*)$ (log scale)")
    if title:
        ax.set_title(title)
    ax.legend(title=note, loc=legend_loc)
    return fig


def plot_batch_comparison(runs: Mapping[str, DescentRun | Sequence[DescentRun]], floor: float):
    """Two panels: the runs' excess loss at the end of each epoch (a thin line per seed), and
    after every update (median and range over the seeds, the first run's median on top, since
    it has the fewest updates), with one legend below them; see :func:`plot_excess_loss`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.3, 4.3), layout="constrained")
    plot_excess_loss(runs, floor, ax=left, every_update=False)
    plot_excess_loss(runs, floor, ax=right, x="updates", on_top=next(iter(runs), None))
    counts = sorted({len(_as_seed_runs(label, group)) for label, group in runs.items()})
    several = counts[-1] > 1
    left.set_title("per epoch, one line per seed" if several else "per epoch")
    right.set_title("per update, median and range" if several else "per update")
    handles, labels = right.get_legend_handles_labels()
    for ax in (left, right):
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels),
               title=f"{'/'.join(map(str, counts))} seeds each" if several else None)
    return fig


def plot_shuffling(runs: Mapping[str, DescentRun | Sequence[DescentRun]], floor: float,
                   last_epochs: int = 3):
    """Excess loss after every update, over the last ``last_epochs`` epochs of each run (for
    several seeds, their median and range)."""
    fig, ax = get_axes(None, figsize=(8, 3.8))
    plot_excess_loss(runs, floor, ax=ax)
    legend = ax.get_legend()  # above the panel: the data fill it from top to bottom
    title = legend.get_title().get_text() or None
    ax.legend(*ax.get_legend_handles_labels(), title=title, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), ncols=2)
    end = max(run.epochs[-1] for group in runs.values() for run in _as_seed_runs("", group))
    ax.set_xlim(end - last_epochs, end)
    # the y range of what is drawn in that window, every seed included, with a margin
    shown = []
    for label, group in runs.items():
        for run in _as_seed_runs(label, group):
            epoch = np.arange(len(run.losses)) / run.updates_per_epoch
            shown.append(run.losses[epoch >= end - last_epochs] - floor)
    shown = np.maximum(np.concatenate(shown), _TINY)
    ax.set_ylim(shown.min() / 1.5, shown.max() * 1.5)
    fig.tight_layout()
    return fig


SCHEDULE_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def epoch_mean_losses(run: DescentRun) -> np.ndarray:
    """The mean training loss over the updates of each complete epoch of ``run``: (epochs,)."""
    per_epoch = run.updates_per_epoch
    epochs = (len(run.losses) - 1) // per_epoch
    return run.losses[1:1 + epochs * per_epoch].reshape(epochs, per_epoch).mean(axis=1)


def plot_schedules(schedules: Mapping[str, Callable[[int], float]],
                   runs: Mapping[str, DescentRun | Sequence[DescentRun]], floor: float):
    """Left: each schedule's learning rate per epoch; right: the excess loss of its run,
    averaged over the updates of each epoch and drawn at the epoch's middle (for several
    seeds, the median of the seeds with a band from the lowest to the highest). Each schedule
    has its own colour, line style and marker, in both panels and in the legend below them.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.3, 4.6), layout="constrained")
    seed_counts = set()
    for i, (label, schedule) in enumerate(schedules.items()):
        group = _as_seed_runs(label, runs[label])
        seed_counts.add(len(group))
        style = {**style_of(i), "marker": SCHEDULE_MARKERS[i % len(SCHEDULE_MARKERS)],
                 "markersize": 5, "linewidth": 1.4}
        epochs = np.arange(len(group[0].lrs) + 1)
        left.step(epochs, [schedule(int(e)) for e in epochs], where="post", label=label,
                  markevery=(i % 5, 5), **style)
        means = np.array([epoch_mean_losses(run) for run in group]) - floor
        means = np.maximum(means, _TINY)
        middle = np.arange(means.shape[1]) + 0.5
        if len(group) > 1:
            right.fill_between(middle, means.min(axis=0), means.max(axis=0),
                               color=style["color"], alpha=0.15, linewidth=0)
        right.plot(middle, np.median(means, axis=0), markevery=(i % 3, 3), **style)
    left.set(xlabel="epoch", ylabel=r"learning rate $\alpha$", title="the schedules")
    right.set_yscale("log")
    several = max(seed_counts) > 1
    right.set(xlabel="epoch", ylabel=r"$L(\theta) - L(\theta^*)$, epoch mean (log)",
              title="their effect on SGD")
    handles, labels = left.get_legend_handles_labels()
    seeds = "/".join(str(n) for n in sorted(seed_counts))
    fig.legend(handles, labels, loc="outside lower center", ncols=3,
               title=f"right: median of {seeds} seeds, band: their range" if several else None)
    return fig
