"""Chapter 7's figures: digit images, confusion matrices, learning curves (train vs validation)."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.lines import Line2D

from .._validation import check_positive_int
from . import style
from .core import COLORS, PALETTE, get_axes, style_of
from .live import LiveFigure

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
                ax.set_title(titles[i], fontsize=style.MIN_TEXT_PX, pad=3)
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
    fig = plot_digits(np.asarray(images)[wrong], titles, ncols=ncols)
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, height + KEY_HEIGHT)  # room for the key along the top
    fig.suptitle(MISTAKES_KEY + ("" if confidence is None else MISTAKES_CONFIDENCE_KEY),
                 fontsize=style.MIN_TEXT_PX)
    fig.tight_layout(pad=0.3)
    return fig


MISTAKES_KEY = "true digit → predicted digit"
MISTAKES_CONFIDENCE_KEY = " (the probability the network gave its wrong answer)"
KEY_HEIGHT = 0.3  # inches


def plot_confusion_matrix(matrix, ax=None, title: str | None = None, counts: bool = True,
                          colorbar: bool = True, fontsize: float = style.MIN_TEXT_PX):
    """Heat map of a confusion matrix (rows true, columns predicted), counts written in.

    matrix : (k, k) counts. Colours follow the count on a square-root-like scale so that the
    few mistakes stand out next to the large diagonal; ``colorbar=True`` adds a colour bar
    labelled in counts. ``counts=False`` leaves the numbers out of the cells.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be a square (k, k) array of counts; got {matrix.shape}")
    fig, ax = get_axes(ax, figsize=(4.8 if colorbar else 4.2, 4))
    k = len(matrix)
    vmax = max(int(matrix.max()), 1)
    image = ax.imshow(matrix, cmap=MATRIX_CMAP, norm=PowerNorm(0.4, vmin=0, vmax=vmax))
    for i in range(k if counts else 0):
        for j in range(k):
            if matrix[i, j]:
                dark = matrix[i, j] > 0.35 * vmax
                ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center",
                        fontsize=fontsize, color="white" if dark else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.grid(False)
    if colorbar:
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
        bar.set_label("images")
    if title:
        ax.set_title(title)
    return fig


def describe_confusion_matrix(matrix, top: int = 3) -> str:
    """What a confusion matrix (k, k) of counts shows, for alt text: its accuracy, its most
    frequent mistake and how much of the data the ``top`` most predicted classes take, e.g.
    "accuracy 94.4% (255 of 270 on the diagonal); most frequent mistake: 8 read as 1 (4 times);
    the 3 most predicted classes (1, 8, 3) take 33% of the images".
    """
    matrix = np.asarray(matrix)
    if (matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.sum() <= 0
            or np.any(matrix < 0)):
        raise ValueError(f"matrix must be a square (k, k) array of counts, not all zero; got "
                         f"shape {matrix.shape}")
    top = min(check_positive_int(top, "top"), len(matrix))
    total, correct = int(matrix.sum()), int(np.trace(matrix))
    text = f"accuracy {correct / total:.1%} ({correct} of {total} on the diagonal)"
    mistakes = matrix * (1 - np.eye(len(matrix), dtype=matrix.dtype))
    if mistakes.any():
        true, predicted = np.unravel_index(np.argmax(mistakes), mistakes.shape)
        times = int(mistakes[true, predicted])
        text += (f"; most frequent mistake: {true} read as {predicted} ({times} "
                 f"time{'s' * (times != 1)})")
    predicted_counts = matrix.sum(axis=0)
    most = np.argsort(-predicted_counts, kind="stable")[:top]
    share = predicted_counts[most].sum() / total
    classes = ", ".join(str(int(c)) for c in most)
    text += (f"; the {top} most predicted classes ({classes}) take {share:.0%} of the images"
             if top > 1 else f"; the most predicted class ({classes}) takes {share:.0%} of "
             "the images")
    return text


