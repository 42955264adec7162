"""A scalar reverse-mode automatic differentiation engine and a drawing of its graph.

Every arithmetic operation on :class:`Value` objects creates a new ``Value``
that remembers its inputs (``children``), the operation (``op``) and the local
derivative of its output with respect to each input. ``backward()`` then walks
the graph from the output back to the leaves in reverse topological order and
applies the chain rule: each node passes ``local derivative * its own grad`` to
each child, and a child used twice receives (sums) both contributions.

>>> x = Value(3.0, label="x")
>>> y = x * x + x
>>> y.backward()
>>> x.grad
7.0
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from backproplab._validation import check_choice

__all__ = [
    "BackwardStep",
    "GraphLayout",
    "ScalarNetwork",
    "Value",
    "backward_steps",
    "draw_graph",
    "graph_layout",
    "scalar_network",
    "topological_order",
]


def _check_number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    return float(value)


class Value:
    """One scalar node of a computational graph.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        d(root)/d(this node) after ``root.backward()``; 0.0 before.
    label : str
        A name shown in drawings (optional).
    op : str
        The operation that produced this node ("" for a leaf).
    children : tuple of Value
        The inputs of that operation (empty for a leaf).
    local_grads : tuple of float
        d(this node)/d(child) for each child, computed in the forward pass.
    """

    __slots__ = ("data", "grad", "label", "op", "children", "local_grads")

    def __init__(self, data, children=(), op: str = "", label: str = "", local_grads=()):
        self.data = _check_number(data, "data")
        self.grad = 0.0
        self.children = tuple(children)
        if not all(isinstance(child, Value) for child in self.children):
            raise TypeError("children must be Value objects")
        self.local_grads = tuple(float(g) for g in local_grads)
        if len(self.local_grads) != len(self.children):
            raise ValueError(
                "local_grads must give one derivative per child; "
                f"got {len(self.local_grads)} for {len(self.children)} children"
            )
        self.op = op
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ----- arithmetic -------------------------------------------------------------------------
    def __add__(self, other) -> Value:
        other = _as_value(other)
        return Value(self.data + other.data, (self, other), "+", local_grads=(1.0, 1.0))

    def __sub__(self, other) -> Value:
        other = _as_value(other)
        return Value(self.data - other.data, (self, other), "-", local_grads=(1.0, -1.0))

    def __mul__(self, other) -> Value:
        other = _as_value(other)
        return Value(
            self.data * other.data, (self, other), "*", local_grads=(other.data, self.data)
        )

    def __truediv__(self, other) -> Value:
        other = _as_value(other)
        quotient = self.data / other.data
        local = (1.0 / other.data, -quotient / other.data)
        return Value(quotient, (self, other), "/", local_grads=local)

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            raise TypeError("exponent must be a plain number, not a Value")
        n = _check_number(exponent, "exponent")
        local = n * self.data ** (n - 1)
        return Value(self.data**n, (self,), f"**{n:g}", local_grads=(local,))

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), "neg", local_grads=(-1.0,))

    def __radd__(self, other) -> Value:
        return _as_value(other) + self

    def __rsub__(self, other) -> Value:
        return _as_value(other) - self

    def __rmul__(self, other) -> Value:
        return _as_value(other) * self

    def __rtruediv__(self, other) -> Value:
        return _as_value(other) / self

    # ----- elementary functions ---------------------------------------------------------------
    def exp(self) -> Value:
        out = math.exp(self.data)
        return Value(out, (self,), "exp", local_grads=(out,))

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive input; got data={self.data}")
        return Value(math.log(self.data), (self,), "log", local_grads=(1.0 / self.data,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", local_grads=(1.0 - t * t,))

    def sigmoid(self) -> Value:
        """Logistic function, evaluated without overflow for large |data|."""
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        return Value(s, (self,), "sigmoid", local_grads=(s * (1.0 - s),))

    def relu(self) -> Value:
        """max(data, 0); the derivative at 0 is taken as 0."""
        positive = self.data > 0
        return Value(
            self.data if positive else 0.0, (self,), "relu", local_grads=(float(positive),)
        )

    def identity(self) -> Value:
        """Return this node itself (the linear output activation)."""
        return self

    # ----- gradients --------------------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every node in the graph with d(self)/d(node).

        Gradients of intermediate nodes are recomputed; gradients of leaves
        accumulate across calls, as in PyTorch, so call :meth:`zero_grad`
        before the next backward pass of a training step.
        """
        for _ in _propagate(self):
            pass

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on every node of the graph ending at this node."""
        for node in topological_order(self):
            node.grad = 0.0


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


def topological_order(root: Value) -> list[Value]:
    """Return every node of the graph ending at ``root``, each child before its parents.

    The last element is ``root``; a node reused several times appears once.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value; got {type(root).__name__}")
    order: list[Value] = []
    visited: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:  # iterative depth-first post-order: no recursion limit on long chains
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children))
    return order


