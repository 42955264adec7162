"""Runs inside a notebook's kernel: times every live figure's callbacks as a reader drives them.

``install()`` replaces ``backproplab.plots.widgets.live_explorer`` with a wrapper that builds the
real widget, then moves each control away from its default and back, timing every change
of value. A change runs exactly what a reader's slider runs: the widget's callback, which
updates the live figure, draws it to PNG and sends it to the image widget. ``RESULTS``
collects one record per live figure.
"""

from __future__ import annotations

import statistics
import time
import traceback

import ipywidgets

import backproplab.plots.widgets

RESULTS: list[dict] = []
FRACTIONS = (0.25, 0.75)  # where on a slider's range the other values lie


def _is_selection(control) -> bool:
    """Dropdowns, selection sliders, toggle and radio buttons: chosen by ``index``."""
    return hasattr(control, "options") and isinstance(getattr(control, "index", None), int)


def alternatives(control) -> list[tuple[str, object]]:
    """Up to two (attribute, value) settings of ``control`` other than its current one."""
    if _is_selection(control):
        others = [i for i in range(len(control.options)) if i != control.index]
        chosen = others if len(others) <= 2 else [others[0], others[-1]]
        return [("index", i) for i in chosen]
    if isinstance(control, ipywidgets.FloatLogSlider):
        exponents = [control.min + f * (control.max - control.min) for f in FRACTIONS]
        return [("value", control.base**e) for e in exponents]
    if isinstance(control, ipywidgets.IntSlider | ipywidgets.FloatSlider):
        values = [control.min + f * (control.max - control.min) for f in FRACTIONS]
        if isinstance(control, ipywidgets.IntSlider):
            values = [round(v) for v in values]
        return [("value", v) for v in values if v != control.value]
    if isinstance(control, ipywidgets.Checkbox | ipywidgets.ToggleButton):
        return [("value", not control.value)]
    return []


def _timed_change(control, attribute: str, value) -> float:
    start = time.perf_counter()
    setattr(control, attribute, value)
    return time.perf_counter() - start


def _median_ms(seconds: list[float]) -> float | None:
    return 1e3 * statistics.median(seconds) if seconds else None


def measure(name: str, controls: dict, updates: list, failures: list, repeats: int) -> dict:
    """Time callbacks: each control to each alternative and back to its default.

    ``updates`` receives the duration of every call of the figure's ``update`` (the
    computing and setting of artists), so the part of a callback spent drawing the PNG and
    sending it can be told apart.
    """
    at_default, elsewhere, update_at_default = [], [], []
    for _ in range(repeats):
        for control in controls.values():
            attribute = "index" if _is_selection(control) else "value"
            default = getattr(control, attribute)
            for attr, value in alternatives(control):
                elsewhere.append(_timed_change(control, attr, value))
                at_default.append(_timed_change(control, attribute, default))
                update_at_default.append(updates[-1] if updates else float("nan"))
    return {
        "figure_class": name,
        "controls": {key: repr(control.value) for key, control in controls.items()},
        "default_ms": [1e3 * s for s in at_default],
        "other_ms": [1e3 * s for s in elsewhere],
        "median_default_ms": _median_ms(at_default),
        "median_other_ms": _median_ms(elsewhere),
        "median_update_only_default_ms": _median_ms(update_at_default),
        "failures": failures[:3],
    }


def install(repeats: int = 2) -> None:
    """Make every later ``live_explorer`` call measure its figure into ``RESULTS``."""
    real = backproplab.plots.widgets.live_explorer

    def probing_explorer(figure, **controls):
        failures: list[str] = []
        updates: list[float] = []
        update = figure.update

        def watched(**values):
            start = time.perf_counter()
            try:
                return update(**values)
            except Exception:
                failures.append(traceback.format_exc(limit=3))
                raise
            finally:
                updates.append(time.perf_counter() - start)

        figure.update = watched
        box = real(figure, **controls)
        RESULTS.append(measure(type(figure).__name__, controls, updates, failures, repeats))
        return box

    backproplab.plots.widgets.live_explorer = probing_explorer
