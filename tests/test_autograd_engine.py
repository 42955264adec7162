"""Tests of the scalar reverse-mode engine in backproplab.autograd.

Gradients are checked against hand derivations, against the ``autograd``
package (the same expressions written with autograd.numpy) and, when it is
installed, against PyTorch; the scalar network is checked against the
layer-wise backpropagation of backproplab.network.
"""

import math
import sys

import autograd
import autograd.numpy as anp
import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from backproplab.autograd import (
    Value,
    backward_steps,
    draw_graph,
    graph_layout,
    scalar_network,
    topological_order,
)
from backproplab.network import MLP

matplotlib.use("Agg")


# ----- the same expressions for three engines --------------------------------------------------
class ValueOps:
    exp, log, tanh, sigmoid, relu = Value.exp, Value.log, Value.tanh, Value.sigmoid, Value.relu


class AutogradOps:
    exp, log, tanh = anp.exp, anp.log, anp.tanh

    @staticmethod
    def sigmoid(v):
        return 1.0 / (1.0 + anp.exp(-v))

    @staticmethod
    def relu(v):
        return anp.where(v > 0, v, 0.0)


EXPRESSIONS = {
    "mul_add": lambda a, b, c, m: a * b + c,
    "reuse": lambda a, b, c, m: a * a + a,
    "sub_div": lambda a, b, c, m: (a - b) / c,
    "pow_rdiv": lambda a, b, c, m: a**3 - 2 * b**2 + 1 / c,
    "exp_radd": lambda a, b, c, m: m.exp(a * b) / (1 + c),
    "log": lambda a, b, c, m: m.log(a * a + b * b),
    "tanh": lambda a, b, c, m: m.tanh(a * b - c),
    "sigmoid": lambda a, b, c, m: m.sigmoid(a - 2 * b) * c,
    "relu": lambda a, b, c, m: m.relu(a * b + c) + m.relu(a - 5),
    "neg_rsub": lambda a, b, c, m: -a * b + (3 - c),
    "log_pow_tanh": lambda a, b, c, m: m.log((a + b) ** 2) * m.tanh(c - a),
    "fractional_pow": lambda a, b, c, m: a**0.5 * b - c / a + a ** (-1.5),
    "shared_subgraph": lambda a, b, c, m: m.tanh((a * b) * (a * b) + a * b) + m.sigmoid(a * b),
}
POINTS = [(0.7, -1.3, 2.1), (1.9, 0.4, 0.6), (0.3, 2.2, -0.8)]


def value_gradients(expression, point):
    a, b, c = (Value(v) for v in point)
    out = expression(a, b, c, ValueOps)
    out.backward()
    return out.data, [a.grad, b.grad, c.grad]


@pytest.mark.filterwarnings("ignore:Output seems independent of input")
@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_value_gradients_match_autograd_package(name, point):
    expression = EXPRESSIONS[name]

    def f(a, b, c):
        return expression(a, b, c, AutogradOps)

    data, grads = value_gradients(expression, point)
    assert data == pytest.approx(f(*point), rel=1e-13, abs=1e-13)
    for argnum in range(3):
        expected = autograd.grad(f, argnum)(*point)
        assert grads[argnum] == pytest.approx(expected, rel=1e-12, abs=1e-13)


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_value_gradients_match_pytorch(name):
    torch = pytest.importorskip("torch")

    class TorchOps:
        exp, log, tanh, sigmoid, relu = (
            torch.exp, torch.log, torch.tanh, torch.sigmoid, torch.relu,
        )

    point = POINTS[0]
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = EXPRESSIONS[name](*leaves, TorchOps)
    out.backward()
    data, grads = value_gradients(EXPRESSIONS[name], point)
    assert data == pytest.approx(out.item(), rel=1e-13, abs=1e-13)
    for leaf, grad in zip(leaves, grads, strict=True):
        expected = 0.0 if leaf.grad is None else leaf.grad.item()  # None: not used
        assert grad == pytest.approx(expected, rel=1e-12, abs=1e-13)


# ----- hand derivations --------------------------------------------------------------------------
def test_x_squared_plus_x_at_3_has_derivative_7():
    x = Value(3.0)
    y = x * x + x
    y.backward()
    assert y.data == 12.0
    assert x.grad == 7.0


def test_reused_node_accumulates_gradient():
    x = Value(2.0)
    (x + x).backward()
    assert x.grad == 2.0  # d(x + x)/dx
    x = Value(2.0)
    (x * x * x).backward()
    assert x.grad == 12.0  # 3 x^2


def test_division_and_power_rules_by_hand():
    a, b = Value(3.0), Value(2.0)
    (a / b).backward()
    assert (a.grad, b.grad) == (0.5, -0.75)  # 1/b and -a/b^2
    x = Value(2.0)
    (x**-2).backward()
    assert x.grad == -0.25  # -2 x^-3
    x = Value(4.0)
    (x**0.5).backward()
    assert x.grad == 0.25  # 1 / (2 sqrt(x))
    x = Value(5.0)
    (10 - x).backward()
    assert x.grad == -1.0
    x = Value(4.0)
    (2 / x).backward()
    assert x.grad == -0.125  # -2/x^2


