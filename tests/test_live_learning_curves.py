"""Chapter 7's live learning curves: LearningCurves and LiveTraining (plots.evaluation)."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from backproplab.data import make_moons  # noqa: E402
from backproplab.network import MLP  # noqa: E402
from backproplab.plots import style, use_style  # noqa: E402
from backproplab.plots.evaluation import (  # noqa: E402
    MAX_SEEDS,
    LearningCurves,
    LiveTraining,
    SeedCurves,
)
from backproplab.plots.live import FRAME_DPI, LIVE_DPI  # noqa: E402
from backproplab.training import History, train  # noqa: E402

RUN = History(loss=[2.0, 1.0, 0.5], val_loss=[2.1, 1.2, 0.9], accuracy=[0.2, 0.5, 0.8],
              val_accuracy=[0.2, 0.4, 0.7], best_epoch=2, steps=30)
OTHER = History(loss=[2.2, 2.1, 2.0, 1.9], val_loss=[2.3, 2.2, 2.2, 2.1],
                accuracy=[0.1, 0.2, 0.2, 0.3], val_accuracy=[0.1, 0.1, 0.2, 0.2], steps=40)
DIVERGED = History(diverged=True, steps=5, message="training diverged at epoch 0 (update 6)")


def _ydata(line) -> list[float]:
    return np.asarray(line.get_ydata(), dtype=float).tolist()


def test_the_lines_show_the_run_epoch_by_epoch_from_one():
    curves = LearningCurves()
    curves.update(history=RUN)
    loss_training, accuracy_training = curves.training
    np.testing.assert_array_equal(loss_training.get_xdata(), [1, 2, 3])
    assert _ydata(loss_training) == [2.0, 1.0, 0.5]
    assert _ydata(accuracy_training) == [0.2, 0.5, 0.8]
    assert _ydata(curves.validation[0]) == [2.1, 1.2, 0.9]
    assert _ydata(curves.validation[1]) == [0.2, 0.4, 0.7]
    assert curves.loss_ax.get_xlim() == (0.5, 3.5)


def test_the_comparison_and_the_best_epoch_appear_only_when_asked_for():
    curves = LearningCurves()
    curves.update(history=RUN, compare=OTHER, compare_label="fixed", mark_best=True)
    assert _ydata(curves.comparison[0]) == OTHER.val_loss
    assert _ydata(curves.comparison[1]) == OTHER.val_accuracy
    assert curves.best[0].get_xdata()[0] == 3  # best epoch 2 (counted from 0) is epoch 3
    assert curves.loss_ax.get_xlim() == (0.5, 4.5)  # the longer of the two runs
    labels = [text.get_text() for text in curves.legend.get_texts()]
    assert labels == ["training", "validation", "fixed: validation", "best epoch"]
    curves.update(history=RUN)
    assert not any(line.get_visible() for line in curves.comparison + curves.best)
    assert [text.get_text() for text in curves.legend.get_texts()] == ["training", "validation"]


def test_losses_beyond_the_fixed_range_are_drawn_on_its_edges_and_said_to_be():
    curves = LearningCurves()
    low, high = curves.loss_ax.get_ylim()
    wild = History(loss=[1e5, 1.0, 1e-6], val_loss=[3e7, 2.0, 0.5], accuracy=[0.1, 0.5, 1.0],
                   val_accuracy=[0.1, 0.4, 0.6])
    curves.update(history=wild)
    assert np.allclose(_ydata(curves.training[0]), [high, 1.0, low])
    assert np.allclose(_ydata(curves.validation[0]), [high, 2.0, 0.5])
    note = curves.beyond_range.get_text()
    assert f"above {high:g}" in note and f"below {low:g}" in note
    curves.update(history=RUN)
    assert curves.beyond_range.get_text() == ""


def test_a_diverged_run_says_so_on_one_line_at_the_top_of_the_loss_panel():
    curves = LearningCurves()
    curves.update(history=DIVERGED, compare=RUN, epochs=20)
    (note,) = curves.diverged
    assert note.get_text() == "diverged at update 6 (loss not finite)"
    assert note in curves.loss_ax.texts and note.get_position()[1] > 0.9  # near the top
    assert _ydata(curves.training[0]) == []
    curves.update(history=RUN)
    assert note.get_text() == ""


def test_the_notes_of_the_loss_panel_stack_without_overlapping():
    """A diverged run whose loss also left the axis gets both notes, one under the other."""
    curves = LearningCurves(page=True)
    wild = History(loss=[2.0, 1e3], val_loss=[1e-4, 2.0], accuracy=[0.1, 0.1],
                   val_accuracy=[0.1, 0.1], diverged=True, steps=5)
    curves.png(history=wild, title="a run")
    renderer = curves.figure.canvas.get_renderer()
    first, second = (text.get_window_extent(renderer) for text in (curves.diverged[0],
                                                                    curves.beyond_range))
    assert curves.diverged[0].get_text() and curves.beyond_range.get_text()
    assert second.y1 <= first.y0 + 1  # the second note starts below the first
    assert first.y1 <= curves.loss_ax.get_window_extent(renderer).y1  # inside the panel


def test_png_has_the_figure_size_in_pixels():
    for page, dpi in ((False, LIVE_DPI), (True, FRAME_DPI)):
        image = Image.open(io.BytesIO(LearningCurves(page=page).png(history=RUN)))
        assert image.format == "PNG"
        assert image.size == (9 * dpi, int(3.6 * dpi))


def test_settings_give_different_images_and_nothing_is_left_behind():
    curves = LearningCurves()
    plain = curves.png(history=RUN, title="a run", epochs=20)
    busy = curves.png(history=DIVERGED, title="another", compare=OTHER, mark_best=True, epochs=20)
    assert busy != plain != curves.png(history=OTHER, title="a run", epochs=20)
    assert curves.png(history=RUN, title="a run", epochs=20) == plain
    assert LearningCurves().png(history=RUN, title="a run", epochs=20) == plain  # fresh figure


def test_the_background_key_changes_exactly_with_the_still_parts():
    curves = LearningCurves()
    key = curves.update(history=RUN, title="one", epochs=20)
    assert curves.update(history=OTHER, title="two", epochs=20) == key  # curves and title move
    assert curves.update(history=DIVERGED, title="three", epochs=20) == key
    changed = [curves.update(history=RUN, title="one", epochs=30),  # epoch axis
               curves.update(history=RUN, epochs=20),  # no room for a title
               curves.update(history=RUN, title="one", epochs=20, compare=OTHER),  # legend
               curves.update(history=RUN, title="one", epochs=20, compare=OTHER,
                             compare_label="fixed"),
               curves.update(history=RUN, title="one", epochs=20, mark_best=True)]
    assert len({key, *changed}) == 1 + len(changed)
    curves.update(history=RUN, title="one", epochs=30)
    assert curves.accuracy_ax.get_xlim() == (0.5, 30.5)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="epochs"):
        LearningCurves().update(history=OTHER, epochs=3)  # shorter than the run
    with pytest.raises(ValueError, match="epochs"):
        LearningCurves().update(history=RUN, epochs=0)
    with pytest.raises(TypeError, match="run"):
        LiveTraining(run="train", title="", epochs=5)
    with pytest.raises(ValueError, match="epochs"):
        LiveTraining(run=lambda: RUN, title="", epochs=-1)


def test_live_training_trains_for_each_setting_and_keeps_its_epoch_axis():
    X, y = make_moons(n_samples=60, seed=0)

    def fit(lr, hidden):
        return train(MLP([2, hidden, 2], seed=0), X[:40], y[:40], loss="softmax_cross_entropy",
                     lr=lr, epochs=4, batch_size=10, seed=0, validation=(X[40:], y[40:]))

    live = LiveTraining(fit, title="lr {lr:g}, {hidden} units", epochs=6)
    first = live.png(lr=0.5, hidden=8)
    expected = fit(0.5, 8)  # the same run, trained again on its own
    assert _ydata(live.training[1]) == expected.accuracy
    assert np.allclose(_ydata(live.validation[0]), expected.val_loss)
    assert live.title.get_text() == "lr 0.5, 8 units"
    assert live.loss_ax.get_xlim() == (0.5, 6.5)
    assert live.png(lr=0.05, hidden=8) != first
    assert live.png(lr=0.5, hidden=8) == first


# ----- SeedCurves: one thin line per seed ------------------------------------------------------
def test_seed_curves_draw_one_line_per_run_and_hide_the_rest():
    curves = SeedCurves()
    curves.update(runs=[RUN, OTHER], compare=[OTHER], compare_label="fixed")
    (loss_0, acc_0), (loss_1, acc_1) = curves.seed_training[:2]
    assert _ydata(loss_0) == RUN.loss and _ydata(acc_1) == OTHER.accuracy
    assert _ydata(curves.seed_validation[1][1]) == OTHER.val_accuracy
    assert _ydata(curves.seed_comparison[0][0]) == OTHER.val_loss
    shown = [line.get_visible() for lines in curves.seed_training for line in lines]
    assert shown == [True] * 4 + [False] * (len(shown) - 4)
    assert not any(line.get_visible() for lines in curves.seed_comparison[1:] for line in lines)
    assert curves.loss_ax.get_xlim() == (0.5, 4.5)  # the longest run shown
    labels = [text.get_text() for text in curves.legend.get_texts()]
    assert labels == ["training (one line per seed)", "validation", "fixed: validation"]
    curves.update(runs=[RUN])  # fewer runs: the lines of the others disappear
    assert not any(line.get_visible() for lines in curves.seed_training[1:] for line in lines)
    assert not any(line.get_visible() for lines in curves.seed_comparison for line in lines)


def test_seed_curves_count_the_diverged_seeds_on_one_line_with_the_range_of_updates():
    curves = SeedCurves()
    late = History(loss=[2.0], val_loss=[2.0], accuracy=[0.1], val_accuracy=[0.1],
                   diverged=True, steps=12)
    curves.update(runs=[DIVERGED, RUN, late], epochs=20)
    (note,) = curves.diverged
    assert note.get_text() == "2 of 3 seeds diverged at updates 6–13"
    curves.update(runs=[DIVERGED, RUN], epochs=20)
    assert note.get_text() == "1 of 2 seeds diverged at update 6"
    curves.update(runs=[RUN, OTHER])
    assert note.get_text() == ""


def test_seed_curves_mark_the_restored_epochs_and_the_l2_penalty_only_when_asked_for():
    curves = SeedCurves()
    curves.update(runs=[RUN, OTHER], restored_best=True, l2_penalty=True)
    loss_marks, accuracy_marks = curves.restored
    assert list(loss_marks.get_xdata()) == [3]  # RUN's best epoch 2 (from 0); OTHER has none
    assert _ydata(loss_marks) == [0.9] and _ydata(accuracy_marks) == [0.7]
    assert "restored epoch" in [text.get_text() for text in curves.legend.get_texts()]
    assert "L2 penalty" in curves.loss_note.get_text()
    curves.update(runs=[RUN, OTHER])
    assert _ydata(loss_marks) == [] and curves.loss_note.get_text() == ""
    assert "restored epoch" not in [text.get_text() for text in curves.legend.get_texts()]


def test_seed_curves_draw_the_uniform_guess_at_ln_k_when_asked_for():
    curves = SeedCurves()
    curves.update(runs=[RUN], uniform_guess=10)
    assert curves.uniform_guess.get_visible()
    assert np.allclose(curves.uniform_guess.get_ydata(), np.log(10))
    assert curves.uniform_guess_label.get_text() == "uniform guess (ln 10)"
    curves.update(runs=[RUN])
    assert not curves.uniform_guess.get_visible()
    assert curves.uniform_guess_label.get_text() == ""
    with pytest.raises(ValueError, match="uniform_guess"):
        curves.update(runs=[RUN], uniform_guess=1)


def test_seed_curves_png_changes_with_the_runs_and_repeats_itself():
    curves = SeedCurves(page=True)
    one = curves.png(runs=[RUN], epochs=10)
    two = curves.png(runs=[RUN, OTHER], epochs=10)
    assert one != two and curves.png(runs=[RUN], epochs=10) == one


def test_seed_curves_reject_bad_input_by_name():
    with pytest.raises(ValueError, match="runs"):
        SeedCurves().update(runs=[])
    with pytest.raises(ValueError, match="runs"):
        SeedCurves().update(runs=RUN)  # one History, not a list of them
    with pytest.raises(ValueError, match="compare"):
        SeedCurves().update(runs=[RUN], compare=[RUN] * (MAX_SEEDS + 1))
    with pytest.raises(ValueError, match="epochs"):
        SeedCurves().update(runs=[OTHER], epochs=3)


def test_a_page_frame_reads_on_the_page_with_every_note_shown():
    """Legend, notes and title of a busy frame are at least 11 CSS px, and it fits the column."""
    busy = History(loss=[2.0, 1e3], val_loss=[1e-4, 2.0], accuracy=[0.1, 0.1],
                   val_accuracy=[0.1, 0.1], diverged=True, steps=5)
    with plt.rc_context():
        use_style()  # as the chapter does; the context restores matplotlib's defaults
        _check_busy_frames(busy)


def _check_busy_frames(busy):
    for curves, values in ((LearningCurves(page=True), {"history": busy, "compare": RUN,
                                                        "mark_best": True}),
                           (SeedCurves(page=True), {"runs": [busy, RUN], "compare": [OTHER],
                                                    "restored_best": True, "l2_penalty": True,
                                                    "uniform_guess": 10})):
        png = curves.png(title="a run", **values)
        assert curves.beyond_range.get_text() and curves.diverged[0].get_text()
        assert not style.problems(style.audit(curves.figure, curves.figure.dpi, png))
