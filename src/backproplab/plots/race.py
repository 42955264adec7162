"""Chapter 6's figures: the optimizer race, Adam's bias correction, momentum against theory,
and optimizers training a network.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    NullLocator,
)

from .._validation import check_choice, check_positive, check_positive_int
from ..studies.race import losses_at, race
from .core import get_axes, style_of
from .live import LiveFigure

OPTIMIZER_LABELS = {
    "sgd": "SGD",
    "momentum": "momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "nadam": "Nadam",
    "adamw": "AdamW",
}
_ADAMW_STYLE = {"color": "0.45", "linestyle": (0, (6, 2, 1, 2)), "marker": "p"}
_MARKERS = ["o", "s", "^", "D", "v", "P", "h"]  # one per optimizer, in OPTIMIZER_LABELS order
# the race's small multiples: one column of panels per group, each optimizer in the first
# group that names it (an optimizer in none gets a column of its own)
RACE_GROUPS = (("sgd", "momentum", "nesterov"), ("adagrad", "rmsprop"), ("adam", "nadam", "adamw"))
DISPLAY_FLOOR = 1e-14  # smaller losses are drawn at this level, the bottom of the loss axis
LOSS_HEADROOM = 1e4  # the loss axis ends this many times above the loss at the start
MAX_KEPT_RACES = 64  # races a LiveRace keeps, one per (surface, scale) setting
RACE_TARGET = 1e-6  # the loss a race's runs must stay below (``race.steps_to_stay``)
RACE_SIZE = (9.5, 6.85)  # inches: three columns of panels that fit the page's text column
LEFT_MARGIN = 0.8  # inches left of the first column's panels, for its y labels
BOTTOM_MARGIN = 0.8  # inches below the loss panels: their x labels, then the floor's note


def optimizer_style(name: str) -> dict:
    """The colour, line style and marker of an optimizer, the same in every figure of the
    chapter (the marker is for a point or a few, not for every point of a long line)."""
    names = list(OPTIMIZER_LABELS)
    if name == "adamw":
        return dict(_ADAMW_STYLE)
    i = names.index(name)
    return {**style_of(i), "marker": _MARKERS[i % len(_MARKERS)]}


def label_of(name: str) -> str:
    """The display name of an optimizer ("adagrad" -> "AdaGrad")."""
    return OPTIMIZER_LABELS.get(name, name)


def race_groups(optimizers: Sequence[str], groups=RACE_GROUPS) -> list[list[str]]:
    """``optimizers`` split into the columns of a race figure: each group of ``groups`` that
    holds some of them (in the order of ``optimizers``), then one column per optimizer that no
    group names. Empty groups are left out."""
    optimizers = list(optimizers)
    placed, columns = set(), []
    for group in groups:
        column = [name for name in optimizers if name in group and name not in placed]
        placed.update(column)
        if column:
            columns.append(column)
    return columns + [[name] for name in optimizers if name not in placed]


# ----- the race on a surface ------------------------------------------------------------------
def _contour_levels(values: np.ndarray, count: int = 14) -> np.ndarray:
    """Geometrically spaced levels between a low and a high percentile of the grid values."""
    return np.geomspace(float(np.percentile(values, 1)), float(np.percentile(values, 95)), count)


def _plain_log_ticks(value, _position=None) -> str:
    """Tick labels like 1e-6 (plain text, much faster to draw than mathtext)."""
    return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("1e0", "1")


def for_people(value: float) -> str:
    """``value`` to 3 significant figures, written for people: plain from 1e-3 up to 1e4
    (24.2, 0.667, 1230), otherwise like 1.87e-24 or 2.4e5 (no plus sign, no leading zero)."""
    value = float(value)
    if value == 0 or not np.isfinite(value):
        return f"{value:g}"
    rounded = float(f"{value:.3g}")
    if 1e-3 <= abs(rounded) < 1e4:
        return f"{rounded:g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def in_view(points: np.ndarray, extent) -> int:
    """How many of ``points`` (n, 2), from the first, lie inside ``extent`` (xmin, xmax, ymin,
    ymax): the index of the first point outside it, or n."""
    xmin, xmax, ymin, ymax = extent
    inside = ((points[:, 0] >= xmin) & (points[:, 0] <= xmax)
              & (points[:, 1] >= ymin) & (points[:, 1] <= ymax))
    outside = np.flatnonzero(~inside)
    return int(outside[0]) if outside.size else len(points)


def exit_point(inside, outside, extent) -> np.ndarray | None:
    """Where the segment from ``inside`` (2,), a point in ``extent`` (xmin, xmax, ymin, ymax),
    to ``outside`` (2,), a point beyond it, crosses the edge of ``extent``; None if
    ``outside`` is not finite."""
    inside, outside = np.asarray(inside, dtype=float), np.asarray(outside, dtype=float)
    if not np.isfinite(outside).all():
        return None
    fractions = [1.0]
    for axis, (low, high) in enumerate((extent[:2], extent[2:])):
        beyond = high if outside[axis] > high else low if outside[axis] < low else None
        if beyond is not None:  # the segment crosses this edge: how far along it
            fractions.append((beyond - inside[axis]) / (outside[axis] - inside[axis]))
    return inside + min(fractions) * (outside - inside)


class _Course(NamedTuple):
    """The still parts of one surface in a race figure and the limits of its panels."""

    artists: list
    extent: tuple[float, float, float, float]
    loss_range: tuple[float, float]


class RaceFigure(LiveFigure):
    """The race as small multiples: one column per group of optimizers (``race_groups``), each
    with the group's legend on top, its paths on the contours, and its losses per step below.

    ``courses`` maps a name to (surface, start (2,)), the surfaces the figure can show and
    where their races begin; ``optimizers`` names the racers; the step axis runs from 0 to
    ``steps``. ``png(course=..., paths=..., lrs=..., step=..., title=...)`` shows ``paths``
    ``{optimizer: OptimizerPath}`` (from ``race.race`` on that course, at the learning rates
    ``lrs`` ``{optimizer: lr}``) up to ``step``. The panels' axes are fixed per course: the
    loss axis runs from below DISPLAY_FLOOR to LOSS_HEADROOM times the loss at the start, so a
    run that blows up leaves the top, and a loss below DISPLAY_FLOOR is drawn on the bottom
    edge (a note under the panels says so). A run that diverges is drawn up to where it leaves
    the contour panel, its last step cut at the panel's edge and marked there with an x, and
    its legend entry says it diverged. A dotted line marks the race's ``target`` loss.
    """

    def __init__(self, courses: Mapping[str, tuple], optimizers: Sequence[str], steps: int,
                 page: bool = False, target: float = RACE_TARGET, groups=RACE_GROUPS):
        super().__init__(figsize=RACE_SIZE, page=page)
        self.optimizers = list(optimizers)
        for name in self.optimizers:
            check_choice(name, "optimizers", OPTIMIZER_LABELS)
        self.steps = check_positive_int(steps, "steps")
        self.target = check_positive(target, "target")
        self.groups = race_groups(self.optimizers, groups)
        self._build_panels()
        self.courses = {name: self._draw_course(surface, start)
                        for name, (surface, start) in courses.items()}
        self.lines, self.heads, self.crosses, self.curves = [], [], [], []
        column_of = {name: j for j, group in enumerate(self.groups) for name in group}
        for i, name in enumerate(self.optimizers):
            style = optimizer_style(name)
            marker = style.pop("marker")
            ax, loss_ax = self.path_axes[column_of[name]], self.loss_axes[column_of[name]]
            (line,) = ax.plot([], [], linewidth=1.3, **style)
            (head,) = ax.plot([], [], marker=marker, markersize=7, color=style["color"],
                              markeredgecolor="white", markeredgewidth=0.8, linestyle="")
            (cross,) = ax.plot([], [], marker="x", markersize=9, markeredgewidth=2.2,
                               color=style["color"], linestyle="", clip_on=False, zorder=4)
            (curve,) = loss_ax.plot([], [], linewidth=1.4, label=label_of(name), marker=marker,
                                    markersize=5, markevery=(7 * i % 50, 50), **style)
            self.lines.append(self.moving(line))
            self.heads.append(self.moving(head))
            self.crosses.append(self.moving(cross))
            self.curves.append(self.moving(curve))
        self.title = self.moving(self.figure.suptitle(" ", x=0.5, y=0.985, va="top"))
        self.floor_note = self.figure.text(
            1 - 0.1 / RACE_SIZE[0], 0.06 / RACE_SIZE[1], f"losses below "
            f"{_plain_log_ticks(DISPLAY_FLOOR)} are drawn on the bottom edge of the loss panels",
            ha="right", va="bottom", color="0.35")
        self.rates = [None] * len(self.optimizers)
        for j, group in enumerate(self.groups):
            self._build_legend(j, group)

    def _build_panels(self) -> None:
        """One column per group: a contour panel above a loss panel; each row shares its
        y axis (tick labels on the left only), and each column's legend sits on top."""
        width, height = RACE_SIZE
        grid = self.figure.add_gridspec(
            2, len(self.groups), height_ratios=[2.72, 1.5], left=(LEFT_MARGIN + 0.1) / width,
            right=1 - 0.1 / width, top=1 - 1.12 / height, bottom=BOTTOM_MARGIN / height,
            wspace=0.11, hspace=0.62 / 2.1)
        self.path_axes, self.loss_axes = [], []
        for j in range(len(self.groups)):
            ax = self.figure.add_subplot(grid[0, j])
            ax.set(xlabel="$x$")
            ax.set_box_aspect(1)
            ax.grid(False)
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            loss_ax = self.figure.add_subplot(grid[1, j])
            self._build_loss_axes(loss_ax)
            if j:
                ax.sharey(self.path_axes[0])
                loss_ax.sharey(self.loss_axes[0])
                ax.tick_params(labelleft=False)
                loss_ax.tick_params(labelleft=False)
            else:
                ax.set_ylabel("$y$")
                loss_ax.set_ylabel("loss")
            self.path_axes.append(ax)
            self.loss_axes.append(loss_ax)

    def _draw_course(self, surface, start) -> _Course:
        xmin, xmax, ymin, ymax = surface.extent
        xs, ys = np.linspace(xmin, xmax, 160), np.linspace(ymin, ymax, 160)
        values = surface.value_grid(xs, ys)
        levels = _contour_levels(values)
        artists = []
        for ax in self.path_axes:
            artists.append(ax.contour(xs, ys, values, levels=levels, colors="0.78",
                                      linewidths=0.7))
            if surface.minimum is not None:
                artists += ax.plot(*surface.minimum, marker="*", color="0.2", markersize=12,
                                   linestyle="")
            artists += ax.plot(*start, marker="o", color="0.2", markersize=5, linestyle="")
        start_loss = surface.f(np.asarray(start, dtype=np.float64))
        top = max(start_loss, DISPLAY_FLOOR) * LOSS_HEADROOM
        return _Course(artists, surface.extent, (DISPLAY_FLOOR / 3, top))

    def _build_loss_axes(self, ax) -> None:
        ax.set(yscale="log", xlim=(0, self.steps), xlabel="step")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.yaxis.set_major_locator(LogLocator(base=1e6))  # 1e-12, 1e-6, 1
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_log_ticks))
        ax.set_autoscaley_on(False)  # each course sets the loss limits (see _show_course)
        ax.axhline(self.target, color="0.35", linewidth=0.9, linestyle=":", zorder=1)
        ax.annotate(f"target {_plain_log_ticks(self.target, None)}", xy=(0.98, self.target),
                    xycoords=("axes fraction", "data"), xytext=(0, -3),
                    textcoords="offset points", color="0.35", ha="right", va="top")

    def _build_legend(self, column: int, group: Sequence[str]) -> None:
        """Group ``column``'s names and line styles above its contour panel (still: a legend
        is slow to lay out), and beside each name its learning rate and whether it has
        diverged (moving)."""
        ax = self.path_axes[column]
        curves = [self.curves[self.optimizers.index(name)] for name in group]
        # the first column's legend may start left of its panel, above the y tick labels
        left = -LEFT_MARGIN / RACE_SIZE[0] / ax.get_position().width if column == 0 else 0.0
        legend = ax.legend(curves, [label_of(name) for name in group], loc="lower left",
                           bbox_to_anchor=(left, 1.04), handlelength=2.4, borderaxespad=0,
                           borderpad=0, labelspacing=0.3, handletextpad=0.5)
        names = legend.get_texts()
        renderer = self.figure.canvas.get_renderer()
        widest = max(names, key=lambda text: text.get_window_extent(renderer).width)
        for name, text in zip(group, names, strict=True):
            # x: just right of the widest name; y: the middle of the entry's own name
            self.rates[self.optimizers.index(name)] = self.moving(ax.annotate(
                "", xy=(1, 0.5), xycoords=(widest, text), xytext=(7, 0),
                textcoords="offset points", va="center"))

    def _show_course(self, name: str) -> None:
        """Show the still parts of course ``name`` and set the panels' limits for it."""
        for other, course in self.courses.items():
            for artist in course.artists:
                artist.set_visible(other == name)
        course = self.courses[name]
        for ax, loss_ax in zip(self.path_axes, self.loss_axes, strict=True):
            ax.set(xlim=course.extent[:2], ylim=course.extent[2:])
            loss_ax.set_ylim(course.loss_range)

    def update(self, course: str, paths: Mapping, lrs: Mapping[str, float], step: int,
               title: str) -> Hashable:
        check_choice(course, "course", self.courses)
        if list(paths) != self.optimizers:
            raise ValueError(f"paths must hold one path per optimizer, {self.optimizers}; "
                             f"got {list(paths)}")
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"step must be a whole number >= 0; got {step!r}")
        self._show_course(course)
        extent = self.courses[course].extent
        for i, (name, path) in enumerate(paths.items()):
            k = min(step, len(path.points) - 1)
            # a run that diverges is drawn up to where it leaves the view, its step out cut at
            # the edge, and crossed out there once it has left (drawn on, it would zigzag
            # across the panel and paint a band)
            shown = in_view(path.points, extent) if path.diverged else len(path.points)
            gone = path.diverged and step >= min(shown, path.stopped_at)
            drawn = path.points[: max(min(k + 1, shown), 1)]
            if gone and 0 < shown < len(path.points):
                edge = exit_point(path.points[shown - 1], path.points[shown], extent)
                if edge is not None:
                    drawn = np.vstack([drawn, edge])
            self.lines[i].set_data(drawn[:, 0], drawn[:, 1])
            ends = drawn[-1:]
            self.heads[i].set_data(*(ends[:0] if gone else ends).T)
            self.crosses[i].set_data(*(ends if gone and shown > 0 else ends[:0]).T)
            self.curves[i].set_data(np.arange(k + 1),
                                    np.maximum(path.losses[: k + 1], DISPLAY_FLOOR))
            self.rates[i].set_text(f"lr {lrs[name]:.2g}" + (", diverged" if gone else ""))
        self.title.set_text(f"{title}: after {step} steps")
        return course


