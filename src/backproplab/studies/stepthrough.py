"""Record a forward and a backward pass through a small MLP, one layer at a time.

:func:`record_pass` runs one sample through a ``Sequential`` of ``Dense`` and
``Activation`` layers (what ``MLP`` builds), using the layers' own ``forward``
and ``backward``, and keeps every intermediate array. It also lists the steps
in the order they happen, so that a figure can replay the pass step by step:
the forward pass fills the network's columns with activations, the backward
pass fills them with gradients and turns weights into weight gradients.

Indices follow the mathematics, not Python: column 0 holds the input ``x``,
column ``k`` the units produced by the ``k``-th Dense layer, whose weights are
``W[k]``. With the row convention of ``Dense`` (``z = a W + b``) and one sample:

    z[k] = a[k-1] @ W[k] + b[k]          a[k] = act_k(z[k])
    delta[k] = dL/dz[k] = da[k] * act_k'(z[k])
    dW[k] = outer(a[k-1], delta[k])      db[k] = delta[k]      da[k-1] = delta[k] @ W[k].T
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backproplab._validation import as_float_array
from backproplab.layers import Activation, Dense
from backproplab.losses import get_loss
from backproplab.network import Sequential

FORWARD = "forward"
BACKWARD = "backward"

_MATH_NAMES = {
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "relu": r"\mathrm{ReLU}",
    "leaky_relu": r"\mathrm{LReLU}",
    "elu": r"\mathrm{ELU}",
}
_LOSS_FORMULAS = {  # for one sample; "mean" averages over the outputs
    "half_mse": r"\frac{1}{2}\,\mathrm{mean}(\hat y - y)^2",
    "mse": r"\mathrm{mean}(\hat y - y)^2",
    "mae": r"\mathrm{mean}|\hat y - y|",
    "bce": r"\mathrm{BCE}(\hat y, y)",
    "bce_with_logits": r"\mathrm{BCE}(\sigma(\hat y), y)",
    "softmax_cross_entropy": r"\mathrm{CE}(\mathrm{softmax}(\hat y), y)",
}


@dataclass(frozen=True)
class Step:
    """One step of the pass.

    ``kind`` is "input", "dense", "activation" or "loss" in the forward phase and
    "loss_grad", "activation_back" or "dense_back" in the backward phase.
    ``column`` is the diagram column whose values the step writes (for a
    "dense_back" step, the column that receives dL/da; its edges are layer
    ``layer``). ``layer`` is the number k of the Dense layer involved (None
    for "input", "loss" and "loss_grad"). ``title`` is a formula in matplotlib
    mathtext; ``text`` says the same in plain words (for alt text).
    """

    phase: str
    kind: str
    column: int
    layer: int | None
    title: str
    text: str


@dataclass(frozen=True)
class ColumnState:
    """What one column of units shows: a ``symbol`` (mathtext), the same as a plain
    ``name`` ("a1", "delta2", "dL/dx"), its ``values`` (n_units,) and the ``phase``
    that computed them."""

    symbol: str
    name: str
    values: np.ndarray
    phase: str


@dataclass(frozen=True)
class Frame:
    """Everything known after a step, ready to draw.

    ``columns[c]`` is a ColumnState or None (not computed yet). ``edges[k - 1]``
    is W[k] (n_{k-1}, n_k), replaced by dW[k] once the backward pass has
    computed it (then ``edge_is_grad[k - 1]`` is True); ``biases[k - 1]`` is b[k]
    or db[k] likewise. ``loss`` is None until the loss step.
    """

    index: int
    step: Step
    columns: list
    edges: list
    edge_is_grad: list
    biases: list
    loss: float | None


@dataclass(frozen=True)
class PassRecord:
    """Every array of one forward and backward pass, and the steps that made them.

    Dicts are keyed by the mathematical index: ``a[0]`` is the input x,
    ``a[L]`` the output ŷ; ``W[k]``, ``b[k]``, ``z[k]``, ``delta[k]``, ``dW[k]``,
    ``db[k]`` for k = 1..L; ``da[c]`` = dL/da[c] for c = 0..L (``da[0]`` is
    dL/dx). Shapes: a[c], da[c] (n_c,); W[k], dW[k] (n_{k-1}, n_k);
    b[k], z[k], delta[k], db[k] (n_k,). ``activation_names[k]`` is the
    activation applied after Dense layer k ("identity" when there is none).
    """

    sizes: tuple
    activation_names: dict
    loss_name: str
    y: np.ndarray
    W: dict
    b: dict
    z: dict
    a: dict
    loss: float
    output_grad: np.ndarray
    delta: dict
    dW: dict
    db: dict
    da: dict
    steps: tuple

    @property
    def n_layers(self) -> int:
        """Number L of Dense layers."""
        return len(self.sizes) - 1

    def frame(self, index: int) -> Frame:
        """The state of the diagram after step ``index`` (0 <= index < len(steps))."""
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"index must be an integer; got {type(index).__name__}")
        if not 0 <= index < len(self.steps):
            raise ValueError(f"index must be in [0, {len(self.steps) - 1}]; got {index}")
        L = self.n_layers
        columns = [None] * (L + 1)
        edges = [self.W[k] for k in range(1, L + 1)]
        edge_is_grad = [False] * L
        biases = [self.b[k] for k in range(1, L + 1)]
        loss = None
        for step in self.steps[: index + 1]:
            symbol, name, values = self._written(step)
            if step.kind == "loss":
                loss = self.loss
            elif step.kind == "dense_back":
                edges[step.layer - 1] = self.dW[step.layer]
                edge_is_grad[step.layer - 1] = True
                biases[step.layer - 1] = self.db[step.layer]
            if symbol is not None:
                columns[step.column] = ColumnState(symbol, name, values, step.phase)
        return Frame(index, self.steps[index], columns, edges, edge_is_grad, biases, loss)

    def _written(self, step: Step):
        """(symbol, name, values) a step writes into its column, or (None, None, None)."""
        c, last = step.column, step.column == self.n_layers
        linear = c > 0 and self.activation_names[c] == "identity"
        if step.kind == "input":
            return "$x$", "x", self.a[0]
        if step.kind == "dense":
            if last and linear:
                return rf"$\hat y = z_{c}$", "y_hat", self.z[c]
            return f"$z_{c}$", f"z{c}", self.z[c]
        if step.kind == "activation":
            if last:
                return r"$\hat y$", "y_hat", self.a[c]
            return f"$a_{c}$", f"a{c}", self.a[c]
        if step.kind == "loss_grad":
            if linear:
                return rf"$\partial L/\partial \hat y = \delta_{c}$", f"delta{c}", self.output_grad
            return r"$\partial L/\partial \hat y$", "dL/dy_hat", self.output_grad
        if step.kind == "activation_back":
            return rf"$\delta_{c}$", f"delta{c}", self.delta[c]
        if step.kind == "dense_back":
            if c == 0:
                return r"$\partial L/\partial x$", "dL/dx", self.da[0]
            if linear:
                return rf"$\delta_{c}$", f"delta{c}", self.da[c]
            return rf"$\partial L/\partial a_{c}$", f"dL/da{c}", self.da[c]
        return None, None, None


def _dense_then_activation(model):
    """Group the layers of ``model`` as [(Dense, Activation or None), ...]."""
    if not isinstance(model, Sequential):
        raise TypeError(
            f"model must be a Sequential (for example from MLP); got {type(model).__name__}"
        )
    groups = []
    for layer in model.layers:
        if isinstance(layer, Dense):
            groups.append([layer, None])
        elif isinstance(layer, Activation) and groups and groups[-1][1] is None:
            groups[-1][1] = layer
        else:
            raise ValueError(
                "model must be Dense layers, each followed by at most one Activation "
                f"(like MLP builds); found {layer!r} where that pattern breaks"
            )
    return groups


def _one_row(value, name, width):
    arr = as_float_array(value, name)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    arr = arr.reshape(-1) if arr.ndim == 0 else arr
    if arr.shape != (width,):
        raise ValueError(f"{name} must be one sample of shape ({width},); got shape {arr.shape}")
    return arr


def _x(c):
    return "x" if c == 0 else f"a_{c}"


def record_pass(model, x, y, loss="half_mse") -> PassRecord:
    """Run one sample through ``model`` forward and backward, recording every step.

    ``model`` is a Sequential of Dense layers each followed by at most one
    Activation (what ``MLP`` builds); ``x`` has shape (n_in,) or (1, n_in); ``y``
    holds the target, shape (n_out,) or (1, n_out) or a number for one output;
    ``loss`` is a name from ``backproplab.losses.LOSSES`` or a Loss. The model's
    gradients are zeroed first, so afterwards its ``grads`` hold this sample's
    gradients. Returns a :class:`PassRecord`.
    """
    groups = _dense_then_activation(model)
    loss = get_loss(loss)
    sizes = (groups[0][0].n_in, *(dense.n_out for dense, _ in groups))
    L = len(groups)
    x = _one_row(x, "x", sizes[0])
    y = _one_row(y, "y", sizes[-1])
    names = {k: act.name if act else "identity" for k, (_, act) in enumerate(groups, 1)}

    model.zero_grad()
    W = {k: dense.W.copy() for k, (dense, _) in enumerate(groups, 1)}
    b = {k: dense.b.copy() for k, (dense, _) in enumerate(groups, 1)}
    a, z = {0: x.copy()}, {}
    steps = [Step(FORWARD, "input", 0, None, "the input $x$ enters", "the input x enters")]
    out = x[None, :]
    for k, (dense, act) in enumerate(groups, 1):
        out = dense.forward(out)
        z[k] = out[0].copy()
        steps.append(Step(FORWARD, "dense", k, k, rf"$z_{k} = {_x(k - 1)}\,W_{k} + b_{k}$",
                          f"z{k} = {_x(k - 1).replace('_', '')} W{k} + b{k}"))
        if act is not None:
            out = act.forward(out)
            target, plain = (r"\hat y", "y_hat") if k == L else (f"a_{k}", f"a{k}")
            steps.append(Step(FORWARD, "activation", k, k,
                              rf"${target} = {_MATH_NAMES[act.name]}(z_{k})$",
                              f"{plain} = {act.name}(z{k})"))
        a[k] = out[0].copy()
    value = loss.value(out, y[None, :])
    formula = _LOSS_FORMULAS.get(loss.name, r"L(\hat y, y)")
    if sizes[-1] == 1:
        formula = formula.replace(r"\mathrm{mean}", "")
    steps.append(Step(FORWARD, "loss", L, None, rf"$L = {formula} = {value:.4g}$",
                      f"the loss {loss.name} is {value:.4g}"))

    grad = loss.grad(out, y[None, :])
    output_grad = grad[0].copy()
    same = rf" = \delta_{L}" if groups[-1][1] is None else ""
    steps.append(Step(BACKWARD, "loss_grad", L, None, rf"$\partial L/\partial \hat y{same}$",
                      "the loss gradient dL/dy_hat enters at the output"))
    delta, dW, db, da = {}, {}, {}, {L: output_grad}
    for k in range(L, 0, -1):
        dense, act = groups[k - 1]
        if act is not None:
            grad = act.backward(grad)
            upstream = r"\partial L/\partial \hat y" if k == L else rf"\partial L/\partial a_{k}"
            steps.append(Step(BACKWARD, "activation_back", k, k,
                              rf"$\delta_{k} = {upstream} \odot {_MATH_NAMES[act.name]}'(z_{k})$",
                              f"delta{k} = dL/da{k} times {act.name}'(z{k})"))
        delta[k] = grad[0].copy()
        grad = dense.backward(grad)
        dW[k], db[k], da[k - 1] = dense.grads["W"].copy(), dense.grads["b"].copy(), grad[0].copy()
        prev = _x(k - 1)
        steps.append(Step(BACKWARD, "dense_back", k - 1, k,
                          rf"$\partial L/\partial W_{k} = {prev}^\top \delta_{k}$,   "
                          rf"$\partial L/\partial {prev} = \delta_{k}\,W_{k}^\top$",
                          f"dL/dW{k} = {prev.replace('_', '')}^T delta{k} and "
                          f"dL/d{prev.replace('_', '')} = delta{k} W{k}^T"))
    return PassRecord(sizes, names, loss.name, y.copy(), W, b, z, a, value, output_grad,
                      delta, dW, db, da, tuple(steps))
