"""Network diagrams, and a step-by-step picture of a forward and a backward pass.

:class:`NetworkDiagram` draws any small MLP on a matplotlib Axes: units as
circles in columns, weights as lines. Its artists are made once and then set to
show values, so a :class:`~backproplab.plots.live.LiveFigure` can redraw only
what changes. Colour shows sign and size on a diverging, colour-blind-safe map
(``DIVERGING_CMAP``, PuOr: orange negative, white zero, purple positive), line
width shows size; both grow with the square root of |value|, so that values
ten times smaller than the largest still show. Values are written on the units.

:class:`StepFigure` draws one frame of a pass recorded by
``backproplab.studies.stepthrough.record_pass``; :class:`PassExplorer` records and
draws the pass of a chosen sample; :func:`stepthrough_animation` plays every
frame with a slider and a play button that work on a static page.
:func:`graph_backward_animation` does the same for reverse mode on a scalar
computational graph (``backproplab.autograd.Value``), one node at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib
import numpy as np
from IPython.display import Image
from matplotlib.cm import ScalarMappable
from matplotlib.colors import FuncNorm
from matplotlib.patches import Circle

from .._validation import check_positive_int
from ..autograd import Value, backward_steps, draw_graph, topological_order
from ..network import Sequential
from ..studies.stepthrough import PassRecord, record_pass
from . import style
from .core import DIVERGING_CMAP
from .live import FRAME_DPI, LiveFigure
from .widgets import animation

NODE_RADIUS = 0.38
COLUMN_GAP = 2.8
ROW_GAP = 1.05
SIDE_ROOM = 2.1  # layout units right of the output column for a side box
TEXT = style.MIN_TEXT_PX  # every text of a diagram, in points
# StepFigure's layout: the step-through's diagram fills the page's column
INCHES_PER_UNIT = 0.95  # at most; a wider network is drawn smaller, to fit the column
STEP_ROW_GAP = 1.3  # room between two units for the note under the upper one
STEP_NODE_RADIUS = 0.45  # room in a unit for a value of 8 characters, like -0.00345
STEP_MAX_COLUMN_GAP = 4.0  # a small network's columns spread to fill the page, up to this
TITLE_INCHES = 0.4  # strip above the diagram for the step's title
COLORBAR_INCHES = 0.8  # strip under the diagram for the two colour bars
_FADED = "0.4"  # values from the other phase: grey, still readable (contrast 5.7:1 on white)
_NOTE = "0.25"
_CMAP = matplotlib.colormaps[DIVERGING_CMAP]
_LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
              "alpha": 0.85}
_SIDE_BOX = {"boxstyle": "round,pad=0.3", "facecolor": "#f2f2f2", "edgecolor": "0.6"}


def network_positions(sizes: Sequence[int], row_gap: float = ROW_GAP,
                      column_gap: float = COLUMN_GAP) -> list[np.ndarray]:
    """Centres of the units: one (n_units, 2) array per column, inputs on the left.

    Column ``c`` sits at x = c * column_gap; its units are centred on y = 0,
    unit 0 at the top, ``row_gap`` apart.
    """
    if isinstance(sizes, np.ndarray):
        sizes = sizes.tolist()
    if not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths, like [2, 3, 1]; got {sizes}")
    sizes = [check_positive_int(n, f"sizes[{i}]") for i, n in enumerate(sizes)]
    return [
        np.column_stack([np.full(n, c * column_gap), ((n - 1) / 2 - np.arange(n)) * row_gap])
        for c, n in enumerate(sizes)
    ]


def diagram_limits(sizes: Sequence[int], side_room: bool = False, row_gap: float = ROW_GAP,
                   column_gap: float = COLUMN_GAP):
    """(xlim, ylim) of a diagram of layer widths ``sizes``, in layout units.

    There is room above the columns for their titles, under the units for a
    note, and with ``side_room`` right of the output column for a side box.
    """
    half_height = (max(sizes) - 1) / 2 * row_gap
    right = (len(sizes) - 1) * column_gap + (SIDE_ROOM if side_room else 0.6)
    return (-0.6, right), (-half_height - 0.75, half_height + 1.05)


def _format(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, with an exponent below 1e-4.

    With 3 digits a value takes at most 9 characters: 0.000612 and -0.0144 are written out;
    1.2e-5 and 3.4e4 have an exponent (without padding zeros, and one digit fewer).
    """
    if value == 0:
        return "0"
    if abs(value) < 1e-4 or abs(value) >= 1e4:
        mantissa, exponent = f"{value:.{max(digits - 2, 0)}e}".split("e")
        return f"{mantissa}e{int(exponent):+d}".replace("e+", "e")
    return f"{value:.{digits}g}"