class LiveRace(RaceFigure):
    """The race run on demand, for a live kernel: ``png(surface=..., scale=..., steps=...)``.

    ``courses`` maps a surface's name to (surface, start (2,)) as for ``RaceFigure``;
    ``tuned`` maps the same names to the learning rates ``{optimizer: lr}`` that ``scale``
    multiplies; ``steps`` may run up to ``max_steps``, where the step axis ends. A setting's
    race is kept: a run of n steps is the first n steps of any longer run, so shortening a
    race, or coming back to one, costs no new run.
    """

    def __init__(self, courses: Mapping[str, tuple], tuned: Mapping[str, Mapping[str, float]],
                 max_steps: int = 1000):
        racers = [list(lrs) for lrs in tuned.values()]
        if set(tuned) != set(courses) or any(names != racers[0] for names in racers):
            raise ValueError("tuned must give learning rates for the same optimizers on every "
                             f"course, {list(courses)}; got {dict(tuned)}")
        super().__init__(courses, racers[0], max_steps)
        self._surfaces = dict(courses)
        self.tuned = tuned
        self._runs: OrderedDict[tuple, tuple[int, dict]] = OrderedDict()

    def _race(self, surface: str, scale: float, steps: int) -> dict:
        """The race on ``surface`` at ``scale`` over at least ``steps`` steps."""
        key = (surface, scale)
        if key in self._runs and self._runs[key][0] >= steps:
            self._runs.move_to_end(key)
        else:
            shape, start = self._surfaces[surface]
            self._runs[key] = (steps, race(shape, self.tuned[surface], start, steps, scale))
            if len(self._runs) > MAX_KEPT_RACES:
                self._runs.popitem(last=False)
        return self._runs[key][1]

    def update(self, surface: str, scale: float, steps: int) -> Hashable:
        check_choice(surface, "surface", self.courses)
        scale = check_positive(scale, "scale")
        steps = check_positive_int(steps, "steps")
        if steps > self.steps:
            raise ValueError(f"steps must be at most max_steps = {self.steps}; got {steps}")
        lrs = {name: scale * lr for name, lr in self.tuned[surface].items()}
        return super().update(surface, self._race(surface, scale, steps), lrs, steps,
                              f"{surface}, learning rates ×{scale:g}")


