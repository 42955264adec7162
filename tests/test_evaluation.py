"""Tests of backproplab.studies.evaluation (confusion matrix, per-class accuracy, dead units)
and of the chapter's figures in backproplab.plots.evaluation."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backproplab.layers import Activation, Dense
from backproplab.network import MLP, Sequential
from backproplab.plots import style, use_style
from backproplab.plots.evaluation import (
    describe_confusion_matrix,
    describe_seed_runs,
    plot_confusion_matrix,
    plot_digits,
    plot_mistakes,
    plot_per_update,
    plot_training_frame,
    plot_validation_loss,
)
from backproplab.studies.evaluation import (
    activation_spread,
    confusion_matrix,
    most_confused,
    never_active_units,
    per_class_accuracy,
    predictions_after_each_update,
)
from backproplab.training import History, train


# ----- confusion_matrix -------------------------------------------------------------------------
def test_confusion_matrix_by_hand():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    # row = true class, column = predicted class, counted by eye from the pairs above
    expected = np.array([[1, 1, 0], [0, 2, 1], [1, 0, 0]])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), expected)


def test_confusion_matrix_pads_to_n_classes():
    matrix = confusion_matrix([1, 1], [1, 0], n_classes=4)
    assert matrix.shape == (4, 4)
    assert matrix[1, 1] == 1 and matrix[1, 0] == 1 and matrix.sum() == 2


labels = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(labels)
def test_confusion_matrix_matches_a_double_loop(pairs):
    y_true, y_pred = (np.array(column) for column in zip(*pairs, strict=True))
    expected = np.zeros((5, 5), dtype=int)
    for t, p in pairs:
        expected[t, p] += 1
    matrix = confusion_matrix(y_true, y_pred, n_classes=5)
    np.testing.assert_array_equal(matrix, expected)
    assert np.trace(matrix) == np.sum(y_true == y_pred)
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(y_true, minlength=5))


def test_confusion_matrix_agrees_with_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 6, 200), rng.integers(0, 6, 200)
    np.testing.assert_array_equal(
        confusion_matrix(y_true, y_pred, n_classes=6),
        metrics.confusion_matrix(y_true, y_pred, labels=range(6)),
    )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "n_classes", "message"),
    [
        ([0, 1], [0], None, "y_pred must have one label per entry"),
        ([[0, 1]], [[0, 1]], None, "y_true must be a 1-D array"),
        ([0, 1.5], [0, 1], None, "y_true must hold non-negative integer"),
        ([0, -1], [0, 1], None, "y_true must hold non-negative integer"),
        ([0, 3], [0, 1], 3, "labels must be in \\[0, n_classes=3\\)"),
    ],
)
def test_confusion_matrix_rejects_bad_labels(y_true, y_pred, n_classes, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(y_true, y_pred, n_classes=n_classes)


# ----- per_class_accuracy and most_confused ----------------------------------------------------
def test_per_class_accuracy_is_the_diagonal_over_the_row_sums():
    matrix = np.array([[3, 1, 0], [0, 2, 2], [0, 0, 0]])
    result = per_class_accuracy(matrix)
    np.testing.assert_allclose(result[:2], [3 / 4, 2 / 4])
    assert np.isnan(result[2])  # no samples of class 2


def test_most_confused_lists_the_largest_mistakes_first():
    matrix = np.array([[9, 1, 4], [0, 9, 2], [2, 0, 9]])
    assert most_confused(matrix, top=3) == [(0, 2, 4), (1, 2, 2), (2, 0, 2)]
    assert most_confused(np.eye(3) * 5) == []


def test_matrix_checks():
    with pytest.raises(ValueError, match="matrix must be a square confusion matrix"):
        per_class_accuracy(np.ones((2, 3)))
    with pytest.raises(ValueError, match="matrix must be a square confusion matrix"):
        most_confused(-np.eye(2))
    with pytest.raises(TypeError, match="top must be a positive integer"):
        most_confused(np.eye(2), top=1.5)


# ----- never_active_units ----------------------------------------------------------------------
def two_unit_relu_net(bias_of_second_unit):
    """Non-negative inputs; unit 0 has weights +1 (always active), unit 1 weights -1."""
    W1 = np.array([[1.0, -1.0], [1.0, -1.0]])
    b1 = np.array([0.1, bias_of_second_unit])
    W2 = np.array([[1.0, -1.0], [0.5, 0.5]])
    return Sequential([Dense(2, 2, W=W1, b=b1), Activation("relu"), Dense(2, 2, W=W2)])


def test_never_active_units_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 0.5], [0.2, 0.3]])
    # unit 1's pre-activation is -(x1 + x2) + b: at most 0 on every row when b <= 0
    np.testing.assert_array_equal(never_active_units(two_unit_relu_net(0.0), X)[0], [False, True])
    # with b = 0.6 the row (0.2, 0.3) gives -0.5 + 0.6 > 0, so unit 1 fires once
    np.testing.assert_array_equal(never_active_units(two_unit_relu_net(0.6), X)[0], [False, False])


def test_a_dead_relu_unit_keeps_its_incoming_weights_during_training():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(40, 2))
    y = rng.integers(0, 2, size=40)
    model = two_unit_relu_net(-0.5)
    assert never_active_units(model, X)[0].tolist() == [False, True]
    before = [p.copy() for p in model.params]
    train(model, X, y, loss="softmax_cross_entropy", lr=0.5, epochs=5, batch_size=8, seed=0)
    W1, b1, W2 = model.params[0], model.params[1], model.params[2]
    np.testing.assert_array_equal(W1[:, 1], before[0][:, 1])  # zero gradient, exactly
    assert b1[1] == before[1][1]
    np.testing.assert_array_equal(W2[1], before[2][1])  # its output was always 0
    assert not np.array_equal(W1[:, 0], before[0][:, 0])  # the live unit did learn


def test_never_active_units_returns_one_mask_per_hidden_layer():
    model = MLP([3, 5, 4, 2], seed=0)
    masks = never_active_units(model, np.ones((6, 3)))
    assert [mask.shape for mask in masks] == [(5,), (4,)]
    assert all(mask.dtype == bool for mask in masks)


def test_never_active_units_checks_its_arguments():
    with pytest.raises(TypeError, match="model must be a backproplab Sequential"):
        never_active_units(object(), np.ones((2, 2)))
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        never_active_units(MLP([2, 3, 1], seed=0), np.ones(2))


# ----- the chapter's figures (backproplab.plots.evaluation) ------------------------------------
def test_confusion_matrix_figure_writes_every_nonzero_count():
    matrix = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    fig = plot_confusion_matrix(matrix)
    written = sorted(int(t.get_text()) for t in fig.axes[0].texts)
    assert written == sorted(matrix[matrix > 0].tolist())
    assert not plot_confusion_matrix(matrix, counts=False).axes[0].texts
    plt.close("all")


def test_digit_figures_check_their_input():
    images = np.random.default_rng(0).uniform(size=(5, 64))
    assert len(plot_digits(images, titles=list("abcde"), ncols=3).axes) == 6
    fig = plot_mistakes(images, [0, 1, 2, 3, 4], [0, 2, 2, 1, 4])
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["1 → 2", "3 → 1"]
    assert fig.get_suptitle() == "true digit → predicted digit"  # the key to the titles
    with_confidence = plot_mistakes(images, [0, 1, 2, 3, 4], [0, 2, 2, 1, 4],
                                    confidence=[0.9, 0.48, 0.7, 0.6, 0.9])
    assert [ax.get_title() for ax in with_confidence.axes if ax.get_title()][0] == "1 → 2\n(48%)"
    assert "probability the network gave its wrong answer" in with_confidence.get_suptitle()
    with pytest.raises(ValueError, match="images must have shape"):
        plot_digits(np.ones((2, 10)))
    with pytest.raises(ValueError, match="no mistakes"):
        plot_mistakes(images, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
    plt.close("all")


def test_predictions_after_each_update_is_train_without_shuffling():
    """The per-update loop does what train(shuffle=False) does, and records every update."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(70, 5)), rng.integers(0, 3, size=70)
    X_watch = rng.normal(size=(9, 5))
    model, predictions, batch_labels = predictions_after_each_update(
        X, y, X_watch, epochs=2, batch_size=16, sizes=(5, 8, 3)
    )
    assert predictions.shape == (2 * 5, 9)  # ceil(70 / 16) = 5 updates per epoch
    assert batch_labels[0] == np.bincount(y[:16]).argmax()
    reference = MLP([5, 8, 3], seed=0)
    train(reference, X, y, loss="softmax_cross_entropy", lr=0.1, epochs=2, batch_size=16,
          shuffle=False)
    for ours, theirs in zip(model.params, reference.params, strict=True):
        assert np.array_equal(ours, theirs)
    assert np.array_equal(predictions[-1], reference.predict_classes(X_watch))