@pytest.mark.parametrize("z", [-3.0, -0.5, 0.0, 0.8, 4.0])
def test_elementary_function_derivatives(z):
    cases = {
        "tanh": (math.tanh(z), 1.0 / math.cosh(z) ** 2),
        "sigmoid": (1.0 / (1.0 + math.exp(-z)), math.exp(-z) / (1.0 + math.exp(-z)) ** 2),
        "relu": (max(z, 0.0), 1.0 if z > 0 else 0.0),
        "exp": (math.exp(z), math.exp(z)),
    }
    for name, (value, derivative) in cases.items():
        x = Value(z)
        out = getattr(x, name)()
        out.backward()
        assert out.data == pytest.approx(value, rel=1e-14, abs=1e-15), name
        assert x.grad == pytest.approx(derivative, rel=1e-12, abs=1e-15), name


def test_log_derivative_and_domain():
    x = Value(4.0)
    x.log().backward()
    assert x.grad == 0.25
    with pytest.raises(ValueError, match="log"):
        Value(0.0).log()


def test_sigmoid_is_stable_for_huge_inputs():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(0.0).sigmoid().data == 0.5


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_backward_accumulates_in_leaves_and_zero_grad_resets():
    x = Value(3.0)
    h = x * x
    y = h + 1
    y.backward()
    y.backward()
    assert x.grad == 12.0  # 2 * (2x), as repeated backward passes in PyTorch
    assert h.grad == 1.0  # intermediate gradients are recomputed, not accumulated
    y.zero_grad()
    assert all(node.grad == 0.0 for node in topological_order(y))


def test_long_chain_does_not_hit_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(sys.getrecursionlimit() + 500):
        y = y + x
    y.backward()
    assert x.grad == sys.getrecursionlimit() + 501


def test_bad_operands_are_rejected():
    with pytest.raises(TypeError, match="data"):
        Value("3")
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="data"):
        Value(1.0) + "a"


# ----- graph order and the node-by-node backward pass ------------------------------------------
def small_graph():
    a, b = Value(0.5, label="a"), Value(-1.2, label="b")
    e = a * b
    e.label = "e"
    d = e + a.tanh()
    d.label = "d"
    out = d.sigmoid()
    out.label = "out"
    return a, b, out


def test_topological_order_puts_children_first_once_each():
    a, b, out = small_graph()
    order = topological_order(out)
    assert order[-1] is out
    assert len(order) == len({id(n) for n in order}) == 6  # a, b, e, tanh(a), d, out
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(c)] < position[id(node)] for c in node.children)


def test_backward_steps_visit_in_reverse_order_with_chain_rule_contributions():
    a, b, out = small_graph()
    steps = backward_steps(out)
    assert [s.node for s in steps] == topological_order(out)[::-1]
    assert steps[0].node is out and out.grad == 1.0
    s = out.children[0].data
    sig = 1.0 / (1.0 + math.exp(-s))
    assert steps[0].contributions[0][1] == pytest.approx(sig * (1 - sig))
    received = {}
    for _node, contributions in steps:
        for child, amount in contributions:
            received[id(child)] = received.get(id(child), 0.0) + amount
    for node in topological_order(out)[:-1]:
        assert node.grad == pytest.approx(received[id(node)], rel=1e-15)
    # a reaches out through e = a*b and through tanh(a): both contributions add up
    d_out_d_d = sig * (1 - sig)
    assert a.grad == pytest.approx(d_out_d_d * (b.data + 1 - math.tanh(0.5) ** 2), rel=1e-13)
    leaves = [step for step in steps if not step.node.children]
    assert all(step.contributions == [] for step in leaves)