def race_frames(surface, paths, lrs, steps: Sequence[int], title: str | None = None) -> list[bytes]:
    """PNG frames of the race (see ``RaceFigure``) at each of ``steps``, for a static page:
    ``paths`` ``{optimizer: OptimizerPath}`` from ``race.race`` on ``surface`` at the learning
    rates ``lrs``; the step axis ends at the last of ``steps``."""
    start = next(iter(paths.values())).points[0]
    figure = RaceFigure({surface.name: (surface, start)}, list(paths), max(steps), page=True)
    return [figure.png(course=surface.name, paths=paths, lrs=lrs, step=step,
                       title=title or surface.name) for step in steps]


def race_alt(surface_name: str, scale: float, step: int, paths) -> str:
    """Alt text of one race frame: the setting and every optimizer's loss at ``step``
    (paths: ``{name: OptimizerPath}``), noting the runs that have diverged by then."""
    parts = []
    for name, loss in losses_at(paths, step).items():
        gone = paths[name].diverged and step >= paths[name].stopped_at
        parts.append(f"{label_of(name)} {'diverged' if gone else for_people(loss)}")
    return (
        f"Optimizer paths on {surface_name} contour plots, one per group of optimizers, and "
        f"their loss curves, learning rates times {scale:g}, after {step} steps. "
        f"Losses: {', '.join(parts)}."
    )


