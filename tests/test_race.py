"""The optimizer race (tuning, running, scoring, snapshots, step sizes) and chapter 6's
figures: the nested static player and the race frames. Expected values come from closed
forms worked out by hand (gradient descent on a round bowl, geometric sums, Adam's
bias-correction factors), not from the code under test."""

import io

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from ipywidgets.widgets.widget import _instances  # noqa: E402
from ipywidgets.widgets.widget_link import Link  # noqa: E402
from PIL import Image  # noqa: E402

import backproplab.plots.race as race_plots  # noqa: E402
from backproplab.network import MLP  # noqa: E402
from backproplab.plots.live import LIVE_DPI  # noqa: E402
from backproplab.plots.race import (  # noqa: E402
    DISPLAY_FLOOR,
    LOSS_HEADROOM,
    OPTIMIZER_LABELS,
    RACE_SIZE,
    LiveRace,
    RaceFigure,
    exit_point,
    for_people,
    in_view,
    optimizer_style,
    plot_bias_correction,
    plot_epoch_counting,
    plot_race_sweep,
    plot_training_race,
    race_alt,
    race_frames,
    race_groups,
)
from backproplab.plots.widgets import precomputed_player  # noqa: E402
from backproplab.studies.race import (  # noqa: E402
    LOSS_FLOOR,
    RaceSweep,
    first_moment_estimates,
    losses_at,
    path_score,
    race,
    race_sweep,
    shifted_grid,
    snapshot_steps,
    step_sizes,
    steps_to_reach,
    steps_to_stay,
    train_optimizers,
    tune_lr,
    tune_lrs,
)
from backproplab.studies.surfaces import OptimizerPath, Quadratic  # noqa: E402
from backproplab.training import train  # noqa: E402

START = (0.8, -0.6)


def _path(losses, diverged=False):
    losses = np.asarray(losses, dtype=float)
    points = np.zeros((len(losses), 2))
    return OptimizerPath(points, losses, diverged, "", len(losses) - 1, np.zeros(2))


def _bowl():
    return Quadratic((1.0, 1.0), name="bowl")


# ----- scoring and tuning -----------------------------------------------------------------
def test_path_score_averages_the_log_of_the_highest_loss_still_to_come():
    # highest loss from each step on: 4, 2, 2, 0.5
    expected = (np.log10(4) + 2 * np.log10(2) + np.log10(0.5)) / 4
    assert path_score(_path([4.0, 1.0, 2.0, 0.5])) == pytest.approx(expected)


def test_path_score_floors_exact_zeros_and_rejects_divergence():
    assert path_score(_path([0.0, 0.0])) == pytest.approx(np.log10(LOSS_FLOOR))
    assert path_score(_path([1.0, 10.0], diverged=True)) == np.inf


def test_a_late_spike_scores_worse_than_staying_down():
    steady = _path([1.0, 1e-6, 1e-6, 1e-6])
    spiking = _path([1.0, 1e-9, 1e-9, 1e-2])
    assert path_score(steady) < path_score(spiking)


def test_tune_lr_finds_the_one_step_learning_rate_of_a_round_bowl():
    # On f = |p|^2 / 2 gradient descent with lr 1 lands on the minimum in one step.
    assert tune_lr(_bowl(), "sgd", lrs=[0.1, 0.5, 1.0, 1.5], start=START, steps=10) == 1.0


def test_tune_lr_refuses_a_grid_where_everything_diverges():
    # |1 - lr| >= 2 for these rates: the distance at least doubles every step.
    with pytest.raises(ValueError, match="every learning rate"):
        tune_lr(_bowl(), "sgd", lrs=[3.0, 4.0], start=START, steps=60)
    with pytest.raises(ValueError, match="at least one"):
        tune_lr(_bowl(), "sgd", lrs=[], start=START)


def test_tune_lrs_keeps_the_order_of_the_optimizers():
    lrs = tune_lrs(_bowl(), optimizers=("momentum", "sgd"), lrs=[0.5, 1.0], start=START, steps=8)
    assert list(lrs) == ["momentum", "sgd"] and lrs["sgd"] == 1.0


# ----- racing -------------------------------------------------------------------------------
def test_race_scales_every_learning_rate():
    paths = race(_bowl(), {"sgd": 0.25, "momentum": 0.1}, start=START, steps=6, lr_scale=2.0)
    assert list(paths) == ["sgd", "momentum"]
    k = np.arange(7)[:, None]
    # gradient descent on the round bowl with lr 0.5: p_k = 0.5^k p_0
    assert np.allclose(paths["sgd"].points, 0.5**k * np.array(START))


def test_race_accepts_a_surface_name_and_rejects_bad_arguments():
    paths = race("bowl", {"sgd": 0.5}, start=START, steps=3)
    assert paths["sgd"].points.shape == (4, 2)
    with pytest.raises(ValueError, match="lrs"):
        race(_bowl(), {}, start=START)
    with pytest.raises(ValueError, match="lr_scale"):
        race(_bowl(), {"sgd": 0.1}, start=START, lr_scale=0.0)
    with pytest.raises(TypeError, match="surface"):
        race(42, {"sgd": 0.1})


