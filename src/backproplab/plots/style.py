"""The page a figure is drawn for, and a check that every figure reads on it.

The book's text column is ``COLUMN_PX`` CSS pixels wide on a 1280 px screen (measured in
Chromium). Figures are sized in inches at ``PX_PER_INCH`` CSS pixels per inch, so that a
point of text is one CSS pixel, and rendered at ``DENSITY`` image pixels per CSS pixel, so
that they stay sharp on high-density screens (phones, most laptops). A figure at most
``MAX_WIDTH`` inches wide therefore fits the column at full size, and text of ``MIN_TEXT_PX``
points reads at ``MIN_TEXT_PX`` CSS pixels. On a narrow screen the figure keeps that size and
scrolls sideways (``book/_static/figures.css``), so its text never shrinks.

:func:`record_renders` logs every figure rendered from then on with the size its text has
on the page; the test of the book's figures runs each chapter with it.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.text import Text

COLUMN_PX = 688
PX_PER_INCH = 72
DENSITY = 2
FRAME_DPI = PX_PER_INCH * DENSITY
MAX_WIDTH = COLUMN_PX / PX_PER_INCH
MIN_TEXT_PX = 11


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels of PNG bytes, read from the header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("png must be PNG bytes")
    return struct.unpack(">II", png[16:24])


def css_size(png: bytes, density: float = DENSITY) -> tuple[int, int]:
    """(width, height) in CSS pixels at which PNG bytes rendered at ``density`` are shown."""
    width, height = png_size(png)
    return round(width / density), round(height / density)


def smallest_text(fig) -> tuple[float, str] | None:
    """(size in points, text) of the smallest visible, non-empty text of ``fig``, or None."""
    hidden = {id(t) for ax in fig.axes if not ax.axison
              for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(Text)}
    texts = [t for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    if not texts:
        return None
    smallest = min(texts, key=Text.get_fontsize)
    return smallest.get_fontsize(), smallest.get_text()


def audit(fig, dpi: float, png: bytes) -> dict:
    """How ``fig``, rendered at ``dpi`` to ``png``, shows on the page.

    Returns the image size in pixels, its pixel density, its width in CSS pixels once fitted
    to the column, and the smallest text in CSS pixels at that width.
    """
    density = dpi / PX_PER_INCH
    width, height = png_size(png)
    natural = width / density
    scale = min(1.0, COLUMN_PX / natural)
    smallest = smallest_text(fig)
    record = {"width_px": width, "height_px": height, "density": density,
              "css_width": round(natural * scale, 1), "min_text_px": None, "min_text": None}
    if smallest is not None:
        points, text = smallest
        record["min_text_px"] = round(points * scale, 2)
        record["min_text"] = text[:60]
    return record


def problems(record: dict) -> list[str]:
    """What makes an audited figure fall short of the book's style (empty if nothing)."""
    found = []
    if record["density"] < DENSITY:
        found.append(f"rendered at {record['density']:g}x pixel density, needs {DENSITY}x")
    if record["css_width"] < record["width_px"] / record["density"] - 0.5:
        found.append(f"{record['width_px'] / record['density']:.0f} CSS px wide, wider than the "
                     f"{COLUMN_PX} px column: it is shrunk to fit")
    if record["min_text_px"] is not None and record["min_text_px"] < MIN_TEXT_PX - 1e-6:
        found.append(f"text {record['min_text']!r} shows at {record['min_text_px']:g} CSS px, "
                     f"below {MIN_TEXT_PX}")
    return found


_log: Path | None = None
_print_figure = FigureCanvasBase.print_figure


def record_renders(path) -> None:
    """Append one JSON line per figure rendered from now on to ``path`` (see :func:`audit`).

    Catches figures saved or shown inline (both go through ``print_figure``) and the frames
    of live figures (:class:`~backproplab.plots.live.LiveFigure`).
    """
    global _log
    _log = Path(path)
    FigureCanvasBase.print_figure = _recording_print_figure


def note(fig, dpi: float, png: bytes, kind: str) -> None:
    """Log a rendered PNG while :func:`record_renders` is on; otherwise do nothing."""
    if _log is None:
        return
    line = {"kind": kind, "title": _title(fig), **audit(fig, dpi, png)}
    with _log.open("a") as f:
        f.write(json.dumps(line) + "\n")


def _title(fig) -> str:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return (fig._suptitle.get_text() if fig._suptitle else "; ".join(titles))[:80]


def _recording_print_figure(self, filename, *args, **kwargs):
    result = _print_figure(self, filename, *args, **kwargs)
    fmt = kwargs.get("format") or ""
    if isinstance(filename, io.BytesIO) and fmt in ("png", ""):
        png = filename.getvalue()
        if png[:8] == b"\x89PNG\r\n\x1a\n":
            dpi = kwargs.get("dpi")
            dpi = self.figure.dpi if dpi in (None, "figure") else dpi
            note(self.figure, dpi, png, "figure")
    return result