def test_per_update_figure_draws_one_thin_line_per_seed():
    one, rows = np.linspace(0, 1, 6), np.array([np.linspace(0, 1, 6), np.linspace(1, 0, 6)])
    fig = plot_per_update({"accuracy": {"single": one, "seeds": rows}}, batches_per_epoch=3)
    lines = fig.axes[0].get_lines()
    curves = [line for line in lines if len(line.get_xdata()) == 6]
    assert len(curves) == 3  # one for the single run, one per row of the 2-D values
    np.testing.assert_array_equal(curves[2].get_ydata(), rows[1])
    assert curves[1].get_color() == curves[2].get_color()  # the seeds of one label look alike
    assert curves[1].get_linewidth() < curves[0].get_linewidth()  # and are thinner
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["single", "seeds"]
    with pytest.raises(ValueError, match="n_seeds"):
        plot_per_update({"accuracy": {"cube": np.zeros((2, 2, 2))}})
    plt.close("all")


# ----- describe_seed_runs: alt text from the runs themselves ------------------------------------
def test_describe_seed_runs_ranges_by_hand():
    runs = [History(loss=[2.0, 0.25], val_accuracy=[0.5, 0.92]),
            History(loss=[2.0, 0.126], val_accuracy=[0.5, 0.941])]
    assert describe_seed_runs(runs) == ("validation accuracy 92% to 94% and training loss 0.13 "
                                        "to 0.25 after the last epoch, over 2 seeds")