class BackwardStep(NamedTuple):
    """One node visited by reverse mode and what it passed to each child.

    ``contributions`` is a list of ``(child, local_grad * node.grad)``; it is
    empty for a leaf.
    """

    node: Value
    contributions: list[tuple[Value, float]]


def _propagate(root: Value):
    """Run the backward pass from ``root``, yielding a BackwardStep per node visited."""
    order = topological_order(root)
    for node in order:
        if node.children:
            node.grad = 0.0
    root.grad += 1.0
    for node in reversed(order):
        contributions = []
        for child, local in zip(node.children, node.local_grads, strict=True):
            amount = local * node.grad
            child.grad += amount
            contributions.append((child, amount))
        yield BackwardStep(node, contributions)


def backward_steps(root: Value) -> list[BackwardStep]:
    """Run ``root.backward()`` and return the nodes in the order reverse mode visits them.

    Each entry is ``(node, [(child, contribution), ...])``. When a node is
    visited its ``grad`` is final, because all its parents come before it.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value; got {type(root).__name__}")
    return list(_propagate(root))


# ----- a small MLP written with Values -------------------------------------------------------
_SCALAR_ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh")


class ScalarNetwork:
    """A fully connected network whose every weight and bias is a :class:`Value`.

    Layer ``l`` computes ``a_j = act(sum_i x_i * W[l][i][j] + b[l][j])``, the
    same convention as ``Dense`` (``Z = X @ W + b``, ``W`` of shape (n_in, n_out)).
    """

    def __init__(self, weights, biases, activations):
        self.weights = [
            [[Value(w, label=f"W{layer}[{i},{j}]") for j, w in enumerate(row)]
             for i, row in enumerate(matrix)]
            for layer, matrix in enumerate(weights)
        ]
        self.biases = [
            [Value(b, label=f"b{layer}[{j}]") for j, b in enumerate(vector)]
            for layer, vector in enumerate(biases)
        ]
        self.activations = list(activations)

    def __call__(self, x) -> list[Value]:
        """Forward one sample ``x`` (sequence of n_in numbers or Values) -> list of n_out Values."""
        a = [_as_value(xi) for xi in x]
        if len(a) != len(self.weights[0]):
            raise ValueError(f"x must have {len(self.weights[0])} entries; got {len(a)}")
        for W, b, act in zip(self.weights, self.biases, self.activations, strict=True):
            a = [
                getattr(sum((ai * W[i][j] for i, ai in enumerate(a)), b[j]), act)()
                for j in range(len(b))
            ]
        return a

    def parameters(self) -> list[Value]:
        """All weights then biases of each layer, layer by layer."""
        params = []
        for W, b in zip(self.weights, self.biases, strict=True):
            params.extend(v for row in W for v in row)
            params.extend(b)
        return params

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to 0.0."""
        for p in self.parameters():
            p.grad = 0.0

    def weight_grads(self) -> list[np.ndarray]:
        """Gradients of the weights as arrays of shape (n_in, n_out), one per layer."""
        return [np.array([[v.grad for v in row] for row in W]) for W in self.weights]

    def bias_grads(self) -> list[np.ndarray]:
        """Gradients of the biases as arrays of shape (n_out,), one per layer."""
        return [np.array([v.grad for v in b]) for b in self.biases]


def scalar_network(weights, biases, activations) -> ScalarNetwork:
    """Build a :class:`ScalarNetwork` from per-layer arrays.

    Parameters
    ----------
    weights : list of arrays, layer ``l`` of shape (n_l, n_{l+1})
    biases : list of arrays, layer ``l`` of shape (n_{l+1},)
    activations : list of names, one per layer: "identity", "relu", "sigmoid" or "tanh"

    Returns a callable ``net(x) -> list of n_out Values`` for one sample ``x``
    of length n_0; ``net.parameters()``, ``net.weight_grads()`` and
    ``net.bias_grads()`` expose the parameters and their gradients.
    """
    weights = [np.asarray(W, dtype=np.float64) for W in weights]
    biases = [np.asarray(b, dtype=np.float64) for b in biases]
    activations = list(activations)
    if not weights:
        raise ValueError("weights must hold at least one layer")
    if not len(weights) == len(biases) == len(activations):
        raise ValueError(
            "weights, biases and activations must have one entry per layer; got "
            f"{len(weights)}, {len(biases)} and {len(activations)}"
        )
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(
                f"weights[{layer}] must have shape (n_in, n_out) and biases[{layer}] shape "
                f"(n_out,); got {W.shape} and {b.shape}"
            )
        if layer and W.shape[0] != weights[layer - 1].shape[1]:
            raise ValueError(
                f"weights[{layer}] must have {weights[layer - 1].shape[1]} rows to follow "
                f"layer {layer - 1}; got shape {W.shape}"
            )
    for act in activations:
        check_choice(act, "activation", _SCALAR_ACTIVATIONS)
    return ScalarNetwork(weights, biases, activations)