def test_steps_to_reach_and_losses_at():
    path = _path([3.0, 2.0, 0.5, 0.1])
    assert steps_to_reach(path, 0.5) == 2 and steps_to_reach(path, 0.01) is None
    assert losses_at({"a": path}, 1) == {"a": 2.0}
    assert losses_at({"a": path}, 99) == {"a": 0.1}  # past the end: the last loss


@settings(max_examples=40, deadline=None)
@given(steps=st.integers(1, 2000), data=st.data())
def test_snapshot_steps_are_distinct_increasing_and_span_the_run(steps, data):
    count = data.draw(st.integers(2, min(steps + 1, 40)))
    chosen = snapshot_steps(steps, count)
    assert len(chosen) == count and chosen[0] == 0 and chosen[-1] == steps
    assert all(b > a for a, b in zip(chosen, chosen[1:], strict=False))


def test_snapshot_steps_are_roughly_geometric_and_checked():
    assert snapshot_steps(10, 11) == list(range(11))
    chosen = snapshot_steps(1000, 4)  # about 1000^(1/3) = 10, 1000^(2/3) = 100
    assert chosen[1] in range(8, 13) and chosen[2] in range(95, 106)
    with pytest.raises(ValueError, match="count"):
        snapshot_steps(5, 7)


# ----- step sizes ---------------------------------------------------------------------------
def test_step_sizes_of_sgd_and_momentum_under_a_constant_gradient():
    assert np.allclose(step_sizes("sgd", np.full(5, -2.0), lr=0.5), 2.0)
    k = np.arange(1, 31)
    # v_k = 1 + 0.8 + ... + 0.8^(k-1) = (1 - 0.8^k) / 0.2
    assert np.allclose(step_sizes("momentum", np.ones(30), lr=0.1, momentum=0.8),
                       (1 - 0.8**k) / 0.2)


def test_step_sizes_replays_a_wrong_step_count_for_adam():
    k = np.arange(1, 13)
    epochs = (k - 1) // 4 + 1  # four updates per epoch, counted per epoch
    sizes = step_sizes("adam", np.ones(12), lr=0.01, step_counts=epochs)
    expected = (1 - 0.9**k) / (1 - 0.9**epochs) * np.sqrt((1 - 0.999**epochs) / (1 - 0.999**k))
    assert np.allclose(sizes, expected, rtol=1e-6)
    assert np.allclose(step_sizes("adam", np.ones(12), lr=0.01), 1.0, rtol=1e-6)


def test_step_sizes_checks_its_step_counts():
    with pytest.raises(ValueError, match="one count per gradient"):
        step_sizes("adam", np.ones(3), step_counts=[1, 2])
    with pytest.raises(ValueError, match="step_counts"):
        step_sizes("adam", np.ones(2), step_counts=[1, 0])


# ----- staying below a target, and races over many settings ------------------------------------
def test_steps_to_stay_ignores_a_dip_that_rebounds():
    path = _path([3.0, 0.4, 2.0, 0.5, 0.1, 0.2])
    assert steps_to_reach(path, 0.5) == 1  # the dip at step 1 counts as arrived
    assert steps_to_stay(path, 0.5) == 3  # below from step 3 to the end
    assert steps_to_stay(path, 0.15) is None  # ends above it
    assert steps_to_stay(_path([0.1, 0.01]), 0.5) == 0
    assert steps_to_stay(_path([1.0, 1e-9], diverged=True), 0.5) is None
    with pytest.raises(ValueError, match="loss"):
        steps_to_stay(path, 0.0)


def test_shifted_grid_multiplies_every_rate():
    assert np.allclose(shifted_grid(0.5, [1.0, 10.0]), [np.sqrt(10), 10 * np.sqrt(10)])
    assert shifted_grid(0.0, [0.1]) == (0.1,)
    with pytest.raises(ValueError, match="offset"):
        shifted_grid(float("nan"), [0.1])
    with pytest.raises(ValueError, match="lrs"):
        shifted_grid(0.0, [0.1, -1.0])


def _bowl_sweep():
    # Gradient descent on the round bowl f = |p|^2 / 2 moves p to (1 - lr) p: lr 1 lands on the
    # minimum in one step, lr 2 flips the sign of p forever (the loss never changes) and lr 3
    # doubles |p| each step (beyond the radius 1e6 after 20 steps from |p_0| = 1). On the grid
    # [0.25, 0.5, 1] the tuned rate is 1; shifted down by log10(2), [0.125, 0.25, 0.5], it is
    # 0.5, whose loss 0.5 |p_0|^2 0.25^k is below 1e-6 from k = 10 (|p_0| = 1) or k = 9
    # (|p_0| = 0.5) on.
    return race_sweep(_bowl(), starts=[START, (-0.3, 0.4)], offsets=(0.0, -np.log10(2)),
                      scales=(1.0, 2.0, 3.0), optimizers=("sgd",), steps=30, target=1e-6,
                      lrs=[0.25, 0.5, 1.0])