def test_describe_seed_runs_writes_a_range_that_reads_the_same_once():
    runs = [History(loss=[2.3], val_accuracy=[0.101]), History(loss=[2.3], val_accuracy=[0.099])]
    assert describe_seed_runs(runs).startswith("validation accuracy 10% for every seed and "
                                               "training loss 2.3 for every seed")


def test_describe_seed_runs_counts_diverged_runs():
    blown = [History(diverged=True, steps=6), History(diverged=True, steps=3)]
    assert describe_seed_runs(blown) == "all 2 seeds diverged (loss not finite) at updates 4–7"
    mixed = [History(loss=[0.5], val_accuracy=[0.8]), blown[0]]
    assert describe_seed_runs(mixed).endswith("over 1 seed; 1 of 2 seeds diverged")


def test_describe_seed_runs_at_the_restored_epoch_and_with_the_l2_penalty():
    runs = [History(loss=[3.0, 2.5, 2.4], val_accuracy=[0.5, 0.86, 0.7], best_epoch=1),
            History(loss=[3.2, 2.9, 2.6], val_accuracy=[0.5, 0.87, 0.8], best_epoch=1)]
    assert describe_seed_runs(runs, restored_best=True, l2_penalty=True) == (
        "validation accuracy 86% to 87% and training loss with the L2 penalty 2.5 to 2.9 at the "
        "epoch early stopping restored (the lowest validation loss: epoch 2 for every seed), "
        "over 2 seeds")
    assert describe_seed_runs(runs).startswith("validation accuracy 70% to 80% and training "
                                               "loss 2.4 to 2.6 after the last epoch")
    with pytest.raises(ValueError, match="best_epoch"):
        describe_seed_runs([History(loss=[1.0], val_accuracy=[0.5])], restored_best=True)


# ----- describe_confusion_matrix: alt text of a confusion matrix -------------------------------
def test_describe_confusion_matrix_by_hand():
    matrix = np.array([[5, 0, 1], [0, 7, 0], [3, 0, 4]])  # 16 of 20 right; 2 read as 0 thrice
    assert describe_confusion_matrix(matrix) == (
        "accuracy 80.0% (16 of 20 on the diagonal); most frequent mistake: 2 read as 0 "
        "(3 times); the 3 most predicted classes (0, 1, 2) take 100% of the images")
    assert describe_confusion_matrix(matrix, top=1).endswith(
        "the most predicted class (0) takes 40% of the images")
    perfect = describe_confusion_matrix(np.diag([2, 3]))
    assert perfect.startswith("accuracy 100.0% (5 of 5") and "mistake" not in perfect
    with pytest.raises(ValueError, match="matrix"):
        describe_confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="matrix"):
        describe_confusion_matrix(np.zeros((2, 2)))


