"""Tests of backproplab.plots.handworked: one gradient step drawn before, after and as a change.

Expected numbers are written from the parameters chosen here (the forward pass by hand with
math.exp), not read back from the figure code.
"""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from backproplab.layers import Activation, Dense  # noqa: E402
from backproplab.network import Sequential  # noqa: E402
from backproplab.plots.handworked import draw_update  # noqa: E402
from backproplab.plots.network import _format  # noqa: E402
from backproplab.stepthrough import record_pass  # noqa: E402

X = [0.5, -1.0]
W1 = np.array([[0.8, -0.5], [0.4, 0.9]])
B1 = np.array([0.1, -0.2])
W2_BEFORE, W2_AFTER = np.array([[1.2], [-0.7]]), np.array([[2.4], [-0.7]])
B2_BEFORE, B2_AFTER = np.array([0.3]), np.array([0.25])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _record(W2, b2, x=X, y=1.0):
    model = Sequential([Dense(2, 2, W=W1, b=B1), Activation("relu"),
                        Dense(2, 1, W=W2, b=b2), Activation("sigmoid")])
    return record_pass(model, x, y, loss="mse")


@pytest.fixture(scope="module")
def pair():
    return _record(W2_BEFORE, B2_BEFORE), _record(W2_AFTER, B2_AFTER)


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _prediction(w21, b2):
    # hidden pre-activations: 0.5*0.8 - 1.0*0.4 + 0.1 = 0.1 and 0.5*(-0.5) - 0.9 - 0.2 < 0
    return 1 / (1 + math.exp(-(0.1 * w21 + b2)))


def test_three_panels_of_five_units(pair):
    fig = draw_update(*pair)
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert sum(isinstance(p, Circle) for p in ax.patches) == 5


def test_titles_give_prediction_and_loss(pair):
    fig = draw_update(*pair)
    p_before, p_after = _prediction(1.2, 0.3), _prediction(2.4, 0.25)
    before, after, change = (ax.get_title() for ax in fig.axes)
    assert f"{p_before:.4f}" in before and f"{(p_before - 1) ** 2:.4f}" in before
    assert f"{p_after:.4f}" in after and f"{(p_after - 1) ** 2:.4f}" in after
    assert f"{p_after - p_before:+.4f}" in change
    assert f"{(p_after - 1) ** 2 - (p_before - 1) ** 2:+.4f}" in change


def test_panels_write_weights_biases_and_changes(pair):
    fig = draw_update(*pair)
    before, after, change = (_texts(ax) for ax in fig.axes)
    for w in W1.ravel():
        assert _format(w) in before and _format(w) in after
    assert "1.2" in before and "2.4" in after and "2.4" not in before
    assert "b 0.3" in before and "b 0.25" in after
    assert "0.1" in before  # the active hidden unit's activation, written on the unit
    # the change panel: W2 moved by (1.2, 0), b2 by -0.05, nothing else
    assert "1.2" in change and "Δb -0.05" in change
    assert change.count("0") == 5  # the four first-layer weights and W2[1] did not move
    assert "Δb 0" in change


def test_before_and_after_share_one_edge_scale(pair):
    fig = draw_update(*pair)
    scale = 2.4  # the largest |weight| over both panels
    expected = [0.5 + 5.0 * math.sqrt(abs(w) / scale) for w in W1.ravel()]
    for ax in fig.axes[:2]:
        coloured = ax.lines[1::2]  # every edge: a grey base line, then its coloured line
        widths = [line.get_linewidth() for line in coloured[:4]]
        np.testing.assert_allclose(widths, expected)
    widest_before = max(line.get_linewidth() for line in fig.axes[0].lines)
    widest_after = max(line.get_linewidth() for line in fig.axes[1].lines)
    assert widest_after == pytest.approx(5.5) and widest_before < 5.0


def test_draws_into_given_axes(pair):
    fig, axes = plt.subplots(1, 3)
    assert draw_update(*pair, axes=axes, titles=("old", "new")) is fig
    assert axes[0].get_title().startswith("old") and axes[1].get_title().startswith("new")


def test_rejects_mismatched_records(pair):
    before, _ = pair
    with pytest.raises(TypeError, match="after must be a PassRecord"):
        draw_update(before, "not a record")
    other_x = _record(W2_AFTER, B2_AFTER, x=[0.4, -1.0])
    with pytest.raises(ValueError, match="same sample"):
        draw_update(before, other_x)
    bigger = record_pass(Sequential([Dense(2, 3, seed=0), Activation("relu"), Dense(3, 1, seed=1)]),
                         X, 1.0)
    with pytest.raises(ValueError, match="same network"):
        draw_update(before, bigger)
    with pytest.raises(ValueError, match="three matplotlib Axes"):
        draw_update(*pair, axes=plt.subplots(1, 2)[1])
