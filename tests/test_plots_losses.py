"""Chapter 1's explorer says in words what each frame shows."""

import math

import pytest

from backproplab.plots import LossExplorer, describe_losses


def test_describe_losses_gives_every_value_the_frame_shows():
    text = describe_losses(0.8, 1.0)
    # by hand: MSE (0.8 - 1)^2, gradient 2 (0.8 - 1); MAE |0.8 - 1|, gradient sign(-0.2);
    # BCE -ln 0.8, gradient (0.8 - 1) / (0.8 * 0.2)
    assert "target 1.0" in text and "prediction 0.8" in text
    assert "MSE 0.04 with gradient -0.4" in text
    assert "MAE 0.2 with gradient -1" in text
    assert f"BCE {-math.log(0.8):.3g} with gradient -1.25" in text


def test_explorer_tells_its_markers_apart_by_shape_and_rounds_its_bars_for_people():
    figure = LossExplorer(page=True)
    figure.png(prediction=0.002, target=1.0)
    assert len({m.get_marker() for m in figure.markers}) == len(figure.markers)
    # by hand, at prediction 0.002 and target 1: MSE gradient 2 (0.002 - 1) = -1.996,
    # BCE gradient (0.002 - 1) / (0.002 * 0.998) = -500.0
    labels = [t.get_text() for t in figure.values]
    assert labels == ["-2", "-1", "-500"]


def test_explorer_bars_read_0_not_plus_0_and_the_symlog_ticks_are_plain_numbers():
    from backproplab.plots.losses import gradient_label

    assert [gradient_label(g) for g in (0.0, -0.0, 2.0, -0.5)] == ["0", "0", "+2", "-0.5"]
    figure = LossExplorer(page=True)
    # at the target every gradient is 0: MSE 2 * 0, MAE sign(0) = 0 by convention
    figure.png(prediction=0.5, target=0.5)
    labels = [t.get_text() for t in figure.values]
    assert labels[:2] == ["0", "0"] and not any(label.startswith("+0") for label in labels)
    ticks = [t.get_text() for t in figure.bars_ax.get_yticklabels() if t.get_text()]
    assert {"\N{MINUS SIGN}100", "\N{MINUS SIGN}1", "0", "1", "10", "100"} <= set(ticks)
    assert not any("^" in tick for tick in ticks)


def test_explorer_legend_names_the_target_line_on_a_background_above_the_curves():
    figure = LossExplorer(page=True)
    figure.png(prediction=0.3, target=1.0)
    legend = figure.curves_ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["MSE", "MAE", "BCE", "target y"]
    assert legend.get_frame_on() and legend.get_frame().get_alpha() >= 0.85
    # drawn after the curves (both are moving artists, drawn in order of zorder)
    assert legend.get_zorder() > max(curve.get_zorder() for curve in figure.curves)


def test_logit_gradients_mark_and_write_both_values_at_the_chosen_logit():
    import matplotlib
    matplotlib.use("Agg")

    from backproplab.plots import plot_logit_gradients

    fig = plot_logit_gradients(target=1.0, mark=-6.0)
    ax = fig.axes[0]
    s = 1 / (1 + math.exp(6.0))  # sigmoid(-6), by hand: BCE s - 1, MSE 2 (s - 1) s (1 - s)
    expected = [s - 1, 2 * (s - 1) * s * (1 - s)]
    markers = [line for line in ax.get_lines() if len(line.get_xdata()) == 1]
    assert [line.get_xdata()[0] for line in markers] == [-6.0, -6.0]
    assert [line.get_ydata()[0] for line in markers] == [
        pytest.approx(v, rel=1e-9) for v in expected]
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"z = \N{MINUS SIGN}6: {v:.3g}".replace("-", "\N{MINUS SIGN}")
                     for v in expected]
    assert texts == ["z = \N{MINUS SIGN}6: \N{MINUS SIGN}0.998",
                     "z = \N{MINUS SIGN}6: \N{MINUS SIGN}0.00492"]
