"""Chapter 7's figures: digit images, confusion matrices, learning curves (train vs validation)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import PowerNorm

from .core import COLORS, PALETTE, get_axes, style_of

MATRIX_CMAP = "Blues"  # one hue from light to dark: readable without colour vision


def _as_images(images) -> np.ndarray:
    """Images (n, 64) or (n, 8, 8) -> (n, 8, 8)."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 2 and images.shape[1] == 64:
        return images.reshape(-1, 8, 8)
    if images.ndim == 3 and images.shape[1:] == (8, 8):
        return images
    raise ValueError(f"images must have shape (n, 64) or (n, 8, 8); got {images.shape}")


def plot_digits(images, titles: Sequence[str] | None = None, ncols: int = 10, size: float = 0.9):
    """A grid of 8x8 digit images (dark ink on white), one optional title each; returns a Figure."""
    images = _as_images(images)
    n = len(images)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    title_lines = max((str(t).count("\n") + 1 for t in titles), default=0) if titles else 0
    row_height = size * (1.0 + 0.3 * title_lines)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, row_height * nrows),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


def plot_mistakes(images, y_true, y_pred, confidence=None, max_images: int = 10,
                  ncols: int = 10):
    """The first ``max_images`` misclassified images, titled "true -> predicted (confidence)".

    images (n, 64); y_true, y_pred (n,) labels; confidence (n,) optional
    probability the model gave its prediction.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)[:max_images]
    if len(wrong) == 0:
        raise ValueError("there are no mistakes to show: y_pred equals y_true everywhere")
    titles = [
        f"{y_true[i]} → {y_pred[i]}" + ("" if confidence is None else f"\n({confidence[i]:.0%})")
        for i in wrong
    ]
    return plot_digits(np.asarray(images)[wrong], titles, ncols=ncols)


def plot_confusion_matrix(matrix, ax=None, title: str | None = None, counts: bool = True):
    """Heat map of a confusion matrix (rows true, columns predicted), counts written in.

    Colours follow the count on a square-root-like scale so that the few
    mistakes stand out next to the large diagonal. ``counts=False`` leaves
    the numbers out (faster, for animation frames).
    """
    matrix = np.asarray(matrix)
    fig, ax = get_axes(ax, figsize=(4.2, 4))
    k = len(matrix)
    vmax = max(int(matrix.max()), 1)
    ax.imshow(matrix, cmap=MATRIX_CMAP, norm=PowerNorm(0.4, vmin=0, vmax=vmax))
    for i in range(k if counts else 0):
        for j in range(k):
            if matrix[i, j]:
                dark = matrix[i, j] > 0.35 * vmax
                ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.grid(False)
    if title:
        ax.set_title(title)
    return fig


def _finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def _loss_limits(histories) -> tuple[float, float]:
    values = np.concatenate([_finite(h.loss + h.val_loss) for h in histories] + [np.ones(1)])
    values = values[values > 0]
    return float(values.min()) / 1.5, float(values.max()) * 1.5


def plot_learning_curves(history, title: str | None = None, compare=None,
                         compare_label: str = "other run", epochs: int | None = None,
                         mark_best: bool = False):
    """Learning curves: loss (log scale) and accuracy per epoch, training solid, validation dashed.

    Epochs are numbered from 1 (the value after that many epochs).
    history : a ``backproplab.training.History`` with validation results.
    compare : optional second History whose validation curves are drawn in grey,
        and whose values also set the axis limits (so two frames share them).
    epochs : x-axis length (defaults to the longer run).
    mark_best : draw a vertical line at ``history.best_epoch``.
    A diverged run is annotated with the update at which its loss stopped being finite.
    """
    runs = [history] + ([compare] if compare is not None else [])
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, (train, val) in zip(
        (left, right),
        ((history.loss, history.val_loss), (history.accuracy, history.val_accuracy)),
        strict=True,
    ):
        ax.plot(np.arange(1, len(train) + 1), train, label="training", **style_of(0))
        ax.plot(np.arange(1, len(val) + 1), val, label="validation", color=COLORS[1],
                linestyle="--")
        if mark_best and history.best_epoch is not None:
            ax.axvline(history.best_epoch + 1, color="0.3", linewidth=1, linestyle="-.",
                       label="best epoch")
        ax.set_xlim(0.5, (epochs or max(len(r.loss) for r in runs) or 1) + 0.5)
        ax.set_xlabel("epoch")
    if compare is not None:
        for ax, values in ((left, compare.val_loss), (right, compare.val_accuracy)):
            ax.plot(np.arange(1, len(values) + 1), values, color="0.45", linestyle=":",
                    linewidth=1.6, zorder=3, label=f"{compare_label}: validation")
    left.set_yscale("log")
    left.set_ylim(*_loss_limits(runs))
    left.set_ylabel("loss (log scale)")
    right.set_ylim(0, 1.02)
    right.set_ylabel("accuracy")
    fig.legend(*right.get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=9)
    if history.diverged:
        for ax in (left, right):
            ax.text(0.5, 0.55, f"diverged at update {history.steps + 1}\n(loss not finite)",
                    transform=ax.transAxes, ha="center", va="center",
                    color=PALETTE["vermillion"], fontsize=11)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.25, top=0.88 if title else 0.96,
                        wspace=0.25)  # fixed margins: cheaper than tight_layout, frame after frame
    return fig


def plot_per_update(panels: Mapping[str, Mapping[str, Sequence[float]]], batch_classes=None,
                    batches_per_epoch: int | None = None):
    """Stacked panels of fractions measured after every update, sharing the update axis.

    panels : {y-axis label: {line label: values (n_updates,)}}; a line label
        keeps its colour and style in every panel if it comes in the same place.
    batch_classes (n_updates,) optional: the most common label of each
        mini-batch, written along the top where it changes.
    batches_per_epoch: draw a vertical line at every epoch boundary.
    """
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.3 * len(panels) + 0.4), sharex=True,
                             squeeze=False)
    for ax, (ylabel, curves) in zip(axes[:, 0], panels.items(), strict=True):
        for i, (label, values) in enumerate(curves.items()):
            ax.plot(np.arange(1, len(values) + 1), values, label=label, **style_of(i))
        n = max(len(v) for v in curves.values())
        for boundary in range(batches_per_epoch or n, n, batches_per_epoch or n):
            ax.axvline(boundary + 0.5, color="0.3", linewidth=1)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel(ylabel)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    if batch_classes is not None:
        classes = np.asarray(batch_classes)
        for start in np.flatnonzero(np.r_[True, classes[1:] != classes[:-1]]):
            axes[0, 0].text(start + 1, 1.05, str(classes[start]), fontsize=8,
                            transform=axes[0, 0].get_xaxis_transform())
    axes[-1, 0].set_xlabel("update (mini-batch)")
    fig.tight_layout()
    return fig


def plot_training_frame(matrix, val_accuracy: Sequence[float], total_epochs: int, label: str):
    """One animation frame: the validation confusion matrix and the accuracy curve so far."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), width_ratios=[1, 1.3])
    plot_confusion_matrix(matrix, ax=left, title=label, counts=False)
    right.plot(np.arange(len(val_accuracy)), val_accuracy, marker="o", markersize=3,
               **style_of(0))
    right.set_xlim(-0.5, total_epochs - 0.5)
    right.set_ylim(0, 1.02)
    right.set_xlabel("epochs trained")
    right.set_ylabel("validation accuracy")
    right.set_title(f"validation accuracy {val_accuracy[-1]:.1%}")
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
    return fig
