"""Style and figures shared by every chapter.

Colours come from the Okabe-Ito palette, which stays distinguishable under the
common forms of colour blindness; lines also differ in style where several are
drawn together, so a figure never relies on colour alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from . import style

PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
COLORS = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1))]
DIVERGING_CMAP = "PuOr"


def use_style() -> None:
    """Apply the course style (palette, readable fonts, light grid) to matplotlib.

    Sizes follow ``plots.style``: a point is a CSS pixel on the page, no text is smaller than
    ``style.MIN_TEXT_PX``, and figures shown in a notebook are rendered at twice their pixel
    size (IPython's "retina" format), which the book's pages keep.
    """
    text = style.MIN_TEXT_PX
    plt.rcParams.update(
        {
            "axes.prop_cycle": plt.cycler(color=COLORS),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": text,
            "axes.titlesize": text + 1,
            "axes.labelsize": text,
            "xtick.labelsize": text,
            "ytick.labelsize": text,
            "legend.fontsize": text,
            "legend.title_fontsize": text,
            "figure.titlesize": text + 1,
            "legend.frameon": False,
            "figure.dpi": style.PX_PER_INCH,
            "savefig.dpi": style.FRAME_DPI,
            "figure.figsize": (min(6.4, style.MAX_WIDTH), 4),
        }
    )
    _show_inline_figures_sharp()


def _show_inline_figures_sharp() -> None:
    """In IPython, show inline figures at 2x pixel density; elsewhere, do nothing."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def style_of(i: int) -> dict:
    """Colour and line style of the ``i``-th series in a figure."""
    return {"color": COLORS[i % len(COLORS)], "linestyle": LINESTYLES[i % len(LINESTYLES)]}


def get_axes(ax, figsize=(6, 4)):
    """Return (figure, axes): those of ``ax`` if given, else a new figure of ``figsize``."""
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize)


def plot_loss_curves(
    curves: Mapping[str, Sequence[float]],
    ax=None,
    log: bool = True,
    xlabel: str = "epoch",
    ylabel: str = "loss",
):
    """Plot one or more loss curves, ``{label: values}``, on one axis; returns the Figure."""
    fig, ax = get_axes(ax)
    for i, (label, values) in enumerate(curves.items()):
        ax.plot(np.arange(len(values)), values, label=label, **style_of(i))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + (" (log scale)" if log else ""))
    if len(curves) > 1:
        ax.legend()
    return fig


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax=None,
    resolution: int = 200,
    margin: float = 0.5,
):
    """Shade the class ``predict`` assigns to each point of the plane, with the data on top.

    ``predict`` maps an (m, 2) array to m integer labels; ``X`` is (n, 2), ``y`` (n,) or (n, 1).
    """
    fig, ax = get_axes(ax, figsize=(4.5, 4))
    y = np.asarray(y).reshape(-1).astype(int)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    labels = np.asarray(predict(grid)).reshape(gx.shape).astype(int)
    classes = np.unique(np.concatenate([y, labels.ravel()]))
    colors = [COLORS[c % len(COLORS)] for c in classes]
    cmap = plt.matplotlib.colors.ListedColormap(colors)
    ax.contourf(gx, gy, labels, levels=np.arange(classes.max() + 2) - 0.5, cmap=cmap, alpha=0.25)
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    for c in np.unique(y):
        pts = X[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=25 if len(X) > 50 else 70,
                   color=COLORS[c % len(COLORS)], marker=markers[c % len(markers)],
                   edgecolor="black", linewidth=0.8, label=f"class {c}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best")
    return fig


def plot_gradient_sizes(
    sizes: np.ndarray,
    ax=None,
    layer_names: Sequence[str] | None = None,
    xlabel: str = "epoch",
):
    """Plot per-layer gradient sizes over time; ``sizes`` is (n_steps, n_layers). Log scale."""
    fig, ax = get_axes(ax)
    sizes = np.asarray(sizes)
    names = layer_names or [f"layer {i + 1}" for i in range(sizes.shape[1])]
    for i, name in enumerate(names):
        ax.plot(sizes[:, i], label=name, **style_of(i))
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean |gradient| (log scale)")
    ax.legend()
    return fig
