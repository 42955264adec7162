"""Figures of gradient sizes: chapter 5's, how the size of the gradient changes from layer to
layer, and chapter 3's gradient check, how its error depends on the step epsilon."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .._validation import check_positive_int
from ..activations import relu_grad, sigmoid_grad, tanh_grad
from ..studies.gradient_flow import fixed_batch, get_init_label, gradient_sizes
from ..studies.seed_study import trap_outcomes
from .core import COLORS, get_axes, plot_decision_boundary, style_of
from .live import LiveFigure

LOSS_LEVELS = {"1/8": 1 / 8, "1/6": 1 / 6, "1/4": 1 / 4}


def plot_activation_slopes(max_factors: int = 20, n_paths: int = 2000, seed: int = 0):
    """Left: the slopes of sigmoid, tanh and ReLU. Right: products of k sigmoid slopes.

    The right panel compares the bound 4^-k with the median product of k slopes
    sigma'(z_1) ... sigma'(z_k) at standard normal pre-activations (``n_paths`` draws).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    z = np.linspace(-6, 6, 601)
    for i, (name, grad) in enumerate(
        [("sigmoid", sigmoid_grad), ("tanh", tanh_grad), ("ReLU", relu_grad)]
    ):
        left.plot(z, grad(z), label=f"{name}′", **style_of(i))
    left.axhline(0.25, color="0.4", linewidth=0.8, linestyle=":")
    left.annotate("1/4", (5.8, 0.27), ha="right")
    left.set(xlabel="pre-activation $z$", ylabel="slope", title="activation slopes")
    left.legend(loc="upper left")
    k = np.arange(1, max_factors + 1)
    rng = np.random.default_rng(seed)
    products = np.cumprod(sigmoid_grad(rng.standard_normal((n_paths, max_factors))), axis=1)
    right.semilogy(k, 0.25**k, label="bound $4^{-k}$", **style_of(0))
    right.semilogy(k, np.median(products, axis=0), "o", markersize=4,
                   label="median at $z \\sim N(0, 1)$", color=COLORS[1])
    right.set(xlabel="number of factors $k$", ylabel="product of $k$ sigmoid slopes",
              title="a product of slopes")
    right.legend()
    fig.tight_layout()
    return fig


def plot_article_run(run, figures: Mapping[str, str], fastest_step=None):
    """Loss and per-layer gradient size of the loss-curve article's run, its figures marked.

    ``run`` is ``reference_runs.article_run()``; ``figures`` is ``ARTICLE_FIGURES``;
    ``fastest_step`` (optional) is marked as the step where the loss falls fastest.
    """
    loss, grads = run.loss[0], run.grad_mean_abs[0]
    steps = np.arange(len(loss))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(steps, loss, label="our run", **style_of(0))
    marks = [(0, "loss_start"), (5000, "loss_5000"), (len(loss) - 1, "loss_10000")]
    left.plot([s for s, _ in marks], [float(figures[k]) for _, k in marks], "s", color=COLORS[1],
              markersize=7, fillstyle="none", label="article's figures")
    left.plot([2000], [loss[2000]], "v", color=COLORS[3], label="step 2,000")
    if fastest_step is not None:
        left.plot([fastest_step], [loss[fastest_step]], "o", color=COLORS[4],
                  label=f"fastest fall (step {fastest_step:,})")
    left.set(xlabel="step", ylabel="loss: mean $(\\hat y - y)^2$", title="loss")
    left.legend()
    for i, name in enumerate(["$W_1$ (first layer)", "$W_2$ (output layer)"]):
        right.semilogy(steps, grads[:, i], label=name, **style_of(i))
    ends = [float(figures["grad_W1_end"]), float(figures["grad_W2_end"])]
    right.plot([steps[-1]] * 2, ends, "s", color=COLORS[2], markersize=7, fillstyle="none",
               label="article's end values")
    right.set(xlabel="step", ylabel="mean $|\\partial L / \\partial W|$ (log)",
              title="gradient size per layer")
    right.legend()
    fig.tight_layout()
    return fig


