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
    EXPLORER_SADDLES,
    EXPLORER_STARTS,
    EXPLORER_SURFACES,
    LR_SCALES,
    DescentExplorer,
    contour_levels,
    contour_view,
    describe_path,
    explorer_run,
    loss_gap_range,
)
from backproplab.plots.live import FRAME_DPI, LIVE_DPI  # noqa: E402
from backproplab.studies.descent import surface_hessian  # noqa: E402
from backproplab.studies.surfaces import get_surface  # noqa: E402

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
    # 0.5^100 |p_0| = 9.00e-31 from the minimum: on it, for a reader
    assert figure.status_line.get_text() == (
        "converged: on the minimum (distance < 1e-12) after 100 steps")


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


def test_a_run_near_but_not_on_the_minimum_says_how_near():
    # bowl, lr = 0.05 * 2 = 0.1: p_k = 0.9^k p_0; 0.9^100 |p_0| = 3.0e-5 is not converged, and
    # the saddle's two minima make it "a minimum"
    figure = DescentExplorer()
    figure.update(lr_scale=0.05, **BOWL)
    distance = 0.9**100 * np.hypot(*START)
    assert figure.status_line.get_text() == (
        f"not there yet: {distance:.3g} from the minimum after 100 steps")
    line = describe_path(explorer_run("saddle", 0, 0.25), "saddle", 0.25)
    assert line.startswith("converged: on a minimum (distance < 1e-12)")


def test_the_saddle_point_is_marked_and_labelled_only_on_the_saddle():
    (x, y), = EXPLORER_SADDLES["saddle"]
    surface = get_surface("saddle")
    # a saddle: zero gradient, curvature of both signs (f_xx = 1, f_yy = 3 y^2 - 1 = -1)
    assert np.allclose(surface.grad((x, y)), 0.0)
    assert np.prod(np.linalg.eigvalsh(surface_hessian(surface, (x, y)))) < 0
    figure = DescentExplorer(page=True)
    figure.frame("saddle", 0, 0.25)
    texts = [t for t in figure.surface_ax.texts if t.get_visible()]
    saddle_label, = [t for t in texts if t.get_text() == "saddle"]
    assert saddle_label.xy == (x, y)
    crosses = [line for line in figure.surface_ax.lines
               if line.get_visible() and line.get_marker() == "x"]
    assert len(crosses) == 1 and np.allclose(crosses[0].get_xydata(), [[x, y]])
    figure.frame("bowl", 0, 0.25)  # switching surface hides the saddle's still parts
    assert not any(t.get_visible() and t.get_text() == "saddle" for t in figure.surface_ax.texts)
    assert not any(line.get_visible() and line.get_marker() == "x"
                   for line in figure.surface_ax.lines)


def test_contours_are_lines_at_log_spaced_levels_reaching_the_valley_floor():
    for surface in EXPLORER_SURFACES:
        levels = contour_levels(surface)
        ratios = levels[1:] / levels[:-1]
        assert 8 <= len(levels) <= 14 and np.allclose(ratios, ratios[0]) and ratios[0] < 3
    # Rosenbrock: the lowest line lies inside the curved valley, f - f* = (1 - x)^2 + 100 (y -
    # x^2)^2, far below the walls: the points of the floor y = x^2 with |x| < 1 are all below
    # 4, and the lowest level is below that, the highest the largest value, 2509, at (-2, -1)
    levels = contour_levels("rosenbrock")
    assert levels[0] < 1 and levels[-1] == pytest.approx(2509, rel=1e-9)
    figure = DescentExplorer(page=True)
    figure.frame("valley", 0, 0.5)
    from matplotlib.contour import ContourSet
    drawn = [c for c in figure.surface_ax.collections + figure.surface_ax.get_children()
             if isinstance(c, ContourSet) and c.get_visible() and not c.filled]
    assert drawn and np.allclose(drawn[0].levels, contour_levels("valley"))


def test_a_key_below_the_panels_names_the_markers():
    figure = DescentExplorer(page=True)
    figure.frame("valley", 0, 0.5)
    key, = figure.figure.legends
    assert [t.get_text() for t in key.get_texts()] == ["start", "path", "end", "minimum"]
    renderer = figure.figure.canvas.get_renderer()
    box = key.get_window_extent(renderer)
    for ax in (figure.surface_ax, figure.loss_ax):  # it covers neither panel
        assert box.y1 <= ax.get_window_extent(renderer).y0
    assert box.x0 >= 0 and box.x1 <= figure.figure.bbox.x1


def test_the_loss_axis_is_labelled_in_powers_of_ten_like_the_chapter():
    figure = DescentExplorer(page=True)
    figure.frame("rosenbrock", 0, 0.25)
    labels = [t.get_text() for t in figure.loss_ax.get_yticklabels() if t.get_text()]
    assert labels and all(label.startswith(r"$\mathdefault{10^{") for label in labels)
    assert figure.surface_title.get_text().startswith("Rosenbrock: ")
