"""A dark twin of every figure of the site, for the dark theme.

Figures are drawn dark on white. At the end of the build every PNG of the site's figures
(``_images/``) and interactive frames (``_frames/``) gets a twin, ``<name>.dark.png``, with its
lightness turned over and its hues kept: a pixel (r, g, b) in [0, 1] becomes
(r, g, b) + 1 - max(r, g, b) - min(r, g, b). In HLS terms that replaces the lightness L by
1 - L and keeps hue and saturation, so white becomes black, black text becomes white, an
orange line stays orange (a little lighter) and a dark blue one turns light blue. Black is
then lifted to the dark page's background, so a figure sits on the page without a frame.

``book/_static/dark_figures.js`` shows the twins while the page is dark. Runs after
``page_weight`` (which moves the frames into files and gives the figures a palette).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from sphinx.util import logging

BACKGROUND = np.array([0x12, 0x12, 0x12]) / 255  # the dark theme's page colour (#121212)
SUFFIX = ".dark.png"


def dark_pixels(rgb: np.ndarray) -> np.ndarray:
    """The dark twin of colours ``rgb`` (floats in [0, 1], shape (..., 3)); same shape."""
    flipped = rgb + 1 - rgb.max(axis=-1, keepdims=True) - rgb.min(axis=-1, keepdims=True)
    return BACKGROUND + np.clip(flipped, 0, 1) * (1 - BACKGROUND)


def twin_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".png") + SUFFIX)


def write_twin(path: Path, colors: int = 256) -> Path:
    """Write the dark twin of the PNG at ``path`` beside it (with a palette); its path."""
    with Image.open(path) as image:
        rgba = np.asarray(image.convert("RGBA"), dtype=float) / 255
    rgba[..., :3] = dark_pixels(rgba[..., :3])
    twin = Image.fromarray(np.round(rgba * 255).astype(np.uint8), "RGBA")
    target = twin_path(path)
    twin.quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                  dither=Image.Dither.NONE).save(target, format="PNG", optimize=True)
    return target


def update_twins(folder: Path) -> int:
    """Give every figure in ``folder`` an up-to-date twin, drop twins of figures gone."""
    if not folder.exists():
        return 0
    written = 0
    for path in folder.glob("*.png"):
        if path.name.endswith(SUFFIX):
            if not path.with_name(path.name.removesuffix(SUFFIX) + ".png").exists():
                path.unlink()
            continue
        twin = twin_path(path)
        if not twin.exists() or twin.stat().st_mtime < path.stat().st_mtime:
            write_twin(path)
            written += 1
    return written


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        outdir = Path(app.outdir)
        written = sum(update_twins(outdir / folder) for folder in ("_images", "_frames"))
        logging.getLogger(__name__).info(f"dark figures: {written} dark twins written")


def setup(app):
    app.connect("build-finished", _build_finished, priority=600)  # after page_weight (500)
    app.add_js_file("dark_figures.js")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
