"""Chapter 2's surface explorer (plots.descent.DescentExplorer): the moving artists show
gradient descent's path worked out by hand on the round bowl f = (x^2 + y^2) / 2, where a
step of lr multiplies the point by (1 - lr); the axes stay fixed per surface."""

import io

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from backproplab.plots import style  # noqa: E402
from backproplab.plots.descent import (  # noqa: E402
    EXPLORER_STARTS,
    EXPLORER_SURFACES,
    LR_SCALES,
    DescentExplorer,
    contour_view,
    describe_path,
    explorer_run,
    loss_gap_range,
)
from backproplab.plots.live import FRAME_DPI, LIVE_DPI  # noqa: E402

START = (-0.9, 0.7)
BOWL = {"surface": "bowl", "x0": START[0], "y0": START[1]}


def test_the_path_and_loss_curve_follow_descent_on_the_bowl():
    # lambda_max = 1, so lr = 0.25 * 2 / 1 = 0.5: p_k = 0.5^k p_0 and f = |p_k|^2 / 2.
    figure = DescentExplorer()
    figure.update(lr_scale=0.25, **BOWL)
    k = np.arange(101)[:, None]
    expected = 0.5**k * np.array(START)
    assert np.allclose(np.column_stack(figure.path_line.get_data()), expected, rtol=1e-12)
    assert np.allclose(figure.start_dot.get_data(), [[START[0]], [START[1]]])
    assert np.allclose(figure.end_square.get_data(), expected[-1:].T)
    steps, gap = figure.loss_curve.get_data()
    assert list(steps) == list(range(101))
    assert np.allclose(gap, np.maximum(0.5 * np.sum(expected**2, axis=1), 1e-16), rtol=1e-9)
    assert figure.surface_title.get_text() == "bowl: lr = 0.5 = 0.25 × 2/λmax"
    distance = 0.5**100 * np.hypot(*START)  # 9.00e-31: three significant figures
    assert figure.status_line.get_text() == (
        f"converged: {distance:.2e} from a minimum after 100 steps")


def test_a_diverging_run_says_why_it_stopped():
    # lr = 4 * 2 = 8: p_k = (-7)^k p_0, and |p_0| 7^k first exceeds 1e6 at k = 8.
    first_out = next(k for k in range(20) if np.hypot(*START) * 7.0**k > 1e6)
    figure = DescentExplorer()
    figure.update(lr_scale=4.0, **BOWL)
    assert figure.status_line.get_text() == f"diverged at step {first_out}: lr = 8 is too large"
    assert figure.status_line.get_color() != "0.15"  # red, not the usual dark grey
    assert len(figure.loss_curve.get_xdata()) == first_out


def test_png_has_the_figure_size_in_pixels_and_fits_the_column():
    live = Image.open(io.BytesIO(DescentExplorer().png(lr_scale=0.5, **BOWL)))
    page = Image.open(io.BytesIO(DescentExplorer(page=True).frame("bowl", 0, 0.5)))
    width, height = DescentExplorer.FIGSIZE
    assert width <= style.MAX_WIDTH
    assert live.format == page.format == "PNG"
    assert live.size == (round(width * LIVE_DPI), round(height * LIVE_DPI))
    assert page.size == (round(width * FRAME_DPI), round(height * FRAME_DPI))
    assert page.mode == "P"


def test_the_contour_panel_has_axes_and_the_start_is_marked_and_labelled():
    figure = DescentExplorer(page=True)
    figure.frame("saddle", 2, 0.5)
    ax = figure.surface_ax
    assert ax.axison and ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    x0, x1, y0, y1 = contour_view("saddle", EXPLORER_STARTS["saddle"][2])
    for ticks, low, high in [(ax.get_xticks(), x0, x1), (ax.get_yticks(), y0, y1)]:
        shown = [t for t in ticks if low <= t <= high]
        assert 3 <= len(shown) <= 7
    assert np.allclose(figure.start_dot.get_data(), np.transpose([EXPLORER_STARTS["saddle"][2]]))
    assert figure.start_label.get_text() == "start 3"
    assert figure.start_label.xy == pytest.approx(EXPLORER_STARTS["saddle"][2])
    # the label lies inside the panel, and so do the minima stars
    renderer = figure.figure.canvas.get_renderer()
    box, panel = figure.start_label.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert panel.x0 <= box.x0 and box.x1 <= panel.x1 and panel.y0 <= box.y0
    assert box.y1 <= panel.y1
    np.testing.assert_allclose(np.transpose(figure.minima_stars.get_data()), [[0, 1], [0, -1]])
    figure.update(surface="valley", lr_scale=0.5, x0=0.2, y0=0.3)
    assert figure.start_label.get_text() == "start"  # a free start in the live figure


def test_every_explorer_line_is_one_short_line_with_three_significant_figures():
    import re

    for surface in EXPLORER_SURFACES:
        for start in range(3):
            for scale in LR_SCALES:
                line = describe_path(explorer_run(surface, start, scale), surface, scale)
                assert "\n" not in line and len(line) <= 66, line
                for number in re.findall(r"\d[\d.]*(?:e[-+]\d+)?", line):
                    mantissa = number.split("e")[0].replace(".", "").lstrip("0")
                    # step counts (whole numbers) may have more digits, nothing else
                    assert len(mantissa) <= 3 or "." not in number, line