def test_race_sweep_tunes_and_races_every_start_and_grid_offset():
    sweep = _bowl_sweep()
    assert sweep.n_settings == 4 and sweep.steps.shape == (4, 3, 1)
    assert np.allclose(sweep.tuned[:, 0], [1.0, 0.5, 1.0, 0.5])
    nan = np.nan
    expected = [[1, nan, nan], [10, 1, 10], [1, nan, nan], [9, 1, 9]]  # x1, x2, x3 per setting
    assert np.array_equal(sweep.steps[:, :, 0], expected, equal_nan=True)
    assert np.array_equal(sweep.diverged[:, :, 0], [[False, False, True], [False] * 3] * 2)
    assert np.allclose(sweep.final_loss[[0, 2], 1, 0], [0.5, 0.125])  # lr 2: |p| never changes
    assert np.isnan(sweep.final_loss[0, 2, 0])
    assert np.array_equal(sweep.times("sgd", 3.0), [nan, 10, nan, 9], equal_nan=True)
    assert sweep.diverged_in("sgd", 3.0) == 2 and sweep.diverged_in("sgd", 1.0) == 0
    assert sweep.lowest[0, 0, 0] == 0.0 and sweep.rebound[0, 0, 0] == 0.0
    assert sweep.rebound[0, 2, 0] > 1e11  # lr 3 climbs from 0.5 to beyond 0.5e12 before it stops


def test_race_sweep_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="starts"):
        race_sweep(_bowl(), starts=[(0.1, 0.2, 0.3)], steps=5)
    with pytest.raises(ValueError, match="starts"):
        race_sweep(_bowl(), starts=[], steps=5)
    with pytest.raises(ValueError, match="scales"):
        race_sweep(_bowl(), starts=[START], scales=(0.0,), steps=5)
    with pytest.raises(ValueError, match="target"):
        race_sweep(_bowl(), starts=[START], target=-1, steps=5)


def _sweep_of(times):
    """A RaceSweep with the given steps-to-stay (n_settings, n_optimizers) at scale 1."""
    times = np.asarray(times, dtype=float)[:, None, :]
    zeros = np.zeros_like(times)
    return RaceSweep("test", ("sgd", "momentum", "adam"), ((0.0, 0.0),),
                     tuple(range(len(times))), (1.0,), 1e-6, zeros[:, 0], times, zeros + 0.5,
                     zeros.astype(bool), zeros, zeros)


def test_race_sweep_counts_wins_and_places():
    sweep = _sweep_of([[10, 20, 30], [25, 20, np.nan], [5, 5, 7]])
    # the tie counts for neither
    assert sweep.faster("sgd", "momentum") == 1 and sweep.faster("momentum", "sgd") == 1
    assert sweep.faster("momentum", "adam") == 3  # never reaching it counts as infinitely slow
    assert sweep.rank_counts() == {"sgd": (2, 0), "momentum": (2, 0), "adam": (0, 3)}
    with pytest.raises(ValueError, match="optimizer"):
        sweep.times("nadam")
    with pytest.raises(ValueError, match="scale"):
        sweep.times("sgd", 2.0)


def test_first_moment_estimates_follow_the_recursion():
    # m_1 = 0.1 * 1, m_2 = 0.9 * 0.1 + 0.1 * 2, m_3 = 0.9 * 0.29 + 0.1 * 3
    assert np.allclose(first_moment_estimates([1.0, 2.0, 3.0]), [0.1, 0.29, 0.561])
    assert np.allclose(first_moment_estimates([4.0, 4.0], beta1=0.5), [2.0, 3.0])


def _tiny_classification():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((24, 3))
    return X, (X[:, 0] > 0).astype(int)


def test_train_optimizers_seeds_weights_with_s_and_shuffles_with_s_plus_1():
    X, y = _tiny_classification()
    histories, seconds = train_optimizers(X, y, {"sgd": 0.1, "adam": 0.01}, [0, 4], sizes=[3, 4, 2],
                                          epochs=2, batch_size=8)
    assert list(histories) == ["sgd", "adam"] and [len(v) for v in seconds.values()] == [2, 2]
    by_hand = train(MLP([3, 4, 2], activation="relu", seed=4), X, y, loss="softmax_cross_entropy",
                    optimizer="adam", lr=0.01, epochs=2, batch_size=8, seed=5)
    assert histories["adam"][1].loss == by_hand.loss
    assert histories["sgd"][0].loss != histories["sgd"][1].loss
    with pytest.raises(ValueError, match="lrs"):
        train_optimizers(X, y, {}, [0], sizes=[3, 2])
    with pytest.raises(ValueError, match="seeds"):
        train_optimizers(X, y, {"sgd": 0.1}, [1, 1], sizes=[3, 2])


