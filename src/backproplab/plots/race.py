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
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

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
_ADAMW_STYLE = {"color": "0.45", "linestyle": (0, (6, 2, 1, 2))}
DISPLAY_FLOOR = 1e-14  # smaller losses are drawn at this level, the bottom of the loss axis
LOSS_HEADROOM = 1e4  # the loss axis ends this many times above the loss at the start
MAX_KEPT_RACES = 64  # races a LiveRace keeps, one per (surface, scale) setting
RACE_TARGET = 1e-6  # the loss a race's runs must stay below (``race.steps_to_stay``)


def optimizer_style(name: str) -> dict:
    """The colour and line style of an optimizer, the same in every figure of the chapter."""
    names = list(OPTIMIZER_LABELS)
    return _ADAMW_STYLE if name == "adamw" else style_of(names.index(name))


def label_of(name: str) -> str:
    """The display name of an optimizer ("adagrad" -> "AdaGrad")."""
    return OPTIMIZER_LABELS.get(name, name)


# ----- the race on a surface ------------------------------------------------------------------
def _contour_levels(values: np.ndarray, count: int = 14) -> np.ndarray:
    """Geometrically spaced levels between a low and a high percentile of the grid values."""
    return np.geomspace(float(np.percentile(values, 1)), float(np.percentile(values, 95)), count)


def _plain_log_ticks(value, _position) -> str:
    """Tick labels like 1e-06 (plain text, much faster to draw than mathtext)."""
    return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("1e0", "1")


class _Course(NamedTuple):
    """The still parts of one surface in a race figure and the limits of both panels."""

    artists: list
    extent: tuple[float, float, float, float]
    loss_range: tuple[float, float]