# ----- step sizes and Adam's bias correction --------------------------------------------------
def plot_step_sizes(sizes: Mapping[str, Sequence[float]], ax=None, title: str | None = None):
    """Step size divided by the learning rate against the update t = 1, 2, ... (log-log axes),
    one line per entry of ``sizes`` ``{label: sizes}``; returns the Figure."""
    own_figure = ax is None
    fig, ax = get_axes(ax, figsize=(6, 3.8))
    for i, (label, values) in enumerate(sizes.items()):
        ax.plot(np.arange(1, len(values) + 1), values, label=label, **style_of(i))
    ax.set(xscale="log", yscale="log", xlabel="update $k$ (log scale)",
           ylabel="step size / learning rate")
    _plain_log_axis(ax.xaxis, minor=False)
    _plain_log_axis(ax.yaxis)
    if title:
        ax.set_title(title)
    ax.legend()
    if own_figure:
        fig.tight_layout()
    return fig


def _plain_log_axis(axis, minor: bool = True) -> None:
    """Label a log ``axis`` in plain numbers ("0.1", "1", "10"), and with ``minor`` its minor
    ticks at 2 and 5 times a power of ten too (axes spanning few decades have few majors)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(_some_log_ticks) if minor else NullFormatter())


def plot_bias_correction(first_moment, corrected_moment, step_sizes: Mapping[str, Sequence]):
    """Left: Adam's running average m_k of the gradient and its corrected form
    m_k / (1 - b1^k) for updates k = 1, 2, ...; right: ``plot_step_sizes(step_sizes)``, with
    the corrected sizes first, so that they share the corrected estimate's line style."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.3))
    t = np.arange(1, len(first_moment) + 1)
    # the same cue for "corrected" in both panels: the step sizes come corrected first
    left.plot(t, corrected_moment, label=r"$\hat m_k = m_k / (1 - \beta_1^k)$", **style_of(0))
    left.plot(t, first_moment, label="$m_k$, no correction", **style_of(1))
    left.set(xscale="log", xlabel="update $k$ (log scale)", ylabel="estimate of the mean gradient",
             title="first-moment estimate")
    _plain_log_axis(left.xaxis, minor=False)
    left.legend()
    plot_step_sizes(step_sizes, ax=right, title="Adam's step size")
    fig.tight_layout()
    return fig


