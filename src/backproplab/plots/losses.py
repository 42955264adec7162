"""Chapter 1's figures: losses and their gradients as functions of the prediction."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np

from ..activations import sigmoid, sigmoid_grad
from ..losses import binary_cross_entropy_with_logits_grad, get_loss, mse_grad
from .core import COLORS, get_axes, style_of

PREDICTION_LOSSES = {"MSE": "mse", "MAE": "mae", "BCE": "bce"}


def loss_and_gradient(name: str, prediction: float, target: float) -> tuple[float, float]:
    """One sample's loss and dL/d(prediction) for the loss registered as ``name``."""
    loss = get_loss(name)
    p, y = np.array([[prediction]]), np.array([[target]])
    return loss.value(p, y), float(loss.grad(p, y)[0, 0])


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
            ax.plot([prediction], [value], "o", color=COLORS[i], markersize=7)
    ax.axvline(target, color="0.5", linewidth=1)
    ax.set_ylim(0, 4)
    ax.set_xlabel(r"prediction $\hat y$")
    ax.set_ylabel("loss")
    ax.set_title(f"target y = {target:g}")
    ax.legend(loc="upper center")
    return fig


def plot_loss_explorer(prediction: float, target: float):
    """Chapter 1's figure: every loss against the prediction, and every gradient as a bar."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), width_ratios=[1.3, 1])
    plot_losses_vs_prediction(target, ax=left, prediction=prediction)
    names = list(PREDICTION_LOSSES)
    grads = [loss_and_gradient(PREDICTION_LOSSES[n], prediction, target)[1] for n in names]
    bars = right.bar(names, grads, color=COLORS[: len(names)])
    for bar, hatch in zip(bars, ["", "//", ".."], strict=True):
        bar.set_hatch(hatch)
    for i, g in enumerate(grads):
        right.annotate(f"{g:+.2f}", (i, g), ha="center", va="bottom" if g >= 0 else "top",
                       xytext=(0, 3 if g >= 0 else -3), textcoords="offset points")
    right.axhline(0, color="0.3", linewidth=0.8)
    right.set_yscale("symlog", linthresh=1)
    right.set_ylim(-600, 600)
    right.set_ylabel(r"gradient $\partial L / \partial \hat y$ (symlog)")
    right.set_title(rf"at $\hat y$ = {prediction:.2f}")
    fig.tight_layout()
    return fig


def plot_logit_gradients(target: float = 1.0, ax=None):
    """dL/dz for a sigmoid output trained with BCE and with MSE, as the logit z sweeps [-8, 8]."""
    fig, ax = get_axes(ax)
    z = np.linspace(-8, 8, 400)
    y = np.full_like(z, target)
    bce = binary_cross_entropy_with_logits_grad(z, y) * z.size
    mse = mse_grad(sigmoid(z), y) * z.size * sigmoid_grad(z)
    ax.plot(z, bce, label=r"sigmoid + BCE: $\hat y - y$", **style_of(0))
    ax.plot(z, mse, label=r"sigmoid + MSE: $2(\hat y - y)\,\sigma'(z)$", **style_of(1))
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("logit $z$")
    ax.set_ylabel(r"gradient $\partial L / \partial z$")
    ax.set_title(f"target y = {target:g}")
    ax.legend()
    return fig