def test_spread_figures_draw_one_band_or_line_per_seed():
    plt.close("all")
    X, y = _tiny_classification()
    histories, seconds = train_optimizers(X, y, {"sgd": 0.1, "adam": 0.01}, [0, 1, 2],
                                          sizes=[3, 4, 2], epochs=3, batch_size=8,
                                          validation=(X, y))
    fig = plot_training_race(histories, seconds)
    left = fig.axes[0]
    sgd_losses = np.array([h.loss for h in histories["sgd"]])
    assert np.allclose(left.lines[0].get_ydata(), np.median(sgd_losses, axis=0))
    assert len(left.collections) == 2  # one band per optimizer
    # a run at another learning rate is added under (name, lr), in the optimizer's colour
    fig = plot_training_race({**histories, ("adam", 0.1): histories["sgd"]},
                             {**seconds, ("adam", 0.1): [1.0, 2.0, 4.0]})
    left = fig.axes[0]
    assert len(left.collections) == 3 and len(left.lines) == 3
    assert left.lines[2].get_color() == left.lines[1].get_color()
    assert np.allclose(left.lines[2].get_ydata(), np.median(sgd_losses, axis=0))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    # the median of 1, 2 and 4 seconds; the run reuses SGD's histories, so it is on SGD's line
    assert labels[2] == "Adam, lr 0.1 (2.00 s), on SGD's line"
    assert ", on " not in labels[0] + labels[1]
    assert fig.legends[0].get_texts()[0].get_fontsize() >= 10
    for key in (("adam", -1.0), ("nope", 0.1), "nope", ("adam",)):
        with pytest.raises(ValueError, match="histories"):
            plot_training_race({key: histories["sgd"]}, {key: [1.0, 1.0, 1.0]})
    fig = plot_epoch_counting({"a": np.ones(6)}, {"a": np.ones((3, 6))}, updates_per_epoch=2)
    assert len(fig.axes[1].lines) == 3 + 2  # a line per seed, and the two epoch edges
    with pytest.raises(ValueError, match="losses"):
        plot_epoch_counting({"a": np.ones(6)}, {"a": np.ones((2, 3, 6))}, updates_per_epoch=2)
    plt.close("all")


def _histories(losses, accuracies):
    class History:  # the two fields the figure reads
        def __init__(self, loss, val_accuracy):
            self.loss, self.val_accuracy = list(loss), list(val_accuracy)

    return [History(loss, acc) for loss, acc in zip(losses, accuracies, strict=True)]


def test_training_race_shows_both_of_two_coinciding_runs():
    plt.close("all")
    base = np.array([[2.0, 1.0, 0.5, 0.25], [2.2, 1.1, 0.6, 0.3]])
    accuracy = np.array([[0.5, 0.6, 0.7, 0.8]] * 2)
    histories = {"sgd": _histories(base * 3, accuracy), "adam": _histories(base, accuracy),
                 "adamw": _histories(base * 1.004, accuracy)}  # 0.4 % above Adam's: one line
    seconds = {key: [1.0, 1.0] for key in histories}
    fig = plot_training_race(histories, seconds)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["SGD (1.00 s)", "Adam (1.00 s)", "AdamW (1.00 s), on Adam's line"]
    for ax in fig.axes[:2]:  # the pair's markers alternate, epoch by epoch; SGD marks every one
        marks = [line.get_markevery() for line in ax.lines]
        assert marks[0] in (None, 1) and marks[1] == (0, 2) and marks[2] == (1, 2)
    # 2 % apart they are two lines
    histories["adamw"] = _histories(base * 1.02, accuracy)
    labels = [t.get_text() for t in plot_training_race(histories, seconds).legends[0].get_texts()]
    assert labels[2] == "AdamW (1.00 s)"
    plt.close("all")


def test_bias_correction_figure_draws_corrected_alike_in_both_panels():
    plt.close("all")
    k = np.arange(1, 21)
    fig = plot_bias_correction(1 - 0.9**k, np.ones(20),
                               {"with correction": np.ones(20), "without correction": 2 * k})
    left, right = fig.axes
    assert "hat m" in left.lines[0].get_label() and right.lines[0].get_label() == "with correction"
    for prop in ("color", "linestyle"):
        assert plt.getp(left.lines[0], prop) == plt.getp(right.lines[0], prop)
        assert plt.getp(left.lines[1], prop) == plt.getp(right.lines[1], prop)
    plt.close("all")


def test_epoch_counting_labels_a_tick_at_or_just_below_the_smallest_step():
    plt.close("all")
    ratio = np.array([1.0, 2.05, 1.2, 0.6, 0.27])  # ends at 0.27: 0.25 is the tick to read it by
    fig = plot_epoch_counting({"a": ratio, "b": np.ones(5)}, {"a": np.ones(5), "b": np.ones(5)},
                              updates_per_epoch=2)
    left = fig.axes[0]
    fig.canvas.draw()
    low, high = left.get_ylim()
    shown = {t.get_text(): t.get_position()[1] for t in left.get_yticklabels()
             if low <= t.get_position()[1] <= high and t.get_text()}
    assert set(shown) == {"0.25", "0.5", "1", "2"}
    assert low < 0.25 and high > 2.05
    plt.close("all")


def test_race_sweep_figure_has_a_dot_per_setting_and_marks_missing_runs():
    plt.close("all")
    sweep = _sweep_of([[10, 20, 30], [25, 20, np.nan], [5, 5, 7]])
    fig = plot_race_sweep(sweep, sweep)
    left = fig.axes[0]
    assert left.get_ylabel() == "steps until loss stays < 1e-6"  # as the chapter writes it
    labels = [t.get_text() for t in left.get_xticklabels()]
    assert labels == ["SGD", "momentum", "Adam"]
    dots = [line for line in left.lines if line.get_marker() == "o"]
    assert [len(line.get_xdata()) for line in dots] == [3, 3, 2]
    crosses = [line for line in left.lines if line.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_ydata()[0] > 30
    plt.close("all")


# ----- the nested player --------------------------------------------------------------------
def _figure(value):
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, value])
    return fig


