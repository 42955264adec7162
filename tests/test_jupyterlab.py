"""Chapters run in a real JupyterLab, and their live figures answer their controls.

Starts JupyterLab on 127.0.0.1 over a copy of ``book/`` (so autosave cannot touch the
sources), opens a chapter in Debian's Chromium, runs all its cells from the Run menu as a
reader would, then moves every control of every live figure and checks that a new image
arrives from the kernel, with no traceback and no error message.

Without a browser these tests skip, saying why; under CI=true they fail instead.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from test_browser import CHROMIUM, PageWatch, chromium
from test_site import ROOT, _chapter_notebooks

CHAPTERS = _chapter_notebooks()
TOKEN = "backprop-lab-test"
RUN_ALL_TIMEOUT_MS = 240_000
# Every cell rendered (no windowing), and no pop-up asking to fetch news.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}
# A short fingerprint of the PNG an <img> shows (its blob is fetched back from the page).
IMAGE_FINGERPRINT = """async (img) => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let hash = 2166136261;
    for (const b of bytes) { hash = Math.imul(hash ^ b, 16777619) >>> 0; }
    return bytes.length + ':' + hash;
}"""

pytestmark = pytest.mark.browser


def _unavailable_reason():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
        return "JupyterLab is not installed next to this Python"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(folder: Path) -> None:
    for name, values in SETTINGS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    reason = _unavailable_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"JupyterLab tests cannot run under CI: {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "book", work / "book",
                    ignore=shutil.ignore_patterns("_static", "_build", ".ipynb_checkpoints"))
    _write_settings(work / "settings")
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"),
           "JUPYTER_CONFIG_DIR": str(work / "config"),
           "JUPYTER_RUNTIME_DIR": str(work / "runtime")}
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={work}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=(work / "server.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(url, server, work / "server.log")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for_server(url: str, server, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"JupyterLab did not answer within {timeout_s} s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def browser(lab_url):
    with chromium() as browser:
        yield browser


def _run_all(page) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running."""
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.jp-Notebook-ExecutionIndicator')"
        "?.getAttribute('data-status') === 'idle'", timeout=60_000)
    page.wait_for_selector(".jp-DebuggerBugButton, .jp-Toolbar-kernelName", timeout=60_000)
    page.locator(".jp-Notebook .jp-Cell").first.click()  # the notebook is the active widget
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator("[data-command='runmenu:run-all']:not(.lm-mod-disabled)").click()
    page.wait_for_function(  # every cell run, or one failed (Run All stops there)
        """() => {
            const prompts = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'));
            const failed = document.querySelector(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']");
            return failed !== null || (prompts.length > 0
                && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)));
        }""", timeout=RUN_ALL_TIMEOUT_MS)


def _errors_shown(page) -> list[str]:
    """Errors and tracebacks in cell outputs, and live figures' "Cannot draw" messages."""
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    texts = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
                         " .widget-html-content")
    return errors.all_inner_texts() + [
        t for t in texts.all_inner_texts() if "Traceback" in t or "Cannot draw" in t]


def _shut_down_kernels(lab_url: str) -> None:
    """Stop every kernel the server runs (one per chapter opened), to free their memory."""
    api = f"{lab_url}/api/kernels"
    with urllib.request.urlopen(f"{api}?token={TOKEN}", timeout=10) as answer:
        kernels = json.load(answer)
    for kernel in kernels:
        request = urllib.request.Request(f"{api}/{kernel['id']}?token={TOKEN}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def _new_image(page, image, before: str) -> str:
    """The fingerprint of ``image`` once it differs from ``before`` (the kernel answered)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = image.evaluate(IMAGE_FINGERPRINT)
        if now != before:
            return now
        page.wait_for_timeout(100)
    return before


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_live_figures_answer_every_control(browser, lab_url, chapter):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page, lab_url)
    # a workspace of its own, reset: only this notebook is open
    workspace = Path(chapter).name
    page.goto(f"{lab_url}/lab/workspaces/{workspace}/tree/{chapter}.ipynb?reset&token={TOKEN}")
    _run_all(page)
    assert _errors_shown(page) == [], "running the notebook failed"
    figures = page.locator(".widget-vbox:has(> img.widget-image)")
    assert figures.count() >= 1, "no live figure was drawn"
    for n in range(figures.count()):
        figure = figures.nth(n)
        figure.scroll_into_view_if_needed()
        image = figure.locator("img.widget-image")
        shown = image.evaluate(IMAGE_FINGERPRINT)
        sliders = figure.locator(".noUi-handle")
        selects = figure.locator("select")
        assert sliders.count() + selects.count() >= 1, f"live figure {n} has no control"
        for i in range(sliders.count()):
            handle = sliders.nth(i)
            at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            handle.focus()
            page.keyboard.press("Home" if at_end else "End")
            now = _new_image(page, image, shown)
            assert now != shown, f"live figure {n}: slider {i} brought no new image"
            shown = now
        for i in range(selects.count()):
            selects.nth(i).select_option(index=selects.nth(i).locator("option").count() - 1)
            now = _new_image(page, image, shown)
            assert now != shown, f"live figure {n}: dropdown {i} brought no new image"
            shown = now
    assert _errors_shown(page) == []
    page.close()
    _shut_down_kernels(lab_url)
    assert watch.errors == []
    assert watch.offsite == []
