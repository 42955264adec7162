"""Checks of the benchmark harness's logic (benchmarks/); nothing here times anything."""

import math
import sys
from pathlib import Path

import ipywidgets as widgets
import nbformat
import numpy as np
import pytest

import backproplab.plots.widgets
from backproplab.data import load_digits, xor
from backproplab.network import MLP, Sequential
from backproplab.training import train

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/ is not installed
from benchmarks import (  # noqa: E402
    bench_frames,
    bench_scalar,
    bench_training,
    bench_widgets,
    report,
    widget_probe,
)
from benchmarks.timing import Comparison, interleaved  # noqa: E402


# ----- timing --------------------------------------------------------------------------------
def test_interleaved_alternates_the_order_and_drops_the_warmup():
    calls = []

    def factory(name):
        def prepare():
            calls.append(("prepare", name))
            return lambda: calls.append(("run", name))

        return prepare

    result = interleaved({"a": factory("a"), "b": factory("b")}, rounds=3, warmup=1)
    runs = [name for kind, name in calls if kind == "run"]
    assert runs == ["a", "b", "b", "a", "a", "b", "b", "a"]  # warmup round, then 3 rounds
    assert calls.count(("prepare", "a")) == 4  # prepared afresh before every run
    assert [len(v) for v in result.seconds.values()] == [3, 3]


def test_comparison_ratio_is_the_ratio_of_medians():
    comparison = Comparison({"a": [1.0, 9.0, 3.0], "b": [2.0, 2.0, 4.0]})
    summary = comparison.summary("a", "b")
    assert summary["ratio"] == 3.0 / 2.0
    assert summary["round_ratio_min"] == 0.5 and summary["round_ratio_max"] == 4.5
    assert summary["median_seconds"] == {"a": 3.0, "b": 2.0}


def test_interleaved_needs_a_round():
    with pytest.raises(ValueError, match="rounds"):
        interleaved({"a": lambda: lambda: None}, rounds=0)


# ----- report --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "target", "comparison", "passed"),
    [(0.9, 1.0, "<=", True), (1.1, 1.0, "<=", False), (0.7, 0.6, ">=", True),
     (0.5, 0.6, ">=", False), (3.0, None, "<=", None), (math.inf, 1.0, "<=", False),
     (math.inf, 0.6, ">=", False)],
)
def test_figure_verdicts(value, target, comparison, passed):
    assert report.figure("k", "t", value, "ratio", target, comparison)["passed"] is passed


def test_merge_replaces_remeasured_figures_and_keeps_the_rest_in_order():
    old = [{"key": "a", "v": 1}, {"key": "b", "v": 1}]
    new = [{"key": "c", "v": 2}, {"key": "a", "v": 2}]
    assert report.merge(old, new) == [{"key": "a", "v": 2}, {"key": "b", "v": 1},
                                      {"key": "c", "v": 2}]


def test_markdown_table_has_a_row_per_figure_with_its_verdict():
    table = report.markdown_table([
        report.figure("x", "XOR ratio", 0.25, "ratio", 1.0),
        report.figure("w", "widget", 150.0, "ms", 100.0),
        report.figure("s", "speed-up", 40.0, "×"),
    ])
    lines = table.splitlines()
    assert lines[2] == "| XOR ratio | 0.25 | ≤ 1.00 | pass |"
    assert lines[3] == "| widget | 150 ms | ≤ 100 ms | **FAIL** |"
    assert lines[4] == "| speed-up | 40× | — | reported |"


# ----- training ------------------------------------------------------------------------------
def test_matmul_plan_follows_the_training_step():
    plan = bench_training.matmul_plan((784, 512, 512, 10), 256, np.random.default_rng(0))
    shapes = [(X.shape, W.shape, dZ.shape, dW.shape, input_grad)
              for X, W, dZ, dW, input_grad in plan]
    assert shapes == [
        ((256, 784), (784, 512), (256, 512), (784, 512), False),  # the input's dX is skipped
        ((256, 512), (512, 512), (256, 512), (512, 512), True),
        ((256, 512), (512, 10), (256, 10), (512, 10), True),
    ]


def test_steps_count_every_mini_batch():
    xor_run, digits_run, large_run = bench_training.WORKLOADS
    assert xor_run.steps(4) == 10_000
    assert digits_run.steps(1797) == 5 * 57  # ceil(1797 / 32) = 57
    assert large_run.steps(4096) == 16


class _PublicPath(Sequential):
    """A subclass, so ``train`` takes the public, checked layer methods."""


@pytest.mark.parametrize(
    ("sizes", "activation", "loss", "batch_size"),
    [((2, 5, 1), "tanh", "bce_with_logits", None), ((2, 5, 1), "sigmoid", "mse", 3),
     ((64, 8, 10), "relu", "softmax_cross_entropy", 32)],
)
def test_train_is_bit_identical_to_the_public_layer_methods(sizes, activation, loss, batch_size):
    X, y = xor() if sizes[0] == 2 else (a[:200] for a in load_digits())
    fast = MLP(list(sizes), activation=activation, seed=3)
    public = _PublicPath(MLP(list(sizes), activation=activation, seed=3).layers)
    histories = [train(m, X, y, loss=loss, lr=0.1, epochs=20, batch_size=batch_size, seed=1)
                 for m in (fast, public)]
    assert histories[0].loss == histories[1].loss
    for a, b in zip(fast.params + fast.grads, public.params + public.grads, strict=True):
        np.testing.assert_array_equal(a, b)