# ----- the scalar network agrees with layer-wise backprop --------------------------------------
@pytest.mark.parametrize(
    ("sizes", "activation", "output_activation"),
    [
        ([2, 3, 1], "sigmoid", "sigmoid"),
        ([2, 3, 1], "tanh", "identity"),
        ([2, 3, 1], "relu", "sigmoid"),
        ([3, 4, 2], "tanh", "sigmoid"),
        ([3, 4, 2], "relu", "identity"),
        ([3, 4, 3, 2], "sigmoid", "tanh"),
    ],
)
def test_scalar_network_gradients_match_vectorised_backprop(sizes, activation, output_activation):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5, sizes[0]))
    y = rng.uniform(size=(5, sizes[-1]))
    model = MLP(sizes, activation=activation, output_activation=output_activation, seed=3)
    dense = model.dense_layers()
    for layer in dense:  # non-zero biases so that their gradients matter
        layer.b = rng.normal(scale=0.3, size=layer.b.shape)
    activations = [activation] * (len(sizes) - 2) + [output_activation]
    net = scalar_network([d.W for d in dense], [d.b for d in dense], activations)

    outputs = [net(row) for row in X]
    loss = sum((o - t) ** 2 for out, target in zip(outputs, y, strict=True)
               for o, t in zip(out, target, strict=True)) / y.size
    loss.backward()
    expected_loss = model.loss_and_grads(X, y, "mse")

    np.testing.assert_allclose([[o.data for o in out] for out in outputs], model.forward(X),
                               rtol=0, atol=1e-13)
    assert loss.data == pytest.approx(expected_loss, rel=1e-13)
    for layer, dW, db in zip(dense, net.weight_grads(), net.bias_grads(), strict=True):
        np.testing.assert_allclose(dW, layer.grads["W"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(db, layer.grads["b"], rtol=0, atol=1e-12)
    assert len(net.parameters()) == model.num_params


def test_scalar_network_rejects_mismatched_layers():
    with pytest.raises(ValueError, match="weights"):
        scalar_network([np.ones((2, 3)), np.ones((2, 1))], [np.ones(3), np.ones(1)],
                       ["tanh", "identity"])
    with pytest.raises(ValueError, match="activation"):
        scalar_network([np.ones((2, 1))], [np.ones(1)], ["softplus"])


# ----- drawing ---------------------------------------------------------------------------------
def boxes(fig):
    return [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]


def test_draw_graph_draws_one_box_per_value_and_one_circle_per_op(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # importing graphviz would fail
    a, b, out = small_graph()
    out.backward()
    fig = draw_graph(out)
    nodes = topological_order(out)
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert len(boxes(fig)) == len(nodes) == 6
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == sum(1 for n in nodes if n.children) == 4
    box_texts = [t.get_text() for t in ax.texts if "data " in t.get_text()]
    assert len(box_texts) == len(nodes)
    assert f"a\ndata 0.5\ngrad {a.grad:.4g}" in box_texts  # label, data, grad: one line each
    assert {t.get_text() for t in ax.texts} >= {"*", "+", "tanh", "σ"}  # σ: the sigmoid
    matplotlib.pyplot.close(fig)


def test_draw_graph_reads_on_the_page():
    """The chapter's neuron a = sigmoid(w x + b) fits the column at 11 pt, every text inside
    its box or circle and clear of the others; a bias used late sits next to its use."""
    import io

    from backproplab.plots import style

    x, w, b = Value(1.5, label="x"), Value(0.8, label="w"), Value(-0.2, label="b")
    wx = w * x
    wx.label = "wx"
    z = wx + b
    z.label = "z"
    out = z.sigmoid()
    out.label = "a"
    out.backward()
    layout = graph_layout(out)
    assert layout.layer[b] == layout.layer[wx] == 1 and layout.layer[x] == 0
    fig = draw_graph(out, highlight=[z])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=style.FRAME_DPI)
    assert fig.get_size_inches()[0] <= style.MAX_WIDTH
    assert not style.problems(style.audit(fig, style.FRAME_DPI, buffer.getvalue()))
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    shapes = [p.get_window_extent(renderer) for p in ax.patches
              if isinstance(p, FancyBboxPatch | Circle)]
    texts = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(texts) == 6 + 3
    for i, box in enumerate(texts):
        assert sum(s.x0 < box.x0 and box.x1 < s.x1 and s.y0 < box.y0 and box.y1 < s.y1
                   for s in shapes) == 1, ax.texts[i].get_text()
        assert not any(box.overlaps(other) for other in texts[i + 1:])
    matplotlib.pyplot.close(fig)


def test_graph_layout_puts_children_strictly_left_and_uses_longest_path():
    x = Value(2.0, label="x")
    y = x * x
    z = y + x  # x -> z directly (path length 1) and via y (length 2)
    w = (z * y).tanh() + x.exp()
    layout = graph_layout(w)
    assert layout.layer[x] == 0 and layout.layer[y] == 1 and layout.layer[z] == 2
    for node in topological_order(w):
        if not node.children:
            assert node not in layout.op_xy
            continue
        op_x = layout.op_xy[node][0]
        assert op_x < layout.value_xy[node][0]
        for child in node.children:
            assert layout.value_xy[child][0] < op_x

    fig = draw_graph(w)
    centres = sorted((round(p.get_x() + p.get_width() / 2, 9), round(p.get_y()
                      + p.get_height() / 2, 9)) for p in boxes(fig))
    expected = sorted((round(px, 9), round(py, 9)) for px, py in layout.value_xy.values())
    assert centres == expected
    matplotlib.pyplot.close(fig)


def test_draw_graph_highlight_show_grad_and_given_axes():
    a, b, out = small_graph()
    fig = draw_graph(out, highlight=[a, out])
    widths = sorted(p.get_linewidth() for p in boxes(fig))
    assert widths[-2] == widths[-1] > widths[-3]  # exactly two boxes emphasised
    matplotlib.pyplot.close(fig)

    own_fig, ax = matplotlib.pyplot.subplots()
    assert draw_graph(out, ax=ax, show_grad=False) is own_fig
    assert not any("grad" in t.get_text() for t in ax.texts)
    matplotlib.pyplot.close(own_fig)

    with pytest.raises(ValueError, match="highlight"):
        draw_graph(out, highlight=[Value(1.0)])
