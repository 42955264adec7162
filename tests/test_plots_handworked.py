"""Tests of backproplab.plots.handworked: one gradient step drawn before, after and as a change.

Expected numbers are written from the parameters chosen here (the forward pass by hand with
math.exp), not read back from the figure code.
"""

import io
import math

import numpy as np
import pytest
from IPython.display import Image as IPythonImage
from matplotlib.patches import Circle
from PIL import Image

from backproplab.layers import Activation, Dense
from backproplab.network import Sequential
from backproplab.plots import style
from backproplab.plots.handworked import UpdateFigure, update_image
from backproplab.plots.network import _format
from backproplab.studies.stepthrough import record_pass

X = [0.5, -1.0]
W1 = np.array([[0.8, -0.5], [0.4, 0.9]])
B1 = np.array([0.1, -0.2])
W2_BEFORE, W2_AFTER = np.array([[1.2], [-0.7]]), np.array([[2.4], [-0.7]])
B2_BEFORE, B2_AFTER = np.array([0.3]), np.array([0.25])


def _record(W2, b2, x=X, y=1.0):
    model = Sequential([Dense(2, 2, W=W1, b=B1), Activation("relu"),
                        Dense(2, 1, W=W2, b=b2), Activation("sigmoid")])
    return record_pass(model, x, y, loss="mse")


def _after(w21, b2):
    """The pass after an update that sets W2[0] to ``w21`` and b2 to ``b2``."""
    return _record(np.array([[w21], [-0.7]]), np.array([b2]))


@pytest.fixture(scope="module")
def before():
    return _record(W2_BEFORE, B2_BEFORE)


@pytest.fixture(scope="module")
def figure(before):
    return UpdateFigure(before, _after)


def _texts(ax):
    return [t.get_text() for t in ax.texts if t.get_text()]


def _prediction(w21, b2):
    # hidden pre-activations: 0.5*0.8 - 1.0*0.4 + 0.1 = 0.1 and 0.5*(-0.5) - 0.9 - 0.2 < 0
    return 1 / (1 + math.exp(-(0.1 * w21 + b2)))


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png)).size


def test_three_panels_of_five_units(figure):
    figure.png(w21=2.4, b2=0.25)
    assert len(figure.figure.axes) == 3
    for ax in figure.figure.axes:
        assert sum(isinstance(p, Circle) for p in ax.patches) == 5


def test_boxes_give_prediction_and_loss(figure):
    figure.png(w21=2.4, b2=0.25)
    p_before, p_after = _prediction(1.2, 0.3), _prediction(2.4, 0.25)
    before, after, change = (box.get_text() for box in figure.boxes)
    assert before.startswith("before") and after.startswith("after")
    assert change.startswith("change")
    assert f"{p_before:.4f}" in before and f"{(p_before - 1) ** 2:.4f}" in before
    assert f"{p_after:.4f}" in after and f"{(p_after - 1) ** 2:.4f}" in after
    assert f"{p_after - p_before:+.4f}" in change
    assert f"{(p_after - 1) ** 2 - (p_before - 1) ** 2:+.4f}" in change
    for box, ax in zip(figure.boxes, figure.axes, strict=True):
        assert box in ax.texts  # each row carries its own numbers


def test_a_loss_near_zero_is_not_written_as_zero(before):
    # w21 = 60 drives the prediction to within 3e-3 of the target 1: L ~ 6e-6
    figure = UpdateFigure(before, _after)
    figure.png(w21=60.0, b2=0.25)
    loss = (_prediction(60.0, 0.25) - 1) ** 2
    assert 0 < loss < 1e-4
    assert f"{loss:.3g}" in figure.boxes[1].get_text()
    assert "0.0000" not in figure.boxes[1].get_text()


def _extent(text, renderer):
    patch = text.get_bbox_patch()
    return (patch if patch is not None else text).get_window_extent(renderer)


def test_rows_stack_in_the_column_with_readable_text_that_never_overlaps(before):
    """Before above after above change, every text at >= 11 pt inside a figure the column holds,
    and no text over another or over a unit it is not written on, whatever the update."""
    figure = UpdateFigure(before, _after, page=True)
    width, height = figure.figure.get_size_inches()
    assert width <= style.MAX_WIDTH
    tops = [ax.get_position().y1 for ax in figure.axes]
    assert tops == sorted(tops, reverse=True)
    for ax in figure.axes[1:]:  # rows line up: a unit sits above the same unit
        assert ax.get_xlim() == figure.axes[0].get_xlim()
    for w21, b2 in [(2.4, 0.25), (-1.0, 0.9), (1.2 + 3e-4, 0.3 - 0.00668), (9.0, -3.0)]:
        png = figure.png(w21=w21, b2=b2)
        assert not style.problems(style.audit(figure.figure, figure.figure.dpi, png))
        renderer = figure.figure.canvas.get_renderer()
        page = figure.figure.bbox
        for ax in figure.axes:
            texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
            boxes = [_extent(t, renderer) for t in texts]
            units = [c.get_window_extent(renderer) for c in ax.patches if isinstance(c, Circle)]
            for i, box in enumerate(boxes):
                assert texts[i].get_fontsize() >= style.MIN_TEXT_PX
                assert page.x0 <= box.x0 and box.x1 <= page.x1, texts[i].get_text()
                assert page.y0 <= box.y0 and box.y1 <= page.y1, texts[i].get_text()
                for j in range(i + 1, len(boxes)):
                    assert not box.overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
                for unit in units:
                    inside = (unit.x0 <= box.x0 and box.x1 <= unit.x1
                              and unit.y0 <= box.y0 and box.y1 <= unit.y1)
                    assert inside or not box.overlaps(unit), texts[i].get_text()