def factor_digits(a, delta, digits: int = 3, most: int = 8) -> int:
    """Significant digits for the two factors of ``outer(a, delta)``, so that it checks by eye.

    The fewest digits, at least ``digits + 1``, with which every product of the two factors
    *as written* rounds, to ``digits`` significant digits, to the product as written: a
    reader who multiplies the written a_i and delta_j gets the written dL/dW_ij. ``a`` has
    shape (n,), ``delta`` (m,); at most ``most`` digits.
    """
    a, delta = np.ravel(a), np.ravel(delta)
    for d in range(digits + 1, most + 1):
        if all(_format(float(_format(ai, d)) * float(_format(dj, d)), digits)
               == _format(ai * dj, digits) for ai in a for dj in delta):
            return d
    return most


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


def _colors(values: np.ndarray, scale: float) -> np.ndarray:
    """RGBA rows of ``values`` on the diverging map under ``_sqrt_norm(scale)``, clipped."""
    u = 0.5 + 0.5 * np.sign(values) * np.sqrt(np.minimum(np.abs(values) / scale, 1.0))
    return _CMAP(u)


def _text_color(value: float, scale: float) -> str:
    return "white" if abs(value) > 0.45 * scale else "black"


def _still(artist):
    return artist


class NetworkDiagram:
    """The artists of one diagram of an MLP of layer widths ``sizes`` on ``ax``.

    They are made once; :meth:`show` sets them to show values. ``moving`` is
    applied to every artist that :meth:`show` changes (pass a LiveFigure's
    ``moving``; the default leaves them still, for a diagram shown once).
    Made once and never changed: a thin grey line under every edge and the
    ``column_titles`` (strings, one per column) above the columns.
    ``edge_labels`` decides which layers can write their edge values: True,
    False, or "auto" (only layers with at most 4 edges). With ``side_room``
    the axes leave room right of the output column (see ``side_anchor``).
    Units are circles of ``node_radius`` (``self.radius``), ``row_gap`` apart
    in a column, columns ``column_gap`` apart. Edge values are written to
    ``digits`` significant digits (``self.digits``), unit values to
    ``unit_digits`` (default: ``digits``). The axes get the limits of
    :func:`diagram_limits`, equal aspect, no axis. All text is ``TEXT`` points.
    """

    def __init__(self, ax, sizes: Sequence[int], moving: Callable = _still,
                 column_titles: Sequence[str] | None = None, edge_labels="auto",
                 side_room: bool = False, row_gap: float = ROW_GAP,
                 node_radius: float = NODE_RADIUS, column_gap: float = COLUMN_GAP,
                 digits: int = 3, unit_digits: int | None = None):
        if edge_labels not in (True, False, "auto"):
            raise ValueError(f"edge_labels must be True, False or 'auto'; got {edge_labels!r}")
        self.digits = check_positive_int(digits, "digits")
        self.unit_digits = digits if unit_digits is None else check_positive_int(
            unit_digits, "unit_digits")
        self.positions = network_positions(sizes, row_gap, column_gap)
        self.sizes = tuple(len(p) for p in self.positions)
        self.ax = ax
        n_layers = len(self.sizes) - 1
        xlim, ylim = diagram_limits(self.sizes, side_room, row_gap, column_gap)
        ax.set(xlim=xlim, ylim=ylim, aspect="equal")
        ax.set_axis_off()
        self.radius = node_radius
        self.title_y = (max(self.sizes) - 1) / 2 * row_gap + node_radius + 0.12
        self.side_anchor = (n_layers * column_gap + node_radius + 0.25, 0.0)
        self.edges, self.edge_texts = [], []
        for k in range(1, n_layers + 1):
            labelled = edge_labels is True or (
                edge_labels == "auto" and self.sizes[k - 1] * self.sizes[k] <= 4)
            lines, texts = self._build_layer(k, moving, labelled)
            self.edges.append(lines)
            self.edge_texts.append(texts)
        self.circles, self.values, self.notes = [], [], []
        for centres in self.positions:
            self.circles.append([moving(ax.add_patch(Circle((x, y), node_radius, zorder=3)))
                                 for x, y in centres])
            self.values.append([moving(ax.text(x, y, "", ha="center", va="center", zorder=5,
                                               fontsize=TEXT)) for x, y in centres])
            self.notes.append([moving(ax.text(x, y - node_radius - 0.06, "", ha="center",
                                              va="top", fontsize=TEXT, color=_NOTE, zorder=5))
                               for x, y in centres])
        if column_titles is not None:
            for centres, title in zip(self.positions, column_titles, strict=True):
                ax.text(centres[0, 0], self.title_y, title, ha="center", va="bottom",
                        fontsize=TEXT)

    def _build_layer(self, k: int, moving: Callable, labelled: bool):
        """Layer ``k``'s coloured edge lines and (if ``labelled``) value labels, both (n, m).

        A layer's labels sit where they spread evenly: near the targets (each target's
        labels one above the other), or, for a layer that narrows from more than two
        units, near the sources, where they would otherwise crowd.
        """
        lines, texts = [], []
        n_in, n_out = self.sizes[k - 1], self.sizes[k]
        t = n_in / (n_in + 1) if n_in <= max(2, n_out) else 1 / (n_out + 1)
        for start in self.positions[k - 1]:
            line_row, text_row = [], []
            for end in self.positions[k]:
                xs, ys = zip(start, end, strict=True)
                self.ax.plot(xs, ys, color="0.85", linewidth=0.6, zorder=1)
                line_row.append(moving(self.ax.plot(xs, ys, solid_capstyle="round",
                                                    zorder=2)[0]))
                if labelled:
                    x, y = (1 - t) * start + t * end
                    text_row.append(moving(self.ax.text(x, y, "", fontsize=TEXT, ha="center",
                                                        va="center", zorder=4,
                                                        bbox=_LABEL_BOX)))
            lines.append(line_row)
            texts.append(text_row)
        return lines, texts

    def show(self, node_values=None, edge_values=None, node_scale: float | None = None,
             edge_scale: float | None = None, notes=None, faded_columns: Sequence[int] = (),
             faded_layers: Sequence[int] = (), active_columns: Sequence[int] = (),
             labelled_layers: Sequence[int] | None = None,
             column_digits: dict | None = None) -> None:
        """Set every changing artist to show these values.

        ``node_values``: one entry per column, an array (n_units,) or None (empty
        circles); values are written on the units and set their colour.
        ``edge_values``: one entry per Dense layer k = 1..L (list index k - 1),
        an array (n_{k-1}, n_k) like W or dL/dW, or None (grey lines only); they
        set colour and line width. ``node_scale`` / ``edge_scale`` fix the
        |value| that gets the darkest colour (default: the largest shown);
        larger values get the darkest colour too. ``notes`` (per column, a list
        of short strings or None) go under the units. Columns in
        ``faded_columns`` show their values in grey without colour; layers in
        ``faded_layers`` (numbers k = 1..L) show grey lines only; units of
        ``active_columns`` get a heavy outline. ``labelled_layers`` (numbers
        k = 1..L; default: all) write their edge values, if they have labels
        (see ``edge_labels``). Unit values are written to ``self.unit_digits``
        significant digits, those of a column ``c`` in ``column_digits`` to
        ``column_digits[c]``.
        """
        sizes, n_layers = self.sizes, len(self.sizes) - 1
        node_values = _checked_list(node_values, [(n,) for n in sizes], "node_values")
        edge_values = _checked_list(
            edge_values, [(sizes[k], sizes[k + 1]) for k in range(n_layers)], "edge_values")
        notes = [None] * len(sizes) if notes is None else list(notes)
        if len(notes) != len(sizes):
            raise ValueError(f"notes must have {len(sizes)} entries; got {len(notes)}")
        for c, column in enumerate(notes):
            if column is not None and len(column) != sizes[c]:
                raise ValueError(f"notes[{c}] must have {sizes[c]} strings; got {len(column)}")
        node_scale = node_scale or _scale(
            [v for c, v in enumerate(node_values) if c not in faded_columns])
        edge_scale = edge_scale or _scale(
            [v for k, v in enumerate(edge_values, 1) if k not in faded_layers])
        labelled = range(1, n_layers + 1) if labelled_layers is None else labelled_layers
        for k, values in enumerate(edge_values, 1):
            self._show_layer(k - 1, None if k in faded_layers else values, edge_scale,
                             k in labelled)
        column_digits = column_digits or {}
        for c, values in enumerate(node_values):
            self._show_column(c, values, node_scale, c in faded_columns, c in active_columns,
                              notes[c], column_digits.get(c, self.unit_digits))

    def _show_layer(self, index: int, values, scale: float, labelled: bool = True) -> None:
        lines, texts = self.edges[index], self.edge_texts[index]
        colors = None if values is None else _colors(values, scale)
        for i, j in np.ndindex(len(lines), len(lines[0])):
            lines[i][j].set_visible(values is not None)
            if values is not None:
                v = values[i, j]
                lines[i][j].set(color=colors[i, j],
                                linewidth=0.5 + 5.0 * min(abs(v) / scale, 1.0) ** 0.5)
            if texts[i]:
                texts[i][j].set_text("" if values is None or not labelled
                                     else _format(values[i, j], self.digits))

    def _show_column(self, c: int, values, scale: float, faded: bool, active: bool,
                     notes, digits: int) -> None:
        colored = values is not None and not faded
        fills = _colors(values, scale) if colored else ["white"] * self.sizes[c]
        for u, (circle, text, note) in enumerate(
                zip(self.circles[c], self.values[c], self.notes[c], strict=True)):
            circle.set(facecolor=fills[u], edgecolor="black" if active else "0.35",
                       linewidth=2.4 if active else 0.9)
            color = _text_color(values[u], scale) if colored else "black"
            text.set(text="" if values is None else _format(values[u], digits),
                     color=_FADED if faded else color)
            note.set_text(notes[u] if notes is not None and notes[u] else "")


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