# ----- drawing ---------------------------------------------------------------------------------
# Sizes in layout units; a unit is _INCHES_PER_UNIT inches on the page, where 1 pt of text is one
# CSS pixel (backproplab.plots.style). Text is 11 pt, the book's smallest (style.MIN_TEXT_PX);
# this core module does not import the plots package, so the number is written here.
_TEXT_PT = 11
_INCHES_PER_UNIT = 0.6
_LINE_UNITS = 1.25 * _TEXT_PT / 72 / _INCHES_PER_UNIT  # one line of text, with its leading
_BOX_PAD = 0.35  # room around the text in a value box, each side
_OP_RADIUS = 0.4  # holds a 4-character operation ("tanh") at _TEXT_PT
_ARROW_GAP = 0.45  # horizontal room for each arrow
_ROW_GAP = 0.55  # vertical room between two value boxes of a layer
_OP_SYMBOLS = {"sigmoid": "σ"}  # operation names too long for their circle


class GraphLayout(NamedTuple):
    """Positions for :func:`draw_graph`.

    ``value_xy[node]`` is the centre of a value box; ``op_xy[node]`` is the
    centre of the circle for the operation that produced ``node`` (non-leaves
    only). ``layer[node]`` is the longest path from a leaf to ``node``.
    ``box_width`` and ``box_height`` are the size of every value box.
    """

    value_xy: dict
    op_xy: dict
    layer: dict
    box_width: float
    box_height: float = 3 * _LINE_UNITS + 2 * _BOX_PAD


def _node_text(node: Value, show_grad: bool) -> str:
    """The lines of ``node``'s box: its label (if any), "data ...", and "grad ..."."""
    parts = [node.label] if node.label else []
    parts.append(f"data {node.data:.4g}")
    if show_grad:
        parts.append(f"grad {node.grad:.4g}")
    return "\n".join(parts)