class RaceFigure(LiveFigure):
    """The race: contours and paths (left), loss per step (right), optimizers in a legend.

    ``courses`` maps a name to (surface, start (2,)), the surfaces the figure can show and
    where their races begin; ``optimizers`` names the racers in legend order; the step axis
    runs from 0 to ``steps``. ``png(course=..., paths=..., lrs=..., step=..., title=...)``
    shows ``paths`` ``{optimizer: OptimizerPath}`` (from ``race.race`` on that course, at the
    learning rates ``lrs`` ``{optimizer: lr}``) up to ``step``. Both panels' axes are fixed
    per course: the loss axis runs from below DISPLAY_FLOOR to LOSS_HEADROOM times the loss at the
    start, so a run that blows up leaves the top (and its legend entry says it diverged). A
    dotted line marks the race's ``target`` loss.
    """

    def __init__(self, courses: Mapping[str, tuple], optimizers: Sequence[str], steps: int,
                 page: bool = False, target: float = RACE_TARGET):
        super().__init__(figsize=(9.8, 3.6), page=page)
        self.optimizers = list(optimizers)
        self.steps = check_positive_int(steps, "steps")
        self.target = check_positive(target, "target")
        self.ax, self.loss_ax = self.figure.subplots(1, 2, width_ratios=[1, 1.15])
        self.courses = {name: self._draw_course(surface, start)
                        for name, (surface, start) in courses.items()}
        self.lines, self.heads, self.curves = [], [], []
        for name in self.optimizers:
            style = optimizer_style(name)
            (line,) = self.ax.plot([], [], linewidth=1.4, **style)
            (head,) = self.ax.plot([], [], marker="o", markersize=4, color=style["color"])
            (curve,) = self.loss_ax.plot([], [], linewidth=1.4, label=label_of(name), **style)
            self.lines.append(self.moving(line))
            self.heads.append(self.moving(head))
            self.curves.append(self.moving(curve))
        self.title = self.moving(self.ax.set_title(" "))
        self.ax.set(xlabel="$x$", ylabel="$y$")
        self.ax.grid(False)
        self._build_loss_axes()
        self.figure.subplots_adjust(left=0.085, right=0.725, bottom=0.15, top=0.9, wspace=0.3)

    def _draw_course(self, surface, start) -> _Course:
        xmin, xmax, ymin, ymax = surface.extent
        xs, ys = np.linspace(xmin, xmax, 160), np.linspace(ymin, ymax, 160)
        values = surface.value_grid(xs, ys)
        artists = [self.ax.contour(xs, ys, values, levels=_contour_levels(values),
                                   colors="0.75", linewidths=0.7)]
        if surface.minimum is not None:
            artists += self.ax.plot(*surface.minimum, marker="*", color="0.2", markersize=11,
                                    linestyle="")
        artists += self.ax.plot(*start, marker="o", color="0.2", markersize=5, linestyle="")
        start_loss = surface.f(np.asarray(start, dtype=np.float64))
        top = max(start_loss, DISPLAY_FLOOR) * LOSS_HEADROOM
        return _Course(artists, surface.extent, (DISPLAY_FLOOR / 3, top))

    def _build_loss_axes(self) -> None:
        ax = self.loss_ax
        ax.set(xscale="symlog", yscale="log", xlim=(0, self.steps),
               xlabel="step (log scale beyond 1)", ylabel="loss (log scale)")
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_log_ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_autoscaley_on(False)  # each course sets the loss limits (see _show_course)
        ax.axhline(self.target, color="0.35", linewidth=0.9, linestyle=":", zorder=1)
        ax.annotate(f"target {_plain_log_ticks(self.target, None)}", xy=(0.02, self.target),
                    xycoords=("axes fraction", "data"), xytext=(0, 3),
                    textcoords="offset points", fontsize=9, color="0.35", va="bottom")
        self.loss_title = self.moving(ax.set_title(" "))
        self._build_legend(ax)

    def _build_legend(self, ax) -> None:
        """The optimizers' names and line styles (still: a legend is slow to lay out), and a
        column beside them with each one's learning rate and whether it has diverged."""
        self.legend = ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9,
                                handlelength=2.4, frameon=False)
        names = self.legend.get_texts()
        renderer = self.figure.canvas.get_renderer()
        widest = max(names, key=lambda text: text.get_window_extent(renderer).width)
        # x: just right of the widest name; y: the middle of the entry's own name
        self.rates = [self.moving(ax.annotate("", xy=(1, 0.5), xycoords=(widest, name),
                                              xytext=(8, 0), textcoords="offset points",
                                              va="center", fontsize=9))
                      for name in names]

    def _show_course(self, name: str) -> None:
        """Show the still parts of course ``name`` and set both panels' limits for it."""
        for other, course in self.courses.items():
            for artist in course.artists:
                artist.set_visible(other == name)
        course = self.courses[name]
        self.ax.set(xlim=course.extent[:2], ylim=course.extent[2:])
        self.loss_ax.set_ylim(course.loss_range)

    def update(self, course: str, paths: Mapping, lrs: Mapping[str, float], step: int,
               title: str) -> Hashable:
        check_choice(course, "course", self.courses)
        if list(paths) != self.optimizers:
            raise ValueError(f"paths must hold one path per optimizer, {self.optimizers}; "
                             f"got {list(paths)}")
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"step must be a whole number >= 0; got {step!r}")
        self._show_course(course)
        for i, (name, path) in enumerate(paths.items()):
            k = min(step, len(path.points) - 1)
            self.lines[i].set_data(path.points[: k + 1, 0], path.points[: k + 1, 1])
            self.heads[i].set_data(path.points[k : k + 1, 0], path.points[k : k + 1, 1])
            self.curves[i].set_data(np.arange(k + 1),
                                    np.maximum(path.losses[: k + 1], DISPLAY_FLOOR))
            gone = path.diverged and step >= path.stopped_at
            self.rates[i].set_text(f"lr {lrs[name]:.2g}" + (" (diverged)" if gone else ""))
        self.title.set_text(title)
        self.loss_title.set_text(f"loss after {step} steps")
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
        parts.append(f"{label_of(name)} {'diverged' if gone else f'{loss:.1e}'}")
    return (
        f"Optimizer paths on the {surface_name} contour plot and their loss curves, learning "
        f"rates times {scale:g}, after {step} steps. Losses: {', '.join(parts)}."
    )


