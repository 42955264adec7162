"""The built website in a real browser: every interactive figure responds with no kernel.

Serves _build/html on 127.0.0.1 and drives Debian's Chromium with Playwright. For every
chapter page: the widgets render, moving each control changes the figure shown, a play
button advances the frames, the page logs no JavaScript error and requests nothing from
off the machine. A screenshot of each page goes to _build/screenshots/.

Without a browser these tests skip, saying why; under CI=true they fail instead.
"""

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from scripts.serve import served

from test_site import HTML, ROOT, _chapter_notebooks

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Chromium's schema validator in the widget manager warns (not errors) about its own schema.
VISIBLE_FRAMES = """(area) => Array.from(area.querySelectorAll('.widget-html-content img'))
    .filter(img => img.offsetParent !== null).map(img => img.alt + '|' + img.src.length
        + '|' + img.src.slice(-64))"""

pytestmark = pytest.mark.browser


def _unavailable_reason():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if not (HTML / "index.html").exists():
        return "the site is not built (make book)"
    return None


@pytest.fixture(scope="module")
def site_url():
    reason = _unavailable_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)

    with served(HTML) as url:
        yield url


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, driven by Playwright; closed on leaving."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser(site_url):
    with chromium() as browser:
        yield browser


class PageWatch:
    """Collects JavaScript errors and off-machine requests of one page."""

    def __init__(self, page, origin):
        self.errors, self.offsite = [], []
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("console", self._console)
        page.on("requestfailed", lambda r: self.errors.append(f"failed request: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))
        page.on("request", lambda r: self._request(r.url, origin))

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _request(self, url, origin):
        if not url.startswith((origin, "data:", "blob:", "about:")):
            self.offsite.append(url)


FRAMES_LOADED = """(area) => Array.from(area.querySelectorAll('.widget-html-content img'))
    .filter(img => img.offsetParent !== null)
    .every(img => img.complete && img.naturalWidth > 0)"""


def _assert_frames_load(area, what):
    """The frames an area shows arrive (a frame file that 404s never does) within 5 s."""
    for _ in range(50):
        if area.evaluate(FRAMES_LOADED):
            return
        area.page.wait_for_timeout(100)
    raise AssertionError(f"{what}: a frame it shows did not load")


def _press_away_from_the_start(page, area, before, key, back_key):
    """Press ``key`` on the focused slider; if it starts at that end, ``back_key`` instead."""
    page.keyboard.press(key)
    page.wait_for_timeout(200)
    if _fingerprint(area) == before:
        page.keyboard.press(back_key)
        page.wait_for_timeout(200)


def _fingerprint(area):
    return hashlib.sha1("\n".join(area.evaluate(VISIBLE_FRAMES)).encode()).hexdigest()


def _open(browser, site_url, chapter):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page, site_url)
    page.goto(f"{site_url}/{chapter}.html", wait_until="load")
    page.wait_for_selector(".widget-html-content img", state="attached", timeout=20_000)
    page.wait_for_timeout(500)
    return page, watch


@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_page_loads_cleanly_and_is_screenshotted(browser, site_url, chapter):
    page, watch = _open(browser, site_url, chapter)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{Path(chapter).name}.png"), full_page=True)
    assert page.locator(".widget-subarea").count() >= 1, "no interactive figure rendered"
    assert page.evaluate("typeof MathJax !== 'undefined'"), "MathJax did not load from the site"
    page.close()
    assert watch.errors == []
    assert watch.offsite == []


def _areas(page):
    """The rendered interactive figures of a page: widget areas that show an image frame.

    A Stack renders only its selected child, so each area shows one frame at a time.
    """
    areas = page.locator(".widget-subarea")
    return [areas.nth(i) for i in range(areas.count())
            if areas.nth(i).locator(".widget-html-content img").count() >= 1]


@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_every_control_changes_the_figure(browser, site_url, chapter):
    page, watch = _open(browser, site_url, chapter)
    areas = _areas(page)
    assert areas, "no figure with frames on this page"
    for n, area in enumerate(areas):
        area.scroll_into_view_if_needed()
        sliders = area.locator(".widget-hslider:not(.widget-play *) .noUi-handle")
        selects = area.locator("select")
        assert sliders.count() + selects.count() >= 1, f"figure {n} has no control"
        for i in range(sliders.count()):
            before = _fingerprint(area)
            sliders.nth(i).focus()
            _press_away_from_the_start(page, area, before, "End", "Home")
            assert _fingerprint(area) != before, f"figure {n}: slider {i} did not change it"
            _assert_frames_load(area, f"figure {n}, slider {i}")
        for i in range(selects.count()):
            before = _fingerprint(area)
            options = selects.nth(i).locator("option")
            selects.nth(i).select_option(index=options.count() - 1)
            page.wait_for_timeout(200)
            assert _fingerprint(area) != before, f"figure {n}: dropdown {i} did not change it"
            _assert_frames_load(area, f"figure {n}, dropdown {i}")
    page.close()
    assert watch.errors == []


@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_play_buttons_advance_the_frames(browser, site_url, chapter):
    page, watch = _open(browser, site_url, chapter)
    players = [area for area in _areas(page) if area.locator(".widget-play").count()]
    if not players:
        page.close()
        pytest.skip("this page has no play control")
    for i, area in enumerate(players):
        area.scroll_into_view_if_needed()
        before = _fingerprint(area)
        area.locator(".widget-play button").first.click()
        page.wait_for_timeout(1500)
        assert _fingerprint(area) != before, f"play button {i} did not advance the frames"
    page.close()
    assert watch.errors == []


# ---------------------------------------------------------------- schemes and screen widths

FIRST_FRAME = """() => { const img = Array.from(document.querySelectorAll(
    '.widget-html-content img')).find(i => i.offsetParent !== null);
    img.scrollIntoView({block: 'center'});
    return {shown: img.getBoundingClientRect().width, drawn: Number(img.getAttribute('width')),
            page: document.scrollingElement.scrollWidth}; }"""


def _mean_luminance(png: bytes) -> float:
    import io

    import numpy as np
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L")).mean()) / 255


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 1280), ("light", 390)])
@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_first_figure_reads_in_each_scheme_and_on_a_phone(browser, site_url, chapter, scheme,
                                                           width):
    """The first interactive figure: light on the light theme and dark on the dark one, at
    its drawn size on a phone (its output scrolls, the page does not). Screenshots of it go
    to _build/screenshots/ for a person to look at."""
    page = _open_in_scheme(browser, site_url, chapter, scheme, width=width)
    sizes = page.evaluate(FIRST_FRAME)
    page.wait_for_timeout(300)
    frame = page.locator(".widget-html-content img").filter(visible=True).first
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    frame.screenshot(path=str(SCREENSHOTS / f"{Path(chapter).name}-{scheme}-{width}.png"))
    brightness = _mean_luminance(frame.screenshot())
    page.close()
    if scheme == "dark":
        assert brightness < 0.35, f"the figure is a light slab on the dark page ({brightness:.2f})"
    else:
        assert brightness > 0.65, f"the figure is dark on the light page ({brightness:.2f})"
    if width < 700:
        assert abs(sizes["shown"] - sizes["drawn"]) <= 1, f"the figure is shrunk: {sizes}"
        assert sizes["page"] <= width + 1, f"the whole page scrolls sideways: {sizes}"


