"""Chapter 1's figures: losses and their gradients as functions of the prediction."""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.ticker import FuncFormatter

from ..activations import sigmoid, sigmoid_grad
from ..losses import binary_cross_entropy_with_logits_grad, get_loss, mse_grad
from .core import COLORS, get_axes, style_of
from .live import LiveFigure

PREDICTION_LOSSES = {"MSE": "mse", "MAE": "mae", "BCE": "bce"}


def loss_and_gradient(name: str, prediction: float, target: float) -> tuple[float, float]:
    """One sample's loss and dL/d(prediction) for the loss registered as ``name``."""
    loss = get_loss(name)
    p, y = np.array([[prediction]]), np.array([[target]])
    return loss.value(p, y), float(loss.grad(p, y)[0, 0])


def describe_losses(prediction: float, target: float) -> str:
    """The explorer frame at (prediction, target) in words, with every value it shows: each
    loss's value and gradient at that prediction (alt text for a screen reader)."""
    parts = []
    for label, name in PREDICTION_LOSSES.items():
        value, gradient = loss_and_gradient(name, prediction, target)
        parts.append(f"{label} {value:.3g} with gradient {gradient:+.3g}")
    return (f"Loss curves of MSE, MAE and BCE against the prediction for target {target}; at "
            f"prediction {prediction}: " + "; ".join(parts) + ".")


# One marker shape per loss, so that markers that overlap differ by more than colour.
MARKERS = ("o", "s", "^")


@functools.lru_cache(maxsize=32)
def _loss_curve(name: str, target: float) -> tuple[np.ndarray, np.ndarray]:
    grid = np.linspace(0.002, 0.998, 250)
    return grid, np.array([loss_and_gradient(name, p, target)[0] for p in grid])


def plot_losses_vs_prediction(target: float, ax=None, prediction: float | None = None):
    """MSE, MAE and BCE of one sample as its prediction sweeps (0, 1), for a fixed ``target``.

    With ``prediction`` given, each curve carries a marker at that prediction.
    """
    fig, ax = get_axes(ax)
    for i, (label, name) in enumerate(PREDICTION_LOSSES.items()):
        grid, values = _loss_curve(name, float(target))
        ax.plot(grid, values, label=label, **style_of(i))
        if prediction is not None:
            value = loss_and_gradient(name, prediction, target)[0]
            ax.plot([prediction], [value], MARKERS[i], color=COLORS[i], markersize=7)
    ax.axvline(target, color="0.5", linewidth=1)
    ax.set_ylim(0, 4)
    ax.set_xlabel(r"prediction $\hat y$")
    ax.set_ylabel("loss")
    ax.set_title(f"target y = {target:g}")
    ax.legend(loc="upper center")
    return fig


def gradient_label(gradient: float) -> str:
    """A gradient to 3 significant figures with its sign: +2, -0.5, and 0 (never +0 or -0)."""
    return "0" if gradient == 0 else f"{gradient:+.3g}"


def _plain_number(value: float, _position=None) -> str:
    """A tick label as a plain number: -100, -10, -1, 0, 1, 10, 100 (with a true minus)."""
    return f"{value:g}".replace("-", "\N{MINUS SIGN}")