def test_frame_draws_the_static_explorer_setting():
    figure = DescentExplorer(page=True)
    x0, y0 = EXPLORER_STARTS["saddle"][1]
    assert figure.frame("saddle", 1, 1.2) == figure.png(surface="saddle", lr_scale=1.2,
                                                         x0=x0, y0=y0, start_label="start 2")


def test_settings_give_their_own_images_and_leave_nothing_behind():
    figure = DescentExplorer()
    valley = {"surface": "valley", "lr_scale": 0.96, "x0": 0.8, "y0": 0.8}
    first = figure.png(**valley)
    others = [figure.png(**{**valley, "lr_scale": 4.0}),
              figure.png(**{**valley, "x0": 1.7, "y0": 2.6}),
              figure.png(surface="rosenbrock", lr_scale=0.5, x0=-1.2, y0=1.0),
              figure.png(surface="saddle", lr_scale=0.5, x0=-1.8, y0=0.3)]  # a wider view
    assert len({first, *others}) == 5
    assert figure.png(**valley) == first
    assert DescentExplorer().png(**valley) == first  # same pixels as a figure drawn afresh


def test_axes_are_fixed_per_surface_and_the_background_key_follows_them(full_draws):
    figure = DescentExplorer()
    draws = full_draws(figure)
    keys = [figure.update(lr_scale=scale, **BOWL) for scale in (0.05, 0.5, 4.0)]
    limits = {(figure.loss_ax.get_xlim(), figure.loss_ax.get_ylim())}
    keys.append(figure.update(surface="bowl", lr_scale=0.5, x0=0.3, y0=-0.9))
    limits.add((figure.loss_ax.get_xlim(), figure.loss_ax.get_ylim()))
    assert len(set(keys)) == 1 and len(limits) == 1
    assert figure.update(surface="valley", lr_scale=0.5, x0=0.3, y0=-0.9) != keys[0]
    # a start outside the extent grows the view, and so changes the key
    assert figure.update(surface="bowl", lr_scale=0.5, x0=1.2, y0=0.0) != keys[0]
    for scale in (0.05, 0.5, 4.0):
        figure.png(lr_scale=scale, **BOWL)
    assert len(draws) == 1
    figure.png(surface="saddle", lr_scale=0.5, x0=-1.8, y0=0.3)
    figure.png(surface="bowl", lr_scale=0.5, x0=1.7, y0=0.0)
    figure.png(lr_scale=0.25, **BOWL)
    assert len(draws) == 3


def test_the_contour_view_grows_in_half_units_to_take_in_the_start():
    assert contour_view("bowl", START) == (-1.0, 1.0, -1.0, 1.0)  # its extent
    assert contour_view("valley", (1.3, -1.7)) == (-1.0, 1.5, -2.0, 1.0)
    assert contour_view("rosenbrock", (-2.2, 3.0)) == (-2.5, 2.0, -1.0, 3.0)


def test_loss_axis_reaches_a_decade_above_the_largest_gap_on_the_grid():
    # bowl on [-1, 1]^2: largest f - f* = (1 + 1) / 2 = 1 at a corner -> top 10^1
    assert loss_gap_range("bowl") == pytest.approx((1e-17, 10.0))
    # rosenbrock on [-2, 2] x [-1, 3]: (1 + 2)^2 + 100 (-1 - 4)^2 = 2509 at (-2, -1) -> 10^5
    assert loss_gap_range("rosenbrock")[1] == pytest.approx(1e5)


def test_bad_settings_are_refused_by_name():
    figure = DescentExplorer()
    with pytest.raises(ValueError, match="surface"):
        figure.png(surface="cliff", lr_scale=0.5, x0=0.0, y0=0.0)
    with pytest.raises(ValueError, match="lr_scale"):
        figure.png(lr_scale=-1.0, **BOWL)
    with pytest.raises(ValueError, match="x0"):
        figure.png(surface="bowl", lr_scale=0.5, x0=float("nan"), y0=0.0)
    with pytest.raises(TypeError, match="y0"):
        figure.png(surface="bowl", lr_scale=0.5, x0=0.0, y0="up")
    with pytest.raises(ValueError, match="surface"):
        figure.frame("cliff", 0, 0.5)


def test_an_unstable_minimum_is_not_converging_rather_than_not_there_yet():
    # lr_scale 1.2: lr * lambda_max at the Rosenbrock minimum is 2.4 > 2, so the minimum is
    # unstable; from (-1.2, 1) the run neither diverges nor settles on a 2-cycle in 2000 steps.
    figure = DescentExplorer()
    figure.update(surface="rosenbrock", lr_scale=1.2, x0=-1.2, y0=1.0)
    assert figure.status_line.get_text().startswith("not converging: unstable minimum")
    figure.update(surface="rosenbrock", lr_scale=0.5, x0=-1.2, y0=1.0)
    assert not figure.status_line.get_text().startswith("not converging")