def _target_and_loss(record, frame) -> str:
    lines = ["y = " + ", ".join(f"{v:.4g}" for v in record.y)]
    if frame.loss is not None:
        lines.append(f"L = {frame.loss:.4g}")
    return "\n".join(lines)


def _bias_gradient_known(frame) -> list[bool]:
    """Per Dense layer k = 1..L: is dL/db_k known in ``frame``? It is as soon as delta_k is
    written on the layer's units, since for one sample dL/db_k = delta_k."""
    return [state is not None and state.phase == "backward" and state.name == f"delta{k}"
            for k, state in enumerate(frame.columns[1:], 1)]


def _bias_notes(frame, digits: int = 3) -> list:
    """Per column, the notes under its units: each bias, or once its gradient is known,
    "∂L/∂b = δ": for one sample, a bias's gradient is the delta written on its unit."""
    return [None] + [
        ["∂L/∂b = δ" if known else "b " + _format(v, digits) for v in record_biases]
        for record_biases, known in zip(frame.biases, _bias_gradient_known(frame), strict=True)
    ]


def check_record(record, name: str = "record") -> PassRecord:
    """``record`` if it is a PassRecord, else a TypeError naming ``name``."""
    if not isinstance(record, PassRecord):
        raise TypeError(f"{name} must be a PassRecord from stepthrough.record_pass; "
                        f"got {type(record).__name__}")
    return record