# ----- momentum against theory ----------------------------------------------------------------
def plot_rates_against_theory(paths, theory_rates, kappas, measured, predicted):
    """Left: distance to the minimum per step (log scale) for ``paths`` ``{label: path}``, each
    with its theoretical rate r (``theory_rates`` ``{label: r}``) drawn as d_0 r^k.
    Right: per-step rate against the condition number; ``measured`` and ``predicted`` map a
    method label to one rate per entry of ``kappas``."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for i, (label, path) in enumerate(paths.items()):
        distance = np.linalg.norm(path.points - path.minimum, axis=1)
        k = np.arange(len(distance))
        left.plot(k, distance, label=f"{label}, measured", **style_of(i))
        left.plot(k, distance[0] * theory_rates[label] ** k, color="0.45", linewidth=0.9,
                  linestyle=":")
    left.plot([], [], color="0.45", linewidth=0.9, linestyle=":", label="$d_0 r^k$ (theory)")
    left.set(yscale="log", xlabel="step $k$", ylabel="distance to minimum (log scale)",
             ylim=(1e-13, 10))
    left.legend()
    for i, label in enumerate(measured):
        right.plot(kappas, predicted[label], label=f"{label}, theory", **style_of(i))
        right.plot(kappas, measured[label], marker="os"[i % 2], linestyle="",
                   color=style_of(i)["color"], label=f"{label}, measured")
    right.set(xscale="log", xlabel=r"condition number $\kappa$ (log scale)",
              ylabel="rate per step (lower is faster)", ylim=(0, 1.05))
    _plain_log_axis(right.xaxis, minor=False)
    right.legend(loc="lower right")
    fig.tight_layout()
    return fig


# ----- networks -------------------------------------------------------------------------------
def _per_seed(values, name: str) -> np.ndarray:
    """A (n_seeds, n) array from one sequence (one seed) or a list of equal-length ones."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError(f"{name} must be a sequence of numbers or one per seed; "
                         f"got shape {array.shape}")
    return array


