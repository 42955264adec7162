"""LiveFigure: still parts drawn once per background key, moving artists redrawn on top."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from backproplab import plots  # noqa: E402
from backproplab.plots.live import FRAME_DPI, LIVE_DPI, MAX_BACKGROUNDS, LiveFigure  # noqa: E402


class Dot(LiveFigure):
    """One moving dot over a background whose colour is the background key."""

    def __init__(self, page=False):
        super().__init__(figsize=(2, 1.5), page=page)
        self.ax = self.figure.subplots()
        self.ax.set(xlim=(0, 1), ylim=(0, 1))
        self.dot = self.moving(self.ax.plot([], [], "o", color="red", markersize=12)[0])

    def update(self, x, shade="white"):
        self.dot.set_data([x], [0.5])
        self.ax.set_facecolor(shade)
        return shade


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _red_columns(png: bytes) -> np.ndarray:
    """Columns of the image holding a pure-ish red pixel (where the dot is drawn)."""
    rgb = _pixels(png).astype(int)
    red = (rgb[..., 0] > 200) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)
    return np.flatnonzero(red.any(axis=0))


def test_png_has_the_figure_size_in_pixels():
    image = Image.open(io.BytesIO(Dot().png(x=0.5)))
    assert image.format == "PNG"
    assert image.size == (2 * LIVE_DPI, round(1.5 * LIVE_DPI))


def test_the_dot_moves_and_leaves_nothing_behind():
    figure = Dot()
    left, right = figure.png(x=0.2), figure.png(x=0.8)
    assert _red_columns(left).mean() < _red_columns(right).mean()
    assert figure.png(x=0.2) == left  # no trace of the dot at 0.8 is left


def test_a_background_is_drawn_once_per_key_and_reused(full_draws):
    figure = Dot()
    draws = full_draws(figure)
    figure.png(x=0.1)
    figure.png(x=0.9)
    assert len(draws) == 1
    grey = figure.png(x=0.5, shade="0.8")
    assert len(draws) == 2
    assert _pixels(grey)[60, 40].tolist() == [204, 204, 204]  # inside the axes, grey 0.8
    figure.png(x=0.5)
    assert len(draws) == 2  # the white background was kept


def test_the_oldest_background_is_dropped_beyond_the_limit(full_draws):
    figure = Dot()
    draws = full_draws(figure)
    shades = [f"{0.5 + i / 40:.3f}" for i in range(MAX_BACKGROUNDS + 1)]
    for shade in shades:
        figure.png(x=0.5, shade=shade)
    figure.png(x=0.5, shade=shades[-1])
    assert len(draws) == MAX_BACKGROUNDS + 1
    figure.png(x=0.5, shade=shades[0])
    assert len(draws) == MAX_BACKGROUNDS + 2


def test_page_frames_are_smaller_palette_images():
    live, page = Dot().png(x=0.5), Dot(page=True).png(x=0.5)
    image = Image.open(io.BytesIO(page))
    assert image.mode == "P"
    assert image.size == (2 * FRAME_DPI, round(1.5 * FRAME_DPI))
    assert len(page) < len(live)


def test_a_live_figure_is_not_left_open_in_pyplot():
    before = plt.get_fignums()
    Dot().png(x=0.5)
    assert plt.get_fignums() == before


def test_update_must_be_written_by_a_subclass():
    with pytest.raises(NotImplementedError):
        LiveFigure(figsize=(1, 1)).png(x=1)


# ----- chapter 1's explorer -----------------------------------------------------------------
def test_loss_explorer_shows_hand_derived_losses_and_gradients():
    """At prediction 0.3 and target 1: MSE (0.7)^2 and 2(0.3 - 1); MAE 0.7 and -1;
    BCE -ln 0.3 and -1/0.3."""
    figure = plots.LossExplorer()
    figure.png(prediction=0.3, target=1.0)
    expected_loss = [0.49, 0.7, -np.log(0.3)]
    expected_grad = [-1.4, -1.0, -1 / 0.3]
    for marker, loss in zip(figure.markers, expected_loss, strict=True):
        assert marker.get_ydata()[0] == pytest.approx(loss, rel=1e-9)
    for bar, value, grad in zip(figure.bars, figure.values, expected_grad, strict=True):
        assert bar.get_height() == pytest.approx(grad, rel=1e-9)
        assert value.get_text() == f"{grad:+.3g}"
        assert value.get_va() == "top"  # labels of negative bars hang below them
    assert list(figure.target_line.get_xdata()) == [1.0, 1.0]
    assert figure.curves_title.get_text() == "target y = 1"


def test_loss_explorer_curves_follow_the_target():
    """MSE against the prediction is (p - y)^2: zero at the target, 1/4 at 0 for target 1/2."""
    figure = plots.LossExplorer()
    figure.png(prediction=0.5, target=0.5)
    grid, mse = figure.curves[0].get_data()
    assert np.allclose(mse, (grid - 0.5) ** 2)
    figure.png(prediction=0.5, target=0.0)
    grid, mse = figure.curves[0].get_data()
    assert np.allclose(mse, grid**2)


def test_loss_explorer_draws_the_same_setting_the_same_way():
    figure = plots.LossExplorer()
    first = figure.png(prediction=0.3, target=1.0)
    assert figure.png(prediction=0.9, target=0.0) != first
    assert figure.png(prediction=0.3, target=1.0) == first


def test_image_shows_the_same_png_in_a_notebook():
    figure = Dot()
    assert figure.image(x=0.3).data == figure.png(x=0.3)
