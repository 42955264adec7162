"""Chapter 1's explorer says in words what each frame shows."""

import math

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