def _leaf_stacks(widget):
    if isinstance(widget.children[0], widgets.Stack):
        return [leaf for child in widget.children for leaf in _leaf_stacks(child)]
    return [widget]


def _links_from(source):
    return [w for w in _instances.values() if isinstance(w, Link) and w.source[0] is source]


def test_player_nests_one_stack_per_control_around_the_frames():
    calls = []

    def frames(a, b_value):
        calls.append((a, b_value))
        return [_figure(i) for i in range(4)]

    box = precomputed_player(
        frames, {"a": [1, 2], "b value": ["x", "y", "z"]},
        alt=lambda i, a, b_value: f"frame {i} a={a} b={b_value}", frame_labels=[0, 5, 10, 20],
    )
    assert calls == [(a, b) for a in (1, 2) for b in ("x", "y", "z")]
    controls, root = box.children[0].children, box.children[2]
    play, slider = box.children[1].children
    leaves = _leaf_stacks(root)
    assert len(leaves) == 6 and all(len(leaf.children) == 4 for leaf in leaves)
    assert 'alt="frame 2 a=2 b=x"' in leaves[3].children[2].value
    assert [label for label, _ in slider.options] == ["0", "5", "10", "20"]
    assert (play.min, play.max) == (0, 3)
    # control k drives the stacks at depth k; the slider drives every frame stack
    assert {id(lk.target[0]) for lk in _links_from(controls[0])} == {id(root)}
    assert {id(lk.target[0]) for lk in _links_from(controls[1])} == {id(c) for c in root.children}
    assert {id(lk.target[0]) for lk in _links_from(slider)} == {id(leaf) for leaf in leaves}
    assert any(lk.target[0] is slider for lk in _links_from(play))


def test_player_checks_the_number_of_frames():
    with pytest.raises(ValueError, match="3 frames"):
        precomputed_player(lambda a: [_figure(0)], {"a": [1]}, alt=lambda i, a: "",
                           frame_labels=[0, 1, 2])
    assert plt.get_fignums() == []  # the figures were closed all the same
    with pytest.raises(ValueError, match="controls"):
        precomputed_player(lambda: [], {}, alt=lambda i: "", frame_labels=[0])


# ----- race figures -------------------------------------------------------------------------
def _small_race():
    lrs = {"sgd": 2.5, "momentum": 0.3, "adam": 0.2}  # SGD diverges: |1 - 2.5| > 1
    return race(_bowl(), lrs, start=START, steps=40), lrs


def test_race_frames_are_small_equal_sized_palette_pngs():
    plt.close("all")
    paths, lrs = _small_race()
    frames = race_frames(_bowl(), paths, lrs, [0, 3, 40])
    images = [Image.open(io.BytesIO(f)) for f in frames]
    assert all(f[:8] == b"\x89PNG\r\n\x1a\n" for f in frames)
    assert all(im.mode == "P" and im.size == images[0].size for im in images)
    assert frames[0] != frames[-1]
    assert plt.get_fignums() == []


def test_race_frames_fit_the_page_and_keep_every_optimizer_colour():
    lrs = {name: 0.1 for name in OPTIMIZER_LABELS}
    paths = race(_bowl(), lrs, start=START, steps=20)
    (frame,) = race_frames(_bowl(), paths, lrs, [20])
    image = Image.open(io.BytesIO(frame)).convert("RGB")
    # 144 dpi: at most 9.55 inches wide (688 CSS px at 2x)
    assert image.size == (round(RACE_SIZE[0] * 144), round(RACE_SIZE[1] * 144))
    assert image.size[0] <= 2 * 688
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    for name in OPTIMIZER_LABELS:  # the palette still holds each line's colour, nearly exactly
        rgb = np.array(matplotlib.colors.to_rgb(optimizer_style(name)["color"])) * 255
        assert np.abs(pixels - rgb).max(axis=1).min() <= 6, name


def test_race_groups_split_the_optimizers_into_columns():
    seven = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "nadam"]
    assert race_groups(seven) == [seven[:3], seven[3:5], seven[5:]]
    assert race_groups(["adam", "sgd", "momentum"]) == [["sgd", "momentum"], ["adam"]]
    assert race_groups(["sgd", "adam"], groups=[["adam"]]) == [["adam"], ["sgd"]]


def test_in_view_counts_the_points_before_the_first_outside():
    points = np.array([[0.0, 0.0], [0.9, -0.9], [1.5, 0.0], [0.0, 0.0]])
    assert in_view(points, (-1, 1, -1, 1)) == 2  # a point back in view later does not count
    assert in_view(points, (-2, 2, -2, 2)) == 4
    assert in_view(points[2:], (-1, 1, -1, 1)) == 0


def _first_step_beyond(radius, start_norm, factor):
    """The first k with start_norm * |factor|^k > radius: where a run p_k = factor^k p_0
    leaves the divergence radius."""
    return next(k for k in range(1000) if start_norm * abs(factor) ** k > radius)


