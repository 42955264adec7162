"""A training step worked by hand, drawn: the network before and after one update.

:class:`UpdateFigure` puts three diagrams of the same small network side by
side: its parameters and forward values before a gradient step, the same after
it, and the change. After uses the colour scales of before (one for the
weights, one for the unit values), so an edge that keeps its colour kept its
weight; the change panel has scales of its own, because one step moves the
parameters by far less than their size. Each diagram is a
``backproplab.plots.network.NetworkDiagram``; the passes come from
``backproplab.studies.stepthrough.record_pass``. The before panel is drawn once; only
the after and change panels are redrawn when the update changes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from IPython.display import Image

from .live import LiveFigure
from .network import NetworkDiagram, _format, _scale, check_record


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


def _prediction_title(label: str, record) -> str:
    prediction = ", ".join(f"{v:.4f}" for v in record.a[record.n_layers])
    return rf"{label}: $\hat y$ = {prediction},  $L$ = {record.loss:.4f}"


def _change_title(before, after) -> str:
    change = ", ".join(f"{v:+.4f}" for v in after.a[after.n_layers] - before.a[before.n_layers])
    return rf"change: $\Delta\hat y$ = {change},  $\Delta L$ = {after.loss - before.loss:+.4f}"


class UpdateFigure(LiveFigure):
    """One gradient step on a small network: before, after, and the change.

    ``before`` is the PassRecord (``stepthrough.record_pass``) of a sample
    through the network before the update; ``after(**values)`` returns the
    PassRecord of the same sample through the network after the update that
    the control ``values`` choose (for example a rule and a learning rate).
    ``png(**values)`` draws three panels: before and after show the weights on
    the edges, the biases under the units and the forward values x, a_k, ŷ on
    the units, with ŷ and the loss in the title; after uses before's colour
    scales (larger values get the darkest colour). The third panel shows the
    change after − before of every weight and bias, on its own scale.
    """

    def __init__(self, before, after: Callable, page: bool = False):
        self.before = check_record(before, "before")
        if not callable(after):
            raise TypeError(f"after must be a function returning a PassRecord; "
                            f"got {type(after).__name__}")
        self.after = after
        super().__init__(figsize=(14, 2.5), page=page)
        axes = self.figure.subplots(1, 3)
        L = before.n_layers
        self.edge_scale = _scale([before.W[k] for k in range(1, L + 1)])
        self.node_scale = _scale([before.a[c] for c in range(L + 1)])
        symbols = _column_symbols(L + 1)
        self._show_pass(NetworkDiagram(axes[0], before.sizes, column_titles=symbols), before)
        axes[0].set_title(_prediction_title("before", before), fontsize=10)
        self.after_diagram = NetworkDiagram(axes[1], before.sizes, self.moving,
                                            column_titles=symbols)
        self.change_diagram = NetworkDiagram(axes[2], before.sizes, self.moving)
        # titles as long as they will be, so that the layout leaves room for them
        self.after_title = self.moving(
            axes[1].set_title(_prediction_title("after one step", before), fontsize=10))
        self.change_title = self.moving(axes[2].set_title(_change_title(before, before),
                                                          fontsize=10))
        self.figure.tight_layout()

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
        self.after_title.set_text(_prediction_title("after one step", after))
        self.change_diagram.show(
            edge_values=[after.W[k] - before.W[k] for k in range(1, L + 1)],
            notes=_bias_notes([after.b[k] - before.b[k] for k in range(1, L + 1)], "Δb"),
        )
        self.change_title.set_text(_change_title(before, after))


def update_image(before, after) -> Image:
    """:class:`UpdateFigure` of the step from ``before`` to ``after`` as an image."""
    _check_pair(before, after)
    return UpdateFigure(before, lambda: after).image()
