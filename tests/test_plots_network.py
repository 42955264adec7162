"""Tests of backproplab.plots.network: network diagrams and the step-through figure.

The drawings are checked for what a reader relies on: one circle per unit, the
values written on the units equal to numbers computed here by hand (a forward
pass written out with NumPy, gradients by central differences), colours that
follow sign and size, an image that depends only on the setting shown, and alt
text that names every value shown.
"""

import base64
import io

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest
from IPython.display import Image as IPythonImage
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from PIL import Image

from backproplab.autograd import Value
from backproplab.layers import Activation, Dense
from backproplab.network import MLP, Sequential
from backproplab.plots import style
from backproplab.plots.network import (
    COLUMN_GAP,
    ROW_GAP,
    NetworkDiagram,
    PassExplorer,
    StepFigure,
    _format,
    _sqrt_norm,
    describe_step,
    factor_digits,
    graph_backward_animation,
    network_positions,
    step_image,
    stepthrough_animation,
)
from backproplab.studies.stepthrough import record_pass

BIASES = ([0.1, -0.2, 0.3], [0.2, -0.1], [0.05])  # chapter 3's network


def _chapter_net():
    net = MLP([2, 3, 2, 1], activation="tanh", seed=3)
    for layer, bias in zip(net.dense_layers(), BIASES, strict=True):
        layer.b = bias
    return net


@pytest.fixture(scope="module")
def record():
    return record_pass(_chapter_net(), [0.5, -1.0], 0.8)


@pytest.fixture(scope="module")
def small_record():
    model = MLP([2, 1], output_activation="sigmoid", seed=1)
    return record_pass(model, [0.05, 0.1], 0.01)


@pytest.fixture(scope="module")
def explorer():
    return PassExplorer(_chapter_net())


def _two_layer(W1, b1, W2, b2, hidden):
    return Sequential([Dense(2, 2, W=W1, b=b1), Activation(hidden),
                       Dense(2, 1, W=W2, b=b2), Activation("sigmoid")])


def _tutorial_record():
    """Chapter 4's 2-2-1 sigmoid network of the tutorial, its sample and its loss."""
    model = _two_layer([[0.15, 0.20], [0.25, 0.30]], [0.35, 0.35], [[0.40], [0.45]], [0.60],
                       "sigmoid")
    return record_pass(model, [0.05, 0.10], 0.01, "half_mse")


def _lesson_record():
    """Chapter 4's ReLU -> sigmoid network of the lesson, with its dead hidden unit."""
    model = _two_layer(np.array([[0.8, 0.4], [-0.5, 0.9]]).T, [0.1, -0.2],
                       np.array([[1.2, -0.7]]).T, [0.3], "relu")
    return record_pass(model, [0.5, -1.0], 1.0, "mse")


def _unit_digits(record, index, column, digits=3):
    """The significant digits the step-through writes a column's values with: one more
    than ``digits``, or in the step computing dL/dW_k, on column k, the factor digits."""
    step = record.steps[index]
    if step.kind == "dense_back" and column == step.layer:
        return factor_digits(record.a[step.layer - 1], record.delta[step.layer], digits)
    return digits + 1


def _diagram(sizes, **kwargs):
    ax = Figure().add_subplot()
    return ax, NetworkDiagram(ax, sizes, **kwargs)


def _circles(ax):
    return [p for p in ax.patches if isinstance(p, Circle)]


def _texts(ax):
    return [t.get_text() for t in ax.texts if t.get_text()]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png)).size


def _pixel_size(figure) -> tuple[int, int]:
    width, height = figure.get_size_inches() * figure.dpi
    return int(width), int(height)  # the canvas truncates


def test_positions_are_centred_columns():
    positions = network_positions([2, 3, 1])
    assert [p.shape for p in positions] == [(2, 2), (3, 2), (1, 2)]
    np.testing.assert_allclose(positions[1][:, 0], 1 * COLUMN_GAP)
    np.testing.assert_allclose(positions[1][:, 1], [ROW_GAP, 0, -ROW_GAP])
    np.testing.assert_allclose(positions[0][:, 1], [ROW_GAP / 2, -ROW_GAP / 2])
    assert positions[2][0, 1] == 0


