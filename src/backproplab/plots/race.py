"""Chapter 6's figures: the optimizer race, Adam's bias correction, momentum against theory,
and optimizers training a network.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from PIL import Image

from ..race import losses_at
from ..widgets import FRAME_DPI
from .core import get_axes, style_of

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
DISPLAY_FLOOR = 1e-14  # smaller losses are drawn at this level


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


def canvas_png(canvas, colors: int = 64) -> bytes:
    """What an Agg ``canvas`` holds now, as a PNG with a palette of ``colors`` colours (line
    art loses nothing visible, and the file is several times smaller)."""
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buffer = io.BytesIO()
    quantized = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    quantized.save(buffer, format="PNG")
    return buffer.getvalue()


class _RaceDrawing:
    """One figure for a race: contours and paths on the left, loss per step on the right.

    ``show(step)`` redraws the paths and curves up to ``step`` in place, so a sequence of
    frames costs one figure. The layout is fixed (no tight bounding box) so that every frame
    has the same size and drawing one is cheap.
    """

    def __init__(self, surface, paths, lrs, title: str):
        self.paths, self.lrs = paths, lrs
        self.fig, (self.ax, self.loss_ax) = plt.subplots(
            1, 2, figsize=(9.8, 3.6), width_ratios=[1, 1.15]
        )
        self.fig.subplots_adjust(left=0.085, right=0.785, bottom=0.15, top=0.9, wspace=0.3)
        xmin, xmax, ymin, ymax = surface.extent
        xs, ys = np.linspace(xmin, xmax, 160), np.linspace(ymin, ymax, 160)
        values = surface.value_grid(xs, ys)
        self.ax.contour(xs, ys, values, levels=_contour_levels(values), colors="0.75",
                        linewidths=0.7)
        if surface.minimum is not None:
            self.ax.plot(*surface.minimum, marker="*", color="0.2", markersize=11, linestyle="")
        start = next(iter(paths.values())).points[0]
        self.ax.plot(*start, marker="o", color="0.2", markersize=5, linestyle="")
        self.ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), xlabel="$x$", ylabel="$y$")
        self.ax.set_title(title)
        self.ax.grid(False)
        self.lines, self.heads, self.curves = [], [], []
        for name in paths:
            style = optimizer_style(name)
            (line,) = self.ax.plot([], [], linewidth=1.4, **style)
            (head,) = self.ax.plot([], [], marker="o", markersize=4, color=style["color"])
            (curve,) = self.loss_ax.plot([], [], linewidth=1.4, label=self._label(name, 0), **style)
            self.lines.append(line)
            self.heads.append(head)
            self.curves.append(curve)
        self._set_loss_axes()

    def _set_loss_axes(self) -> None:
        losses = np.concatenate([p.losses for p in self.paths.values()])
        steps = max(len(p.losses) for p in self.paths.values()) - 1
        low = max(float(losses.min()), DISPLAY_FLOOR)
        ax = self.loss_ax
        ax.set(xscale="symlog", yscale="log", xlim=(0, steps), ylim=(low / 3, losses.max() * 30),
               xlabel="step (log scale beyond 1)", ylabel="loss (log scale)")
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_log_ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        self.legend = ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9,
                                handlelength=2.4)

    def _label(self, name: str, step: int) -> str:
        path = self.paths[name]
        text = f"{label_of(name)}, lr {self.lrs[name]:.2g}"
        return text + (" (diverged)" if path.diverged and step >= path.stopped_at else "")

    def frames(self, steps: Sequence[int], dpi: int) -> list[bytes]:
        """PNG frames at each of ``steps``: the static parts are drawn once and kept as a
        background, and each frame redraws only the paths, curves, legend and title."""
        moving = [*self.lines, *self.heads, *self.curves, self.legend, self.loss_ax.title]
        for artist in moving:
            artist.set_animated(True)
        self.fig.set_dpi(dpi)
        canvas = self.fig.canvas
        canvas.draw()
        background = canvas.copy_from_bbox(self.fig.bbox)
        frames = []
        for step in steps:
            self.show(step)
            canvas.restore_region(background)
            for artist in moving:
                self.fig.draw_artist(artist)
            frames.append(canvas_png(canvas))
        return frames

    def show(self, step: int) -> None:
        for i, (name, path) in enumerate(self.paths.items()):
            k = min(step, len(path.points) - 1)
            self.lines[i].set_data(path.points[: k + 1, 0], path.points[: k + 1, 1])
            self.heads[i].set_data(path.points[k : k + 1, 0], path.points[k : k + 1, 1])
            shown = np.maximum(path.losses[: k + 1], DISPLAY_FLOOR)
            self.curves[i].set_data(np.arange(k + 1), shown)
            self.legend.get_texts()[i].set_text(self._label(name, step))
        self.loss_ax.set_title(f"loss after {step} steps")


def plot_race(surface, paths, lrs, step: int | None = None, title: str | None = None):
    """The race at ``step`` (default: the end): paths (left) and loss per step (right).

    paths: ``{optimizer name: OptimizerPath}`` from ``race.race``; lrs: the learning rates
    they used, ``{name: lr}``. Returns the Figure.
    """
    drawing = _RaceDrawing(surface, paths, lrs, title or surface.name)
    last = max(len(p.losses) for p in paths.values()) - 1
    drawing.show(last if step is None else step)
    return drawing.fig


def race_frames(surface, paths, lrs, steps: Sequence[int], title: str | None = None,
                dpi: int = FRAME_DPI) -> list[bytes]:
    """PNG frames of the race (see ``plot_race``), one per entry of ``steps``."""
    drawing = _RaceDrawing(surface, paths, lrs, title or surface.name)
    frames = drawing.frames(steps, dpi)
    plt.close(drawing.fig)
    return frames


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
    ax.set(xscale="log", yscale="log", xlabel="update $t$ (log scale)",
           ylabel="step size / learning rate")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=9)
    return fig


def plot_bias_correction(first_moment, corrected_moment, step_sizes: Mapping[str, Sequence]):
    """Left: Adam's running average m_t of the gradient and its corrected form
    m_t / (1 - b1^t) for t = 1, 2, ...; right: ``plot_step_sizes(step_sizes)``."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.3))
    t = np.arange(1, len(first_moment) + 1)
    left.plot(t, first_moment, label="$m_t$, no correction", **style_of(3))
    left.plot(t, corrected_moment, label=r"$\hat m_t = m_t / (1 - \beta_1^t)$", **style_of(0))
    left.set(xscale="log", xlabel="update $t$ (log scale)", ylabel="estimate of the mean gradient",
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
def plot_training_race(histories, seconds: Mapping[str, float]):
    """Training loss (left, log scale) and validation accuracy (right) per epoch for each
    optimizer, ``{name: History}``; the legend carries each run's wall-clock time."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.4, 3.5))
    for name, history in histories.items():
        style = optimizer_style(name)
        epochs = np.arange(1, len(history.loss) + 1)
        left.plot(epochs, history.loss, label=f"{label_of(name)} ({seconds[name]:.2f} s)", **style)
        right.plot(epochs, history.val_accuracy, **style)
    left.set(yscale="log", xlabel="epoch", ylabel="training loss (log scale)")
    right.set(xlabel="epoch", ylabel="validation accuracy")
    left.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def plot_epoch_counting(multipliers: Mapping[str, Sequence], losses: Mapping[str, Sequence],
                        updates_per_epoch: int):
    """Left: Adam's step size relative to the intended one under a constant gradient, per
    update, for each way of counting ``t``; right: the training loss per update of each."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.3))
    for i, (label, values) in enumerate(multipliers.items()):
        left.plot(np.arange(1, len(values) + 1), values, label=label, **style_of(i))
        right.plot(np.arange(1, len(losses[label]) + 1), losses[label], label=label,
                   linewidth=0.9, **style_of(i))
    for ax in (left, right):
        for edge in range(updates_per_epoch, len(next(iter(losses.values()))), updates_per_epoch):
            ax.axvline(edge, color="0.85", linewidth=0.6, zorder=0)
    left.set(yscale="log", xlabel="update", ylabel="step size / intended (log scale)",
             title="with a constant gradient")
    right.set(yscale="log", xlabel="update", ylabel="mini-batch loss (log scale)",
              title="training on digits")
    left.legend(fontsize=9)
    fig.tight_layout()
    return fig