class StepFigure(LiveFigure):
    """One step of a recorded pass through an MLP of layer widths ``sizes``, on its diagram.

    ``png(record=..., step=...)`` draws frame ``step`` (0-based) of a PassRecord
    from ``stepthrough.record_pass`` of a network of these widths. Forward steps
    colour the units by their activations and the edges by the weights.
    Backward steps colour the units by gradients (dL/da, delta) and replace each
    layer's weights by its weight gradients once computed (the other layers
    turn grey); values from the forward pass stay written, in grey. Under each
    unit: its bias, until its unit's delta is known, then "dL/db = delta" (the
    bias gradient of one sample is the delta written on the unit). A forward
    step z_k = a_{k-1} W_k + b_k writes the weights W_k on layer k's edges. The
    backward step that computes dL/dW_k writes them on the edges, and they stay
    written to the last frame, which shows every weight gradient; in that step
    the units the layer starts from also show their activations a_{k-1}
    underneath and the units it ends at show delta_k, so that every edge reads
    a_{k-1,i} * delta_{k,j} = dL/dW_k[i, j]. The numbers on the edges (weights,
    weight gradients) and the biases are written to ``digits`` significant
    digits, the values on the units one digit more; in the step that computes
    dL/dW_k its two factors get the fewest digits, at least that many, with
    which the product of the factors as written rounds to the gradient as
    written (:func:`factor_digits`), so the check by eye works to the last
    digit. The target and the loss are in a box under the
    output. Every frame of one record shares its colour scales, shown on two
    colour bars. Still: the grey edges, the column names and the colour bars
    with their captions, which name the phase (the background key); everything
    else moves.

    The figure fits the page's column (at most ``style.MAX_WIDTH`` inches wide,
    text ``TEXT`` points); a small network's columns spread out to use it.
    ``page=True`` renders it for a static page, at twice the pixel density with
    a palette (``LiveFigure``); otherwise at a lower resolution, quick enough
    for a live kernel.
    """

    def __init__(self, sizes: Sequence[int], page: bool = False, digits: int = 3):
        self.sizes = tuple(len(p) for p in network_positions(sizes))
        self.digits = check_positive_int(digits, "digits")
        L = len(self.sizes) - 1
        # columns as far apart as the page's column allows (up to STEP_MAX_COLUMN_GAP), so
        # that edge labels keep clear of the units and of each other
        room = (style.MAX_WIDTH - 0.05) / INCHES_PER_UNIT - 1.4  # 1.4: the margins below
        self.column_gap = min(max(COLUMN_GAP, room / L), STEP_MAX_COLUMN_GAP)
        (_, right), ylim = diagram_limits(self.sizes, row_gap=STEP_ROW_GAP,
                                          column_gap=self.column_gap)
        xlim = (-0.6, right + 0.2)  # room for the notes and the output's title at the sides
        positions = network_positions(self.sizes, STEP_ROW_GAP, self.column_gap)
        output_bottom = positions[-1][-1, 1] - STEP_NODE_RADIUS
        box_top = output_bottom - 0.45  # under the output's note
        ylim = (min(ylim[0], box_top - 0.75), ylim[1])
        unit = min(INCHES_PER_UNIT, (style.MAX_WIDTH - 0.05) / (xlim[1] - xlim[0]))
        width = (xlim[1] - xlim[0]) * unit
        diagram = (ylim[1] - ylim[0]) * unit
        height = diagram + TITLE_INCHES + COLORBAR_INCHES
        super().__init__(figsize=(width, height), page=page)
        ax = self.figure.add_axes((0.0, COLORBAR_INCHES / height, 1.0, diagram / height))
        self.diagram = NetworkDiagram(ax, self.sizes, self.moving, edge_labels=True,
                                      row_gap=STEP_ROW_GAP, node_radius=STEP_NODE_RADIUS,
                                      column_gap=self.column_gap, digits=digits,
                                      unit_digits=digits + 1)
        ax.set(xlim=xlim, ylim=ylim)
        for c, name in enumerate(_column_names(len(self.sizes))):
            ax.annotate(name, (c * self.column_gap, self.diagram.title_y), xytext=(0, 17),
                        textcoords="offset points", ha="center", va="bottom", fontsize=TEXT)
        self.symbols = [self.moving(ax.text(c * self.column_gap, self.diagram.title_y, "",
                                            ha="center", va="bottom", fontsize=TEXT))
                        for c in range(len(self.sizes))]
        self.side = self.moving(ax.text(L * self.column_gap, box_top, "", ha="center", va="top",
                                        fontsize=TEXT, zorder=5, bbox=_SIDE_BOX))
        self.title = self.moving(self.figure.text(0.01, 1 - 0.08 / height, "", ha="left",
                                                  va="top", fontsize=TEXT + 1))
        bar_height = 0.1 / height
        self.bars = [_ColorBar(self.figure, (left, 0.55 / height, 0.36, bar_height), self.moving)
                     for left in (0.08, 0.56)]

    def update(self, record, step: int) -> str:
        """Show frame ``step`` of ``record``; the background key is the step's phase."""
        check_record(record)
        if record.sizes != self.sizes:
            raise ValueError(f"record must be a pass through a network of widths {self.sizes}; "
                             f"got widths {record.sizes}")
        if isinstance(step, bool) or not isinstance(step, int | np.integer):
            raise TypeError(f"step must be an integer; got {type(step).__name__}")
        if not 0 <= step < len(record.steps):
            raise ValueError(f"step must be in [0, {len(record.steps) - 1}]; got {step}")
        frame = record.frame(int(step))
        current, L = frame.step, record.n_layers
        forward = current.phase == "forward"
        unit_fwd, unit_bwd, w_scale, g_scale = _phase_scales(record)
        states = frame.columns
        if forward:
            faded_layers, edge_scale, edges_label = [], w_scale, "weights $W$"
        else:
            faded_layers = [k for k in range(1, L + 1) if not frame.edge_is_grad[k - 1]]
            edge_scale, edges_label = g_scale, r"weight gradients $\partial L/\partial W$"
        node_scale = unit_fwd if forward else unit_bwd
        notes = _bias_notes(frame, self.digits)
        column_digits = {}
        if current.kind == "dense_back":  # both factors of every edge's gradient, written
            k = current.layer  # with the digits that make a_{k-1,i} delta_{k,j} check out
            column_digits[k] = factor_digits(record.a[k - 1], record.delta[k], self.digits)
            notes[k - 1] = _gradient_sources(record, current, column_digits[k])
        self.diagram.show(
            node_values=[None if s is None else s.values for s in states],
            edge_values=frame.edges, node_scale=node_scale, edge_scale=edge_scale,
            notes=notes,
            faded_columns=[c for c, s in enumerate(states)
                           if s is not None and s.phase != current.phase],
            faded_layers=faded_layers,
            active_columns=[current.column] if current.kind != "loss" else [],
            labelled_layers=_labelled_layers(current, frame),
            column_digits=column_digits,
        )
        for c, column in enumerate(self.diagram.notes):
            color = "black" if column_digits and c == current.layer - 1 else _NOTE
            for note in column:
                note.set_color(color)
        for text, state in zip(self.symbols, states, strict=True):
            text.set_text("" if state is None else state.symbol)
        self.side.set_text(_target_and_loss(record, frame))
        self.title.set_text(f"{current.phase} {step + 1}/{len(record.steps)}:   {current.title}")
        self.bars[0].show(node_scale, "unit values" if forward else "unit gradients",
                          self.digits + 1)
        self.bars[1].show(edge_scale, edges_label, self.digits)
        return current.phase