def test_diagram_writes_values_on_units_and_edges():
    W1, W2 = np.array([[0.15, 0.2], [0.25, 0.3]]), np.array([[0.4], [0.45]])
    ax, diagram = _diagram([2, 2, 1], edge_labels=True)
    diagram.show(node_values=[[0.05, 0.1], [0.5933, 0.5969], [0.7514]], edge_values=[W1, W2],
                 notes=[None, ["b 0.35", "b 0.35"], ["b 0.6"]])
    assert len(_circles(ax)) == 5
    texts = _texts(ax)
    for expected in ["0.05", "0.1", "0.593", "0.597", "0.751", "0.15", "0.2", "0.25", "0.3",
                     "0.4", "0.45", "b 0.6"]:
        assert expected in texts
    assert texts.count("b 0.35") == 2
    # every edge is drawn twice: a grey base line and a coloured line
    assert len(ax.lines) == 2 * (4 + 2)


def test_showing_nothing_clears_what_was_shown():
    ax, diagram = _diagram([2, 2, 1])
    diagram.show(node_values=[[1.0, 2.0], [3.0, 4.0], [5.0]],
                 edge_values=[np.ones((2, 2)), np.ones((2, 1))], notes=[None, ["a", "b"], ["c"]])
    diagram.show()
    assert _texts(ax) == []
    assert not any(line.get_visible() for line in ax.lines[1::2])
    assert all(c.get_facecolor() == (1.0, 1.0, 1.0, 1.0) for c in _circles(ax))


def test_edge_labels_auto_only_labels_small_layers():
    rng = np.random.default_rng(0)
    edges = [rng.normal(size=(3, 3)), rng.normal(size=(3, 1))]
    ax, diagram = _diagram([3, 3, 1], edge_labels="auto")
    diagram.show(edge_values=edges)
    texts = _texts(ax)
    assert all(_format(v) in texts for v in edges[1].ravel())
    assert sum(_format(v) in texts for v in edges[0].ravel()) == 0


def test_colours_and_widths_follow_sign_and_size():
    ax, diagram = _diagram([3, 1])
    diagram.show(node_values=[[-2.0, 0.0, 2.0], None], edge_values=[[[-4.0], [1.0], [8.0]]],
                 edge_scale=4.0)
    cmap = matplotlib.colormaps["PuOr"]
    fills = [c.get_facecolor() for c in _circles(ax)[:3]]
    np.testing.assert_allclose(fills[0], cmap(0.0))
    np.testing.assert_allclose(fills[1], cmap(0.5))
    np.testing.assert_allclose(fills[2], cmap(1.0))
    # edges at scale 4: -4 is darkest orange, 1 = sqrt(1/4) = half way to purple, 8 saturates
    edges = ax.lines[1::2]
    np.testing.assert_allclose(matplotlib.colors.to_rgba(edges[0].get_color()), cmap(0.0))
    np.testing.assert_allclose(matplotlib.colors.to_rgba(edges[1].get_color()), cmap(0.75))
    np.testing.assert_allclose(matplotlib.colors.to_rgba(edges[2].get_color()), cmap(1.0))
    assert [e.get_linewidth() for e in edges] == pytest.approx([5.5, 3.0, 5.5])
    norm = _sqrt_norm(4.0)
    assert norm(4.0) == pytest.approx(1.0) and norm(-4.0) == pytest.approx(0.0)
    assert norm(1.0) == pytest.approx(0.75)


def test_diagram_rejects_bad_shapes():
    _, diagram = _diagram([2, 3])
    with pytest.raises(ValueError, match="edge_values\\[0\\] must have shape \\(2, 3\\)"):
        diagram.show(edge_values=[np.ones((3, 2))])
    with pytest.raises(ValueError, match="node_values must have 2 entries"):
        diagram.show(node_values=[np.ones(2)])
    with pytest.raises(ValueError, match="notes must have 2 entries"):
        diagram.show(notes=[None])
    with pytest.raises(ValueError, match="notes\\[1\\] must have 3 strings"):
        diagram.show(notes=[None, ["b 1"]])
    with pytest.raises(ValueError, match="edge_labels"):
        _diagram([2, 3], edge_labels="some")
    with pytest.raises(ValueError, match="sizes"):
        _diagram([2])