# ----- step sizes and Adam's bias correction --------------------------------------------------
def plot_step_sizes(sizes: Mapping[str, Sequence[float]], ax=None, title: str | None = None):
    """Step size divided by the learning rate against the update t = 1, 2, ... (log-log axes),
    one line per entry of ``sizes`` ``{label: sizes}``; returns the Figure."""
    fig, ax = get_axes(ax)
    for i, (label, values) in enumerate(sizes.items()):
        ax.plot(np.arange(1, len(values) + 1), values, label=label, **style_of(i))
    ax.set(xscale="log", yscale="log", xlabel="update $k$ (log scale)",
           ylabel="step size / learning rate")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=9)
    return fig


def plot_bias_correction(first_moment, corrected_moment, step_sizes: Mapping[str, Sequence]):
    """Left: Adam's running average m_k of the gradient and its corrected form
    m_k / (1 - b1^k) for updates k = 1, 2, ...; right: ``plot_step_sizes(step_sizes)``."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.3))
    t = np.arange(1, len(first_moment) + 1)
    left.plot(t, first_moment, label="$m_k$, no correction", **style_of(3))
    left.plot(t, corrected_moment, label=r"$\hat m_k = m_k / (1 - \beta_1^k)$", **style_of(0))
    left.set(xscale="log", xlabel="update $k$ (log scale)", ylabel="estimate of the mean gradient",
             title="first-moment estimate")
    left.legend(fontsize=9)
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
    left.legend(fontsize=9)
    for i, label in enumerate(measured):
        right.plot(kappas, predicted[label], label=f"{label}, theory", **style_of(i))
        right.plot(kappas, measured[label], marker="o", linestyle="", color=style_of(i)["color"],
                   label=f"{label}, measured")
    right.set(xscale="log", xlabel=r"condition number $\kappa$ (log scale)",
              ylabel="rate per step (lower is faster)")
    right.legend(fontsize=9)
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


def plot_training_race(histories, seconds: Mapping):
    """Training loss (left, log scale) and validation accuracy (right) per epoch for each
    optimizer, ``{key: [History per seed]}``: the median over the seeds as a line, the range
    from the lowest to the highest seed as a band. A key is an optimizer's name, or
    (name, learning rate) to add a run at another rate. The legend, below the panels, carries
    each entry's median wall-clock time, ``seconds`` ``{key: [seconds per seed]}``."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.4, 4.3))
    for key, runs in histories.items():
        base, style = _run_style(key)
        n_seeds = len(runs)
        for ax, field in ((left, "loss"), (right, "val_accuracy")):
            curves = _per_seed([getattr(h, field) for h in runs], f"histories[{key!r}]")
            epochs = np.arange(1, curves.shape[1] + 1)
            label = f"{base} ({np.median(seconds[key]):.2f} s)" if ax is left else None
            ax.plot(epochs, np.median(curves, axis=0), label=label, **style)
            ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), color=style["color"],
                            alpha=0.18, linewidth=0)
    left.set(yscale="log", xlabel="epoch", ylabel="training loss (log scale)",
             title=f"median and range over {n_seeds} seeds")
    left.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    left.yaxis.set_minor_formatter(FuncFormatter(_some_log_ticks))
    right.set(xlabel="epoch", ylabel="validation accuracy")
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=10,
               frameon=False, handlelength=2.4, columnspacing=1.2)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    return fig


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
    right.set(yscale="log", xlabel="update", ylabel="mini-batch loss (log scale)",
              title="training on digits" + (f", {seeds} seeds" if seeds > 1 else ""))
    left.legend(fontsize=9)
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
    left.set(ylabel=f"steps until loss stays < {valley.target:.0e}",
             title=f"{valley.surface}: {valley.n_settings} settings", ylim=(0, None))
    right.set(yscale="log", ylabel="loss after the last step (log scale)",
              title=f"{rosenbrock.surface}: {rosenbrock.n_settings} settings")
    fig.tight_layout()
    return fig
