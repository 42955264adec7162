"""A training step worked by hand, drawn: the network before and after one update.

:class:`UpdateFigure` stacks three diagrams of the same small network, one above the other,
so that each edge and unit lines up with itself: its parameters and forward values before a
gradient step, the same after it, and the change. Each row has a box at its right with the
prediction and the loss (or their changes). After uses the colour scales of before (one for
the weights, one for the unit values), so an edge that keeps its colour kept its weight; the
change panel has scales of its own, because one step moves the parameters by far less than
their size. Each diagram is a ``backproplab.plots.network.NetworkDiagram``; the passes come
from ``backproplab.studies.stepthrough.record_pass``. The before panel is drawn once; only
the after and change panels are redrawn when the update changes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from IPython.display import Image
from matplotlib.lines import Line2D

from . import style
from .live import LiveFigure
from .network import (
    _SIDE_BOX,
    NODE_RADIUS,
    NetworkDiagram,
    _format,
    _scale,
    _still,
    check_record,
)


def _column_symbols(n_columns: int) -> list[str]:
    return ["$x$", *(f"$a_{c}$" for c in range(1, n_columns - 1)), r"$\hat y$"]


def _bias_notes(biases, label: str) -> list:
    return [None] + [[f"{label} {_format(v)}" for v in b] for b in biases]


def _check_pair(before, after) -> None:
    check_record(before, "before")
    check_record(after, "after")
    if before.sizes != after.sizes:
        raise ValueError(
            f"after must record the same network as before (sizes {before.sizes}); "
            f"got sizes {after.sizes}"
        )
    if not np.array_equal(before.a[0], after.a[0]) or not np.array_equal(before.y, after.y):
        raise ValueError("after must record the same sample (x and y) as before")


def _number(value: float, sign: str = "") -> str:
    """4 decimals, like the chapter's prose; 3 significant digits once that would show 0.0000."""
    return f"{value:{sign}.4f}" if abs(value) >= 0.01 or value == 0 else f"{value:{sign}.3g}"


def _prediction_box(label: str, record) -> str:
    prediction = ", ".join(_number(v) for v in record.a[record.n_layers])
    return f"{label}\n$\\hat y$ = {prediction}\n$L$ = {_number(record.loss)}"


def _change_box(before, after) -> str:
    change = after.a[after.n_layers] - before.a[before.n_layers]
    return (f"change: after − before\n"
            f"$\\Delta\\hat y$ = {', '.join(_number(v, '+') for v in change)}\n"
            f"$\\Delta L$ = {_number(after.loss - before.loss, '+')}")


def _readable(ax) -> None:
    """Raise every text of ``ax`` to at least the book's smallest size."""
    for text in ax.texts:
        text.set_fontsize(max(text.get_fontsize(), style.MIN_TEXT_PX))


INCHES_PER_UNIT = 1.0  # one layout unit of a diagram, in inches: room for 11 pt values
WIDTH = 9.5  # inches: the page's column (style.MAX_WIDTH)
BOX_INCHES = 1.9  # room right of a diagram for its row's box