def test_race_figure_draws_the_paths_and_losses_worked_out_by_hand():
    lrs = {"sgd": 0.5, "momentum": 0.3, "adam": 0.2}
    paths = race(_bowl(), lrs, start=START, steps=40)
    figure = RaceFigure({"bowl": (_bowl(), START)}, list(paths), steps=40)
    figure.update(course="bowl", paths=paths, lrs=lrs, step=6, title="a bowl")
    # SGD at lr 0.5 on the round bowl: p_k = 0.5^k p_0
    k = np.arange(7)[:, None]
    expected = 0.5**k * np.array(START)
    assert np.allclose(np.column_stack(figure.lines[0].get_data()), expected)
    assert np.allclose(np.column_stack(figure.heads[0].get_data()), expected[-1:])
    assert len(figure.crosses[0].get_xdata()) == 0
    steps, losses = figure.curves[0].get_data()
    assert list(steps) == list(range(7))
    assert np.allclose(losses, 0.5 * np.sum(expected**2, axis=1))
    assert len(figure.lines[2].get_xdata()) == 7
    assert [t.get_text() for t in figure.rates] == ["lr 0.5", "lr 0.3", "lr 0.2"]
    assert figure.title.get_text() == "a bowl: after 6 steps"
    # small multiples: SGD and momentum share a column, Adam has its own
    assert len(figure.path_axes) == len(figure.loss_axes) == 2
    assert figure.lines[0].axes is figure.lines[1].axes is figure.path_axes[0]
    assert figure.lines[2].axes is figure.path_axes[1]
    assert figure.curves[2].axes is figure.loss_axes[1]
    # the step axis is linear: a steady clock
    assert all(ax.get_xscale() == "linear" and ax.get_xlim() == (0, 40)
               for ax in figure.loss_axes)


def test_race_figure_keeps_its_text_on_the_canvas_and_explains_the_floor():
    paths, lrs = _small_race()
    figure = RaceFigure({"bowl": (_bowl(), START)}, list(paths), steps=40, page=True)
    figure.png(course="bowl", paths=paths, lrs=lrs, step=40, title="a bowl")
    renderer = figure.figure.canvas.get_renderer()
    canvas = figure.figure.bbox
    texts = [t for t in figure.figure.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip()]
    assert figure.loss_axes[0].yaxis.label in texts and figure.path_axes[0].yaxis.label in texts
    for text in texts:  # the y labels "loss" and "y" too, left of the widest tick labels
        box = text.get_window_extent(renderer)
        assert (box.x0 >= canvas.x0 - 0.5 and box.x1 <= canvas.x1 + 0.5
                and box.y0 >= canvas.y0 - 0.5 and box.y1 <= canvas.y1 + 0.5), text.get_text()
    notes = [t.get_text() for t in texts if "bottom edge" in t.get_text()]
    assert len(notes) == 1 and "below 1e-14" in notes[0]
    # the floor note and the step labels below the loss panels do not overlap
    note = figure.floor_note.get_window_extent(renderer)
    for loss_ax in figure.loss_axes:
        assert not note.overlaps(loss_ax.xaxis.label.get_window_extent(renderer))


def test_race_alt_writes_numbers_for_people():
    paths = {"sgd": _path([24.24, 1.0]), "momentum": _path([0.6667, 1.0]),
             "adam": _path([1.875e-24, 1.0]), "nadam": _path([2.4e5, 1.0])}
    alt = race_alt("bowl", 0.5, 0, paths)
    assert "SGD 24.2, momentum 0.667, Adam 1.88e-24, Nadam 2.4e5." in alt
    assert "times 0.5" in alt and "e+" not in alt and "e-0" not in alt


def test_for_people_rounds_to_3_significant_figures():
    cases = {24.24: "24.2", 0.6667: "0.667", 1234.5: "1230", 0.001: "0.001", 1.0: "1",
             9.99e-4: "9.99e-4", 1.875e-24: "1.88e-24", 12345.0: "1.23e4", 1e-14: "1e-14",
             -3.14159: "-3.14", 0.0: "0"}
    assert {value: for_people(value) for value in cases} == cases


def test_race_figure_marks_the_target_loss_with_a_dotted_line():
    paths, _ = _small_race()
    for target, text in ((1e-6, "target 1e-6"), (1e-3, "target 1e-3")):
        figure = RaceFigure({"bowl": (_bowl(), START)}, list(paths), steps=40, target=target)
        for loss_ax in figure.loss_axes:
            flat = [line for line in loss_ax.lines
                    if len(set(line.get_ydata())) == 1 and line.get_linestyle() == ":"]
            assert len(flat) == 1 and flat[0].get_ydata()[0] == target
            assert text in [t.get_text() for t in loss_ax.texts]
    with pytest.raises(ValueError, match="target"):
        RaceFigure({"bowl": (_bowl(), START)}, list(paths), steps=40, target=0.0)
    plt.close("all")