def plot_validation_loss(history, ax=None, title: str | None = None):
    """The validation loss per epoch of ``history`` (a ``training.History``) on a linear axis,
    zoomed on its own range, with its lowest epoch marked: the detail of a learning curve that
    the shared log axis of ``LearningCurves`` hides. Epochs are numbered from 1."""
    losses = np.asarray(getattr(history, "val_loss", None) or [], dtype=np.float64)
    if losses.size < 1:
        raise ValueError("history must hold a validation loss (train with validation=...)")
    fig, ax = get_axes(ax, figsize=(5.2, 3.2))
    epochs = np.arange(1, losses.size + 1)
    ax.plot(epochs, losses, marker="o", markersize=3, label="validation loss", **_VALIDATION)
    best = int(np.argmin(losses))
    ax.axvline(best + 1, **_BEST_EPOCH, label=f"lowest: epoch {best + 1}")
    ax.set(xlabel="epoch", ylabel="validation loss (linear scale)")
    ax.legend(frameon=True, facecolor="white", edgecolor="none", framealpha=0.9)  # over the line
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


LOSS_RANGE = (1e-3, 1e2)  # the loss axis of every learning-curve figure, whatever the run
_TRAINING = style_of(0)
_VALIDATION = {"color": COLORS[1], "linestyle": "--"}
_COMPARISON = {"color": "0.45", "linestyle": ":", "linewidth": 1.6}
_BEST_EPOCH = {"color": "0.3", "linewidth": 1, "linestyle": "-."}
_RESTORED = {"linestyle": "none", "marker": "o", "markersize": 6, "markerfacecolor": "white",
             "markeredgecolor": "black", "markeredgewidth": 1.2}
_UNIFORM_GUESS = {"color": PALETTE["black"], "linestyle": (0, (1, 2)), "linewidth": 1.2}
_NOTE_LINE = 1.3  # the height of a line of a note, in font sizes


def _on_loss_axis(losses) -> np.ndarray:
    """Losses (epochs,) clipped to LOSS_RANGE: a value beyond it is drawn on the edge."""
    return np.clip(np.asarray(losses, dtype=np.float64), *LOSS_RANGE)


def _beyond_range_note(losses) -> str:
    """Which edge of the loss axis shows values that lie beyond LOSS_RANGE ("" if none)."""
    losses = np.asarray(losses, dtype=np.float64)
    (low, high), notes = LOSS_RANGE, []
    if np.any(losses > high):
        notes.append(f"losses above {high:g} drawn on the top edge")
    if np.any(losses < low):
        notes.append(f"losses below {low:g} drawn on the bottom edge")
    return "\n".join(notes)


def _set_curves(lines, history, training: bool) -> None:
    """Put the training or validation curves of ``history`` on the (loss, accuracy) lines."""
    loss, acc = ((history.loss, history.accuracy) if training
                 else (history.val_loss, history.val_accuracy))
    for line, values in zip(lines, (_on_loss_axis(loss), acc), strict=True):
        line.set_data(np.arange(1, len(values) + 1), values)