def plot_plateau_study(runs: Mapping[str, object], detail: str, level: float = 0.1,
                       shown: int = 10):
    """Plateaus over many seeds: ``runs`` maps a label to a ``StackedRun`` (``plateau_study``).

    Top row, one panel per run (small multiples on shared axes): the loss curves of its first
    ``shown`` seeds, one thin line each. Bottom left: the share of seeds whose loss has fallen
    below ``level`` by each epoch, one line per run. Bottom right: for the run ``detail``, the
    first layer's gradient over the output layer's, one thin line per shown seed (below 1: the
    first layer gets the smaller gradient). ``fig.axes`` lists the top panels, then the two
    bottom ones.
    """
    shown = check_positive_int(shown, "shown")
    n = len(runs)
    fig = plt.figure(figsize=(9.4, 6.4), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.1])
    tops = np.atleast_1d(top.subplots(1, n, sharex=True, sharey=True))
    middle, right = bottom.subplots(1, 2)
    for i, (ax, (label, run)) in enumerate(zip(tops, runs.items(), strict=True)):
        epochs = np.arange(run.loss.shape[1])
        for loss in run.loss[:shown]:
            ax.plot(epochs, loss, linewidth=0.8, alpha=0.8, **style_of(i))
        ax.axhline(0.25, color="0.5", linewidth=0.8, linestyle=":")
        ax.set(xlabel="epoch", title=label)
        ax.xaxis.set_major_locator(plt.MaxNLocator(3))
        first = run.first_below(level)
        escaped = np.array([np.mean((first >= 0) & (first <= t)) for t in epochs])
        middle.plot(epochs, escaped, label=label, **style_of(i))
    tops[0].set_ylabel("loss (MSE)")
    top.suptitle(f"loss of {shown} seeds per network, one line each")
    middle.axhline(0.5, color="0.5", linewidth=0.8, linestyle=":")
    middle.set(xlabel="epoch", ylabel=f"share with loss < {level:g}", ylim=(0, 1.02),
               title=f"escaped, of {len(first)} seeds")
    middle.legend(loc="lower right")
    grads = runs[detail].grad_mean_abs[:shown]
    for k, g in enumerate(grads):
        right.semilogy(g[:, 0] / g[:, -1], linewidth=0.8, alpha=0.8, color=COLORS[2],
                       label=f"{shown} seeds" if k == 0 else None)
    right.axhline(1.0, color="0.4", linewidth=0.8, linestyle=":")
    right.set(xlabel="epoch", ylabel="ratio (log)",
              title=f"first / output layer gradient, {detail}")
    right.legend(loc="lower right")
    return fig


def plot_layer_profiles(
    profiles: Mapping[str, Sequence[float]],
    ax=None,
    title: str = "",
    ylabel: str = "mean $|\\partial L / \\partial W|$ (log)",
    xlabel: str = "layer (1 = next to the input)",
):
    """One line per entry of ``profiles`` (label -> size of each layer), on a log axis."""
    fig, ax = get_axes(ax, figsize=(6, 3.4))
    markers = ["o", "s", "^", "D", "v"]
    for i, (label, sizes) in enumerate(profiles.items()):
        sizes = np.asarray(sizes, dtype=float)
        ax.semilogy(np.arange(1, len(sizes) + 1), sizes, marker=markers[i % len(markers)],
                    markersize=4, label=label, **style_of(i))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    _round_decades(ax)
    ax.legend()
    return fig


