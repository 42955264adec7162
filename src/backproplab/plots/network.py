"""Network diagrams, and a step-by-step picture of a forward and a backward pass.

:func:`draw_network` draws any small MLP: units as circles in columns, weights
as lines. Colour shows sign and size on a diverging, colour-blind-safe map
(``DIVERGING_CMAP``, PuOr: orange negative, white zero, purple positive), line
width shows size; both grow with the square root of |value|, so that values
ten times smaller than the largest still show. Values are written on the units.

:func:`draw_step` draws one frame of a pass recorded by
``backproplab.stepthrough.record_pass``; :func:`stepthrough_animation` plays
every frame with a slider and a play button that work on a static page.
:func:`graph_backward_animation` does the same for reverse mode on a scalar
computational graph (``backproplab.autograd.Value``), one node at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import FuncNorm
from matplotlib.patches import Circle

from .._validation import check_positive_int
from ..autograd import Value, backward_steps, draw_graph, topological_order
from ..widgets import animation
from .core import DIVERGING_CMAP

NODE_RADIUS = 0.38
INCHES_PER_UNIT = 0.85
COLUMN_GAP = 2.8
ROW_GAP = 1.05
_FADED = "0.55"


def network_positions(sizes: Sequence[int]) -> list[np.ndarray]:
    """Centres of the units: one (n_units, 2) array per column, inputs on the left.

    Column ``c`` sits at x = c * COLUMN_GAP; its units are centred on y = 0,
    unit 0 at the top, ROW_GAP apart.
    """
    if isinstance(sizes, np.ndarray):
        sizes = sizes.tolist()
    if not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths, like [2, 3, 1]; got {sizes}")
    sizes = [check_positive_int(n, f"sizes[{i}]") for i, n in enumerate(sizes)]
    return [
        np.column_stack([np.full(n, c * COLUMN_GAP), ((n - 1) / 2 - np.arange(n)) * ROW_GAP])
        for c, n in enumerate(sizes)
    ]


def _format(value: float) -> str:
    """A value in at most ~7 characters: 3 significant digits, an exponent below 1e-3."""
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e4:
        return f"{value:.1e}"
    return f"{value:.3g}"


def _scale(arrays) -> float:
    """Largest |value| over ``arrays`` (None entries skipped), at least 1e-12."""
    values = [np.max(np.abs(a)) for a in arrays if a is not None and np.size(a)]
    return max(values, default=1.0) or 1e-12


def _checked_list(values, expected_shapes, name):
    """``values`` as a list aligned with ``expected_shapes`` (None entries allowed)."""
    if values is None:
        return [None] * len(expected_shapes)
    values = list(values)
    if len(values) != len(expected_shapes):
        raise ValueError(f"{name} must have {len(expected_shapes)} entries; got {len(values)}")
    checked = []
    for i, (value, shape) in enumerate(zip(values, expected_shapes, strict=True)):
        if value is None:
            checked.append(None)
            continue
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != shape:
            raise ValueError(f"{name}[{i}] must have shape {shape}; got {arr.shape}")
        checked.append(arr)
    return checked


def _sqrt_norm(scale: float) -> FuncNorm:
    """Map [-scale, scale] to [0, 1] through sign(v) sqrt(|v|): small values keep some colour."""

    def forward(v):
        return np.sign(v) * np.sqrt(np.abs(v))

    def inverse(u):
        return np.sign(u) * u**2

    return FuncNorm((forward, inverse), vmin=-scale, vmax=scale)


def _text_color(value: float, scale: float) -> str:
    return "white" if abs(value) > 0.45 * scale else "black"


def draw_network(
    sizes: Sequence[int],
    ax=None,
    node_values=None,
    edge_values=None,
    node_scale: float | None = None,
    edge_scale: float | None = None,
    edge_labels="auto",
    column_titles: Sequence[str] | None = None,
    node_notes=None,
    faded_columns: Sequence[int] = (),
    faded_layers: Sequence[int] = (),
    active_columns: Sequence[int] = (),
    colorbar_labels: tuple[str, str] | None = None,
    side_text: str | None = None,
    cmap: str = DIVERGING_CMAP,
):
    """Draw an MLP of layer widths ``sizes`` (e.g. [2, 3, 2, 1]); returns the Figure.

    ``node_values``: one entry per column, an array (n_units,) or None (empty
    circles); values are written on the units and set their colour.
    ``edge_values``: one entry per Dense layer k = 1..L (list index k - 1), an
    array (n_{k-1}, n_k) like W or dL/dW, or None (thin grey lines); they set
    colour and line width. ``node_scale`` / ``edge_scale`` fix the |value|
    that gets the darkest colour (default: the largest shown), so several
    frames can share one scale. ``edge_labels`` writes the edge values:
    True, False, or "auto" (only for layers with at most 4 edges).
    ``column_titles`` go above the columns; ``node_notes`` (per column, a list
    of short strings or None) go under the units. Columns in ``faded_columns``
    show their values in grey without colour; layers in ``faded_layers``
    (numbers k = 1..L) are drawn as thin grey lines; units of
    ``active_columns`` get a heavy outline. ``colorbar_labels`` = (units,
    edges) adds two small colour bars with those captions; ``side_text`` goes
    in a box right of the output column (for example the target and the loss).
    A new figure is sized so that one unit of layout is INCHES_PER_UNIT inches.
    """
    positions = network_positions(sizes)
    sizes = [len(p) for p in positions]
    n_layers = len(sizes) - 1
    node_values = _checked_list(node_values, [(n,) for n in sizes], "node_values")
    edge_values = _checked_list(
        edge_values, [(sizes[k], sizes[k + 1]) for k in range(n_layers)], "edge_values"
    )
    if edge_labels not in (True, False, "auto"):
        raise ValueError(f"edge_labels must be True, False or 'auto'; got {edge_labels!r}")
    node_scale = node_scale or _scale(
        [v for c, v in enumerate(node_values) if c not in faded_columns]
    )
    edge_scale = edge_scale or _scale(
        [v for k, v in enumerate(edge_values, 1) if k not in faded_layers]
    )
    node_norm, edge_norm = _sqrt_norm(node_scale), _sqrt_norm(edge_scale)
    colormap = plt.get_cmap(cmap)

    half_height = (max(sizes) - 1) / 2 * ROW_GAP
    xlim = (-0.6, n_layers * COLUMN_GAP + (2.1 if side_text else 0.6))
    ylim = (-half_height - 0.75, half_height + 1.05)
    if ax is None:
        width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
        extra = 0.7 if colorbar_labels else 0.1
        fig_height = height * INCHES_PER_UNIT + extra
        fig = plt.figure(figsize=(width * INCHES_PER_UNIT, fig_height))
        ax = fig.add_axes((0.0, extra / fig_height, 1.0, 1.0 - extra / fig_height))
    else:
        fig = ax.figure

    for k in range(1, n_layers + 1):
        values, faded = edge_values[k - 1], k in faded_layers
        label = edge_labels is True or (edge_labels == "auto" and values is not None
                                        and values.size <= 4)
        for i, start in enumerate(positions[k - 1]):
            for j, end in enumerate(positions[k]):
                ax.plot(*zip(start, end, strict=True), color="0.85", linewidth=0.6, zorder=1)
                if values is None or faded:
                    continue
                v = values[i, j]
                ax.plot(*zip(start, end, strict=True), color=colormap(edge_norm(v)),
                        linewidth=0.5 + 5.0 * min(abs(v) / edge_scale, 1.0) ** 0.5,
                        solid_capstyle="round", zorder=2)
                if label and not faded:
                    # near the target, where the labels of one target are evenly spaced
                    t = sizes[k - 1] / (sizes[k - 1] + 1)
                    x, y = (1 - t) * start + t * end
                    ax.text(x, y, _format(v), fontsize=8, ha="center", va="center", zorder=4,
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                                  "edgecolor": "none", "alpha": 0.85})

    for c, centres in enumerate(positions):
        values, faded = node_values[c], c in faded_columns
        notes = node_notes[c] if node_notes is not None else None
        for u, (x, y) in enumerate(centres):
            fill, color = "white", "black"
            if values is not None and not faded:
                fill = colormap(node_norm(values[u]))
                color = _text_color(values[u], node_scale)
            ax.add_patch(Circle((x, y), NODE_RADIUS, facecolor=fill, zorder=3,
                                edgecolor="black" if c in active_columns else "0.35",
                                linewidth=2.4 if c in active_columns else 0.9))
            if values is not None:
                ax.text(x, y, _format(values[u]), ha="center", va="center", zorder=5,
                        fontsize=9, color=_FADED if faded else color)
            if notes is not None and notes[u]:
                ax.text(x, y - NODE_RADIUS - 0.06, notes[u], ha="center", va="top", fontsize=7.5,
                        color="0.25", zorder=5)
        if column_titles is not None:
            top = centres[:, 1].max() + NODE_RADIUS + 0.12
            ax.text(centres[0, 0], max(top, (max(sizes) - 1) / 2 * ROW_GAP + NODE_RADIUS + 0.12),
                    column_titles[c], ha="center", va="bottom", fontsize=10)

    if side_text:
        ax.text(n_layers * COLUMN_GAP + NODE_RADIUS + 0.25, 0, side_text, ha="left", va="center",
                fontsize=10, zorder=5, bbox={"boxstyle": "round,pad=0.3", "facecolor": "#f2f2f2",
                                            "edgecolor": "0.6"})
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if colorbar_labels is not None:
        _colorbars(fig, ax, colormap, (node_norm, edge_norm), colorbar_labels)
    return fig


def _colorbars(fig, ax, colormap, norms, labels) -> None:
    """Two small horizontal colour bars under ``ax``: units (left) and edges (right)."""
    for left, norm, label in zip((0.08, 0.56), norms, labels, strict=True):
        cax = ax.inset_axes((left, -0.07, 0.36, 0.035))
        bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=colormap), cax=cax,
                           orientation="horizontal")
        bar.set_ticks([norm.vmin, 0.0, norm.vmax])
        bar.set_ticklabels([_format(norm.vmin), "0", _format(norm.vmax)])
        bar.ax.tick_params(labelsize=8, length=2)
        bar.set_label(label, fontsize=9, labelpad=1)


def _phase_scales(record):
    """(forward units, backward units, weights, weight gradients) colour scales of a record."""
    L = record.n_layers
    forward = [record.a[c] for c in range(L + 1)] + [record.z[k] for k in range(1, L + 1)]
    backward = [record.da[c] for c in range(L + 1)] + [record.delta[k] for k in range(1, L + 1)]
    weights = [record.W[k] for k in range(1, L + 1)]
    grads = [record.dW[k] for k in range(1, L + 1)]
    return _scale(forward), _scale(backward), _scale(weights), _scale(grads)


def _column_names(n_columns: int) -> list[str]:
    hidden = [f"hidden {c}" for c in range(1, n_columns - 1)]
    return ["input", *hidden, "output"]


def draw_step(record, index: int, ax=None):
    """Draw frame ``index`` of a recorded pass (``stepthrough.record_pass``); returns the Figure.

    Forward steps colour the units by their activations and the edges by the
    weights (the layer in use is drawn solid, the others faint). Backward
    steps colour the units by gradients (dL/da, delta) and replace each
    layer's weights by its weight gradients once computed; values from the
    forward pass stay written, in grey. Under each unit: its bias (forward) or
    bias gradient (backward). Every frame of one record shares its colour scales.
    """
    frame = record.frame(index)
    step, L = frame.step, record.n_layers
    forward = step.phase == "forward"
    unit_fwd, unit_bwd, w_scale, g_scale = _phase_scales(record)
    states = frame.columns
    faded_columns = [c for c, s in enumerate(states) if s is not None and s.phase != step.phase]
    if forward:
        faded_layers, edge_scale, edges_label = [], w_scale, "weights $W$"
    else:
        faded_layers = [k for k in range(1, L + 1) if not frame.edge_is_grad[k - 1]]
        edge_scale, edges_label = g_scale, r"weight gradients $\partial L/\partial W$"
    titles = [
        name + ("" if s is None else "\n" + s.symbol)
        for name, s in zip(_column_names(L + 1), states, strict=True)
    ]
    notes = [None] + [
        [("∂L/∂b " if is_grad else "b ") + _format(v) for v in biases]
        for biases, is_grad in zip(frame.biases, frame.edge_is_grad, strict=True)
    ]
    fig = draw_network(
        record.sizes, ax=ax,
        node_values=[None if s is None else s.values for s in states],
        edge_values=frame.edges, node_scale=unit_fwd if forward else unit_bwd,
        edge_scale=edge_scale, column_titles=titles, node_notes=notes,
        faded_columns=faded_columns, faded_layers=faded_layers,
        active_columns=[step.column] if step.kind != "loss" else [],
        colorbar_labels=("unit values" if forward else "unit gradients", edges_label),
        side_text=_target_and_loss(record, frame),
    )
    ax = fig.axes[0]
    ax.set_title(f"{step.phase} {index + 1}/{len(record.steps)}:   {step.title}", fontsize=12,
                 loc="left")
    return fig


def _target_and_loss(record, frame) -> str:
    lines = ["y = " + ", ".join(f"{v:.4g}" for v in record.y)]
    if frame.loss is not None:
        lines.append(f"L = {frame.loss:.4g}")
    return "\n".join(lines)


def describe_step(record, index: int) -> str:
    """Alt text for frame ``index``: the step in words and every value shown."""
    frame = record.frame(index)
    step = frame.step
    parts = [f"Network diagram, {step.phase} step {index + 1} of {len(record.steps)}: {step.text}."]
    for name, state in zip(_column_names(record.n_layers + 1), frame.columns, strict=True):
        if state is not None:
            values = ", ".join(f"{v:.3g}" for v in state.values)
            parts.append(f"{name} shows {state.name} = [{values}].")
    if frame.loss is not None:
        parts.append(f"Loss {frame.loss:.4g}.")
    grads = [k for k, is_grad in enumerate(frame.edge_is_grad, 1) if is_grad]
    if grads:
        parts.append("Edges of layer " + ", ".join(map(str, grads)) + " show weight gradients.")
    return " ".join(parts)


def stepthrough_animation(record, interval_ms: int = 1500, dpi: int = 72):
    """Every frame of ``record`` with a play button and a slider (works on a static page)."""
    check_positive_int(interval_ms, "interval_ms")
    n = len(record.steps)
    return animation(
        [draw_step(record, i) for i in range(n)],
        alt=[describe_step(record, i) for i in range(n)],
        frame_labels=[f"{i + 1} {s.phase}" for i, s in enumerate(record.steps)],
        interval_ms=interval_ms,
        dpi=dpi,
    )


def _node_name(node) -> str:
    return node.label or node.op or "a constant"


def _graph_alt(root, steps, k) -> str:
    if k == 0:
        text = f"Reverse mode starts: the gradient of {_node_name(root)} is set to 1."
    else:
        node = steps[k - 1].node
        passed = ", ".join(f"{amount:.4g} to {_node_name(child)}"
                           for child, amount in steps[k - 1].contributions)
        text = f"{_node_name(node)} passes {passed}."
    known = ", ".join(f"{n.label} = {n.grad:.4g}" for n in topological_order(root) if n.label)
    return f"Computational graph of {_node_name(root)}. {text} Gradients now: {known}."


def graph_backward_animation(root, interval_ms: int = 1500, dpi: int = 100):
    """Reverse mode on the scalar graph ending at ``root`` (a ``Value``), one node per frame.

    Frame 0 shows the graph with only the root's gradient set (1); each later
    frame shows the gradients after one more node has passed its gradient on,
    with that node and its children highlighted. Leaves pass nothing and get no
    frame. Gradients are reset first and left at their final values, as after
    ``root.zero_grad(); root.backward()``. Returns a play-and-slider widget.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value; got {type(root).__name__}")
    check_positive_int(interval_ms, "interval_ms")
    root.zero_grad()
    steps = [step for step in backward_steps(root) if step.contributions]
    nodes = topological_order(root)
    final = {node: node.grad for node in nodes}
    frames, alts = [], []
    for k in range(len(steps) + 1):
        for node in nodes:
            node.grad = 0.0
        root.grad = 1.0
        for step in steps[:k]:
            for child, amount in step.contributions:
                child.grad += amount
        highlight = [root] if k == 0 else [steps[k - 1].node, *steps[k - 1].node.children]
        frames.append(draw_graph(root, highlight=highlight))
        alts.append(_graph_alt(root, steps, k))
    for node, grad in final.items():
        node.grad = grad
    labels = ["start", *(f"visit {_node_name(step.node)}" for step in steps)]
    return animation(frames, alt=alts, frame_labels=labels, interval_ms=interval_ms, dpi=dpi)
