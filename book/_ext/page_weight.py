"""What a page downloads: the frames it shows, not every frame it has; figures with a palette.

An interactive figure on a static page is a stack of frames, each an ``<img>`` inside an
HTML widget (``backproplab.plots.widgets``), saved in the page's widget state as a
``data:`` URI. Once the site is written, this Sphinx extension moves each frame into a file
of its own, ``_frames/<hash>.png`` at the root of the site, and points the ``<img>`` at it
with a relative address. The widget manager renders only a stack's selected child, so a
frame is fetched when a control selects it (and then cached by the browser): a page no
longer grows with its number of frames. Identical frames share one file; relative
addresses keep the site working from any static server, offline.

Static figures (``_images/``) are stored with a palette of 256 colours, which loses nothing
visible in line art and colour maps and makes them about three times smaller; their pixel
density stays 2x.

It also drops the widget models that nothing on the page shows (a live explorer of a cell
the book removes leaves its model behind). The notebooks themselves are not touched: in
Jupyter the frames stay inline.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
from pathlib import Path

from PIL import Image
from sphinx.util import logging

FRAMES = "_frames"
STATE = re.compile(
    r'(<script type="application/vnd\.jupyter\.widget-state\+json">)(.*?)(</script>)', re.S)
VIEW = re.compile(r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>',
                  re.S)
DATA_IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
MODEL_REF = re.compile(r"IPY_MODEL_([0-9a-f]{32})")
MODEL_ID = re.compile(r"[0-9a-f]{32}")


def frame_name(png: bytes) -> str:
    """File name of a frame: the start of its SHA-256, so equal frames share one file."""
    return hashlib.sha256(png).hexdigest()[:20] + ".png"


def shown_models(state: dict, roots: set[str]) -> set[str]:
    """Ids of the models a page uses: those its views reach, and links between them."""
    used, todo = set(), [r for r in roots if r in state]
    while todo:
        model = todo.pop()
        if model in used:
            continue
        used.add(model)
        todo += [m for m in MODEL_REF.findall(json.dumps(state[model]["state"]))
                 if m in state and m not in used]
    for model, entry in state.items():
        refs = MODEL_REF.findall(json.dumps(entry["state"]))
        if entry["model_name"].endswith("LinkModel") and refs and set(refs) <= used:
            used.add(model)
    return used


def move_frames(page: str, page_dir: Path, frames_dir: Path) -> tuple[str, set[str]]:
    """``page`` with its inline frames written to ``frames_dir``; (new page, frame names used).

    ``page_dir`` is the folder of the page, from which the new addresses are relative. A page
    without widget state is returned unchanged.
    """
    found = STATE.search(page)
    if not found:
        return page, set()
    content = json.loads(found.group(2))
    state = content["state"]
    roots = {m for view in VIEW.findall(page) for m in MODEL_ID.findall(view)}
    content["state"] = state = {k: v for k, v in state.items() if k in shown_models(state, roots)}
    prefix = Path(os.path.relpath(frames_dir, page_dir)).as_posix()
    names = set()

    def to_file(match: re.Match) -> str:
        png = base64.b64decode(match.group(1))
        name = frame_name(png)
        path = frames_dir / name
        if not path.exists():
            frames_dir.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)
        return f'<img loading="lazy" src="{prefix}/{name}"'

    for entry in state.values():
        value = entry["state"].get("value")
        if entry["model_name"] == "HTMLModel" and isinstance(value, str):
            value = entry["state"]["value"] = DATA_IMG.sub(to_file, value)
            names.update(re.findall(rf'src="{re.escape(prefix)}/([0-9a-f]+\.png)"', value))
    body = json.dumps(content).replace("</", "<\\/")
    return page[:found.start(2)] + body + page[found.end(2):], names


def move_all_frames(outdir: Path) -> dict[str, int]:
    """Move the frames of every page under ``outdir``; delete frame files no page uses
    (a frame ``<name>.png`` keeps its variants ``<name>.<variant>.png``).

    Returns the number of frames each page references, by page path relative to ``outdir``.
    """
    frames_dir = outdir / FRAMES
    used, counts = set(), {}
    for page_path in sorted(outdir.rglob("*.html")):
        page = page_path.read_text(encoding="utf-8")
        new, names = move_frames(page, page_path.parent, frames_dir)
        if new != page:
            page_path.write_text(new, encoding="utf-8")
        used |= names
        if names:
            counts[page_path.relative_to(outdir).as_posix()] = len(names)
    for stale in frames_dir.glob("*.png") if frames_dir.exists() else []:
        if stale.name.split(".")[0] + ".png" not in used:  # a frame, or a variant of it
            stale.unlink()
    return counts


def palette_png(path: Path, colors: int = 256) -> bool:
    """Store the PNG at ``path`` with a palette of ``colors`` colours if that makes it smaller.

    Transparency is kept; an image that already has a palette is left alone. Returns whether
    the file was rewritten.
    """
    with Image.open(path) as image:
        if image.mode == "P":
            return False
        rgba = image.convert("RGBA")
    reduced = rgba.quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                            dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    reduced.save(buffer, format="PNG", optimize=True)
    if buffer.tell() >= path.stat().st_size:
        return False
    path.write_bytes(buffer.getvalue())
    return True


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        outdir = Path(app.outdir)
        counts = move_all_frames(outdir)
        images = outdir / "_images"
        reduced = sum(palette_png(p) for p in images.glob("*.png")) if images.exists() else 0
        logging.getLogger(__name__).info(
            f"page weight: {sum(counts.values())} frame references on {len(counts)} pages "
            f"moved to {FRAMES}/; {reduced} figures stored with a palette")


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