def plot_depth_sweep(sweep, activation: str, init: str, shown_depths=(5, 10, 20, 50)):
    """One frame of the depth-sweep explorer for an activation and an initialiser.

    Left: first- and last-layer gradient size against depth. Right: the size of every layer
    for a few depths, layer position scaled to [0, 1] (0 = input side). Each panel's legend
    sits below it, clear of the lines whatever the frame.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.2, 3.9), sharey=True,
                                      layout="constrained")
    depths = np.array(sweep.depths)
    left.semilogy(depths, sweep.first(activation, init), marker="o", label="first layer",
                  **style_of(0))
    left.semilogy(depths, sweep.last(activation, init), marker="s", label="last layer",
                  **style_of(1))
    left.set(xlabel="depth (number of weight layers)",
             ylabel="mean $|\\partial L / \\partial W|$ (log)")
    below = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "handlelength": 2.5}
    left.legend(ncol=2, **below)
    for i, depth in enumerate(d for d in shown_depths if d in sweep.depths):
        sizes = sweep.sizes[activation, init, depth]
        right.semilogy(np.linspace(0, 1, depth), sizes, label=f"depth {depth}", **style_of(i + 2))
    right.set(xlabel="position of the layer (0 = input, 1 = output)")
    lines = right.get_lines()  # the legend reads "depth 5, 10, 20, 50" in one row
    names = [line.get_label() if k == 0 else line.get_label().removeprefix("depth ")
             for k, line in enumerate(lines)]
    right.legend(lines, names, ncol=len(lines), columnspacing=1.0, **below)
    _round_decades(left)
    ratio = sweep.ratio(activation, init)[-1]
    fig.suptitle(f"{activation}, {get_init_label(init)} initialisation: first/last layer at "
                 f"depth {depths[-1]} = {ratio:.1e}")
    return fig


class GradientProfile(LiveFigure):
    """Chapter 5's live figure: the gradient size of every layer of one deep network.

    ``png(activation, init, depth, weight_scale, residual)`` draws the mean |dL/dW| of each
    layer at initialisation, averaged over 5 seeds (``gradient_sizes`` on ``fixed_batch(64,
    32)``, width 32), for ``depth`` from 2 to ``max_depth``. The axes never change: layer 1
    (next to the input) is always at the same place and one layer is always as wide, so a
    constant factor per layer is a straight line of the same slope at every depth, and a
    deeper network visibly adds layers. The vertical axis spans ``SIZE_RANGE``; sizes beyond
    it are drawn on its edge as triangles and counted in a note that gives the extreme value.
    """

    SIZE_RANGE = (1e-40, 1e40)
    WIDTH = 32
    SEEDS = tuple(range(5))

    def __init__(self, max_depth: int = 60, page: bool = False):
        super().__init__(figsize=(6.4, 3.6), page=page)
        self.max_depth = _check_max_depth(max_depth)
        self.X, self.y = fixed_batch(64, self.WIDTH, 1, seed=0)
        self.ax = ax = self.figure.subplots()
        low, high = self.SIZE_RANGE
        self.line = self.moving(ax.plot([], [], marker="o", markersize=4, **style_of(0))[0])
        self.edges, self.notes = {}, {}
        box = {"boxstyle": "round", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
        for side, marker, y, va in (("below", "v", 0.04, "bottom"), ("above", "^", 0.96, "top")):
            self.edges[side] = self.moving(ax.plot([], [], marker, color=COLORS[3], markersize=7,
                                                   linestyle="none", clip_on=False)[0])
            self.notes[side] = self.moving(ax.text(0.02, y, "", transform=ax.transAxes, va=va,
                                                   color=COLORS[3], bbox=box,
                                                   zorder=1.5))
        ax.axhline(1.0, color="0.5", linewidth=0.8, linestyle=":")
        ax.set_yscale("log")
        ax.set(xlim=(0, self.max_depth + 1), ylim=(low, high),
               xlabel="layer (1 = next to the input)",
               ylabel="mean $|\\partial L / \\partial W|$ (log)")
        ax.set_xticks(sorted({1, *range(10, self.max_depth + 1, 10), self.max_depth}))
        ax.set_yticks(10.0 ** np.arange(np.log10(low), np.log10(high) + 1, 10))
        ax.minorticks_off()
        self.title = self.moving(ax.set_title("two\nlines"))  # room for the two-line title
        self.figure.tight_layout()

    def sizes(self, activation: str, init: str, depth: int, weight_scale: float,
              residual: bool) -> np.ndarray:
        """Mean |dL/dW| of each layer, input side first, averaged over the seeds: (depth,)."""
        depth = check_positive_int(depth, "depth")
        if not 2 <= depth <= self.max_depth:
            raise ValueError(f"depth must be between 2 and {self.max_depth}; got {depth}")
        if not isinstance(residual, bool | np.bool_):
            raise TypeError(f"residual must be True or False; got {type(residual).__name__}")
        return gradient_sizes(depth, activation, init, list(self.SEEDS), self.X, self.y,
                              self.WIDTH, weight_scale, bool(residual)).mean(axis=0)

    def update(self, activation: str, init: str, depth: int, weight_scale: float,
               residual: bool) -> None:
        """Show the profile of one network; the background key is None (the axes are fixed)."""
        sizes = self.sizes(activation, init, depth, weight_scale, residual)
        low, high = self.SIZE_RANGE
        layers = np.arange(1, depth + 1)
        below = sizes < low  # includes 0: a gradient that underflowed
        above = ~(sizes <= high) & ~below  # includes inf and nan: a gradient that overflowed
        self.line.set_data(layers, np.where(below, low, np.where(above, high, sizes)))
        self.line.set_markevery(~(below | above))
        for side, outside, edge in (("below", below, low), ("above", above, high)):
            self.edges[side].set_data(layers[outside], np.full(outside.sum(), edge))
            self.notes[side].set_text(_edge_note(side, edge, sizes[outside]))
        kind = "residual" if residual else "plain"
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = sizes[0] / sizes[-1]
        self.title.set_text(f"{kind} {activation}, {get_init_label(init)} × {weight_scale:.3g}, "
                            f"depth {depth}\nfirst/last layer = {ratio:.1e}")


def _edge_note(side: str, edge: float, outside: np.ndarray) -> str:
    """'▼ 3 layers below 10^-40 (smallest 2.1e-55)' for the sizes ``outside`` the axis; or ''."""
    if len(outside) == 0:
        return ""
    arrow, extreme, value = (("▼", "smallest", outside.min()) if side == "below"
                             else ("▲", "largest", outside.max()))
    layers = f"{len(outside)} layer" + ("s" if len(outside) > 1 else "")
    return f"{arrow} {layers} {side} $10^{{{np.log10(edge):.0f}}}$ ({extreme} {value:.1e})"


def _check_max_depth(max_depth) -> int:
    max_depth = check_positive_int(max_depth, "max_depth")
    if max_depth < 2:
        raise ValueError(f"max_depth must be at least 2; got {max_depth}")
    return max_depth


def plot_clipping_study(runs: Mapping[str, object], ncols: int = 2):
    """One panel per entry of ``runs`` (label -> ``StackedRun``): every seed's training loss.

    The panels fill a grid ``ncols`` wide, on shared axes. Loss is on a log axis that stops at
    100 times the largest starting loss; a network that diverged is drawn up to its last finite
    loss (clipped to the axis) and ends in a cross.
    """
    ncols = min(check_positive_int(ncols, "ncols"), len(runs))
    nrows = -(-len(runs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(9.4, 0.4 + 2.8 * nrows), sharex=True,
                             sharey=True, squeeze=False, layout="constrained")
    top = 100 * max(float(np.nanmax(run.loss[:, 0])) for run in runs.values())
    for i, (ax, (label, run)) in enumerate(zip(axes.flat, runs.items(), strict=False)):
        epochs = np.arange(run.loss.shape[1])
        for loss, stop in zip(run.loss, run.diverged_at, strict=True):
            ax.semilogy(epochs, np.minimum(loss, top), linewidth=0.8, alpha=0.7,
                        color=COLORS[i])
            if stop >= 0:
                last = stop - 1 if stop > 0 else 0
                ax.plot(last, min(loss[last], top), "x", color=COLORS[3], markersize=7, mew=1.5)
        n_div = int(run.diverged.sum())
        ax.set_title(f"{label}: {n_div} of {len(run.loss)} diverged" if n_div
                     else f"{label}: none of {len(run.loss)} diverged")
    for ax in axes.flat[len(runs):]:
        ax.remove()
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("training loss (log)")
    axes[0, 0].set_ylim(top=top * 1.5)
    return fig


def plot_accuracy_shares(accuracy, highlight: Mapping[str, Sequence[float]], mark=None):
    """Left: accuracy over epochs of a few networks. Right: share of all networks at each level.

    ``accuracy`` (S, T) holds the accuracy of S networks after t = 0 ... T-1 updates;
    ``highlight`` maps a label to one such curve (T,); ``mark`` is an epoch drawn as a
    dotted vertical line in both panels (e.g. where a published snapshot was taken).
    """
    accuracy = np.asarray(accuracy, dtype=float)
    if accuracy.ndim != 2:
        raise ValueError(f"accuracy must have shape (n_networks, epochs); got {accuracy.shape}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.4, 3.4), layout="constrained")
    epochs = np.arange(accuracy.shape[1])
    for i, (label, curve) in enumerate(highlight.items()):
        left.plot(epochs, curve, label=label, **style_of(i))
    left.set(xlabel="epoch", ylabel="training accuracy", ylim=(0.2, 1.05),
             title="two networks")
    left.legend(loc="lower right")
    levels = [(1.0, "100%"), (0.75, "75%"), (0.5, "50%")]
    shares = [np.mean(accuracy == level, axis=0) for level, _ in levels]
    others = 1 - np.sum(shares, axis=0)
    areas = right.stackplot(epochs, *shares, others,
                            labels=[name for _, name in levels] + ["other"],
                            colors=[COLORS[2], COLORS[1], COLORS[3], "0.8"], alpha=0.85)
    areas[2].set(hatch="//", edgecolor="white", linewidth=0)  # 50 %: not by colour alone
    right.set(xlabel="epoch", ylabel="share of networks", ylim=(0, 1),
              title=f"all {len(accuracy)} networks, by accuracy")
    handles, names = right.get_legend_handles_labels()  # listed top to bottom, as stacked
    right.legend(handles[::-1], names[::-1], loc="center left", bbox_to_anchor=(1.0, 0.5))
    if mark is not None:
        for ax in (left, right):
            ax.axvline(mark, color="0.3", linewidth=1, linestyle=":")
    return fig


def plot_seed_study(studies: Mapping[str, object]):
    """Left: share of seeds solved or trapped at each loss level. Right: final losses.

    ``studies`` maps a label (e.g. "2-2-1") to a ``seed_study.SeedStudy``. The left panel
    sorts the networks with ``seed_study.trap_outcomes``: solved, or the loss level of the
    trap (1/8, 1/6, 1/4) they sit on; accuracy alone would hide that a network at 1/8 scores
    50% or 75% depending on which side of 0.5 two nearly equal outputs fall. The right panel is
    a histogram of the final losses with the trap levels marked.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.4, 3.8), layout="constrained")
    outcomes = {label: trap_outcomes(study.accuracy, study.final_loss)
                for label, study in studies.items()}
    names = list(next(iter(outcomes.values())))
    height = 0.8 / len(studies)
    for i, (label, counts) in enumerate(outcomes.items()):
        shares = [counts[name] / len(studies[label].accuracy) for name in names]
        y = np.arange(len(names)) + (i - (len(studies) - 1) / 2) * height
        bars = left.barh(y, shares, height, label=label, color=COLORS[i],
                         hatch=["", "//"][i % 2])
        left.bar_label(bars, [str(counts[name]) for name in names], padding=3)
    left.set_yticks(range(len(names)), [name.replace(" (", "\n(") for name in names])
    left.invert_yaxis()  # the first outcome (solved) on top
    left.grid(axis="y", visible=False)
    left.set(xlabel="share of seeds (count at the bar)", xlim=(0, 1.15),
             xticks=np.linspace(0, 1, 6), title="how the network ended")
    left.legend(loc="lower right")
    bins = np.logspace(-5, 0, 60)
    for i, (label, study) in enumerate(studies.items()):
        right.hist(study.final_loss, bins=bins, histtype="step", linewidth=1.5, label=label,
                   color=COLORS[i], linestyle=style_of(i)["linestyle"])
    for level in LOSS_LEVELS.values():
        right.axvline(level, color="0.5", linewidth=0.8, linestyle=":")
    right.annotate("stuck levels\n" + ", ".join(LOSS_LEVELS), (min(LOSS_LEVELS.values()), 0.6),
                   xycoords=("data", "axes fraction"), xytext=(-6, 0),
                   textcoords="offset points", ha="right")
    right.set_xscale("log")
    right.set(xlabel="final loss (MSE, log)", ylabel="number of seeds", title="final loss")
    right.legend(loc="upper left")
    return fig