def _written(figure) -> list[str]:
    ax = figure.figure.axes[0]
    return _texts(ax)


def test_every_frame_writes_the_recorded_numbers(small_record):
    figure = StepFigure(small_record.sizes)
    for index in range(len(small_record.steps)):
        frame = small_record.frame(index)
        figure.png(record=small_record, step=index)
        texts = _written(figure)
        for c, state in enumerate(frame.columns):
            if state is not None:
                digits = _unit_digits(small_record, index, c)
                assert all(_format(v, digits) in texts for v in state.values)
        assert figure.title.get_text().startswith(f"{frame.step.phase} {index + 1}/7")
        assert len(_circles(figure.figure.axes[0])) == 3


def test_forward_frames_show_a_forward_pass_done_by_hand(explorer):
    net = _chapter_net()
    W1, W2, W3 = (layer.W for layer in net.dense_layers())
    x = np.array([1.0, 0.5])
    a1 = np.tanh(x @ W1 + BIASES[0])
    a2 = np.tanh(a1 @ W2 + BIASES[1])
    y_hat = a2 @ W3 + BIASES[2]
    explorer.png(x1=1.0, x2=0.5, target=-0.3, step=6)  # the loss step: every column filled
    texts = _written(explorer)
    for value in [*x, *a1, *a2, *y_hat]:
        assert _format(value, 4) in texts  # units: one digit more than the edges
    assert f"L = {0.5 * (y_hat[0] + 0.3) ** 2:.4g}" in explorer.side.get_text()


