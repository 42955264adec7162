"""Tests of backproplab.plots.network: network diagrams and the step-through frames.

The drawings are checked for what a reader relies on: one circle per unit, the
values written on the units equal to the recorded numbers, colours that follow
sign and size, and alt text that names every value shown.
"""

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from backproplab.autograd import Value  # noqa: E402
from backproplab.network import MLP  # noqa: E402
from backproplab.plots.network import (  # noqa: E402
    COLUMN_GAP,
    ROW_GAP,
    _format,
    _sqrt_norm,
    describe_step,
    draw_network,
    draw_step,
    graph_backward_animation,
    network_positions,
    stepthrough_animation,
)
from backproplab.stepthrough import record_pass  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def record():
    model = MLP([2, 3, 2, 1], activation="tanh", seed=3)
    for i, layer in enumerate(model.dense_layers()):
        layer.b = np.linspace(-0.3, 0.3, layer.n_out) + 0.1 * i
    return record_pass(model, [0.5, -1.0], 0.8)


@pytest.fixture(scope="module")
def small_record():
    model = MLP([2, 1], output_activation="sigmoid", seed=1)
    return record_pass(model, [0.05, 0.1], 0.01)


def _circles(fig):
    return [p for p in fig.axes[0].patches if isinstance(p, Circle)]


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_positions_are_centred_columns():
    positions = network_positions([2, 3, 1])
    assert [p.shape for p in positions] == [(2, 2), (3, 2), (1, 2)]
    np.testing.assert_allclose(positions[1][:, 0], 1 * COLUMN_GAP)
    np.testing.assert_allclose(positions[1][:, 1], [ROW_GAP, 0, -ROW_GAP])
    np.testing.assert_allclose(positions[0][:, 1], [ROW_GAP / 2, -ROW_GAP / 2])
    assert positions[2][0, 1] == 0


def test_draw_network_writes_values_on_units_and_edges():
    W1, W2 = np.array([[0.15, 0.2], [0.25, 0.3]]), np.array([[0.4], [0.45]])
    fig = draw_network([2, 2, 1], node_values=[[0.05, 0.1], [0.5933, 0.5969], [0.7514]],
                       edge_values=[W1, W2], edge_labels=True)
    assert len(_circles(fig)) == 5
    texts = _texts(fig)
    for expected in ["0.05", "0.1", "0.593", "0.597", "0.751", "0.15", "0.2", "0.25", "0.3",
                     "0.4", "0.45"]:
        assert expected in texts
    # every edge is drawn twice: a grey base line and a coloured line
    assert len(fig.axes[0].lines) == 2 * (4 + 2)


def test_edge_labels_auto_only_labels_small_layers():
    rng = np.random.default_rng(0)
    edges = [rng.normal(size=(3, 3)), rng.normal(size=(3, 1))]
    fig = draw_network([3, 3, 1], edge_values=edges, edge_labels="auto")
    texts = _texts(fig)
    assert all(_format(v) in texts for v in edges[1].ravel())
    assert sum(_format(v) in texts for v in edges[0].ravel()) == 0


def test_colours_follow_sign_and_size():
    fig = draw_network([3, 1], node_values=[[-2.0, 0.0, 2.0], None])
    fills = [c.get_facecolor() for c in _circles(fig)[:3]]
    cmap = plt.get_cmap("PuOr")
    np.testing.assert_allclose(fills[0], cmap(0.0))
    np.testing.assert_allclose(fills[1], cmap(0.5))
    np.testing.assert_allclose(fills[2], cmap(1.0))
    norm = _sqrt_norm(4.0)
    assert norm(4.0) == pytest.approx(1.0) and norm(-4.0) == pytest.approx(0.0)
    assert norm(1.0) == pytest.approx(0.75)  # sqrt(1/4) = 1/2 of the way from the middle


def test_draw_network_rejects_bad_shapes():
    with pytest.raises(ValueError, match="edge_values\\[0\\] must have shape \\(2, 3\\)"):
        draw_network([2, 3], edge_values=[np.ones((3, 2))])
    with pytest.raises(ValueError, match="node_values must have 2 entries"):
        draw_network([2, 3], node_values=[np.ones(2)])
    with pytest.raises(ValueError, match="edge_labels"):
        draw_network([2, 3], edge_labels="some")
    with pytest.raises(ValueError, match="sizes"):
        draw_network([2])


def test_every_frame_draws_the_recorded_numbers(small_record):
    record = small_record
    for index in range(len(record.steps)):
        frame = record.frame(index)
        fig = draw_step(record, index)
        assert len(_circles(fig)) == sum(record.sizes)
        texts = _texts(fig)
        for state in frame.columns:
            if state is not None:
                assert all(_format(v) in texts for v in state.values)
        assert fig.axes[0].get_title(loc="left").startswith(frame.step.phase)
        plt.close(fig)


def test_last_frame_shows_gradients(record):
    fig = draw_step(record, len(record.steps) - 1)
    texts = _texts(fig)
    assert any(t.startswith("∂L/∂b " + _format(record.db[1][0])) for t in texts)
    assert any("L = " in t for t in texts)
    assert len(fig.axes[0].child_axes) == 2  # two colour bars


def test_alt_text_names_every_value(record):
    text = describe_step(record, len(record.steps) - 1)
    assert "backward step 13 of 13" in text
    for v in record.da[0]:
        assert f"{v:.3g}" in text
    assert "Edges of layer 1, 2, 3 show weight gradients" in text


def test_animation_has_one_frame_per_step(small_record):
    widget = stepthrough_animation(small_record)
    stack = widget.children[1]
    assert isinstance(stack, widgets.Stack)
    assert len(stack.children) == len(small_record.steps) == 7
    assert 'alt="Network diagram, forward step 1 of 7' in stack.children[0].value


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
    assert (x.grad, y.grad, s.grad, f.grad) == (5.0, 3.0, 3.0, 1.0)
    with pytest.raises(TypeError, match="root must be a Value"):
        graph_backward_animation(3.0)
