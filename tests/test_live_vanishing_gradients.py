"""Chapter 5's live figure (plots.gradients.GradientProfile): it shows what it claims, fast."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from backproplab.plots.gradients import GradientProfile  # noqa: E402
from backproplab.plots.live import FRAME_DPI, LIVE_DPI  # noqa: E402
from backproplab.studies.gradient_flow import deep_network, fixed_batch  # noqa: E402

DEFAULTS = dict(activation="sigmoid", init="xavier", depth=20, weight_scale=1.0, residual=False)


@pytest.fixture(scope="module")
def figure():
    return GradientProfile()


def network_sizes(activation, init, depth, weight_scale, residual):
    """Mean |dL/dW| per layer from the library's layer-by-layer backward pass, 5 seeds averaged."""
    X, y = fixed_batch(64, 32, 1, seed=0)
    rows = []
    for seed in range(5):
        net = deep_network(depth, 32, 32, activation, init, residual=residual,
                           weight_scale=weight_scale, seed=seed)
        net.loss_and_grads(X, y, "mse")
        rows.append([stats["mean_abs"] for stats in net.gradient_stats()])
    return np.mean(rows, axis=0)


@pytest.mark.parametrize("setting", [
    dict(activation="sigmoid", init="xavier", depth=6, weight_scale=1.0, residual=False),
    dict(activation="tanh", init="he", depth=9, weight_scale=2.5, residual=True),
    dict(activation="relu", init="normal", depth=4, weight_scale=0.3, residual=False),
])
def test_the_line_shows_every_layer_of_the_network(figure, setting):
    figure.update(**setting)
    expected = network_sizes(**setting)
    np.testing.assert_array_equal(figure.line.get_xdata(), np.arange(1, setting["depth"] + 1))
    np.testing.assert_allclose(figure.line.get_ydata(), expected, rtol=1e-10)
    assert not figure.notes["below"].get_text() and not figure.notes["above"].get_text()
    ratio = figure.title.get_text().split("first/last layer = ")[1]
    assert float(ratio) == pytest.approx(expected[0] / expected[-1], rel=0.06)  # 2 digits shown


@pytest.mark.parametrize("setting, side", [
    (dict(activation="sigmoid", init="normal", depth=20, weight_scale=0.1, residual=False),
     "below"),
    (dict(activation="relu", init="he", depth=30, weight_scale=5.01, residual=False), "above"),
])
def test_sizes_beyond_the_axis_are_drawn_on_its_edge_and_counted(figure, setting, side):
    figure.update(**setting)
    expected = network_sizes(**setting)
    edge = 1e-40 if side == "below" else 1e40
    outside = expected < edge if side == "below" else expected > edge
    assert 0 < outside.sum() < len(expected)  # the setting crosses the edge
    layers = np.arange(1, len(expected) + 1)
    np.testing.assert_array_equal(figure.edges[side].get_xdata(), layers[outside])
    np.testing.assert_array_equal(figure.edges[side].get_ydata(), edge)
    line = np.asarray(figure.line.get_ydata())
    np.testing.assert_array_equal(line[outside], edge)
    np.testing.assert_allclose(line[~outside], expected[~outside], rtol=1e-10)
    np.testing.assert_array_equal(figure.line.get_markevery(), ~outside)
    extreme = expected.min() if side == "below" else expected.max()
    note = figure.notes[side].get_text()
    count = int(outside.sum())
    assert f"{count} layer{'s' * (count > 1)} {side}" in note and f"{extreme:.1e}" in note
    other = "above" if side == "below" else "below"
    assert figure.edges[other].get_xdata().size == 0 and not figure.notes[other].get_text()


def test_zero_and_overflowed_sizes_are_marked_not_dropped(monkeypatch):
    figure = GradientProfile()
    sizes = np.array([0.0, 1e-50, 1.0, 1e50, np.inf, np.nan])
    monkeypatch.setattr(figure, "sizes", lambda *args: sizes)
    figure.update(**{**DEFAULTS, "depth": 6})
    np.testing.assert_array_equal(figure.edges["below"].get_xdata(), [1, 2])
    np.testing.assert_array_equal(figure.edges["above"].get_xdata(), [4, 5, 6])
    np.testing.assert_array_equal(figure.line.get_ydata(), [1e-40, 1e-40, 1.0, 1e40, 1e40, 1e40])
    assert "2 layers below" in figure.notes["below"].get_text()
    assert "smallest 0.0e+00" in figure.notes["below"].get_text()
    assert "3 layers above" in figure.notes["above"].get_text()


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


@pytest.mark.parametrize("page, dpi", [(False, LIVE_DPI), (True, FRAME_DPI)])
def test_png_has_the_figure_size_in_pixels(page, dpi):
    image = _image(GradientProfile(max_depth=10, page=page).png(**{**DEFAULTS, "depth": 5}))
    assert image.size == (int(6.4 * dpi), int(3.6 * dpi))  # 6.4 x 3.6 inches


def test_settings_differ_and_nothing_stale_is_left(figure):
    deep = {**DEFAULTS, "depth": 60, "weight_scale": 0.1, "init": "normal"}  # off the axis
    first = figure.png(**DEFAULTS)
    assert figure.png(**deep) != first
    assert figure.png(**{**DEFAULTS, "residual": True}) != first
    assert figure.png(**DEFAULTS) == first
    assert GradientProfile().png(**DEFAULTS) == first  # the same as a figure drawn afresh


def test_the_axes_never_change_so_the_background_is_drawn_once(full_draws):
    figure = GradientProfile()
    draws = full_draws(figure)
    limits = (figure.ax.get_xlim(), figure.ax.get_ylim())
    for setting in [DEFAULTS, {**DEFAULTS, "depth": 60}, {**DEFAULTS, "weight_scale": 5.0},
                    {**DEFAULTS, "activation": "relu", "residual": True}]:
        assert figure.update(**setting) is None
        figure.png(**setting)
        assert (figure.ax.get_xlim(), figure.ax.get_ylim()) == limits
    assert len(draws) == 1
    assert limits == ((0, 61), (1e-40, 1e40))


@pytest.mark.parametrize("change, error, words", [
    ({"depth": 1}, ValueError, "depth must be between 2 and 60"),
    ({"depth": 61}, ValueError, "depth must be between 2 and 60"),
    ({"depth": 2.5}, TypeError, "depth"),
    ({"activation": "softplus"}, ValueError, "activation"),
    ({"init": "glorot"}, ValueError, "init"),
    ({"weight_scale": 0.0}, ValueError, "weight_scale"),
    ({"residual": "yes"}, TypeError, "residual"),
])
def test_bad_settings_are_named(figure, change, error, words):
    with pytest.raises(error, match=words):
        figure.update(**{**DEFAULTS, **change})


def test_max_depth_must_allow_a_hidden_layer():
    with pytest.raises(ValueError, match="max_depth"):
        GradientProfile(max_depth=1)