def _text_units(text: str) -> float:
    """Width in layout units of the widest line of ``text`` at _TEXT_PT."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=_TEXT_PT)
    widths = [TextToPath().get_text_width_height_descent(line, font, ismath=False)[0]
              for line in text.split("\n")]
    return max(widths) / 72 / _INCHES_PER_UNIT


def graph_layout(root: Value, show_grad: bool = True) -> GraphLayout:
    """Compute a layered left-to-right layout of the graph ending at ``root``.

    An operation's layer is the length of the longest path from a leaf to it;
    a leaf sits one layer left of its first use (so that a parameter added late,
    like a bias, is drawn next to the operation that uses it). Every child
    therefore lies in a layer strictly left of its parents; each operation
    circle sits between its inputs and its output. Within a layer, operations
    are ordered by the mean height of their children (highest first) to reduce
    crossings, and leaves come after them. Boxes are as wide as the widest text
    of any node, and as tall as three lines (label, data, grad).
    """
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    layer: dict[Value, int] = {}
    for node in order:
        layer[node] = 1 + max((layer[c] for c in node.children), default=-1)
    first_use: dict[Value, int] = {}
    for node in order:
        for child in node.children:
            first_use[child] = min(first_use.get(child, layer[node]), layer[node])
    for node in order:
        if not node.children and node in first_use:
            layer[node] = first_use[node] - 1

    box_width = 2 * _BOX_PAD + max(_text_units(_node_text(n, show_grad)) for n in order)
    box_height = 3 * _LINE_UNITS + 2 * _BOX_PAD
    pitch = box_width + 2 * _OP_RADIUS + 2 * _ARROW_GAP
    row_pitch = box_height + _ROW_GAP

    y: dict[Value, float] = {}
    by_layer: dict[int, list[Value]] = {}
    for node in order:
        by_layer.setdefault(layer[node], []).append(node)
    for depth in sorted(by_layer):
        nodes = by_layer[depth]
        nodes.sort(key=lambda n: (not n.children, -np.mean([y[c] for c in n.children])
                                  if n.children else 0.0, index[n]))
        for row, node in enumerate(nodes):
            y[node] = ((len(nodes) - 1) / 2 - row) * row_pitch

    value_xy = {node: (layer[node] * pitch, y[node]) for node in order}
    op_offset = box_width / 2 + _ARROW_GAP + _OP_RADIUS
    op_xy = {n: (value_xy[n][0] - op_offset, y[n]) for n in order if n.children}
    return GraphLayout(value_xy, op_xy, layer, box_width, box_height)


def _graph_arrows(layout: GraphLayout) -> list:
    """(start, end, bend, apex) of every arrow of a graph drawn with ``layout``.

    An arrow runs from a child's box to its operation's circle, or from the circle to
    the box of the operation's result. An input from further left than the layer before
    bows around the boxes between (up if it comes from above); ``apex`` is the middle of
    the arrow (for straight ones too), to leave room for the bows.
    """
    half_w = layout.box_width / 2
    arrows = []
    for node, (x, y) in layout.value_xy.items():
        if not node.children:
            continue
        op = np.array(layout.op_xy[node])
        start, end = op + [_OP_RADIUS, 0.0], np.array([x - half_w, y])
        arrows.append((tuple(start), tuple(end), 0.0, tuple((start + end) / 2)))
        for child in dict.fromkeys(node.children):
            cx, cy = layout.value_xy[child]
            start = np.array([cx + half_w, cy])
            bend = 0.0
            if layout.layer[node] - layout.layer[child] > 1:
                bend = -0.45 if cy >= op[1] else 0.45
            dx, dy = op - start
            control = (start + op) / 2 + bend * np.array([dy, -dx])  # as arc3 places it
            towards = op - (control if bend else start)
            end = op - _OP_RADIUS * towards / np.linalg.norm(towards)
            apex = (start + end) / 2 + bend / 2 * np.array([end[1] - start[1],
                                                            start[0] - end[0]])
            arrows.append((tuple(start), tuple(end), bend, tuple(apex)))
    return arrows


def _arrow(ax, start, end, bend: float = 0.0) -> None:
    """An arrow from ``start`` to ``end``, straight, or an arc bowing by ``bend`` (see arc3)."""
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=10, shrinkA=0, shrinkB=0,
            connectionstyle=f"arc3,rad={bend:g}", color="0.35", linewidth=1.0, zorder=1,
        )
    )


def draw_graph(root: Value, ax=None, show_grad: bool = True, highlight=None):
    """Draw the computational graph ending at ``root`` with matplotlib (no graphviz).

    Value nodes are rounded boxes of three lines, its label, "data ..." and
    "grad ..." (the last omitted when ``show_grad`` is False); operations are
    small circles (a sigmoid shows as σ); arrows run from inputs to outputs,
    left to right. ``highlight`` is an iterable of nodes of this graph to
    emphasise (for example the node a backward-pass walk-through is at). Text
    is 11 pt; a new figure is sized so that it shows at that size (a graph
    four operations deep is about 9 inches wide). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyBboxPatch

    layout = graph_layout(root, show_grad)
    emphasised = set() if highlight is None else set(highlight)
    unknown = [n for n in emphasised if n not in layout.value_xy]
    if unknown:
        raise ValueError(f"highlight must contain nodes of the graph; {unknown[0]!r} is not one")

    arrows = _graph_arrows(layout)
    half_w, half_h = layout.box_width / 2, layout.box_height / 2
    xs = [x for x, _ in layout.value_xy.values()]
    ys = [y for _, y in layout.value_xy.values()]
    apexes = [apex[1] for *_, apex in arrows]  # the arcs' middles need room too
    xlim = (min(xs) - half_w - 0.1, max(xs) + half_w + 0.1)
    ylim = (min(min(ys) - half_h, min(apexes) - 0.15) - 0.1,
            max(max(ys) + half_h, max(apexes) + 0.15) + 0.1)
    if ax is None:
        size = ((xlim[1] - xlim[0]) * _INCHES_PER_UNIT, (ylim[1] - ylim[0]) * _INCHES_PER_UNIT)
        fig, ax = plt.subplots(figsize=size)
        fig.subplots_adjust(0, 0, 1, 1)
    else:
        fig = ax.figure

    for node, (x, y) in layout.value_xy.items():
        strong = node in emphasised
        ax.add_patch(
            FancyBboxPatch(
                (x - half_w, y - half_h), layout.box_width, layout.box_height,
                boxstyle="round,pad=0,rounding_size=0.15",
                facecolor="#ffe0b2" if strong else "#e8f1fb",
                edgecolor="#e65100" if strong else "#1f5f99",
                linewidth=2.2 if strong else 1.0, zorder=2,
            )
        )
        ax.text(x, y, _node_text(node, show_grad), ha="center", va="center",
                fontsize=_TEXT_PT, linespacing=1.25,
                fontweight="bold" if strong else "normal", zorder=3)
        if node.children:
            ox, oy = layout.op_xy[node]
            ax.add_patch(Circle((ox, oy), _OP_RADIUS, facecolor="white", edgecolor="0.3",
                                zorder=2))
            ax.text(ox, oy, _OP_SYMBOLS.get(node.op, node.op), ha="center", va="center",
                    fontsize=_TEXT_PT, zorder=3)
    for start, end, bend, _ in arrows:
        _arrow(ax, start, end, bend)

    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig
