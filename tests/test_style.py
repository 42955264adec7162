"""The figure style's arithmetic: pixel sizes, CSS sizes and the smallest text on the page."""

import io
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from backproplab.plots import style, use_style  # noqa: E402
from backproplab.plots.widgets import figure_to_png, image_html  # noqa: E402


def _png(fig, dpi):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)  # no tight crop: the size is the figure's
    plt.close(fig)
    return buffer.getvalue()


def test_png_size_reads_the_header_and_rejects_other_bytes():
    fig = plt.figure(figsize=(3, 2))
    assert style.png_size(_png(fig, 100)) == (300, 200)
    with pytest.raises(ValueError, match="png"):
        style.png_size(b"GIF89a" + bytes(30))


def test_a_point_is_a_css_pixel_at_any_density():
    # 5 in at 144 dpi is 720 px, shown at 2x as 360 CSS px; 12 pt text is then 12 CSS px.
    fig = plt.figure(figsize=(5, 2))
    fig.text(0.5, 0.5, "label", fontsize=12)
    record = style.audit(fig, 144, _png(fig, 144))
    assert (record["width_px"], record["css_width"], record["density"]) == (720, 360, 2)
    assert record["min_text_px"] == 12 and record["min_text"] == "label"
    assert style.problems(record) == []


def test_a_figure_wider_than_the_column_is_shrunk_and_its_text_with_it():
    # 14 in = 1008 CSS px in a 688 px column: scale 688/1008, so 12 pt shows at 8.19 px.
    fig = plt.figure(figsize=(14, 2))
    fig.text(0.5, 0.5, "wide", fontsize=12)
    record = style.audit(fig, 144, _png(fig, 144))
    assert record["css_width"] == 688
    assert record["min_text_px"] == pytest.approx(12 * 688 / 1008, abs=0.01)
    found = " ".join(style.problems(record))
    assert "wider than" in found and "below 11" in found


def test_low_density_and_small_text_are_named():
    fig = plt.figure(figsize=(4, 2))
    fig.text(0.5, 0.5, "small", fontsize=9)
    found = " ".join(style.problems(style.audit(fig, 72, _png(fig, 72))))
    assert "1x pixel density" in found and "'small' shows at 9 CSS px" in found


def test_labels_of_a_hidden_axis_do_not_count():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.tick_params(labelsize=6)
    ax.set_axis_off()
    ax.text(0.5, 0.5, "shown", fontsize=13)
    assert style.smallest_text(fig) == (13, "shown")
    plt.close(fig)


def test_the_course_style_meets_its_own_minimum(tmp_path):
    use_style()
    fig, ax = plt.subplots(figsize=(style.MAX_WIDTH - 0.3, 3))
    ax.plot([0, 1], label="a line")
    ax.set(title="t", xlabel="x", ylabel="y")
    ax.legend()
    style.record_renders(tmp_path / "log.jsonl")
    try:
        figure_to_png(fig)
    finally:
        style._log = None
        style.FigureCanvasBase.print_figure = style._print_figure
    (record,) = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert record["density"] == style.DENSITY and style.problems(record) == []


def test_frames_state_their_css_size():
    fig = plt.figure(figsize=(3, 1))
    tag = image_html(_png(fig, 144), "alt")
    assert 'width="216" height="72"' in tag