def test_race_figure_stops_a_diverging_path_where_it_leaves_the_view():
    start = (0.1, 0.05)
    lrs = {"sgd": 2.5, "momentum": 0.3}  # SGD: p_k = (-1.5)^k p_0, beyond |x| = 1 at k = 6
    paths = race(_bowl(), lrs, start=start, steps=60)
    out = _first_step_beyond(1.0, 0.1, -1.5)
    gone = _first_step_beyond(1e6, np.hypot(*start), -1.5)  # where the run stops
    assert paths["sgd"].diverged and paths["sgd"].stopped_at == gone > out
    expected = (-1.5) ** np.arange(out)[:, None] * np.array(start)
    figure = RaceFigure({"bowl": (_bowl(), start)}, list(paths), steps=60)
    figure.update(course="bowl", paths=paths, lrs=lrs, step=out - 1, title="")
    assert np.allclose(np.column_stack(figure.lines[0].get_data()), expected)
    assert np.allclose(np.column_stack(figure.heads[0].get_data()), expected[-1:])
    assert len(figure.crosses[0].get_xdata()) == 0 and figure.rates[0].get_text() == "lr 2.5"
    # every point lies on the line through the origin and p_0, so it leaves |x| <= 1 at the
    # edge point (1, 0.5); from the step it leaves on, the path ends there, crossed out
    edge = np.array([[1.0, 0.5]])
    for step in (out, gone, 60):
        figure.update(course="bowl", paths=paths, lrs=lrs, step=step, title="")
        assert np.allclose(np.column_stack(figure.lines[0].get_data()),
                           np.vstack([expected, edge]))
        assert len(figure.heads[0].get_xdata()) == 0
        assert np.allclose(np.column_stack(figure.crosses[0].get_data()), edge)
        assert figure.rates[0].get_text() == "lr 2.5, diverged"
        assert figure.rates[1].get_text() == "lr 0.3"
    # the loss curve goes on until the run stops (it leaves the top of the loss axis)
    assert len(figure.curves[0].get_xdata()) == gone
    alt = race_alt("bowl", 2, 60, paths)
    assert "SGD diverged" in alt and "times 2" in alt and "momentum " in alt


def test_a_run_that_leaves_the_view_at_once_is_drawn_to_the_edge():
    # SGD at lr 3.5 on the round bowl: p_1 = -2.5 p_0 = (-2, 1.5), outside at once. The segment
    # p_0 + t (p_1 - p_0) = (0.8 - 2.8 t, -0.6 + 2.1 t) meets x = -1 at t = 9/14, y = 0.75.
    paths = race(_bowl(), {"sgd": 3.5}, start=START, steps=40)
    assert paths["sgd"].diverged and in_view(paths["sgd"].points, _bowl().extent) == 1
    figure = RaceFigure({"bowl": (_bowl(), START)}, ["sgd"], steps=40)
    figure.update(course="bowl", paths=paths, lrs={"sgd": 3.5}, step=40, title="")
    assert np.allclose(np.column_stack(figure.lines[0].get_data()), [START, (-1.0, 0.75)])
    assert np.allclose(np.column_stack(figure.crosses[0].get_data()), [(-1.0, 0.75)])
    assert not figure.crosses[0].get_clip_on()  # the x on the edge is drawn whole


def test_exit_point_lies_on_the_first_edge_the_segment_crosses():
    box = (-1.0, 1.0, -2.0, 2.0)
    assert np.allclose(exit_point((0, 0), (3, 0), box), (1, 0))
    assert np.allclose(exit_point((0, 0), (-1, 4), box), (-0.5, 2))  # the top before the side
    assert np.allclose(exit_point((0.5, 1.5), (1.5, 2.5), box), (1, 2))  # through the corner
    assert exit_point((0, 0), (np.inf, 0), box) is None
    assert exit_point((0, 0), (np.nan, 0), box) is None


def test_race_figure_draws_a_converging_path_that_leaves_the_view_whole():
    points = np.array([[0.5, 0.5], [1.5, 0.0], [0.2, 0.1], [0.0, 0.0]])
    wanderer = OptimizerPath(points, 0.5 * np.sum(points**2, axis=1), False, "", 3, np.zeros(2))
    figure = RaceFigure({"bowl": (_bowl(), (0.5, 0.5))}, ["sgd"], steps=3)
    figure.update(course="bowl", paths={"sgd": wanderer}, lrs={"sgd": 1.0}, step=3, title="")
    assert np.allclose(np.column_stack(figure.lines[0].get_data()), points)
    assert len(figure.crosses[0].get_xdata()) == 0 and figure.rates[0].get_text() == "lr 1"


def _live(max_steps=40):
    valley = Quadratic((0.2, 5.0), name="valley")
    courses = {"bowl": (_bowl(), START), "valley": (valley, (0.5, 0.5))}
    tuned = {"bowl": {"sgd": 0.25, "momentum": 0.1}, "valley": {"sgd": 0.1, "momentum": 0.05}}
    return LiveRace(courses, tuned, max_steps=max_steps)


def test_live_race_runs_the_scaled_learning_rates():
    figure = _live()
    figure.update(surface="bowl", scale=2.0, steps=10)
    # SGD at 2 * 0.25 = 0.5 on the round bowl: p_k = 0.5^k p_0
    expected = 0.5 ** np.arange(11)[:, None] * np.array(START)
    assert np.allclose(np.column_stack(figure.lines[0].get_data()), expected)
    assert [t.get_text() for t in figure.rates] == ["lr 0.5", "lr 0.2"]
    assert figure.title.get_text() == "bowl, learning rates ×2: after 10 steps"