def _run_style(key) -> tuple[str, dict]:
    """Legend label and line style of a ``plot_training_race`` entry: an optimizer's name, or
    (name, learning rate) for a run at a rate other than its table rate (the optimizer's
    colour, drawn solid and thicker)."""
    if isinstance(key, tuple):
        if len(key) != 2 or not isinstance(key[0], str):
            raise ValueError(f"histories keys must be names or (name, lr); got {key!r}")
        name, lr = key[0], check_positive(key[1], "histories")
        check_choice(name, "histories", OPTIMIZER_LABELS)
        style = {**optimizer_style(name), "linestyle": "-", "linewidth": 2.2}
        return f"{label_of(name)}, lr {lr:g}", style
    check_choice(key, "histories", OPTIMIZER_LABELS)
    return label_of(key), {**optimizer_style(key), "linewidth": 1.4}


def _some_log_ticks(value, _position) -> str:
    """Labels for a log axis's minor ticks at 2 and 5 times a power of ten ("0.2", "5")."""
    return f"{value:g}" if f"{value:.0e}"[0] in "25" else ""


SAME_LINE_RTOL = 0.01  # median curves this close are one line on the training-race figure


def _twins(medians: Mapping) -> dict:
    """``{key: earlier key}`` for each entry of ``medians`` ``{key: (loss, accuracy)}`` whose
    median curves lie on an earlier entry's (within SAME_LINE_RTOL): drawn, they coincide."""
    twins, keys = {}, list(medians)
    for j, key in enumerate(keys):
        for other in keys[:j]:
            if other not in twins and all(
                    a.shape == b.shape and np.allclose(a, b, rtol=SAME_LINE_RTOL, atol=0)
                    for a, b in zip(medians[key], medians[other], strict=True)):
                twins[key] = other
                break
    return twins