def _labelled_layers(step, frame) -> list[int]:
    """The layers whose edges write their numbers: in a forward step, the layer it uses (if
    any); in the backward pass, every layer whose weight gradients are known, so that the
    last frame shows every gradient."""
    if step.phase == "forward":
        return [step.layer] if step.kind == "dense" else []
    return [k for k, is_grad in enumerate(frame.edge_is_grad, 1) if is_grad]


def _source_symbol(column: int) -> str:
    return "$x$" if column == 0 else f"$a_{column}$"


def _gradient_sources(record, step, digits: int) -> list[str]:
    """In the step that computes dL/dW_k, the notes under the units layer k starts from:
    their activations a_{k-1} (x for k = 1), the first factor of every edge's gradient,
    to ``digits`` significant digits."""
    c = step.layer - 1
    return [f"{_source_symbol(c)} = {_format(v, digits)}" for v in record.a[c]]


class _ColorBar:
    """A horizontal colour bar of the square-root norm at ``rect`` (figure fraction).

    The bar, its middle label "0" and its caption are still (a caption names a
    phase: change the background key with it); the end labels (±scale) move.
    The norm's shape does not depend on its scale, so one drawing of the bar
    serves every scale.
    """

    def __init__(self, figure, rect, moving: Callable):
        cax = figure.add_axes(rect)
        bar = figure.colorbar(ScalarMappable(norm=_sqrt_norm(1.0), cmap=DIVERGING_CMAP),
                              cax=cax, orientation="horizontal")
        bar.set_ticks([-1.0, 0.0, 1.0], labels=["", "", ""])
        cax.tick_params(length=2)

        def label(x, text, dy):
            return cax.annotate(text, (x, 0), xycoords="axes fraction", xytext=(0, dy),
                                textcoords="offset points", ha="center", va="top",
                                fontsize=TEXT)

        label(0.5, "0", -5)
        self.low, self.high = moving(label(0, "", -5)), moving(label(1, "", -5))
        self.caption = label(0.5, "", -19)

    def show(self, scale: float, caption: str, digits: int = 3) -> None:
        """Write ±``scale`` at the ends (``digits`` significant digits) and set the (still)
        ``caption``."""
        self.low.set_text(_format(-scale, digits))
        self.high.set_text(_format(scale, digits))
        self.caption.set_text(caption)


