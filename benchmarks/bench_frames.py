"""How fast a static page shows a new frame, now that frames are files fetched on demand.

Each chapter page is served from _build/html on 127.0.0.1 and opened in Debian's Chromium
(Playwright) at 1280 px. On the first interactive figure with a slider, the slider is moved
to its first value, then one step at a time with the arrow key through every frame and
back; each move is timed in the page from the key event to the first animation frame in
which the newly selected ``<img>`` has loaded and decoded (forward: fetched from the server,
back: from the browser's cache). The target, 100 ms, applies to the median of the forward
moves, the slower ones. For comparison the same page is measured with its frames put back
inline, as ``data:`` URIs (as it was before ``book/_ext/page_weight.py``): the ratio of the
two medians is reported. Runs on its own too: ``python -m benchmarks.bench_frames``.
"""

from __future__ import annotations

import base64
import re
import statistics
from pathlib import Path

from scripts.serve import served

from .report import figure

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
TARGET_MS = 100
FRAME_SRC = re.compile(r'src="(\.\./_frames/[0-9a-f]+\.png)"')

# Resolves with the milliseconds from now until the area shows a loaded frame other than
# `before` (the src shown when called).
TIME_NEXT_FRAME = """([area, before]) => new Promise(resolve => {
    const start = performance.now();
    const check = () => {
        const img = Array.from(area.querySelectorAll('.widget-html-content img'))
            .find(i => i.offsetParent !== null);
        if (img && img.src !== before && img.complete && img.naturalWidth > 0) {
            img.decode().then(() => resolve(performance.now() - start));
        } else if (performance.now() - start > 5000) {
            resolve(Infinity);
        } else {
            requestAnimationFrame(check);
        }
    };
    requestAnimationFrame(check);
})"""
SHOWN = """(area) => (Array.from(area.querySelectorAll('.widget-html-content img'))
    .find(i => i.offsetParent !== null) || {}).src"""


def _moves(page, area, handle, key: str, count: int) -> list[float]:
    """Milliseconds from each of ``count`` presses of ``key`` to the new frame shown."""
    times = []
    for _ in range(count):
        before = area.evaluate(SHOWN)
        handle.focus()
        page.evaluate(f"(args) => {{ window.__nextFrame = ({TIME_NEXT_FRAME})(args); }}",
                      [area.element_handle(), before])
        page.keyboard.press(key)
        times.append(page.evaluate("() => window.__nextFrame"))
    return times


def inline_copy(chapter: str) -> Path:
    """A copy of ``chapter``'s page beside it with every frame file put back as a data URI."""
    page_path = HTML / "book" / f"{chapter}.html"

    def inline(match: re.Match) -> str:
        png = (page_path.parent / match.group(1)).read_bytes()
        return 'src="data:image/png;base64,' + base64.b64encode(png).decode() + '"'

    copy = page_path.with_name(f"{chapter}.inline-frames.html")
    copy.write_text(FRAME_SRC.sub(inline, page_path.read_text(encoding="utf-8")),
                    encoding="utf-8")
    return copy


def chapter_times(browser, site: str, page_name: str) -> dict | None:
    """Forward and back times of the first slider figure of the page ``book/<page_name>``."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/book/{page_name}.html", wait_until="load")
    page.wait_for_selector(".widget-html-content img", state="attached", timeout=20_000)
    page.wait_for_timeout(500)
    areas = page.locator(".widget-subarea")
    for i in range(areas.count()):
        area = areas.nth(i)
        handles = area.locator(".widget-hslider:not(.widget-play *) .noUi-handle")
        if handles.count():
            break
    else:
        page.close()
        return None
    area.scroll_into_view_if_needed()
    steps = round(float(handles.first.get_attribute("aria-valuemax") or 0)
                  - float(handles.first.get_attribute("aria-valuemin") or 0))
    handles.first.focus()
    page.keyboard.press("Home")  # a slider may open on a middle value: start from its first
    page.wait_for_timeout(500)
    forward = _moves(page, area, handles.first, "ArrowRight", steps)
    back = _moves(page, area, handles.first, "ArrowLeft", steps)
    page.close()
    return {"forward_ms": forward, "back_ms": back}


def run() -> list[dict]:
    from playwright.sync_api import sync_playwright

    if not (HTML / "index.html").exists():
        raise SystemExit("the site is not built: run `make book` first")
    figures = []
    with served(HTML) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu"])
        for chapter in CHAPTERS:
            times = chapter_times(browser, site, chapter)
            if not times or not times["forward_ms"]:
                continue
            copy = inline_copy(chapter)
            try:
                inline = chapter_times(browser, site, copy.stem)
            finally:
                copy.unlink()
            forward = statistics.median(times["forward_ms"])
            inline_forward = statistics.median(inline["forward_ms"])
            figures.append(figure(
                f"static_frame_{chapter}", f"static page, new frame shown: {chapter}",
                forward, "ms", target=TARGET_MS,
                details={"forward_ms": times["forward_ms"], "back_ms": times["back_ms"],
                         "median_back_ms": statistics.median(times["back_ms"]),
                         "max_forward_ms": max(times["forward_ms"]),
                         "inline_forward_ms": inline["forward_ms"],
                         "median_inline_ms": inline_forward,
                         "ratio_to_inline": forward / inline_forward}))
        browser.close()
    return figures


if __name__ == "__main__":
    for fig in run():
        details = fig["details"]
        print(f"{fig['title']}: {fig['value']:.1f} ms (slowest {details['max_forward_ms']:.1f},"
              f" from the cache {details['median_back_ms']:.1f}, inline "
              f"{details['median_inline_ms']:.1f}: {details['ratio_to_inline']:.2f}x)")
