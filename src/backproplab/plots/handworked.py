"""A training step worked by hand, drawn: the network before and after one update.

:func:`draw_update` puts three diagrams of the same small network side by side:
its parameters and forward values before a gradient step, the same after it,
and the change. Before and after share their colour scales (one for the
weights, one for the unit values), so an edge that keeps its colour kept its
weight; the change panel has scales of its own, because one step moves the
parameters by far less than their size. Each diagram is
``backproplab.plots.network.draw_network``; the two passes come from
``backproplab.stepthrough.record_pass``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..stepthrough import PassRecord
from .network import _format, _scale, draw_network


def _column_symbols(n_columns: int) -> list[str]:
    return ["$x$", *(f"$a_{c}$" for c in range(1, n_columns - 1)), r"$\hat y$"]


def _bias_notes(biases, label: str) -> list:
    return [None] + [[f"{label} {_format(v)}" for v in b] for b in biases]


def _check_pair(before, after) -> None:
    for name, record in (("before", before), ("after", after)):
        if not isinstance(record, PassRecord):
            raise TypeError(
                f"{name} must be a PassRecord from stepthrough.record_pass; "
                f"got {type(record).__name__}"
            )
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


def draw_update(before, after, axes=None, titles=("before", "after one step")):
    """Draw one gradient step on a small network; returns the Figure.

    ``before`` and ``after`` are PassRecords (``stepthrough.record_pass``) of the
    same sample through the network before and after the update. Three panels:
    before and after show the weights on the edges, the biases under the units
    and the forward values x, a_k, ŷ on the units, on shared colour scales, with
    ŷ and the loss in the title; the third shows the change after − before of
    every weight, bias and unit value. ``axes`` is a sequence of three matplotlib
    Axes (default: a new figure); ``titles`` labels the first two panels.
    """
    _check_pair(before, after)
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(14, 3.3))
    elif len(axes) != 3:
        raise ValueError(f"axes must hold three matplotlib Axes; got {len(axes)}")
    L = before.n_layers
    columns = range(L + 1)
    records = (before, after)
    edge_scale = _scale([r.W[k] for r in records for k in range(1, L + 1)])
    node_scale = _scale([r.a[c] for r in records for c in columns])
    symbols = _column_symbols(L + 1)
    for ax, record, label in zip(axes[:2], records, titles, strict=True):
        draw_network(
            record.sizes, ax=ax, node_values=[record.a[c] for c in columns],
            edge_values=[record.W[k] for k in range(1, L + 1)], node_scale=node_scale,
            edge_scale=edge_scale, column_titles=symbols,
            node_notes=_bias_notes([record.b[k] for k in range(1, L + 1)], "b"),
        )
        ax.set_title(_prediction_title(label, record), fontsize=10)
    draw_network(
        before.sizes, ax=axes[2],
        edge_values=[after.W[k] - before.W[k] for k in range(1, L + 1)],
        node_notes=_bias_notes([after.b[k] - before.b[k] for k in range(1, L + 1)], "Δb"),
    )
    change = ", ".join(f"{v:+.4f}" for v in after.a[L] - before.a[L])
    axes[2].set_title(rf"change: $\Delta\hat y$ = {change},  $\Delta L$ = "
                      f"{after.loss - before.loss:+.4f}", fontsize=10)
    fig = axes[0].figure
    fig.tight_layout()
    return fig