class LossExplorer(LiveFigure):
    """Chapter 1's figure: every loss against the prediction, and every gradient as a bar.

    ``png(prediction=..., target=...)`` draws it; both lie in [0, 1]. Axes are fixed, so
    settings compare at a glance and only curves, markers, bars and labels are redrawn.
    """

    def __init__(self, page: bool = False):
        super().__init__(figsize=(9, 3.4), page=page)
        self.curves_ax, self.bars_ax = self.figure.subplots(1, 2, width_ratios=[1.3, 1])
        self._build_curves(self.curves_ax)
        self._build_bars(self.bars_ax)
        self.figure.tight_layout()

    def _build_curves(self, ax) -> None:
        self.curves, self.markers = [], []
        for i, label in enumerate(PREDICTION_LOSSES):
            self.curves.append(self.moving(ax.plot([], [], label=label, **style_of(i))[0]))
            self.markers.append(self.moving(
                ax.plot([], [], MARKERS[i], color=COLORS[i], markersize=7)[0]))
        self.target_line = self.moving(ax.axvline(0, color="0.5", linewidth=1, label="target y"))
        ax.set(xlim=(-0.03, 1.03), ylim=(0, 4), xlabel=r"prediction $\hat y$", ylabel="loss")
        self.curves_title = self.moving(ax.set_title(" "))
        # moving, so that it is drawn over the curves, on a background that keeps it readable
        self.legend = self.moving(ax.legend(loc="upper center", ncols=2, frameon=True,
                                            framealpha=0.9, edgecolor="none"))

    def _build_bars(self, ax) -> None:
        names = list(PREDICTION_LOSSES)
        bars = ax.bar(names, np.zeros(len(names)), color=COLORS[: len(names)])
        self.bars = [self.moving(bar) for bar in bars]
        for bar, hatch in zip(self.bars, ["", "//", ".."], strict=True):
            bar.set_hatch(hatch)
        self.values = [self.moving(ax.annotate("", (i, 0), xytext=(0, 3), ha="center",
                                               textcoords="offset points"))
                       for i in range(len(names))]
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(-600, 600)
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_number))
        ax.set_ylabel(r"gradient $\partial L / \partial \hat y$ (symlog)")
        self.bars_title = self.moving(ax.set_title(" "))

    def update(self, prediction: float, target: float) -> None:
        for i, name in enumerate(PREDICTION_LOSSES.values()):
            self.curves[i].set_data(*_loss_curve(name, float(target)))
            loss, grad = loss_and_gradient(name, prediction, target)
            self.markers[i].set_data([prediction], [loss])
            self.bars[i].set_height(grad)
            above = grad >= 0
            self.values[i].xy = (i, grad)
            self.values[i].xyann = (0, 3 if above else -3)
            self.values[i].set(text=gradient_label(grad), va="bottom" if above else "top")
        self.target_line.set_xdata([target, target])
        self.curves_title.set_text(f"target y = {target:g}")
        self.bars_title.set_text(rf"at $\hat y$ = {prediction:.2f}")


def plot_logit_gradients(target: float = 1.0, ax=None, mark: float | None = None):
    """dL/dz for a sigmoid output trained with BCE and with MSE, as the logit z sweeps [-8, 8].

    With ``mark`` (a logit in [-8, 8]), each curve carries a marker at z = ``mark`` with its
    value to 3 significant figures written beside it.
    """
    fig, ax = get_axes(ax, figsize=(7.5, 4))  # wide enough for the legend beside the curves
    z = np.linspace(-8, 8, 400)
    if mark is not None:
        if not -8 <= mark <= 8:
            raise ValueError(f"mark must be a logit in [-8, 8]; got {mark!r}")
        z = np.union1d(z, [mark])
    y = np.full_like(z, target)
    bce = binary_cross_entropy_with_logits_grad(z, y) * z.size
    mse = mse_grad(sigmoid(z), y) * z.size * sigmoid_grad(z)
    ax.plot(z, bce, label=r"sigmoid + BCE: $\hat y - y$", **style_of(0))
    ax.plot(z, mse, label=r"sigmoid + MSE: $2(\hat y - y)\,\sigma'(z)$", **style_of(1))
    ax.axhline(0, color="0.3", linewidth=0.8)
    if mark is not None:
        at = np.searchsorted(z, mark)
        # the BCE value above its curve, the MSE value below its: apart whatever the target
        for i, (values, offset, va) in enumerate([(bce, 9, "bottom"), (mse, -9, "top")]):
            value = float(values[at])
            ax.plot([mark], [value], MARKERS[i], color=COLORS[i], markersize=7)
            ax.annotate(f"z = {mark:g}: {value:.3g}".replace("-", "\N{MINUS SIGN}"),
                        (mark, value), xytext=(0, offset), textcoords="offset points",
                        ha="center", va=va, color=COLORS[i])
    ax.set_xlabel("logit $z$")
    ax.set_ylabel(r"gradient $\partial L / \partial z$")
    ax.set_title(f"target y = {target:g}")
    ax.legend(loc="lower right")
    return fig
