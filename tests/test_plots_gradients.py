"""Tests of chapter 5's figures (backproplab.plots.gradients): they draw what they claim."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backproplab.data import xor  # noqa: E402
from backproplab.plots import gradients as gplots  # noqa: E402
from backproplab.studies.gradient_flow import depth_sweep  # noqa: E402
from backproplab.studies.reference_runs import ARTICLE_FIGURES  # noqa: E402
from backproplab.studies.seed_study import xor_seed_study  # noqa: E402
from backproplab.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_activation_slopes_bound_and_products():
    fig = gplots.plot_activation_slopes(max_factors=6, n_paths=50)
    left, right = fig.axes
    sigmoid_line = left.get_lines()[0]
    assert max(sigmoid_line.get_ydata()) == pytest.approx(0.25)
    bound, median = right.get_lines()[:2]
    np.testing.assert_allclose(bound.get_ydata(), 0.25 ** np.arange(1, 7))
    assert np.all(median.get_ydata() <= bound.get_ydata())


def test_article_run_marks_the_printed_figures():
    steps = 10_000
    run = SimpleNamespace(loss=np.linspace(0.3, 0.002, steps)[None],
                          grad_mean_abs=np.full((1, steps, 2), 1e-3))
    fig = gplots.plot_article_run(run, ARTICLE_FIGURES)
    left, right = fig.axes
    marks = left.get_lines()[1]
    np.testing.assert_allclose(marks.get_xdata(), [0, 5000, 9999])
    np.testing.assert_allclose(marks.get_ydata(), [0.318, 0.010, 0.0023])
    ends = right.get_lines()[2]
    np.testing.assert_allclose(ends.get_ydata(), [0.000590, 0.001217])


def test_depth_sweep_frame_shows_first_and_last_layers():
    sweep = depth_sweep(depths=(2, 5, 10), activations=("relu",), inits=("he",), seeds=[0],
                        width=8, n_samples=16)
    fig = gplots.plot_depth_sweep(sweep, "relu", "he", shown_depths=(5, 10))
    left, right = fig.axes
    first, last = left.get_lines()
    np.testing.assert_allclose(first.get_ydata(), sweep.first("relu", "he"))
    np.testing.assert_allclose(last.get_ydata(), sweep.last("relu", "he"))
    assert [line.get_label() for line in right.get_lines()] == ["depth 5", "depth 10"]


def test_training_runs_cap_a_diverged_curve():
    fine = History(loss=[1.0, 0.5, 0.1])
    blown = History(loss=[1.0, 1e30, 1e200], diverged=True)
    fig = gplots.plot_training_runs({"fine": fine, "blown": blown})
    ax = fig.axes[0]
    assert ax.get_ylim()[1] == pytest.approx(150.0)
    assert max(ax.get_lines()[1].get_ydata()) == pytest.approx(100.0)
    assert "diverged" in ax.get_legend().get_texts()[1].get_text()


def test_seed_study_bars_are_shares():
    study = xor_seed_study(2, range(20), lr=1.0, epochs=300)
    fig = gplots.plot_seed_study({"2-2-1": study})
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    expected = [np.mean(study.accuracy == a) for a in (1.0, 0.75, 0.5)]
    np.testing.assert_allclose(heights, expected)


def test_layer_profiles_and_boundaries():
    fig = gplots.plot_layer_profiles({"a": [1e-3, 1e-2, 1e-1]})
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_xdata(), [1, 2, 3])
    X, y = xor()
    fig = gplots.plot_decision_boundaries(
        {"left": lambda G: (G[:, 0] > 0.5).astype(int), "right": lambda G: np.zeros(len(G))},
        X, y,
    )
    assert [ax.get_title() for ax in fig.axes] == ["left", "right"]