class LearningCurves(LiveFigure):
    """Learning curves: loss (log scale) and accuracy per epoch, training solid, validation dashed.

    ``png(history=...)`` draws a ``backproplab.training.History`` with validation results;
    see :meth:`update` for the options. The axes are the same for every run, so runs compare
    at a glance: the loss axis spans LOSS_RANGE (values beyond it are drawn on its edge, and
    a note says so) and the accuracy axis 0 to 1. Epochs are numbered from 1 (the value after
    that many epochs). A diverged run is labelled, on one line at the top of the loss panel,
    with the update at which its loss stopped being finite.
    """

    def __init__(self, page: bool = False):
        super().__init__(figsize=(9, 3.6), page=page)
        self.loss_ax, self.accuracy_ax = axes = self.figure.subplots(1, 2)
        self.loss_ax.set(yscale="log", ylim=LOSS_RANGE, ylabel="loss (log scale)")
        self.accuracy_ax.set(ylim=(0, 1.02), ylabel="accuracy")
        for ax in axes:
            ax.set_xlabel("epoch")

        def curves(style, **options):  # one line per axes; every point lies inside the
            # axes (losses are clipped), so a line on an edge is drawn at its full width
            return [self.moving(ax.plot([], [], clip_on=False, **style, **options)[0])
                    for ax in axes]

        self.training, self.validation = curves(_TRAINING), curves(_VALIDATION)
        self.comparison = curves(_COMPARISON, zorder=3)
        self.best = [self.moving(ax.axvline(1, **_BEST_EPOCH)) for ax in axes]
        box = {"boxstyle": "round", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}

        def note(color):  # a note in the top right corner of the loss panel
            return self.moving(self.loss_ax.text(0.98, 0.97, "", transform=self.loss_ax.transAxes,
                                                 ha="right", va="top", zorder=4, color=color,
                                                 bbox=box))

        # Losses above 10 are rare (the end of a run that diverges), so the top of the loss
        # panel is the empty place for the notes, one line each, stacked one under the other;
        # the box keeps them readable over a diverging curve.
        self.diverged = [note(PALETTE["vermillion"])]
        self.beyond_range = note("0.3")
        self.loss_note = note("0.3")
        self._notes = [self.diverged[0], self.beyond_range, self.loss_note]
        self.title = self.moving(self.figure.suptitle("", fontsize=12))
        self.legend, self._layout_key = None, None
        self._layout(1, [("training", _TRAINING), ("validation", _VALIDATION)], titled=True)

    def update(self, history, title: str = "", compare=None, compare_label: str = "other run",
               epochs: int | None = None, mark_best: bool = False) -> Hashable:
        """Show ``history``; return the background key (epochs, legend entries, whether titled).

        compare : optional second History whose validation curves are drawn in grey, labelled
            "``compare_label``: validation".
        epochs : length of the epoch axis (defaults to the longer run); pass the number of
            epochs trained for, so that a run that diverged early keeps the same axes.
        mark_best : draw a vertical line at ``history.best_epoch``.
        """
        runs = [history] + ([] if compare is None else [compare])
        longest = max(len(run.loss) for run in runs)
        epochs = max(longest, 1) if epochs is None else check_positive_int(epochs, "epochs")
        if epochs < longest:
            raise ValueError(f"epochs must be at least the {longest} epochs of the runs shown; "
                             f"got {epochs}")
        _set_curves(self.training, history, training=True)
        _set_curves(self.validation, history, training=False)
        self.beyond_range.set_text(_beyond_range_note(history.loss + history.val_loss))
        message = f"diverged at update {history.steps + 1} (loss not finite)"
        for text in self.diverged:
            text.set_text(message if history.diverged else "")
        self.loss_note.set_text("")
        legend = [("training", _TRAINING), ("validation", _VALIDATION)]
        if compare is not None:
            _set_curves(self.comparison, compare, training=False)
            legend.append((f"{compare_label}: validation", _COMPARISON))
        best = history.best_epoch if mark_best else None
        if best is not None:
            for line in self.best:
                line.set_xdata([best + 1, best + 1])
            legend.append(("best epoch", _BEST_EPOCH))
        for lines, shown in ((self.comparison, compare is not None), (self.best, best is not None)):
            for line in lines:
                line.set_visible(shown)
        self.title.set_text(title)
        return self._layout(epochs, legend, titled=bool(title))

    def _stack_notes(self) -> None:
        """Put the notes that have a text one under the other from the top of the loss panel."""
        height = self.loss_ax.get_position().height * self.figure.get_size_inches()[1] * 72
        y = 0.97
        for text in self._notes:
            content = text.get_text()
            text.set_y(y)
            if content:
                y -= _NOTE_LINE * text.get_fontsize() * (content.count("\n") + 1) / height

    def _layout(self, epochs: int, legend: list[tuple[str, dict]], titled: bool) -> Hashable:
        """Set the still parts: epoch axis, legend (label, style) entries and room for a title.

        Returns their key; the still parts are left alone when it is the key of those shown now.
        The notes at the top of the loss panel (moving) are stacked in any case.
        """
        key = (epochs, tuple(label for label, _ in legend), titled)
        if key != self._layout_key:
            self._layout_key = key
            for ax in (self.loss_ax, self.accuracy_ax):
                ax.set_xlim(0.5, epochs + 0.5)
            if self.legend is not None:
                self.legend.remove()
            self.legend = self.figure.legend([Line2D([], [], **style) for _, style in legend],
                                             key[1], loc="lower center", ncol=4,
                                             columnspacing=1.5)
            self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.25,
                                        top=0.88 if titled else 0.96, wspace=0.25)
        self._stack_notes()  # the notes move, so they are placed whether the key changed or not
        return key