def plot_training_race(histories, seconds: Mapping):
    """Training loss (left, log scale) and validation accuracy (right) per epoch for each
    optimizer, ``{key: [History per seed]}``: the median over the seeds as a line, the range
    from the lowest to the highest seed as a band. A key is an optimizer's name, or
    (name, learning rate) to add a run at another rate. The legend, below the panels, carries
    each entry's median wall-clock time, ``seconds`` ``{key: [seconds per seed]}``. An entry
    whose median curves lie on an earlier one's (within 1 %) says so in the legend, and the
    two put their markers on alternate epochs, so that both can be found."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.4, 4.8))
    medians = {key: tuple(np.median(_per_seed([getattr(h, field) for h in runs],
                                              f"histories[{key!r}]"), axis=0)
                          for field in ("loss", "val_accuracy"))
               for key, runs in histories.items()}
    twins = _twins(medians)
    for key, runs in histories.items():
        base, style = _run_style(key)
        n_seeds = len(runs)
        markevery = (1, 2) if key in twins else (0, 2) if key in twins.values() else 1
        for ax, field in ((left, "loss"), (right, "val_accuracy")):
            curves = _per_seed([getattr(h, field) for h in runs], f"histories[{key!r}]")
            epochs = np.arange(1, curves.shape[1] + 1)
            label = f"{base} ({np.median(seconds[key]):.2f} s)" if ax is left else None
            if label and key in twins:
                label += f", on {_run_style(twins[key])[0]}'s line"
            ax.plot(epochs, np.median(curves, axis=0), label=label, markersize=5,
                    markevery=markevery, **style)
            ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), color=style["color"],
                            alpha=0.18, linewidth=0)
    left.set(yscale="log", xlabel="epoch", ylabel="training loss (log scale)",
             title=f"median and range over {n_seeds} seeds")
    left.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    left.yaxis.set_minor_formatter(FuncFormatter(_some_log_ticks))
    right.set(xlabel="epoch", ylabel="validation accuracy")
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=3,
               frameon=False, handlelength=2.4, columnspacing=1.5)
    fig.tight_layout(rect=(0, 0.22, 1, 1))
    return fig


def _powers_of_two_axis(ax, values) -> None:
    """Label ``ax``'s log y axis at the powers of two (..., 0.25, 0.5, 1, 2, ...) from just
    below the smallest of ``values`` to just above the largest, so that every value can be
    read against a labelled tick (factors of two suit step-size ratios)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    low, high = np.floor(np.log2(values.min())), np.ceil(np.log2(values.max()))
    ticks = 2.0 ** np.arange(low, high + 1)
    ax.set_yticks(ticks, [f"{tick:g}" for tick in ticks])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(ticks[0] / 1.1, values.max() * 1.1)  # the ticks above the data stay hidden