def test_live_race_shortens_or_repeats_a_race_without_running_it_again(monkeypatch):
    runs = []

    def counted_race(*args, **kwargs):
        runs.append(args[3])  # steps
        return race(*args, **kwargs)

    monkeypatch.setattr(race_plots, "race", counted_race)
    figure = _live()
    first = figure.png(surface="bowl", scale=1.0, steps=40)
    for steps in (10, 25, 40):
        again = figure.png(surface="bowl", scale=1.0, steps=steps)
    figure.png(surface="bowl", scale=0.5, steps=10)
    assert runs == [40, 10]  # one race per scale, none for a shorter or a repeated one
    assert again == first
    # the first 25 steps of a 40-step race are a 25-step race
    assert figure.png(surface="bowl", scale=1.0, steps=25) == _live().png(
        surface="bowl", scale=1.0, steps=25)


def test_live_race_png_size_and_no_stale_artists():
    figure = _live()
    first = figure.png(surface="bowl", scale=1.0, steps=20)
    assert Image.open(io.BytesIO(first)).size == (round(RACE_SIZE[0] * LIVE_DPI),
                                                  round(RACE_SIZE[1] * LIVE_DPI))
    others = [figure.png(surface="bowl", scale=4.0, steps=20),
              figure.png(surface="bowl", scale=1.0, steps=5),
              figure.png(surface="valley", scale=1.0, steps=20)]
    assert len({first, *others}) == 4
    assert figure.png(surface="bowl", scale=1.0, steps=20) == first


def test_live_race_axes_are_fixed_per_surface_and_keyed_by_it(full_draws):
    figure = _live()
    draws = full_draws(figure)
    keys, limits = set(), set()
    for scale, steps in [(1.0, 20), (4.0, 20), (0.125, 40), (1.0, 3)]:  # 4: SGD diverges
        figure.png(surface="bowl", scale=scale, steps=steps)
        keys.add(figure.update(surface="bowl", scale=scale, steps=steps))
        limits.add(tuple((ax.get_xlim(), ax.get_ylim(), loss_ax.get_ylim())
                         for ax, loss_ax in zip(figure.path_axes, figure.loss_axes, strict=True)))
    assert len(keys) == 1 and len(limits) == 1 and len(draws) == 1
    # the loss axis: below the display floor up to LOSS_HEADROOM times f(start) = |p_0|^2 / 2
    bottom, top = figure.loss_axes[0].get_ylim()
    assert bottom < DISPLAY_FLOOR and top == pytest.approx(0.5 * LOSS_HEADROOM)
    assert figure.loss_axes[0].get_xlim() == (0, 40)
    assert figure.update(surface="valley", scale=1.0, steps=20) not in keys
    figure.png(surface="valley", scale=1.0, steps=20)
    assert len(draws) == 2
    assert figure.loss_axes[0].get_ylim()[1] == pytest.approx(
        0.5 * (0.2 + 5.0) / 4 * LOSS_HEADROOM)


def test_race_figures_refuse_bad_settings_by_name():
    figure = _live()
    with pytest.raises(ValueError, match="steps"):
        figure.png(surface="bowl", scale=1.0, steps=41)
    with pytest.raises(ValueError, match="scale"):
        figure.png(surface="bowl", scale=0.0, steps=10)
    with pytest.raises(ValueError, match="surface"):
        figure.png(surface="cliff", scale=1.0, steps=10)
    with pytest.raises(ValueError, match="tuned"):
        LiveRace({"bowl": (_bowl(), START)}, {"bowl": {"sgd": 0.1}, "x": {"sgd": 0.1}})
    paths, lrs = _small_race()
    drawing = RaceFigure({"bowl": (_bowl(), START)}, list(paths), steps=40)
    with pytest.raises(ValueError, match="paths"):
        drawing.png(course="bowl", paths={"sgd": paths["sgd"]}, lrs=lrs, step=3, title="")
    with pytest.raises(ValueError, match="step"):
        drawing.png(course="bowl", paths=paths, lrs=lrs, step=-1, title="")


def test_every_optimizer_has_its_own_style():
    styles = [optimizer_style(name) for name in OPTIMIZER_LABELS]
    for key in ("color", "linestyle", "marker"):  # each cue on its own tells them apart
        assert len({str(s[key]) for s in styles}) == len(OPTIMIZER_LABELS), key


def test_tuned_times_passes_hyper_parameters_and_matches_the_sweep():
    from backproplab.studies.race import tuned_times
    from backproplab.studies.surfaces import Quadratic

    bowl = Quadratic((0.5, 2.0), rotation_deg=-30)
    starts = [(-0.6, 0.9), (0.8, 0.3)]
    sweep = race_sweep(bowl, starts, offsets=(0.0, 0.25), optimizers=("adam",), steps=150)
    default = tuned_times(bowl, starts, "adam", offsets=(0.0, 0.25), steps=150)
    assert np.array_equal(default, sweep.times("adam"), equal_nan=True)  # same tuning, same runs
    # a different beta1 is a different optimizer: the times change in some setting
    other = tuned_times(bowl, starts, "adam", offsets=(0.0, 0.25), steps=150, betas=(0.45, 0.999))
    assert other.shape == (4,) and not np.array_equal(other, default, equal_nan=True)
    with pytest.raises(ValueError, match="starts"):
        tuned_times(bowl, [], "adam")