class LiveTraining(LearningCurves):
    """The learning curves of a network trained afresh for every setting of the controls.

    ``run(**settings)`` trains a network and returns its History; ``png(**settings)`` draws
    it. ``title`` is a format string over the settings' names, such as ``"lr {lr:g}"``.
    ``epochs`` is the number of epochs ``run`` trains for: the epoch axis keeps that length
    even when a run diverges early.
    """

    def __init__(self, run: Callable[..., object], title: str, epochs: int,
                 page: bool = False):
        super().__init__(page=page)
        if not callable(run):
            raise TypeError(f"run must be a function of the settings; got {type(run).__name__}")
        self.run, self.title_format = run, str(title)
        self.epochs = check_positive_int(epochs, "epochs")

    def update(self, **settings) -> Hashable:
        """Train for ``settings`` and show the run; return the background key."""
        return super().update(self.run(**settings), title=self.title_format.format(**settings),
                              epochs=self.epochs)


def plot_per_update(panels: Mapping[str, Mapping[str, Sequence[float]]], batch_classes=None,
                    batches_per_epoch: int | None = None):
    """Stacked panels of fractions measured after every update, sharing the update axis.

    panels : {y-axis label: {line label: values}}, values of shape (n_updates,) for one run
        or (n_seeds, n_updates) for one thin line per seed; a line label keeps its colour
        and style in every panel if it comes in the same place.
    batch_classes (n_updates,) optional: the most common label of each
        mini-batch, written along the top where it changes.
    batches_per_epoch: draw a vertical line at every epoch boundary.
    """
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.3 * len(panels) + 0.4), sharex=True,
                             squeeze=False)
    for ax, (ylabel, curves) in zip(axes[:, 0], panels.items(), strict=True):
        n = 0
        for i, (label, values) in enumerate(curves.items()):
            rows = np.asarray(values, dtype=np.float64)
            if rows.ndim not in (1, 2):
                raise ValueError(f"panels[{ylabel!r}][{label!r}] must have shape (n_updates,) "
                                 f"or (n_seeds, n_updates); got {rows.shape}")
            rows, width = np.atleast_2d(rows), 1.0 if rows.ndim == 2 else None
            for j, row in enumerate(rows):
                ax.plot(np.arange(1, len(row) + 1), row, label=label if j == 0 else None,
                        linewidth=width, **style_of(i))
            n = max(n, rows.shape[1])
        for boundary in range(batches_per_epoch or n, n, batches_per_epoch or n):
            ax.axvline(boundary + 0.5, color="0.3", linewidth=1)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel(ylabel)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    if batch_classes is not None:
        classes = np.asarray(batch_classes)
        for start in np.flatnonzero(np.r_[True, classes[1:] != classes[:-1]]):
            axes[0, 0].text(start + 1, 1.05, str(classes[start]),
                            transform=axes[0, 0].get_xaxis_transform())
    axes[-1, 0].set_xlabel("update (mini-batch)")
    fig.tight_layout()
    return fig