def _int_labels(predict: Callable) -> Callable:
    """Wrap ``predict`` so that it returns integer labels."""

    def labels(grid):
        return np.asarray(predict(grid)).astype(int)

    return labels


def plot_decision_boundaries(panels: Mapping[str, Callable], X, y):
    """Decision boundaries side by side, on shared axes: ``panels`` maps a title to a predict
    function. At most three panels share a row; more wrap onto further rows.

    Each predict function maps an (m, 2) array to m class labels (ints, or floats holding
    whole numbers, which are converted). Points a panel's function gets wrong are ringed; the
    classes are named in one legend, below the panels.
    """
    X = np.asarray(X)
    y_flat = np.asarray(y).reshape(-1).astype(int)
    n = len(panels)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(min(3.4 * ncols, 9.4), 3.1 * nrows + 0.5),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    for ax, (title, predict) in zip(axes.flat, panels.items(), strict=False):
        labels = _int_labels(predict)
        plot_decision_boundary(labels, X, y, ax=ax, resolution=150)
        wrong = labels(X).reshape(-1) != y_flat
        ax.scatter(*X[wrong].T, s=160, facecolor="none", edgecolor="black",
                   linewidth=1.5, label="misclassified")
        ax.set_title(title)
        ax.get_legend().remove()
        ax.set_aspect("equal")
        for set_ticks, values in ((ax.set_xticks, X[:, 0]), (ax.set_yticks, X[:, 1])):
            set_ticks(_ticks_within(values))  # none at the edges, where neighbours collide
    for ax in axes.flat[n:]:
        ax.remove()
    for ax in axes.flat[:n]:
        if ax not in axes[:, 0]:
            ax.set_ylabel("")
        if ax not in axes[-1]:
            ax.set_xlabel("")
    entries = {}
    for ax in axes.flat[:n]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    fig.legend(entries.values(), entries.keys(), loc="outside lower center", ncol=len(entries))
    return fig