class PassExplorer(StepFigure):
    """:class:`StepFigure` of ``model``'s pass for a sample chosen with the controls.

    ``model`` is a Sequential of Dense and Activation layers (what ``MLP``
    builds) with two inputs and one output. ``png(x1=..., x2=..., target=...,
    step=...)`` records the pass of the sample (x1, x2) with that target under
    ``loss`` (``stepthrough.record_pass``; it leaves the sample's gradients in
    ``model.grads``) and draws frame ``step``.
    """

    def __init__(self, model, loss="half_mse", page: bool = False, digits: int = 3):
        if not isinstance(model, Sequential):
            raise TypeError(f"model must be a Sequential (for example from MLP); "
                            f"got {type(model).__name__}")
        dense = model.dense_layers()
        sizes = (dense[0].n_in, *(layer.n_out for layer in dense)) if dense else ()
        if len(sizes) < 2 or sizes[0] != 2 or sizes[-1] != 1:
            raise ValueError(f"model must have two inputs and one output; got widths {sizes}")
        super().__init__(sizes, page=page, digits=digits)
        self.model, self.loss = model, loss

    def update(self, x1: float, x2: float, target: float, step: int) -> str:
        record = record_pass(self.model, [x1, x2], target, self.loss)
        return super().update(record, step)