class UpdateFigure(LiveFigure):
    """One gradient step on a small network: before, after, and the change.

    ``before`` is the PassRecord (``stepthrough.record_pass``) of a sample
    through the network before the update; ``after(**values)`` returns the
    PassRecord of the same sample through the network after the update that
    the control ``values`` choose (for example a rule and a learning rate).
    ``png(**values)`` draws three rows, one diagram each: before and after show
    the weights on the edges, the biases under the units and the forward values
    x, a_k, ŷ on the units, with ŷ and the loss in a box at the right; after
    uses before's colour scales (larger values get the darkest colour). The
    third row shows the change after − before of every weight and bias, on its
    own scale, and the changes of ŷ and the loss. The values on the units are
    written to ``unit_digits`` significant digits (4, like the boxes: 0.7514 on
    the output unit and beside it), weights, biases and changes to 3.
    ``self.axes`` are the three rows' axes and ``self.boxes`` their boxes, top
    to bottom.
    """

    def __init__(self, before, after: Callable, page: bool = False, unit_digits: int = 4):
        self.before = check_record(before, "before")
        if not callable(after):
            raise TypeError(f"after must be a function returning a PassRecord; "
                            f"got {type(after).__name__}")
        self.after = after
        L = before.n_layers
        super().__init__(figsize=(style.MAX_WIDTH, 6.0), page=page)  # resized below
        self.axes = [self.figure.add_axes((0.0, 1 - (r + 1) / 3, 1.0, 1 / 3)) for r in range(3)]
        self.edge_scale = _scale([before.W[k] for k in range(1, L + 1)])
        self.node_scale = _scale([before.a[c] for c in range(L + 1)])
        symbols = _column_symbols(L + 1)
        diagrams = [NetworkDiagram(ax, before.sizes, self.moving if r else _still,
                                   column_titles=symbols, side_room=True,
                                   unit_digits=unit_digits)
                    for r, ax in enumerate(self.axes)]
        # a row: the column titles above the units, the notes under the lowest units; a wider
        # network than 2-2-1 is drawn smaller, so that the row's box still fits
        first = diagrams[0]
        left = self.axes[0].get_xlim()[0]
        unit = min(INCHES_PER_UNIT, (WIDTH - BOX_INCHES) / (first.side_anchor[0] - left))
        top = first.title_y + 0.3 / unit
        bottom = min(y for p in first.positions for y in p[:, 1]) - NODE_RADIUS - 0.34 / unit
        right = left + WIDTH / unit
        self.figure.set_size_inches(WIDTH, 3 * (top - bottom) * unit)
        self._show_pass(diagrams[0], before)
        self.after_diagram, self.change_diagram = diagrams[1:]
        texts = [_prediction_box("before the step", before),
                 _prediction_box("after one step", before), _change_box(before, before)]
        self.boxes = []
        for r, (ax, diagram, text) in enumerate(zip(self.axes, diagrams, texts, strict=True)):
            ax.set(xlim=(left, right), ylim=(bottom, top))
            box = ax.text(*diagram.side_anchor, text, ha="left", va="center", zorder=5,
                          bbox=_SIDE_BOX)
            self.boxes.append(self.moving(box) if r else box)
            _readable(ax)
        for y in (1 / 3, 2 / 3):
            self.figure.add_artist(Line2D([0.01, 0.99], [y, y], color="0.8", linewidth=0.8,
                                          transform=self.figure.transFigure))

    def _show_pass(self, diagram: NetworkDiagram, record) -> None:
        L = record.n_layers
        diagram.show(
            node_values=[record.a[c] for c in range(L + 1)],
            edge_values=[record.W[k] for k in range(1, L + 1)], node_scale=self.node_scale,
            edge_scale=self.edge_scale,
            notes=_bias_notes([record.b[k] for k in range(1, L + 1)], "b"),
        )

    def update(self, **values) -> None:
        before, after = self.before, self.after(**values)
        _check_pair(before, after)
        L = before.n_layers
        self._show_pass(self.after_diagram, after)
        self.boxes[1].set_text(_prediction_box("after one step", after))
        self.change_diagram.show(
            edge_values=[after.W[k] - before.W[k] for k in range(1, L + 1)],
            notes=_bias_notes([after.b[k] - before.b[k] for k in range(1, L + 1)], "Δb"),
        )
        self.boxes[2].set_text(_change_box(before, after))


def update_image(before, after) -> Image:
    """:class:`UpdateFigure` of the step from ``before`` to ``after`` as an image.

    It is drawn at the page's pixel density and shown at its size in CSS pixels, so that it
    stays sharp and its text keeps its size on the page.
    """
    _check_pair(before, after)
    return UpdateFigure(before, lambda: after, page=True).image()