def test_last_frame_shows_gradients_from_central_differences(explorer):
    net = _chapter_net()
    W1, W2, W3 = (layer.W for layer in net.dense_layers())

    def loss(x):
        a2 = np.tanh(np.tanh(x @ W1 + BIASES[0]) @ W2 + BIASES[1])
        return 0.5 * (a2 @ W3 + BIASES[2] - 0.4)[0] ** 2

    x, eps = np.array([-0.7, 1.2]), 1e-6
    dL_dx = [(loss(x + eps * e) - loss(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    explorer.png(x1=-0.7, x2=1.2, target=0.4, step=12)
    written = [float(text) for text in (t.get_text() for t in explorer.diagram.values[0])]
    np.testing.assert_allclose(written, dL_dx, rtol=5e-3)
    assert explorer.symbols[0].get_text() == r"$\partial L/\partial x$"
    # every bias gradient is known: the notes say it is the delta written on the unit, and the
    # numbers on the units are indeed the bias gradients, by central differences
    for c, bias in [(1, BIASES[0]), (2, BIASES[1])]:
        bias, dL_db = np.array(bias, dtype=float), []
        for step in eps * np.eye(len(bias)):
            dL_db.append((_loss_with_bias(net, c, bias + step, x)
                          - _loss_with_bias(net, c, bias - step, x)) / (2 * eps))
        assert [t.get_text() for t in explorer.diagram.notes[c]] == ["∂L/∂b = δ"] * len(bias)
        on_units = [float(t.get_text()) for t in explorer.diagram.values[c]]
        np.testing.assert_allclose(on_units, dL_db, rtol=5e-3, atol=1e-6)


def _loss_with_bias(net, c, bias, x, target=0.4):
    """The loss of the chapter's network with the biases of layer ``c`` replaced."""
    Ws = [layer.W for layer in net.dense_layers()]
    bs = [np.array(b, dtype=float) for b in BIASES]
    bs[c - 1] = bias
    a = x
    for k, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        a = a @ W + b
        if k < 2:
            a = np.tanh(a)
    return 0.5 * (a[0] - target) ** 2


def test_colour_bars_give_the_scales_of_the_phase(record):
    figure = StepFigure(record.sizes)
    figure.png(record=record, step=3)  # forward: units by values, edges by weights
    largest_unit = np.abs(np.concatenate([record.a[c] for c in range(4)]
                                         + [record.z[k] for k in range(1, 4)])).max()
    largest_weight = max(np.abs(record.W[k]).max() for k in range(1, 4))
    units, edges = figure.bars
    assert (units.low.get_text(), units.high.get_text()) == (
        _format(-largest_unit, 4), _format(largest_unit, 4))
    assert edges.high.get_text() == _format(largest_weight)
    assert units.caption.get_text() == "unit values"
    figure.png(record=record, step=12)
    largest_grad = max(np.abs(record.dW[k]).max() for k in range(1, 4))
    assert edges.high.get_text() == _format(largest_grad)
    assert units.caption.get_text() == "unit gradients"


def test_background_key_is_the_phase(record):
    figure = StepFigure(record.sizes)
    keys = [figure.update(record=record, step=i) for i in range(len(record.steps))]
    assert keys == ["forward"] * 7 + ["backward"] * 6


def test_png_has_the_figure_size_and_depends_only_on_the_setting(explorer):
    first = explorer.png(x1=0.5, x2=-1.0, target=0.8, step=12)
    assert _png_size(first) == _pixel_size(explorer.figure)
    other_target = explorer.png(x1=0.5, x2=-1.0, target=-1.5, step=12)
    forward = explorer.png(x1=0.5, x2=-1.0, target=0.8, step=2)
    again = explorer.png(x1=0.5, x2=-1.0, target=0.8, step=12)
    assert len({first, other_target, forward}) == 3
    assert again == first


def test_page_frames_fit_the_column_sharp_and_no_larger_than_live_ones(record):
    """A page frame is the live figure at twice the pixel density: it fits the column, its
    text reads at 11 CSS px or more, and its palette keeps the file smaller than a live frame
    with half its pixels across."""
    live_figure, page_figure = StepFigure(record.sizes), StepFigure(record.sizes, page=True)
    width, _ = page_figure.figure.get_size_inches()
    assert width <= style.MAX_WIDTH
    assert tuple(live_figure.figure.get_size_inches()) == tuple(
        page_figure.figure.get_size_inches())
    for step in (4, 8, 12):
        live = live_figure.png(record=record, step=step)
        page = page_figure.png(record=record, step=step)
        assert _png_size(page)[0] == int(width * style.FRAME_DPI)  # 2x density
        assert _png_size(page)[0] > _png_size(live)[0]
        assert not style.problems(style.audit(page_figure.figure, style.FRAME_DPI, page))
        assert len(page) <= len(live)


def _extent(text, renderer):
    patch = text.get_bbox_patch()
    return (patch if patch is not None else text).get_window_extent(renderer)


@pytest.mark.parametrize("make_record", [
    lambda: record_pass(_chapter_net(), [0.5, -1.0], 0.8),
    lambda: record_pass(_chapter_net(), [-2.0, 2.0], -2.0),
    lambda: record_pass(_chapter_net(), [0.05, -0.05], 1.95),
    _tutorial_record, _lesson_record,
], ids=["chapter3", "chapter3-far", "chapter3-near-zero", "tutorial", "lesson"])
def test_no_text_overlaps_another_or_a_unit_in_any_frame(make_record):
    """Every text of every page frame is inside the figure, at least 11 pt, at least 2 pt
    clear of every other text, and over no unit but the one it is written on."""
    record = make_record()
    figure = StepFigure(record.sizes, page=True)
    ax = figure.figure.axes[0]
    for step in range(len(record.steps)):
        figure.png(record=record, step=step)
        renderer = figure.figure.canvas.get_renderer()
        page = figure.figure.bbox
        texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
        assert len(texts) > sum(record.sizes)
        boxes = [_extent(t, renderer).padded(1) for t in texts]  # 1 px each side at 144 dpi
        units = [c.get_window_extent(renderer) for c in ax.patches if isinstance(c, Circle)]
        for i, box in enumerate(boxes):
            name = texts[i].get_text()
            assert texts[i].get_fontsize() >= style.MIN_TEXT_PX, name
            assert page.x0 <= box.x0 and box.x1 <= page.x1, name
            assert page.y0 <= box.y0 and box.y1 <= page.y1, name
            for j in range(i + 1, len(boxes)):
                assert not box.overlaps(boxes[j]), (step, name, texts[j].get_text())
            for unit in units:
                inside = (unit.x0 <= box.x0 and box.x1 <= unit.x1
                          and unit.y0 <= box.y0 and box.y1 <= unit.y1)
                assert inside or not box.overlaps(unit), (step, name)


def test_gradient_steps_show_both_factors_and_their_product(record):
    """In the frame that computes dL/dW_k, the units layer k starts from show their
    activations underneath, the units it ends at show delta_k, and each edge of layer k is
    labelled with the product, computed here from a forward pass written out by hand."""
    net = _chapter_net()
    W1, W2, W3 = (layer.W for layer in net.dense_layers())
    x = np.array([0.5, -1.0])
    a1 = np.tanh(x @ W1 + BIASES[0])
    a2 = np.tanh(a1 @ W2 + BIASES[1])
    y_hat = a2 @ W3 + BIASES[2]
    delta3 = y_hat - 0.8
    delta2 = (delta3 @ W3.T) * (1 - a2**2)
    delta1 = (delta2 @ W2.T) * (1 - a1**2)
    by_hand = {1: (x, delta1, "x"), 2: (a1, delta2, "a_1"), 3: (a2, delta3, "a_2")}
    figure = StepFigure(record.sizes, page=True)
    diagram = figure.diagram
    steps = [i for i, s in enumerate(record.steps) if s.kind == "dense_back"]
    assert [record.steps[i].layer for i in steps] == [3, 2, 1]
    for index in steps:
        k = record.steps[index].layer
        a, delta, symbol = by_hand[k]
        digits = _unit_digits(record, index, k)
        assert digits >= 4  # the factors have at least one digit more than the products
        figure.png(record=record, step=index)
        notes = [t.get_text() for t in diagram.notes[k - 1]]
        assert notes == [f"${symbol}$ = {_format(v, digits)}" for v in a]
        assert [t.get_text() for t in diagram.values[k]] == [_format(v, digits) for v in delta]
        labels = [[t.get_text() for t in row] for row in diagram.edge_texts[k - 1]]
        assert labels == [[_format(ai * dj) for dj in delta] for ai in a]
        for other in range(1, k):  # layers whose gradients are not known yet: no labels
            assert not any(t.get_text() for row in diagram.edge_texts[other - 1] for t in row)
        text = describe_step(record, index)
        name = "x" if k == 1 else f"a{k - 1}"
        for ai, row in zip(a, np.outer(a, delta), strict=True):
            assert (f"from {name} = {_format(ai, digits)}: ["
                    + ", ".join(_format(v) for v in row) + "]") in text


def _significant(text: str) -> int:
    """The number of significant digits of a number written like 0.00345 or -1.2e-5."""
    return len(text.lstrip("-").split("e")[0].replace(".", "").lstrip("0"))


def _written_factors_and_products(figure, k):
    """The activations written under layer k's source units, the deltas on its target units
    and the labels on its edges, as the figure shows them."""
    diagram = figure.diagram
    a = [t.get_text().split(" = ")[1] for t in diagram.notes[k - 1]]
    delta = [t.get_text() for t in diagram.values[k]]
    return a, delta, [[t.get_text() for t in row] for row in diagram.edge_texts[k - 1]]


@pytest.mark.parametrize("make_record", [
    lambda: record_pass(_chapter_net(), [0.5, -1.0], 0.8),
    lambda: record_pass(_chapter_net(), [-2.0, 2.0], -2.0),
    _tutorial_record, _lesson_record,
    lambda: record_pass(MLP([2, 4, 3, 1], activation="sigmoid", seed=7), [0.3, -0.9], 0.2),
], ids=["chapter3", "chapter3-far", "tutorial", "lesson", "sigmoid-2-4-3-1"])
def test_every_weight_gradient_checks_by_eye_to_its_last_digit(make_record):
    """In every frame that computes dL/dW_k, a reader who multiplies the factors as written
    and rounds to the digits of the label gets the label (0.594 x 0.138 = 0.0820 would not
    check against a label 0.0823); and the factors have more digits than the label."""
    record = make_record()
    figure = StepFigure(record.sizes, page=True)
    for index, step in enumerate(record.steps):
        if step.kind != "dense_back":
            continue
        figure.png(record=record, step=index)
        a, delta, labels = _written_factors_and_products(figure, step.layer)
        k = step.layer
        for i, j in np.ndindex(len(a), len(delta)):
            product = float(a[i]) * float(delta[j])
            assert _format(product) == labels[i][j], (index, i, j, a[i], delta[j])
            assert labels[i][j] == _format(record.dW[k][i, j])
            # each factor is written to more significant digits than the product (trailing
            # zeros dropped: 0.0150025 to 4 digits is 0.015)
            more = range(_significant(labels[i][j]) + 1, 9)
            for written, true in [(a[i], record.a[k - 1][i]), (delta[j], record.delta[k][j])]:
                assert any(written == _format(true, d) for d in more), (written, true)


def test_factor_digits_are_the_fewest_that_check():
    # to 4 digits, 0.4732 x 0.1495 = 0.07074 reads 0.0707 against a true 0.070767, 0.0708...
    assert _format(0.4732 * float(_format(0.14955, 4))) != _format(0.4732 * 0.14955)
    assert factor_digits([0.4732], [0.14955]) == 5  # ...so the factors get 5 digits
    assert factor_digits([0.5945], [0.13849]) == 4
    assert factor_digits([0.5, -1.0], [0.0], digits=2) == 3
    a, delta = np.array([0.593, 0.1]), np.array([0.1385, -0.0071])
    d = factor_digits(a, delta)
    for ai in a:
        for dj in delta:
            assert _format(float(_format(ai, d)) * float(_format(dj, d))) == _format(ai * dj)


def test_bias_notes_turn_to_bias_gradients_when_the_delta_is_known(record):
    """Under a unit, its bias, until the frame that writes delta_k on its column; from then
    on dL/db = delta (for one sample the bias gradient is the delta on the unit)."""
    figure = StepFigure(record.sizes)
    for index, step in enumerate(record.steps):
        figure.png(record=record, step=index)
        frame = record.frame(index)
        for k in range(1, 4):
            state = frame.columns[k]
            known = state is not None and state.name == f"delta{k}"
            notes = [t.get_text() for t in figure.diagram.notes[k]]
            if step.kind == "dense_back" and k == step.layer - 1:
                assert all(n.startswith("$a_") for n in notes)  # the factors of dL/dW
            elif known:
                assert notes == ["∂L/∂b = δ"] * record.sizes[k], (index, k)
            else:
                assert notes == ["b " + _format(v) for v in record.b[k]], (index, k)
    # step 10 of chapter 3 computes delta2: hidden 2 already reads dL/db = delta
    assert record.steps[9].kind == "activation_back" and record.steps[9].layer == 2
    figure.png(record=record, step=9)
    assert [t.get_text() for t in figure.diagram.notes[2]] == ["∂L/∂b = δ"] * 2


@pytest.mark.parametrize("make_record", [lambda: record_pass(_chapter_net(), [0.5, -1.0], 0.8),
                                         _tutorial_record, _lesson_record],
                         ids=["chapter3", "tutorial", "lesson"])
def test_last_frame_labels_every_weight_gradient(make_record):
    record = make_record()
    figure = StepFigure(record.sizes, page=True)
    figure.png(record=record, step=len(record.steps) - 1)
    for k in range(1, record.n_layers + 1):
        labels = [[t.get_text() for t in row] for row in figure.diagram.edge_texts[k - 1]]
        assert labels == [[_format(v) for v in row] for row in record.dW[k]], k


def test_forward_steps_label_the_weights_they_use(record):
    figure = StepFigure(record.sizes)
    for index, step in enumerate(record.steps):
        figure.png(record=record, step=index)
        for k in range(1, 4):
            labels = [t.get_text() for row in figure.diagram.edge_texts[k - 1] for t in row]
            if step.kind == "dense" and step.layer == k:
                assert labels == [_format(v) for v in record.W[k].ravel()]
            elif step.phase == "forward":
                assert not any(labels)
            elif record.frame(index).edge_is_grad[k - 1]:  # backward: known gradients stay
                assert labels == [_format(v) for v in record.dW[k].ravel()]
            else:
                assert not any(labels)


def test_step_figure_rejects_bad_input(record, small_record):
    figure = StepFigure(record.sizes)
    with pytest.raises(ValueError, match="step must be in \\[0, 12\\]; got 13"):
        figure.update(record=record, step=13)
    with pytest.raises(TypeError, match="step must be an integer"):
        figure.update(record=record, step=1.5)
    with pytest.raises(ValueError, match="record must be a pass through a network of widths"):
        figure.update(record=small_record, step=0)
    with pytest.raises(TypeError, match="record must be a PassRecord"):
        figure.update(record="a record", step=0)
    with pytest.raises(ValueError, match="model must have two inputs and one output"):
        PassExplorer(MLP([3, 2, 1], seed=0))
    with pytest.raises(TypeError, match="model must be a Sequential"):
        PassExplorer(Dense(2, 1, seed=0))


def test_alt_text_names_every_value(record):
    text = describe_step(record, len(record.steps) - 1)
    assert "backward step 13 of 13" in text
    for v in [*record.da[0], *record.a[0]]:
        assert _format(v, 4) in text  # units: one digit more than the edges
    for k in (1, 2, 3):  # every weight gradient is on the last frame, and in its alt text
        assert all(_format(v) in text for v in record.dW[k].ravel())
    assert "Edges of layer 1, 2, 3 show weight gradients" in text
    assert "loss 0.012" in text and "y = [0.8]" in text
    forward = describe_step(record, 3)  # z2 = a1 W2 + b2: the weights of layer 2 are written
    for v in [*record.W[2].ravel(), *record.b[1], *record.b[2]]:
        assert f"{v:.3g}" in forward


def test_animation_has_one_image_per_step(small_record):
    widget = stepthrough_animation(small_record)
    stack = widget.children[1]
    assert isinstance(stack, widgets.Stack)
    assert len(stack.children) == len(small_record.steps) == 7
    first = stack.children[0].value
    assert 'alt="Network diagram, forward step 1 of 7' in first
    png = base64.b64decode(first.split("base64,")[1].split('"')[0])
    assert _png_size(png) == _pixel_size(StepFigure(small_record.sizes, page=True).figure)
    assert len({frame.value for frame in stack.children}) == 7


def test_step_image_is_the_page_frame_at_its_css_size(small_record):
    model = Sequential([Dense(2, 1, W=[[0.3], [-0.2]], b=[0.1]), Activation("sigmoid")])
    image = step_image(record_pass(model, [0.05, 0.1], 0.01), 6)
    assert isinstance(image, IPythonImage)
    assert _png_size(image.data) == _pixel_size(StepFigure([2, 1], page=True).figure)
    assert image.width * style.DENSITY == pytest.approx(_png_size(image.data)[0], abs=1)
    with pytest.raises(TypeError, match="record must be a PassRecord"):
        step_image(None, 0)


def test_graph_animation_replays_reverse_mode_node_by_node():
    x, y = Value(3.0, label="x"), Value(-1.0, label="y")
    s = x + y
    s.label = "s"
    f = s * x
    f.label = "f"
    f.backward()  # stale gradients must not leak into the frames
    widget = graph_backward_animation(f)
    frames = widget.children[1].children
    assert len(frames) == 3  # start, visit f, visit s (leaves pass nothing)
    # by hand: f passes x = 3 to s and s = 2 to x; s passes 3 to x and to y
    assert "Gradients now: x = 0, y = 0, s = 0, f = 1" in frames[0].value
    assert "f passes 3 to s, 2 to x" in frames[1].value
    assert "x = 5, y = 3, s = 3, f = 1" in frames[2].value
    for frame in frames:  # 2x density: the image has twice the pixels of its CSS width
        png = base64.b64decode(frame.value.split("base64,")[1].split('"')[0])
        css_width = int(frame.value.split('width="')[1].split('"')[0])
        assert _png_size(png)[0] == pytest.approx(style.DENSITY * css_width, abs=1)
        assert css_width <= style.COLUMN_PX
    assert (x.grad, y.grad, s.grad, f.grad) == (5.0, 3.0, 3.0, 1.0)
    with pytest.raises(TypeError, match="root must be a Value"):
        graph_backward_animation(3.0)
