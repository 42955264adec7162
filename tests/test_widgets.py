"""The static-friendly widgets: one frame per setting, linked in the browser, never a traceback."""

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from ipywidgets.widgets.widget import _instances  # noqa: E402
from ipywidgets.widgets.widget_link import Link  # noqa: E402

from backproplab.plots.live import LiveFigure  # noqa: E402
from backproplab.plots.widgets import (  # noqa: E402
    animation,
    figure_to_png,
    image_html,
    live_explorer,
    precomputed_explorer,
    precomputed_player,
)


def _figure(a=0, b=0):
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [a, b])
    return fig


def _leaves(widget):
    if isinstance(widget, widgets.Stack):
        return [leaf for child in widget.children for leaf in _leaves(child)]
    return [widget]


def _links():
    """Every browser-side link alive in this process (DirectionalLink is a Link)."""
    return [w for w in _instances.values() if isinstance(w, Link)]


def test_figure_to_png_is_a_png_and_closes_the_figure():
    fig = _figure()
    png = figure_to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)


def test_image_html_escapes_alt_text():
    tag = image_html(figure_to_png(_figure()), 'a "quoted" <b>')
    assert 'alt="a &quot;quoted&quot; &lt;b&gt;"' in tag


def test_explorer_has_one_frame_per_combination_in_product_order():
    calls = []

    def render(a, b_value):
        calls.append((a, b_value))
        return _figure(a, b_value)

    box = precomputed_explorer(
        render, {"a": [1, 2, 3], "b value": ["x", "y"]}, alt=lambda a, b_value: f"a={a} b={b_value}"
    )
    assert calls == [(a, b) for a in (1, 2, 3) for b in ("x", "y")]
    controls, root = box.children[-2], box.children[-1]
    leaves = _leaves(root)
    assert len(leaves) == 6
    assert 'alt="a=2 b=y"' in leaves[3].value
    slider, dropdown = controls.children
    assert isinstance(slider, widgets.SelectionSlider)
    assert isinstance(dropdown, widgets.Dropdown)


def test_explorer_links_each_control_to_every_stack_at_its_depth():
    box = precomputed_explorer(
        lambda a, b: _figure(a, b), {"a": [1, 2], "b": [3, 4, 5]}, alt=lambda a, b: "f"
    )
    controls, root = box.children[-2].children, box.children[-1]
    links = [lk for lk in _links() if lk.source[0] in controls]
    targets_a = {id(lk.target[0]) for lk in links if lk.source[0] is controls[0]}
    targets_b = {id(lk.target[0]) for lk in links if lk.source[0] is controls[1]}
    assert targets_a == {id(root)}
    assert targets_b == {id(child) for child in root.children}
    assert all(lk.source[1] == "index" and lk.target[1] == "selected_index" for lk in links)


def test_explorer_and_player_open_on_the_start_values_with_every_stack_agreeing():
    def shown(stack):
        while isinstance(stack, widgets.Stack):
            stack = stack.children[stack.selected_index]
        return stack.value

    box = precomputed_explorer(lambda a, b: _figure(a, b), {"a": [1, 2], "b": [3, 4, 5]},
                               alt=lambda a, b: f"a={a} b={b}", start={"b": 4})
    controls, root = box.children[-2].children, box.children[-1]
    assert [c.index for c in controls] == [0, 1]
    assert 'alt="a=1 b=4"' in shown(root)
    assert all(child.selected_index == 1 for child in root.children)  # after a moves too

    player = precomputed_player(lambda scale: [_figure(scale), _figure(-scale)],
                                {"scale": [0.5, 1, 2]}, alt=lambda i, scale: f"{scale} {i}",
                                frame_labels=[0, 1], start={"scale": 1})
    assert player.children[0].children[0].index == 1
    assert 'alt="1 0"' in shown(player.children[-1])


def test_a_start_value_that_is_not_offered_is_refused_by_name():
    with pytest.raises(ValueError, match=r"start\['a'\] must be one of \[1, 2\]; got 3"):
        precomputed_explorer(lambda a: _figure(a), {"a": [1, 2]}, alt=str, start={"a": 3})
    with pytest.raises(ValueError, match="start names controls \\['c'\\] that do not exist"):
        precomputed_explorer(lambda a: _figure(a), {"a": [1, 2]}, alt=str, start={"c": 1})


@pytest.mark.parametrize("controls", [{}, {"a": []}, None])
def test_explorer_rejects_empty_controls(controls):
    with pytest.raises(ValueError, match="controls"):
        precomputed_explorer(lambda **k: _figure(), controls, alt=lambda **k: "")


def test_animation_play_drives_the_slider_and_the_slider_the_stack():
    box = animation([_figure(0, i) for i in range(4)], alt=[f"frame {i}" for i in range(4)])
    (play, slider), stack = box.children[0].children, box.children[1]
    assert play.max == 3 and len(stack.children) == 4
    pairs = {(lk.source[0].model_id, lk.target[0].model_id) for lk in _links()}
    assert (play.model_id, slider.model_id) in pairs
    assert (slider.model_id, stack.model_id) in pairs


def test_animation_needs_one_alt_text_per_frame():
    figure = _figure()
    with pytest.raises(ValueError, match="alt"):
        animation([figure], alt=[])
    plt.close(figure)


class _Line(LiveFigure):
    """A line from (0, 0) to (1, x); refuses x > 1."""

    def __init__(self):
        super().__init__(figsize=(1, 1))
        ax = self.figure.subplots()
        ax.set(xlim=(0, 1), ylim=(0, 1))
        self.line = self.moving(ax.plot([], [])[0])

    def update(self, x):
        if x > 1:
            raise ValueError("x is too large")
        self.line.set_data([0, 1], [0, x])


def test_live_explorer_redraws_the_image_on_every_change():
    slider = widgets.FloatSlider(value=0.5, min=0, max=2)
    box = live_explorer(_Line(), x=slider)
    controls, message, image = box.children
    assert controls.children == (slider,)
    first = image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and message.value == ""
    slider.value = 0.9
    assert image.value != first
    slider.value = 0.5
    assert image.value == first


def test_live_explorer_shows_a_message_not_a_traceback():
    slider = widgets.FloatSlider(value=0.5, min=0, max=2)
    controls, message, image = live_explorer(_Line(), x=slider).children
    good = image.value
    slider.value = 1.5
    assert message.value == "Cannot draw this setting: x is too large"
    assert image.value == good  # the last good figure stays
    slider.value = 0.25
    assert message.value == "" and image.value != good