SEARCH_BOXES = """() => Array.from(document.querySelectorAll(
    '.search-button-field, .search-button'))
    .filter(e => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden')
    .length"""


@pytest.mark.parametrize("width", [1280, 390])
def test_one_search_box_on_every_screen(browser, site_url, width):
    page = _open_in_scheme(browser, site_url, "book/02_gradient_descent", "light", width=width)
    boxes = page.evaluate(SEARCH_BOXES)
    page.close()
    assert boxes == 1, f"{boxes} search boxes show at {width} px"


# ---------------------------------------------------------------- accessibility

AXE = ROOT / "_build" / "npm-test" / "node_modules" / "axe-core" / "axe.min.js"
# What axe still reports, none of it serious or critical, and why it stays.
ACCEPTED = {
    "region": "the theme's sidebar logo sits outside a landmark (sphinx-book-theme's layout)",
    "empty-table-header": "a matrix table's top-left corner cell, which labels nothing",
}


def _axe(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core from npm")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("async () => (await axe.run(document)).violations.map(v => ({id: v.id, "
                         "impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")


def _open_in_scheme(browser, site_url, name, scheme, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.add_init_script(f"localStorage.setItem('mode', '{scheme}');"
                         f"localStorage.setItem('theme', '{scheme}');")
    page.goto(f"{site_url}/{name}.html", wait_until="load")
    if page.locator("script[type='application/vnd.jupyter.widget-state+json']").count():
        page.wait_for_selector(".widget-html-content img", state="attached", timeout=20_000)
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.dataset.theme") == scheme
    return page


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["book/intro", *_chapter_notebooks()])
def test_no_serious_accessibility_violation(browser, site_url, name, scheme):
    page = _open_in_scheme(browser, site_url, name, scheme)
    found = _axe(page)
    handles = page.locator(".widget-hslider:not(.widget-play *) .noUi-handle")
    if handles.count():  # and again after a control has moved a figure
        handles.first.focus()
        page.keyboard.press("End")
        page.wait_for_timeout(300)
        found += _axe(page)
    page.close()
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert {v["id"] for v in found} <= set(ACCEPTED), [v for v in found if v["id"] not in ACCEPTED]


CONTROLS = """() => Array.from(document.querySelectorAll(
    '.widget-subarea .noUi-handle, .widget-subarea select, .widget-subarea .widget-play button'))
    .filter(e => e.offsetParent !== null)
    .map((e, i) => { e.dataset.control = String(i); return i; })"""


@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_every_control_is_reached_by_tab_and_moved_by_keys(browser, site_url, chapter):
    page, watch = _open(browser, site_url, chapter)
    controls = page.evaluate(CONTROLS)
    assert controls, "no control on this page"
    reached = set()
    page.locator("body").focus()
    for _ in range(1500):
        page.keyboard.press("Tab")
        index = page.evaluate("document.activeElement && document.activeElement.dataset.control")
        if index is not None:
            reached.add(int(index))
        if len(reached) == len(controls):
            break
    assert reached == set(controls), f"Tab never reaches controls {set(controls) - reached}"
    for area in _areas(page):
        area.scroll_into_view_if_needed()
        for handle in area.locator(".noUi-handle").all():
            if not handle.is_visible() or handle.locator("xpath=ancestor::*[contains("
                                                         "@class, 'widget-play')]").count():
                continue
            before = _fingerprint(area)
            handle.focus()
            _press_away_from_the_start(page, area, before, "ArrowRight", "ArrowLeft")
            assert _fingerprint(area) != before, "an arrow key does not move a slider"
        for select in area.locator("select").all():
            before = _fingerprint(area)
            select.focus()
            page.keyboard.press("ArrowDown")
            page.wait_for_timeout(200)
            assert _fingerprint(area) != before, "an arrow key does not change a dropdown"
        play = area.locator(".widget-play button")
        if play.count():
            before = _fingerprint(area)
            play.first.focus()
            page.keyboard.press("Enter")
            page.wait_for_timeout(1500)
            assert _fingerprint(area) != before, "Enter on the play button does not play"
            play.nth(1).focus()
            page.keyboard.press("Space")  # stop
    page.close()
    assert watch.errors == []


def test_mathjax_assistive_tools_load_from_the_site(browser, site_url):
    """MathJax's menu offers speech and an explorer of each formula; what they load (the
    a11y components and the speech rule engine's data) is served by the site, offline."""
    page, watch = _open(browser, site_url, "book/03_backpropagation")
    assert page.evaluate("document.querySelectorAll('mjx-container').length") > 20
    page.evaluate("async () => { await MathJax.loader.load('a11y/explorer');"
                  " MathJax.startup.document.options.enableExplorer = true;"
                  " await MathJax.startup.document.rerender(); }")
    page.wait_for_timeout(1000)
    assert page.evaluate("'explorer' in MathJax._.a11y"), "the explorer did not load"
    page.close()
    assert watch.errors == [] and watch.offsite == []
