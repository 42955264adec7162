"""Tests of chapter 5's figures (backproplab.plots.gradients): they draw what they claim."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backproplab.data import xor  # noqa: E402
from backproplab.plots import gradients as gplots  # noqa: E402
from backproplab.plots import style, use_style  # noqa: E402
from backproplab.studies.gradient_flow import depth_sweep  # noqa: E402
from backproplab.studies.reference_runs import ARTICLE_FIGURES  # noqa: E402
from backproplab.studies.seed_study import xor_seed_study  # noqa: E402
from backproplab.studies.stacked_training import StackedRun  # noqa: E402


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
    fig = gplots.plot_article_run(run, ARTICLE_FIGURES, fastest_step=2500)
    fastest = fig.axes[0].get_lines()[3]
    assert fastest.get_xdata()[0] == 2500 and "2,500" in fastest.get_label()


def test_depth_sweep_frame_shows_first_and_last_layers():
    sweep = depth_sweep(depths=(2, 5, 10), activations=("relu",), inits=("he",), seeds=[0],
                        width=8, n_samples=16)
    fig = gplots.plot_depth_sweep(sweep, "relu", "he", shown_depths=(5, 10))
    left, right = fig.axes
    first, last = left.get_lines()
    np.testing.assert_allclose(first.get_ydata(), sweep.first("relu", "he"))
    np.testing.assert_allclose(last.get_ydata(), sweep.last("relu", "he"))
    assert [line.get_label() for line in right.get_lines()] == ["depth 5", "depth 10"]


def record(loss, diverged_at, grads=None):
    loss = np.asarray(loss, dtype=float)
    return StackedRun(loss, None, grads, np.asarray(diverged_at), [], [])


def test_clipping_study_draws_every_seed_and_crosses_the_diverged():
    fine = record([[1.0, 0.5, 0.1], [1.0, 0.4, 0.2]], [-1, -1])
    blown = record([[1.0, 1e30, np.nan], [1.0, 0.9, 0.8]], [2, -1])
    fig = gplots.plot_clipping_study({"fine": fine, "blown": blown})
    left, right = fig.axes
    assert len(left.get_lines()) == 2 and len(right.get_lines()) == 3  # 2 seeds + 1 cross
    assert right.get_ylim()[1] == pytest.approx(150.0)
    assert max(right.get_lines()[0].get_ydata()[:2]) == pytest.approx(100.0)  # capped at top
    cross = right.get_lines()[1]
    assert cross.get_marker() == "x" and cross.get_xdata()[0] == 1
    assert "1 of 2 diverged" in right.get_title() and "none of 2" in left.get_title()


def test_plateau_study_shares_and_ratios():
    loss = np.array([[0.25, 0.2, 0.05, 0.01], [0.25, 0.25, 0.25, 0.02], [0.25] * 4])
    grads = np.ones((3, 4, 3))
    grads[:, :, 0] = 0.1  # the first layer gets a tenth of the output layer's gradient
    run = record(loss, [-1, -1, -1], grads)
    fig = gplots.plot_plateau_study({"net": run}, detail="net", shown=2)
    left, middle, right = fig.axes
    assert len(left.get_lines()) == 2 + 1  # two seeds and the 0.25 line
    shares = middle.get_lines()[0].get_ydata()
    np.testing.assert_allclose(shares, [0, 0, 1 / 3, 2 / 3])  # loss < 0.1 at epochs 2 and 3
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), 0.1)


def test_accuracy_shares_stack_to_one():
    accuracy = np.array([[0.5, 0.75, 1.0], [0.5, 0.5, 0.75], [0.25, 1.0, 1.0]])
    fig = gplots.plot_accuracy_shares(accuracy, {"first": accuracy[0]}, mark=1)
    left, right = fig.axes
    np.testing.assert_allclose(left.get_lines()[0].get_ydata(), accuracy[0])
    assert len(right.collections) == 4  # 100 %, 75 %, 50 % and the rest
    hatches = [c.get_hatch() for c in right.collections]
    assert hatches[2] and not hatches[1]  # 50 % and 75 % differ by more than colour
    legend = {t.get_text(): h for t, h in zip(right.get_legend().get_texts(),
                                               right.get_legend().legend_handles, strict=True)}
    assert legend["50%"].get_hatch() == hatches[2]
    top = right.collections[-1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(1.0)
    with pytest.raises(ValueError, match="accuracy must have shape"):
        gplots.plot_accuracy_shares(accuracy[0], {})


def test_gradient_check_plots_each_precision_and_labels_the_recommended_band():
    epsilons = 10.0 ** -np.arange(1, 7)
    errors = {"float64": 10.0 ** -np.arange(2, 8), "float32": np.full(6, 1e-3)}
    fig = gplots.plot_gradient_check(epsilons, errors)
    (ax,) = fig.axes
    lines = ax.get_lines()
    for line, errs in zip(lines, errors.values(), strict=True):
        np.testing.assert_allclose(line.get_xdata(), epsilons)
        np.testing.assert_allclose(line.get_ydata(), errs)
    assert lines[0].get_marker() != lines[1].get_marker()  # a second cue besides colour
    assert ax.xaxis_inverted() and ax.get_xscale() == ax.get_yscale() == "log"
    (band,) = [p for p in ax.patches if p.get_label() == "recommended step, float64"]
    xs = sorted([band.get_x(), band.get_x() + band.get_width()])
    assert xs == pytest.approx([1e-6, 1e-5])
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["float64", "float32", "recommended step, float64"]
    plain = gplots.plot_gradient_check(epsilons, errors, recommended=None)
    assert not plain.axes[0].patches
    with pytest.raises(ValueError, match="errors\\['float32'\\] must have shape"):
        gplots.plot_gradient_check(epsilons, {"float32": [1.0]})
    with pytest.raises(ValueError, match="epsilons must be"):
        gplots.plot_gradient_check([1e-3, -1.0], {})


def test_plateau_ratio_panel_is_titled_as_a_ratio():
    run = record([[0.25, 0.2, 0.05], [0.25, 0.25, 0.02]], [-1, -1], np.ones((2, 3, 3)))
    fig = gplots.plot_plateau_study({"a": run, "c": run}, detail="c", shown=2)
    assert fig.axes[-1].get_title() == "first / output layer gradient, c"


def test_seed_study_bars_are_shares():
    study = xor_seed_study(2, range(20), lr=1.0, epochs=300)
    fig = gplots.plot_seed_study({"2-2-1": study})
    heights = [patch.get_width() for patch in fig.axes[0].patches]  # horizontal bars
    failed = study.accuracy < 1
    expected = [np.mean(~failed)] + [np.mean(failed & (np.abs(study.final_loss - level) < 0.005))
                                     for level in (1 / 8, 1 / 6, 1 / 4)]
    expected.append(1 - sum(expected))  # everything else
    np.testing.assert_allclose(heights, expected)
    assert len(fig.axes[0].get_yticklabels()) == 5
    counts = [int(t.get_text()) for t in fig.axes[0].texts]  # the count written at each bar
    np.testing.assert_allclose(np.array(counts) / 20, expected)


def test_layer_profiles_and_boundaries():
    fig = gplots.plot_layer_profiles({"a": [1e-3, 1e-2, 1e-1]})
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_xdata(), [1, 2, 3])
    X, y = xor()
    fig = gplots.plot_decision_boundaries(
        {"left": lambda G: (G[:, 0] > 0.5).astype(int), "right": lambda G: np.zeros(len(G))},
        X, y,
    )
    assert [ax.get_title() for ax in fig.axes] == ["left", "right"]
    left, right = fig.axes
    wrong = [c for c in left.collections if c.get_label() == "misclassified"][0]
    np.testing.assert_allclose(wrong.get_offsets(), X[[1, 3]])  # x1 > 0.5 misses (0, 1), (1, 1)
    assert len(right.collections[-1].get_offsets()) == 2  # all-zero predictions miss both


def test_the_figures_fit_the_column_with_no_text_below_the_book_minimum():
    """Grids instead of wide strips, and no explicit small font sizes (issue: readable pages)."""
    with plt.rc_context():
        use_style()  # as the chapter does; the context restores matplotlib's defaults
        _check_figures()


def _check_figures():
    run = record([[0.25, 0.2, 0.05], [0.25, 0.25, 0.02]], [-1, -1], np.ones((2, 3, 3)))
    blown = record([[1.0, 1e30, np.nan], [1.0, 0.9, 0.8]], [2, -1])
    sweep = depth_sweep(depths=(2, 5, 10), activations=("relu",), inits=("he",), seeds=[0],
                        width=8, n_samples=16)
    X, y = xor()
    accuracy = np.array([[0.5, 0.75, 1.0], [0.5, 0.5, 0.75]])
    figures = [
        gplots.plot_plateau_study({"a": run, "b": run, "c": run}, detail="c", shown=2),
        gplots.plot_clipping_study({k: blown for k in ("a", "b", "c", "d")}),
        gplots.plot_depth_sweep(sweep, "relu", "he", shown_depths=(5, 10)),
        gplots.plot_seed_study({"2-2-1": xor_seed_study(2, range(10), lr=1.0, epochs=50)}),
        gplots.plot_decision_boundaries({f"panel {i}": lambda G: np.zeros(len(G))
                                         for i in range(3)}, X, y),
        gplots.plot_accuracy_shares(accuracy, {"first": accuracy[0]}, mark=1),
        gplots.plot_gradient_check([1e-2, 1e-4, 1e-6, 1e-8],
                                   {"float64": [1e-4, 1e-8, 1e-10, 1e-8]}),
    ]
    for fig in figures:
        size, text = style.smallest_text(fig)
        assert size >= style.MIN_TEXT_PX, (size, text)
        assert fig.get_size_inches()[0] <= style.MAX_WIDTH