def plot_training_frame(matrix, val_accuracy: Sequence[float], total_epochs: int, label: str):
    """One animation frame: the validation confusion matrix and the accuracy curve so far."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.3, 3.8), width_ratios=[1, 1.2])
    plot_confusion_matrix(matrix, ax=left, title=label)
    right.plot(np.arange(len(val_accuracy)), val_accuracy, marker="o", markersize=3,
               **style_of(0))
    right.set_xlim(-0.5, total_epochs - 0.5)
    right.set_ylim(0, 1.02)
    right.set_xlabel("epochs trained")
    right.set_ylabel("validation accuracy")
    right.set_title(f"validation accuracy {val_accuracy[-1]:.1%}")
    # fixed margins (not a layout engine), so that the axes stay put from frame to frame; the
    # gap leaves room for the colour bar's label and the accuracy axis' label
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.13, top=0.9, wspace=0.42)
    return fig


MAX_SEEDS = 20  # the most runs a SeedCurves figure draws at once
_SEED_WIDTH = 1.0  # one thin line per seed
_COMPARISON_SEEDS = {**_COMPARISON, "linewidth": _SEED_WIDTH}


def _as_runs(runs, name: str) -> list:
    """A non-empty list of at most MAX_SEEDS Histories (one per seed)."""
    runs = list(runs) if isinstance(runs, (list, tuple)) else None
    if not runs or len(runs) > MAX_SEEDS or not all(hasattr(run, "val_loss") for run in runs):
        raise ValueError(f"{name} must be a list of 1 to {MAX_SEEDS} training Histories, one "
                         "per seed")
    return runs


def _updates(runs) -> str:
    """The updates (1-based, as in the training loop's message) at which the diverged runs
    stopped: "update 6" or, when they differ, "updates 6–8"."""
    updates = [run.steps + 1 for run in runs if run.diverged]
    low, high = min(updates), max(updates)
    return f"update {low}" if low == high else f"updates {low}–{high}"


def _diverged_note(runs) -> str:
    """One line, "k of n seeds diverged at updates u–v", for runs stopped by a non-finite loss."""
    count = sum(run.diverged for run in runs)
    if not count:
        return ""
    seeds = "seed" if len(runs) == 1 else "seeds"
    return f"{count} of {len(runs)} {seeds} diverged at {_updates(runs)}"


def _restored_points(runs) -> tuple[list[int], list[float], list[float]]:
    """(epochs from 1, clipped validation losses, validation accuracies) of each run's best
    epoch, for the runs that have one."""
    kept = [run for run in runs if run.best_epoch is not None and not run.diverged]
    epochs = [run.best_epoch + 1 for run in kept]
    return (epochs, list(_on_loss_axis([run.val_loss[run.best_epoch] for run in kept])),
            [run.val_accuracy[run.best_epoch] for run in kept])


class SeedCurves(LearningCurves):
    """Learning curves of one recipe trained with several seeds: one thin line per seed.

    ``png(runs=[History, ...])`` draws each run's training curves (solid) and validation curves
    (dashed), loss on the log axis of LOSS_RANGE and accuracy from 0 to 1, as
    :class:`LearningCurves` does for one run. ``compare`` optionally adds the validation curves
    of another list of runs in grey, one dotted line per seed. A note says how many seeds
    diverged. At most MAX_SEEDS runs per list. Options of :meth:`update` mark the epoch that
    early stopping restored, say that the training loss includes an L2 penalty, and draw the
    loss of a uniform guess for reference.
    """

    def __init__(self, page: bool = False):
        super().__init__(page=page)
        axes = (self.loss_ax, self.accuracy_ax)

        def pool(style):  # MAX_SEEDS (loss, accuracy) line pairs, hidden until used
            return [[self.moving(ax.plot([], [], clip_on=False, linewidth=_SEED_WIDTH,
                                         **style)[0]) for ax in axes]
                    for _ in range(MAX_SEEDS)]

        self.seed_training, self.seed_validation = pool(_TRAINING), pool(_VALIDATION)
        self.seed_comparison = pool({k: v for k, v in _COMPARISON.items() if k != "linewidth"})
        for line in self.training + self.validation + self.comparison + self.best:
            line.set_visible(False)
        self.restored = [self.moving(ax.plot([], [], clip_on=False, zorder=5, **_RESTORED)[0])
                         for ax in axes]
        self.uniform_guess = self.moving(self.loss_ax.axhline(1.0, zorder=4, **_UNIFORM_GUESS))
        self.uniform_guess_label = self.moving(self.loss_ax.text(
            0.98, 1.0, "", transform=self.loss_ax.get_yaxis_transform(), ha="right",
            va="bottom", zorder=4, color=_UNIFORM_GUESS["color"]))

    def update(self, runs, title: str = "", compare=None, compare_label: str = "other runs",
               epochs: int | None = None, restored_best: bool = False, l2_penalty: bool = False,
               uniform_guess: int | None = None) -> Hashable:
        """Show every History of ``runs`` (and of ``compare``); return the background key.

        epochs : length of the epoch axis (defaults to the longest run shown).
        restored_best : the runs were trained with early stopping, which put back the weights
            of each run's best epoch (lowest validation loss): a circle marks that epoch on
            each run's validation curves.
        l2_penalty : the runs' training loss includes an L2 penalty (as ``train`` records it
            with ``l2=...``), which a note in the loss panel says.
        uniform_guess : a number of classes k; draws a dotted line at ln k, the loss of a
            uniform guess over k classes.
        """
        runs = _as_runs(runs, "runs")
        others = [] if compare is None else _as_runs(compare, "compare")
        longest = max(len(run.loss) for run in runs + others)
        epochs = max(longest, 1) if epochs is None else check_positive_int(epochs, "epochs")
        if epochs < longest:
            raise ValueError(f"epochs must be at least the {longest} epochs of the runs shown; "
                             f"got {epochs}")
        for pool, shown, training in ((self.seed_training, runs, True),
                                      (self.seed_validation, runs, False),
                                      (self.seed_comparison, others, False)):
            for i, lines in enumerate(pool):
                for line in lines:
                    line.set_visible(i < len(shown))
                if i < len(shown):
                    _set_curves(lines, shown[i], training=training)
        self.beyond_range.set_text(_beyond_range_note(
            [value for run in runs for value in run.loss + run.val_loss]))
        for text in self.diverged:
            text.set_text(_diverged_note(runs))
        self.loss_note.set_text("training loss includes the L2 penalty" if l2_penalty else "")
        epochs_best, losses_best, accuracies_best = _restored_points(runs if restored_best
                                                                     else [])
        for line, values in zip(self.restored, (losses_best, accuracies_best), strict=True):
            line.set_data(epochs_best, values)
        self._draw_uniform_guess(uniform_guess)
        legend = [("training (one line per seed)" if len(runs) > 1 else "training", _TRAINING),
                  ("validation", _VALIDATION)]
        if others:
            legend.append((f"{compare_label}: validation", _COMPARISON_SEEDS))
        if restored_best:
            legend.append(("restored epoch", _RESTORED))
        self.title.set_text(title)
        return self._layout(epochs, legend, titled=bool(title))

    def _draw_uniform_guess(self, classes: int | None) -> None:
        """The line at ln ``classes`` (hidden for None), labelled above its right end."""
        shown = classes is not None
        if shown:
            classes = check_positive_int(classes, "uniform_guess")
            if classes < 2:
                raise ValueError(f"uniform_guess must be a number of classes, at least 2; got "
                                 f"{classes}")
            self.uniform_guess.set_ydata([math.log(classes)] * 2)
            self.uniform_guess_label.set_y(math.log(classes))
        self.uniform_guess.set_visible(shown)
        self.uniform_guess_label.set_text(f"uniform guess (ln {classes})" if shown else "")


def describe_seed_runs(runs, restored_best: bool = False, l2_penalty: bool = False) -> str:
    """What a list of Histories (one per seed, as SeedCurves draws them) ends at, for alt text.

    Either how many seeds diverged (and at which updates, 1-based as in the training loop's
    message), or the range over the seeds of the last validation accuracy and training loss,
    e.g. "validation accuracy 92% to 94% and training loss 0.097 to 0.11 after the last epoch,
    over 5 seeds". A range whose two ends read the same is written once ("10% for every seed").
    restored_best and l2_penalty mean what they mean for :meth:`SeedCurves.update`: the values
    are then those of the epoch early stopping restored, and the loss is said to include the
    penalty.
    """
    runs = _as_runs(runs, "runs")
    n = len(runs)
    diverged = [run for run in runs if run.diverged]
    if len(diverged) == n:
        return f"all {n} seeds diverged (loss not finite) at {_updates(diverged)}"
    finished = [run for run in runs if not run.diverged]
    if any(not run.val_accuracy or not run.loss for run in finished):
        raise ValueError("runs must have recorded loss and val_accuracy (train with "
                         "validation=...)")
    if restored_best and any(run.best_epoch is None for run in finished):
        raise ValueError("runs must have a best_epoch (train with early_stopping=...) to "
                         "describe the restored epoch")

    def between(values, fmt):
        low, high = f"{min(values):{fmt}}", f"{max(values):{fmt}}"
        return f"{low} for every seed" if low == high else f"{low} to {high}"

    kept = [run.best_epoch if restored_best else -1 for run in finished]
    when = (f"at the epoch early stopping restored (the lowest validation loss: epoch "
            f"{between([run.best_epoch + 1 for run in finished], 'd')})" if restored_best
            else "after the last epoch")
    loss = "training loss with the L2 penalty" if l2_penalty else "training loss"
    pairs = list(zip(finished, kept, strict=True))
    text = (f"validation accuracy {between([r.val_accuracy[k] for r, k in pairs], '.0%')} and "
            f"{loss} {between([r.loss[k] for r, k in pairs], '.2g')} {when}, over "
            f"{len(finished)} seed{'s' * (len(finished) != 1)}")
    if diverged:
        text += f"; {len(diverged)} of {n} seeds diverged"
    return text