def test_panels_write_weights_biases_and_changes(figure):
    figure.png(w21=2.4, b2=0.25)
    before, after, change = (_texts(ax) for ax in figure.figure.axes)
    for w in W1.ravel():
        assert _format(w) in before and _format(w) in after
    assert "1.2" in before and "2.4" in after and "2.4" not in before
    assert "b 0.3" in before and "b 0.25" in after
    assert "0.1" in before  # the active hidden unit's activation, written on the unit
    assert _format(_prediction(2.4, 0.25), 4) in after  # units: 4 digits, like the boxes
    # the change panel: W2 moved by (1.2, 0), b2 by -0.05, nothing else
    assert "1.2" in change and "Δb -0.05" in change
    assert change.count("0") == 5  # the four first-layer weights and W2[1] did not move
    assert "Δb 0" in change


def test_the_output_unit_and_its_box_write_the_same_prediction(figure):
    figure.png(w21=2.4, b2=0.25)
    for row, p in [(0, _prediction(1.2, 0.3)), (1, _prediction(2.4, 0.25))]:
        written = [t.get_text() for t in figure.axes[row].texts
                   if t.get_text() and abs(t.get_position()[1]) < 1e-9
                   and t.get_position()[0] > 0 and t not in figure.boxes]
        assert f"{p:.4f}" in written, written  # on the output unit: 0.6201, not 0.62
        assert f"$\\hat y$ = {p:.4f}" in figure.boxes[row].get_text()


def test_after_uses_the_edge_scale_of_before(figure):
    figure.png(w21=2.4, b2=0.25)
    scale = 1.2  # the largest |weight| before the step
    expected = [0.5 + 5.0 * math.sqrt(abs(w) / scale) for w in W1.ravel()]
    before, after, _ = figure.figure.axes
    for ax in (before, after):
        coloured = ax.lines[1::2]  # every edge: a grey base line, then its coloured line
        np.testing.assert_allclose([line.get_linewidth() for line in coloured[:4]], expected)
    assert before.lines[-1].get_linewidth() == pytest.approx(0.5 + 5.0 * math.sqrt(0.7 / 1.2))
    assert before.lines[-3].get_linewidth() == pytest.approx(5.5)  # 1.2, the largest
    assert after.lines[-3].get_linewidth() == pytest.approx(5.5)  # 2.4 saturates


def test_only_after_and_change_move(before, figure):
    still = _texts(figure.figure.axes[0])
    first = figure.png(w21=2.4, b2=0.25)
    second = figure.png(w21=-1.0, b2=0.9)
    assert _texts(figure.figure.axes[0]) == still
    assert figure.update(w21=0.0, b2=0.0) is None  # one background for every setting
    assert first != second
    assert figure.png(w21=2.4, b2=0.25) == first
    width, height = figure.figure.get_size_inches() * figure.figure.dpi
    assert _png_size(first) == (int(width), int(height))


def test_update_image_is_the_figure_as_a_png(before):
    image = update_image(before, _after(2.4, 0.25))
    assert isinstance(image, IPythonImage)
    png = UpdateFigure(before, lambda: _after(2.4, 0.25), page=True).png()
    assert image.data == png
    width, _ = _png_size(png)
    assert width == 2 * image.width  # sharp: two image pixels per CSS pixel
    assert image.width <= style.COLUMN_PX


def test_rejects_mismatched_records(before):
    with pytest.raises(TypeError, match="after must be a PassRecord"):
        UpdateFigure(before, lambda: "not a record").png()
    with pytest.raises(TypeError, match="before must be a PassRecord"):
        UpdateFigure(None, _after)
    with pytest.raises(TypeError, match="after must be a function"):
        UpdateFigure(before, before)
    other_x = _record(W2_AFTER, B2_AFTER, x=[0.4, -1.0])
    with pytest.raises(ValueError, match="same sample"):
        update_image(before, other_x)
    bigger = record_pass(Sequential([Dense(2, 3, seed=0), Activation("relu"), Dense(3, 1, seed=1)]),
                         X, 1.0)
    with pytest.raises(ValueError, match="same network"):
        update_image(before, bigger)