def _values(values, digits: int = 3) -> str:
    return "[" + ", ".join(_format(v, digits) for v in np.ravel(values)) + "]"


def describe_step(record, index: int, digits: int = 3) -> str:
    """Alt text for frame ``index``: the step in words and every value shown.

    It names the values on the units, the numbers on the edges (the weights a forward step
    uses; every weight gradient known, those the step computes with the activations they
    multiply), the biases under the units, the target and the loss, written as a
    :class:`StepFigure` with these ``digits`` writes them.
    """
    check_positive_int(digits, "digits")
    frame = record.frame(index)
    step = frame.step
    names = _column_names(record.n_layers + 1)
    k = step.layer
    factor = (factor_digits(record.a[k - 1], record.delta[k], digits)
              if step.kind == "dense_back" else None)
    parts = [f"Network diagram, {step.phase} step {index + 1} of {len(record.steps)}: {step.text}."]
    for c, (name, state) in enumerate(zip(names, frame.columns, strict=True)):
        if state is not None:
            shown = factor if factor is not None and c == k else digits + 1
            parts.append(f"{name} shows {state.name} = {_values(state.values, shown)}.")
    if step.kind == "dense":
        rows = "; ".join(_values(row, digits) for row in record.W[k])
        parts.append(f"Edges of layer {k} are labelled with the weights W{k}, one row per unit "
                     f"of {names[k - 1]}: {rows}.")
    grads = [j for j, is_grad in enumerate(frame.edge_is_grad, 1) if is_grad]
    if grads:
        layers = ", ".join(map(str, grads))
        parts.append(f"Edges of layer {layers} show weight gradients.")
    for j in grads:
        if j == k and step.kind == "dense_back":
            a = "x" if k == 1 else f"a{k - 1}"
            rows = "; ".join(f"from {a} = {_format(v, factor)}: {_values(row, digits)}"
                             for v, row in zip(record.a[k - 1], record.dW[k], strict=True))
            under = "the input units are their values x" if k == 1 else (
                f"the units of {names[k - 1]} are their activations {a}")
            parts.append(f"Under {under}, and the edges of layer {k} are labelled with "
                         f"dL/dW{k}, each the {a} of its source unit times delta{k} of its "
                         f"target unit: {rows}.")
        else:
            rows = "; ".join(_values(row, digits) for row in record.dW[j])
            parts.append(f"The edges of layer {j} are labelled with dL/dW{j}, one row per unit "
                         f"of {names[j - 1]}: {rows}.")
    known = _bias_gradient_known(frame)
    biases = [f"b{j} = {_values(b, digits)}" for j, (b, is_known)
              in enumerate(zip(frame.biases, known, strict=True), 1)
              if not is_known and not (step.kind == "dense_back" and j == k - 1)]
    if biases:
        parts.append("Biases under the units: " + ", ".join(biases) + ".")
    columns = [names[j] for j, is_known in enumerate(known, 1)
               if is_known and not (step.kind == "dense_back" and j == k - 1)]
    if columns:
        parts.append(f"Under the units of {' and '.join(columns)}: dL/db = delta, "
                     "the bias gradient is the delta on the unit.")
    parts.append(f"Target y = {_values(record.y, 4)}"
                 + (f", loss {frame.loss:.4g}." if frame.loss is not None else "."))
    return " ".join(parts)


def step_image(record, step: int, digits: int = 3) -> Image:
    """Frame ``step`` of ``record`` (a :class:`StepFigure`, numbers to ``digits`` significant
    digits) as an image for a notebook cell.

    The image is a page frame (twice the pixel density) that shows at its size in CSS pixels.
    """
    figure = StepFigure(check_record(record).sizes, page=True, digits=digits)
    return figure.image(record=record, step=step)


def stepthrough_animation(record, interval_ms: int = 1500, digits: int = 3):
    """Every frame of ``record`` with a play button and a slider (works on a static page).

    The frames are one :class:`StepFigure` at page resolution (numbers to ``digits``
    significant digits), drawn step by step.
    """
    check_record(record)
    check_positive_int(interval_ms, "interval_ms")
    n = len(record.steps)
    figure = StepFigure(record.sizes, page=True, digits=digits)
    return animation(
        [figure.png(record=record, step=i) for i in range(n)],
        alt=[describe_step(record, i, digits) for i in range(n)],
        frame_labels=[f"{i + 1} {s.phase}" for i, s in enumerate(record.steps)],
        interval_ms=interval_ms,
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


def graph_backward_animation(root, interval_ms: int = 1500, dpi: int = FRAME_DPI):
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