def plot_epoch_counting(multipliers: Mapping[str, Sequence], losses: Mapping[str, Sequence],
                        updates_per_epoch: int):
    """Left: Adam's step size relative to the intended one under a constant gradient, per
    update, for each way of counting ``t``; right: the training loss per update of each,
    ``losses`` ``{label: (n_updates,) or one such sequence per seed}``, one thin line per seed."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.3))
    n_updates = 0
    for i, (label, values) in enumerate(multipliers.items()):
        left.plot(np.arange(1, len(values) + 1), values, label=label, **style_of(i))
        curves = _per_seed(losses[label], f"losses[{label!r}]")
        n_updates = curves.shape[1]
        for j, curve in enumerate(curves):
            right.plot(np.arange(1, n_updates + 1), curve, label=label if j == 0 else None,
                       linewidth=0.6, alpha=0.55 if len(curves) > 1 else 1.0, **style_of(i))
    for ax in (left, right):
        for edge in range(updates_per_epoch, n_updates, updates_per_epoch):
            ax.axvline(edge, color="0.85", linewidth=0.6, zorder=0)
    seeds = len(_per_seed(next(iter(losses.values())), "losses"))
    left.set(yscale="log", xlabel="update", ylabel="step size / intended (log scale)",
             title="with a constant gradient")
    _powers_of_two_axis(left, np.concatenate([np.ravel(v) for v in multipliers.values()]))
    right.set(yscale="log", xlabel="update", ylabel="mini-batch loss (log scale)",
              title="training on digits" + (f", {seeds} seeds" if seeds > 1 else ""))
    _plain_log_axis(right.yaxis)
    left.legend()
    fig.tight_layout()
    return fig


# ----- the race over many settings ------------------------------------------------------------
def plot_race_sweep(valley, rosenbrock, scale: float = 1.0):
    """Each optimizer's result in every setting of two ``race.RaceSweep``s, one dot per setting
    (dots are spread sideways by grid offset; the median is a black bar). Left: ``valley``'s
    steps until the loss stays below its target; right: ``rosenbrock``'s loss after the last
    step (log scale). Runs without a value (never below the target, or diverged) sit at the
    top, marked x."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.4, 3.6))
    for ax, sweep, values_of in ((left, valley, valley.times), (right, rosenbrock,
                                                                 rosenbrock.finals)):
        n_offsets = len(sweep.offsets)
        jitter = (np.arange(sweep.n_settings) % n_offsets - (n_offsets - 1) / 2) * 0.09
        every = np.array([values_of(name, scale) for name in sweep.optimizers])
        highest = np.nanmax(every) if np.isfinite(every).any() else 1.0
        ceiling = highest * (1.1 if ax is left else 10.0)
        for i, name in enumerate(sweep.optimizers):
            values = values_of(name, scale)
            style = optimizer_style(name)
            finite = np.isfinite(values)
            ax.plot(i + jitter[finite], values[finite], marker="o", markersize=3.5,
                    linestyle="", color=style["color"], alpha=0.8)
            if finite.any():
                ax.plot([i - 0.3, i + 0.3], [np.median(values[finite])] * 2, color="0.1",
                        linewidth=1.6)
            if not finite.all():
                ax.plot(i + jitter[~finite], np.full((~finite).sum(), ceiling), marker="x",
                        linestyle="", color=style["color"])
        ax.set_xticks(range(len(sweep.optimizers)),
                      [label_of(n) for n in sweep.optimizers], rotation=35, ha="right")
        ax.grid(axis="x", visible=False)
    left.set(ylabel=f"steps until loss stays < {_plain_log_ticks(valley.target)}",
             title=f"{valley.surface}: {valley.n_settings} settings", ylim=(0, None))
    right.set(yscale="log", ylabel="loss after the last step (log scale)",
              title=f"{rosenbrock.surface}: {rosenbrock.n_settings} settings")
    fig.tight_layout()
    return fig