def test_pytorch_loop_reproduces_train_history():
    torch = pytest.importorskip("torch")
    workload = bench_training.Workload("digits", "t", (64, 16, 10), "relu",
                                       "softmax_cross_entropy", 0.1, 2, 50, 1.0, 1)
    X, y = (a[:300] for a in load_digits())
    history = train(workload.model(), X, y, loss=workload.loss, lr=workload.lr,
                    epochs=workload.epochs, batch_size=workload.batch_size,
                    seed=bench_training.SHUFFLE_SEED).loss
    net = bench_training.torch_mirror(torch, workload.model())
    mirrored = bench_training.torch_train(torch, net, torch.from_numpy(X), torch.from_numpy(y),
                                          workload)
    np.testing.assert_allclose(mirrored, history, rtol=1e-12)


# ----- scalar engine -------------------------------------------------------------------------
def test_scalar_gradient_matches_the_vectorised_one():
    fig = bench_scalar.speedup("xor", "XOR", (2, 3, 1), xor, calls=(1, 1), rounds=1)
    assert fig["details"]["max_abs_gradient_difference"] < 1e-12
    assert fig["details"]["parameters"] == 2 * 3 + 3 + 3 + 1


# ----- live figures --------------------------------------------------------------------------
def test_alternatives_lie_inside_each_controls_range():
    float_values = widget_probe.alternatives(widgets.FloatSlider(value=0.3, min=0.0, max=2.0))
    assert float_values == [("value", 0.5), ("value", 1.5)]
    int_values = widget_probe.alternatives(widgets.IntSlider(value=1, min=1, max=9))
    assert int_values == [("value", 3), ("value", 7)]
    log_values = widget_probe.alternatives(
        widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=2))
    assert log_values == [("value", 10.0**-1), ("value", 10.0**1)]
    dropdown = widgets.Dropdown(options=["a", "b", "c", "d"], value="b")
    assert widget_probe.alternatives(dropdown) == [("index", 0), ("index", 3)]
    assert widget_probe.alternatives(widgets.Checkbox(value=False)) == [("value", True)]


def test_an_alternative_equal_to_the_default_is_skipped():
    values = widget_probe.alternatives(widgets.IntSlider(value=3, min=1, max=9))
    assert values == [("value", 7)]


def test_probe_notebook_stops_after_the_last_live_figure():
    cells = [
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("live_explorer(f, a=slider)"),
        nbformat.v4.new_code_cell("y = 2"),
        nbformat.v4.new_code_cell("live_explorer(g, b=slider)"),
        nbformat.v4.new_code_cell("z = 3"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    probe = bench_widgets.probe_notebook(notebook, repeats=1)
    sources = [cell.source for cell in probe.cells]
    assert "widget_probe.install(repeats=1)" in sources[0]
    assert sources[1:-1] == ["x = 1", "live_explorer(f, a=slider)", "y = 2",
                             "live_explorer(g, b=slider)"]
    assert bench_widgets.MARKER in sources[-1]
    assert bench_widgets._last_live_cell(nbformat.v4.new_notebook(cells=cells[:2])) == -1


def test_probe_times_every_change_of_a_live_figure(monkeypatch):
    from backproplab.plots.live import LiveFigure

    class Line(LiveFigure):
        def __init__(self):
            super().__init__(figsize=(1, 1))
            self.line = self.moving(self.figure.subplots().plot([], [])[0])
            self.seen = []

        def update(self, a, b):
            self.seen.append((a, b))
            self.line.set_data([0, 1], [a, b])

    monkeypatch.setattr(widget_probe, "RESULTS", [])
    module = backproplab.plots.widgets
    monkeypatch.setattr(module, "live_explorer", module.live_explorer)
    widget_probe.install(repeats=1)
    figure = Line()
    backproplab.plots.widgets.live_explorer(
        figure, a=widgets.FloatSlider(value=0.5, min=0, max=1),
        b=widgets.Dropdown(options=[1, 2, 3], value=2))
    (record,) = widget_probe.RESULTS
    # the first draw, then each control to two other values and back to its default
    assert figure.seen == [(0.5, 2), (0.25, 2), (0.5, 2), (0.75, 2), (0.5, 2),
                           (0.5, 1), (0.5, 2), (0.5, 3), (0.5, 2)]
    assert record["figure_class"] == "Line"
    assert len(record["default_ms"]) == len(record["other_ms"]) == 4
    assert record["median_default_ms"] > 0 and not record["failures"]


def test_the_inline_copy_of_a_page_holds_each_frame_file_as_a_data_uri(tmp_path, monkeypatch):
    import base64

    monkeypatch.setattr(bench_frames, "HTML", tmp_path)
    (tmp_path / "book").mkdir()
    (tmp_path / "_frames").mkdir()
    (tmp_path / "_frames" / "ab12.png").write_bytes(b"\x89PNG frame")
    (tmp_path / "book" / "ch.html").write_text(
        '<img loading="lazy" src="../_frames/ab12.png" alt="a"> <img src="../_images/x.png">')
    copy = bench_frames.inline_copy("ch")
    data = base64.b64encode(b"\x89PNG frame").decode()
    assert copy.name == "ch.inline-frames.html"
    assert copy.read_text() == (f'<img loading="lazy" src="data:image/png;base64,{data}" '
                                'alt="a"> <img src="../_images/x.png">')
