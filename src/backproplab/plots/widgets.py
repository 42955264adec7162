"""Interactive figures that work in a live kernel *and* on a static web page.

A static page keeps the widget state saved at build time, but it has no kernel,
so Python callbacks cannot run there. Links made with ``jslink``/``jsdlink``
live in the browser, however, and keep working. The static-friendly figures
below therefore *precompute* one image per combination of control values, put
the images in (nested) ``Stack`` widgets, and link each control's ``index`` to
the stacks' ``selected_index``. The same widget works unchanged in Jupyter.

For continuous exploration in a live kernel, :func:`live_explorer` wires
ordinary sliders to a :class:`~backproplab.plots.live.LiveFigure`, which redraws
only what moves. It never shows a traceback: a failing update is reported as a
short message above the figure.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt

from .._validation import check_positive_int
from .live import FRAME_DPI, LiveFigure
from .style import DENSITY, PX_PER_INCH, css_size


def figure_to_png(fig, dpi: int = FRAME_DPI, tight: bool = True) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it (frees its memory).

    ``tight`` trims the margins, at the price of drawing the figure twice.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return buffer.getvalue()


def image_html(png: bytes, alt: str, density: float = DENSITY) -> str:
    """An ``<img>`` tag that embeds ``png`` and carries ``alt`` text for screen readers.

    The tag states the image's size in CSS pixels (its pixels over ``density``), so that a
    2x frame shows sharp at its intended size and the page reserves its space before it loads.
    """
    data = base64.b64encode(png).decode("ascii")
    width, height = css_size(png, density)
    return (f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" '
            f'alt="{html.escape(alt)}" class="bpl-frame" style="max-width:100%;height:auto">')


def _frame(png: bytes, alt: str, dpi: int) -> widgets.HTML:
    return widgets.HTML(value=image_html(png, alt, density=dpi / PX_PER_INCH))


def _control(name: str, values: Sequence, labels: Sequence[str] | None,
             index: int = 0) -> widgets.Widget:
    """A control whose integer ``index`` selects a frame: a slider for numbers, else a dropdown."""
    labels = [str(v) for v in values] if labels is None else [str(s) for s in labels]
    options = list(zip(labels, range(len(values)), strict=True))
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    style = {"description_width": "initial"}
    if numeric and len(values) > 1:
        return widgets.SelectionSlider(
            options=options, index=index, description=name, continuous_update=True, style=style,
            layout=widgets.Layout(width="420px"),
        )
    return widgets.Dropdown(options=options, index=index, description=name, style=style)


def _control_row(controls: list[widgets.Widget]) -> widgets.HBox:
    """Controls side by side, wrapping onto a new line when the page is too narrow."""
    return widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap"))


def _check_controls(controls: Mapping[str, Sequence]) -> None:
    if not isinstance(controls, Mapping) or not controls:
        raise ValueError("controls must be a non-empty mapping of name -> sequence of values")
    for name, values in controls.items():
        if len(values) == 0:
            raise ValueError(f"controls['{name}'] must list at least one value")


def _start_indices(controls: Mapping[str, Sequence], start: Mapping | None) -> list[int]:
    """Index of the value each control shows first: ``start[name]``, else its first value."""
    start = dict(start or {})
    unknown = sorted(set(start) - set(controls))
    if unknown:
        raise ValueError(f"start names controls {unknown} that do not exist; "
                         f"the controls are {list(controls)}")
    indices = []
    for name, values in controls.items():
        if name not in start:
            indices.append(0)
        elif start[name] in list(values):
            indices.append(list(values).index(start[name]))
        else:
            raise ValueError(f"start['{name}'] must be one of {list(values)}; "
                             f"got {start[name]!r}")
    return indices


def precomputed_explorer(
    render: Callable[..., object],
    controls: Mapping[str, Sequence],
    alt: Callable[..., str],
    labels: Mapping[str, Sequence[str]] | None = None,
    title: str | None = None,
    dpi: int = FRAME_DPI,
    start: Mapping | None = None,
) -> widgets.VBox:
    """A figure with controls that responds without a kernel.

    ``render(**values)`` returns a matplotlib Figure, or PNG bytes (such as
    ``LiveFigure.png``), for one combination of control values;
    it is called once per combination (the product of all value lists), so keep the lists short.
    ``alt(**values)`` returns the alt text of that frame.
    ``controls`` maps a control name (its on-screen label) to the sequence of values it offers;
    the keyword passed to ``render`` is the name with spaces turned into underscores.
    ``labels`` optionally gives display labels for a control's values; ``start`` maps a
    control name to the value it shows first (by default its first value).
    """
    _check_controls(controls)
    names = list(controls)
    keys = [name.replace(" ", "_") for name in names]
    labels = labels or {}
    value_lists = [list(controls[name]) for name in names]
    first = _start_indices(controls, start)

    def build(depth: int, chosen: tuple) -> widgets.Widget:
        if depth == len(names):
            kwargs = dict(zip(keys, chosen, strict=True))
            return _frame(_png(render(**kwargs), dpi), alt(**kwargs), dpi)
        children = [build(depth + 1, chosen + (v,)) for v in value_lists[depth]]
        return widgets.Stack(children=children, selected_index=first[depth])

    root = build(0, ())
    control_widgets = [_control(n, controls[n], labels.get(n), first[k])
                       for k, n in enumerate(names)]
    _link_levels(root, control_widgets)
    header = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
    return widgets.VBox([*header, _control_row(control_widgets), root])


def _link_levels(root: widgets.Widget, control_widgets: list[widgets.Widget]) -> None:
    """Link control k to ``selected_index`` of every stack at nesting depth k, in the browser."""
    level = [root]
    for control in control_widgets:
        for stack in level:
            widgets.jsdlink((control, "index"), (stack, "selected_index"))
        level = list(itertools.chain.from_iterable(stack.children for stack in level))


def animation(
    frames: Sequence[object],
    alt: Sequence[str],
    label: str = "step",
    frame_labels: Sequence | None = None,
    interval_ms: int = 300,
    dpi: int = FRAME_DPI,
) -> widgets.VBox:
    """Play a sequence of frames with a play button and a slider, kernel or not.

    ``frames`` are matplotlib Figures (rendered to PNG here and closed) or PNG bytes, so a
    caller can render one frame at a time with ``figure_to_png``; ``alt`` one alt text per frame,
    ``frame_labels`` the slider readout per frame (defaults to 0, 1, ...).
    """
    if len(frames) == 0 or len(frames) != len(alt):
        raise ValueError("frames must be non-empty and alt must give one text per frame")
    check_positive_int(interval_ms, "interval_ms")
    stack = widgets.Stack(
        children=[_frame(_png(f, dpi), a, dpi) for f, a in zip(frames, alt, strict=True)],
        selected_index=0,
    )
    return _player(stack, label, frame_labels, interval_ms)


def _play_controls(n: int, label: str, frame_labels, interval_ms: int):
    """A Play button and a slider over ``n`` frames, linked to each other in the browser."""
    names = [str(v) for v in (frame_labels if frame_labels is not None else range(n))]
    play = widgets.Play(min=0, max=n - 1, step=1, interval=interval_ms, description="play")
    slider = widgets.SelectionSlider(
        options=list(zip(names, range(n), strict=True)), description=label,
        layout=widgets.Layout(width="420px"),
    )
    widgets.jslink((play, "value"), (slider, "index"))
    return play, slider


def _player(stack: widgets.Stack, label: str, frame_labels, interval_ms: int) -> widgets.VBox:
    play, slider = _play_controls(len(stack.children), label, frame_labels, interval_ms)
    widgets.jsdlink((slider, "index"), (stack, "selected_index"))
    return widgets.VBox([widgets.HBox([play, slider]), stack])


def precomputed_player(
    render_frames: Callable[..., Sequence],
    controls: Mapping[str, Sequence],
    alt: Callable[..., str],
    frame_labels: Sequence,
    label: str = "step",
    labels: Mapping[str, Sequence[str]] | None = None,
    interval_ms: int = 500,
    dpi: int = FRAME_DPI,
    start: Mapping | None = None,
) -> widgets.VBox:
    """Choose a setting with the controls, then play through its frames; no kernel needed.

    ``render_frames(**values)`` returns the frames of one combination of control values, one
    per entry of ``frame_labels``: matplotlib Figures or PNG bytes. ``alt(index, **values)``
    gives the alt text of frame ``index``. ``controls``, ``labels`` and ``start`` work as in
    ``widgets.precomputed_explorer``. The widget nests one ``Stack`` per control around a
    ``Stack`` of frames; each control drives every stack at its depth and a Play button and a
    slider drive every frame stack, all through browser-side links.
    """
    _check_controls(controls)
    if len(frame_labels) == 0:
        raise ValueError("frame_labels must name at least one frame")
    names = list(controls)
    keys = [name.replace(" ", "_") for name in names]
    first = _start_indices(controls, start)

    def frame_stack(kwargs: dict) -> widgets.Stack:
        pngs = [_png(frame, dpi) for frame in render_frames(**kwargs)]  # closes the figures
        if len(pngs) != len(frame_labels):
            raise ValueError(
                f"render_frames must return {len(frame_labels)} frames (one per frame label); "
                f"got {len(pngs)}"
            )
        children = [_frame(png, alt(i, **kwargs), dpi) for i, png in enumerate(pngs)]
        return widgets.Stack(children=children, selected_index=0)

    def build(depth: int, chosen: tuple) -> widgets.Stack:
        if depth == len(names):
            return frame_stack(dict(zip(keys, chosen, strict=True)))
        children = [build(depth + 1, chosen + (v,)) for v in controls[names[depth]]]
        return widgets.Stack(children=children, selected_index=first[depth])

    root = build(0, ())
    labels = labels or {}
    control_widgets = [_control(n, controls[n], labels.get(n), first[k])
                       for k, n in enumerate(names)]
    play, slider = _play_controls(len(frame_labels), label, frame_labels, interval_ms)
    _link_levels(root, [*control_widgets, slider])
    return widgets.VBox([_control_row(control_widgets), widgets.HBox([play, slider]), root])


def _png(frame, dpi: int) -> bytes:
    """A frame as PNG bytes: bytes pass through, a Figure is rendered (and closed)."""
    return frame if isinstance(frame, bytes) else figure_to_png(frame, dpi)


def live_explorer(figure: LiveFigure, **controls: widgets.Widget) -> widgets.VBox:
    """Continuous controls that redraw ``figure`` (Jupyter only; a static page cannot run it).

    Each keyword is a control widget whose ``value`` is passed under that name to
    ``figure.png``. The image is replaced in place on every change. A failing update is
    shown as a one-line message above the last good image, never as a traceback.
    """
    image = widgets.Image(format="png")
    message = widgets.HTML()

    def redraw(_change=None) -> None:
        values = {name: control.value for name, control in controls.items()}
        try:
            image.value = figure.png(**values)
        except Exception as exc:  # noqa: BLE001 - a learner sees a message, not a traceback
            message.value = f"Cannot draw this setting: {html.escape(str(exc))}"
            return
        message.value = ""

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([_control_row(list(controls.values())), message, image])
