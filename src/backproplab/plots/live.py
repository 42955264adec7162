"""Figures drawn once and then updated in place, fast enough to follow a slider.

Drawing a whole matplotlib figure takes 50 to 300 ms, most of it in tick labels and other
text; a slider feels live below about 100 ms. A :class:`LiveFigure` therefore draws the
parts that do not change (axes, ticks, labels, contours) once, keeps that drawing as a
*background* image, and on every change redraws only the artists marked as moving on top
of a copy of it (matplotlib's "blitting").

A subclass builds its figure in ``__init__`` on ``self.figure``, marks the artists that
change with :meth:`LiveFigure.moving`, and implements :meth:`LiveFigure.update`, which
changes those artists' data and returns a *background key*: any hashable value that names
what the still parts show (``None`` if they never change; the surface's name if switching
surface redraws the contours). Backgrounds are kept per key, so returning to a setting
costs a copy of pixels, not a redraw.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Hashable

from IPython.display import Image as NotebookImage
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from . import style

LIVE_DPI = 80  # resolution of a figure redrawn in a kernel
FRAME_DPI = style.FRAME_DPI  # resolution of the frames stored for a static page (2x density)
FRAME_COLORS = 64  # palette of a stored frame: line art loses nothing visible at this size
MAX_BACKGROUNDS = 8


def canvas_png(canvas: FigureCanvasAgg, colors: int | None = None) -> bytes:
    """What an Agg ``canvas`` holds now, as PNG bytes.

    With ``colors``, the image is reduced to a palette of that many colours: line art loses
    nothing visible and the file is several times smaller (for frames stored in a page).
    Without, it is saved as RGB with light compression, which is fastest (for live figures).
    """
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    buffer = io.BytesIO()
    if colors is None:
        image.save(buffer, format="PNG", compress_level=1)
    else:
        # Octree keeps thin lines their colour; median cut merges them into their neighbours.
        image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    return buffer.getvalue()


class LiveFigure:
    """A figure whose still parts are drawn once and whose moving artists are redrawn on demand.

    ``figsize`` is (width, height) in inches. With ``page=False`` the PNGs are quick to make,
    for a live kernel; with ``page=True`` they are frames stored for a static page: sharp
    (``style.DENSITY`` pixels per CSS pixel) and small (a palette). The figure is not
    registered with pyplot, so it is never shown by accident nor left open.
    """

    def __init__(self, figsize: tuple[float, float], page: bool = False):
        self.colors = FRAME_COLORS if page else None
        self.figure = Figure(figsize=figsize, dpi=FRAME_DPI if page else LIVE_DPI)
        FigureCanvasAgg(self.figure)
        self._moving: list[Artist] = []
        self._backgrounds: OrderedDict[Hashable, object] = OrderedDict()

    def moving(self, artist: Artist) -> Artist:
        """Mark ``artist`` as one that :meth:`update` changes; returns it."""
        artist.set_animated(True)
        self._moving.append(artist)
        return artist

    def update(self, **values) -> Hashable:
        """Change the moving artists to show ``values``; return the background key."""
        raise NotImplementedError

    def png(self, **values) -> bytes:
        """The figure for ``values`` as PNG bytes."""
        key = self.update(**values)
        canvas = self.figure.canvas
        if key in self._backgrounds:
            canvas.restore_region(self._backgrounds[key])
            self._backgrounds.move_to_end(key)
        else:
            canvas.draw()
            self._backgrounds[key] = canvas.copy_from_bbox(self.figure.bbox)
            if len(self._backgrounds) > MAX_BACKGROUNDS:
                self._backgrounds.popitem(last=False)
        for artist in sorted(self._moving, key=Artist.get_zorder):
            self.figure.draw_artist(artist)
        png = canvas_png(canvas, self.colors)
        if self.colors is not None:
            style.note(self.figure, self.figure.dpi, png, "frame")
        return png

    def image(self, **values) -> NotebookImage:
        """The figure for ``values`` as an image that a notebook cell displays.

        It is shown at its size in CSS pixels (``style.PX_PER_INCH`` per inch), so a page
        figure (``page=True``) is sharp at 2x density and its text keeps its size.
        """
        png = self.png(**values)
        density = self.figure.dpi / style.PX_PER_INCH
        return NotebookImage(png, width=style.css_size(png, density)[0])