def _ticks_within(values) -> np.ndarray:
    """A few round tick positions between the smallest and the largest of ``values``."""
    low, high = float(np.min(values)), float(np.max(values))
    ticks = plt.MaxNLocator(3, steps=[1, 2, 5, 10]).tick_values(low, high)
    return ticks[(ticks >= low - 1e-9) & (ticks <= high + 1e-9)]


def _round_decades(ax, most: int = 7) -> None:
    """Label a log y axis at every 1, 2, 5, 10, 20 or 50 decades: at most ``most`` labels,
    at round powers of ten (10^0, 10^-10, ... rather than 10^1, 10^-13, ...)."""
    low, high = np.log10(ax.get_ylim())
    for step in (1, 2, 5, 10, 20, 50, 100):
        exponents = np.arange(np.ceil(low / step) * step, high + 1e-9, step)
        if len(exponents) <= most:
            break
    if len(exponents) >= 2:
        ax.set_yticks(10.0 ** exponents)
        if step > 1:
            ax.minorticks_off()


RECOMMENDED_STEP = (1e-6, 1e-5)  # float64: around u ** (1/3), 5e-6 (chapter 3)


def plot_gradient_check(epsilons, errors: Mapping[str, Sequence[float]],
                        recommended: tuple[float, float] | None = RECOMMENDED_STEP, ax=None):
    """Relative error of a gradient check against the step epsilon, one line per precision.

    ``epsilons`` (n,) are the steps; ``errors`` maps a label (like "float64") to the n
    relative errors of the check with those steps (``cost.gradient_check_error``). The x axis
    runs from large steps to small ones, both axes logarithmic: truncation error falls to
    the right, rounding error rises. ``recommended`` (low, high) is shaded as the
    recommended step in float64, labelled in the legend (None: no band). The legend sits
    right of the axes, clear of both curves. Returns the figure.
    """
    epsilons = np.asarray(epsilons, dtype=float)
    if epsilons.ndim != 1 or epsilons.size < 2 or np.any(epsilons <= 0):
        raise ValueError(f"epsilons must be at least two positive steps; got {epsilons}")
    for label, errs in errors.items():
        if np.shape(errs) != epsilons.shape:
            raise ValueError(f"errors[{label!r}] must have shape {epsilons.shape}; "
                             f"got {np.shape(errs)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
    else:
        fig = ax.figure
    for i, (label, errs) in enumerate(errors.items()):
        ax.loglog(epsilons, errs, marker="os^D"[i % 4], label=label, **style_of(i))
    if recommended is not None:
        low, high = recommended
        ax.axvspan(low, high, color="0.88", zorder=0, label="recommended step, float64")
    ax.set(xlabel=r"step $\varepsilon$ (decreasing)", ylabel="relative error (log scale)",
           title=r"truncation $\propto \varepsilon^2$ (left), "
                 r"rounding $\propto 1/\varepsilon$ (right)")
    ax.invert_xaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # clear of both curves
    return fig