def test_describe_seed_runs_rejects_bad_input():
    with pytest.raises(ValueError, match="runs"):
        describe_seed_runs([])
    with pytest.raises(ValueError, match="runs"):
        describe_seed_runs([History(loss=[1.0])])  # no validation curve


# ----- activation_spread and the linear validation-loss figure (issue 13) -----------------------
def test_activation_spread_by_hand():
    # a 1-1-1 tanh network: tanh(2x), then tanh(0.5 h + 1); the std over two rows by hand
    model = Sequential([Dense(1, 1, W=np.array([[2.0]]), b=np.zeros(1)), Activation("tanh"),
                        Dense(1, 1, W=np.array([[0.5]]), b=np.ones(1)), Activation("tanh")])
    X = np.array([[0.0], [1.0]])
    h = np.tanh(np.array([0.0, 2.0]))
    top = np.tanh(0.5 * h + 1.0)
    expected = [abs(h[1] - h[0]) / 2, abs(top[1] - top[0]) / 2]  # std of two values
    assert np.allclose(activation_spread(model, X), expected, rtol=1e-12)
    # identical rows look the same everywhere
    assert np.all(activation_spread(MLP([3, 4, 2], seed=0), np.ones((5, 3))) == 0)


def test_activation_spread_checks_its_input():
    with pytest.raises(ValueError, match="at least 2 rows"):
        activation_spread(MLP([2, 3, 1], seed=0), np.ones((1, 2)))
    with pytest.raises(TypeError, match="Sequential"):
        activation_spread(object(), np.ones((2, 2)))


def test_confusion_matrix_figure_has_a_colour_bar_and_rejects_non_square_input():
    matrix = np.array([[5, 1], [2, 4]])
    assert len(plot_confusion_matrix(matrix).axes) == 2  # the matrix and its colour bar
    assert len(plot_confusion_matrix(matrix, colorbar=False).axes) == 1
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.ones((2, 3)))
    plt.close("all")


def test_validation_loss_figure_marks_the_lowest_epoch_on_a_linear_axis():
    fig = plot_validation_loss(History(val_loss=[0.5, 0.2, 0.3, 0.4], loss=[1, 1, 1, 1]))
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear"
    assert list(ax.lines[0].get_ydata()) == [0.5, 0.2, 0.3, 0.4]
    assert list(ax.lines[1].get_xdata()) == [2, 2]  # epoch 2 (numbered from 1) is the lowest
    with pytest.raises(ValueError, match="validation loss"):
        plot_validation_loss(History(loss=[1.0]))
    plt.close("all")


def test_the_chapter_figures_write_no_text_below_the_book_minimum():
    """Digit titles, counts in the cells and the labels along the top read at 11 px or more."""
    with plt.rc_context():
        use_style()  # as the chapter does; the context restores matplotlib's defaults
        _check_chapter_figures()


def _check_chapter_figures():
    images = np.random.default_rng(0).uniform(size=(20, 64))
    matrix = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    figures = [plot_digits(images, titles=[str(i % 10) for i in range(20)]),
               plot_mistakes(images, np.zeros(20, int), np.ones(20, int),
                             confidence=np.full(20, 0.5)),
               plot_confusion_matrix(matrix),
               plot_training_frame(matrix, [0.1, 0.5], total_epochs=5, label="after epoch 1"),
               plot_validation_loss(History(val_loss=[0.5, 0.2, 0.3], loss=[1, 1, 1])),
               plot_per_update({"accuracy": {"run": np.linspace(0, 1, 6)}},
                               batch_classes=[0, 0, 1, 1, 2, 2])]
    for fig in figures:
        size, text = style.smallest_text(fig)
        assert size >= style.MIN_TEXT_PX, (size, text)
        assert fig.get_size_inches()[0] <= style.MAX_WIDTH
    plt.close("all")
