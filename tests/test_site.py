"""Checks on the built website in _build/html (`make test` builds it first with -W -n).

The site must carry the widget state of every interactive figure, load the widget
JavaScript from itself (so it works offline), and give every figure alt text.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
WIDGET_STATE = re.compile(
    r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S
)


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def _chapter_notebooks():
    return [f for f in _toc_files() if (ROOT / f"{f}.ipynb").exists()]


@pytest.fixture(scope="module")
def pages():
    if not (HTML / "index.html").exists():
        pytest.fail("the site is not built: run `make book` (or `make test`, which builds it)")
    return {f: (HTML / f"{f}.html").read_text(encoding="utf-8") for f in _toc_files()}


def test_every_toc_entry_has_a_page(pages):
    assert set(pages) == set(_toc_files())
    for name, page in pages.items():
        assert "<h1" in page, f"{name} has no title"


NUMPY_REPR = re.compile(r"np\.(?:float|int|uint|bool)\w*\(")


def test_no_glued_number_shows_as_a_numpy_repr(pages):
    # A glued NumPy scalar is stored as its repr: "np.float64(0.97)" would appear in the prose
    # where a number was meant (or fail to format). Glue Python floats and ints.
    shown = {name: NUMPY_REPR.findall(page) for name, page in pages.items()}
    assert {name: found for name, found in shown.items() if found} == {}


EXERCISE_TITLE = re.compile(
    r'class="exercise admonition" id="([^"]+)">\s*<p class="admonition-title">'
    r'<span class="caption-number">Exercise ([\d.]+) </span>')
EXERCISE_LINK = re.compile(
    r'<a class="reference internal" href="([^"]*)"><span class="std std-(?:ref|numref)">'
    r"Exercise ([\d.]+)</span></a>")


@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_exercises_are_numbered_by_chapter_and_links_stay_on_the_page(pages, chapter):
    number = int(Path(chapter).name[:2])
    exercises = EXERCISE_TITLE.findall(pages[chapter])
    assert [shown for _, shown in exercises] == [
        f"{number}.{k}" for k in range(1, len(exercises) + 1)]
    labels = {label: shown for label, shown in exercises}
    for target, shown in EXERCISE_LINK.findall(pages[chapter]):
        assert target.startswith("#") and labels.get(target[1:]) == shown, (
            f"'Exercise {shown}' in {chapter} links to {target}, not to an exercise of its page")


def _widget_state(page):
    blocks = WIDGET_STATE.findall(page)
    assert len(blocks) == 1, f"expected one widget-state block, found {len(blocks)}"
    return json.loads(blocks[0])["state"]


@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_interactive_figures_carry_linked_frames(pages, chapter):
    """Each chapter's frames are in the page, and each link joins two models of the page."""
    state = _widget_state(pages[chapter])
    models = {k: v["model_name"] for k, v in state.items()}
    assert "StackModel" in models.values()
    links = [v["state"] for v in state.values() if v["model_name"].endswith("LinkModel")]
    assert links, "no browser-side links: the controls would not respond on a static page"
    for link in links:
        for end in ("source", "target"):
            model_id = link[end][0].removeprefix("IPY_MODEL_")
            assert model_id in state, f"link {end} points to a model missing from the page"
    frames = [v for v in state.values() if v["model_name"] == "HTMLModel"]
    assert all('alt="' in f["state"]["value"] for f in frames if "<img" in f["state"]["value"])


@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_widget_javascript_is_served_by_the_site_once(pages, chapter):
    sources = re.findall(r'<script[^>]*src="([^"]+)"', pages[chapter])
    widget_js = [s for s in sources if "embed-amd" in s or "require" in s]
    assert len(widget_js) == 2 == len(set(widget_js)), widget_js
    for src in widget_js:
        assert not src.startswith(("http:", "https:", "//")), f"{src} is not served locally"
        local = (HTML / chapter).parent / src.split("?")[0]
        assert local.resolve().is_file(), f"{src} is referenced but not in the site"


def test_every_figure_image_has_alt_text(pages):
    """Static images; widget frames live in the widget state and are checked above."""
    for name, page in pages.items():
        for tag in re.findall(r"<img\b[^>]*>", WIDGET_STATE.sub("", page)):
            alt = re.search(r'alt="([^"]*)"', tag)
            assert alt and alt.group(1).strip(), f"{name}: image without alt text: {tag[:120]}"
            assert not alt.group(1).startswith("../_images/"), f"{name}: alt is only a file name"


PAGE_BUDGET = 1024 * 1024
FRAME_SRC = re.compile(r'<img[^>]*src="([^"]*_frames/[0-9a-f]+\.png)"')


def _view_roots(page):
    views = re.findall(
        r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', page, re.S)
    return {m for view in views for m in re.findall(r"[0-9a-f]{32}", view)}


def _frames_shown_at_load(page):
    """Frame files a page shows before any control is touched: every model its views reach,
    taking only the selected child of each stack (the widget manager renders no other)."""
    if not WIDGET_STATE.search(page):
        return set()
    state = _widget_state(page)
    shown, todo, frames = set(), list(_view_roots(page)), set()
    while todo:
        model = todo.pop()
        if model in shown or model not in state:
            continue
        shown.add(model)
        entry = state[model]
        if entry["model_name"] == "StackModel":
            children = entry["state"]["children"]
            index = entry["state"].get("selected_index")
            refs = json.dumps(children[index] if index is not None else [])
        else:
            refs = json.dumps(entry["state"])
        todo += re.findall(r"IPY_MODEL_([0-9a-f]{32})", refs)
        if entry["model_name"] == "HTMLModel":
            frames |= set(FRAME_SRC.findall(entry["state"].get("value", "")))
    return frames


def _all_frames(page):
    state = _widget_state(page) if WIDGET_STATE.search(page) else {}
    return {src for entry in state.values() if entry["model_name"] == "HTMLModel"
            for src in FRAME_SRC.findall(entry["state"].get("value", ""))}


@pytest.mark.parametrize("chapter", _chapter_notebooks())
def test_frames_are_files_of_the_site_not_inline(pages, chapter):
    page = pages[chapter]
    assert "data:image/png" not in page, "a frame is still inline in the page"
    frames = _all_frames(page)
    assert frames, "no frame file referenced: the interactive figures lost their frames"
    missing = [src for src in frames if not (HTML / chapter).parent.joinpath(src).is_file()]
    assert not missing, f"{len(missing)} frame files missing, e.g. {missing[:3]}"
    assert _frames_shown_at_load(page) < frames, "every frame would load with the page"


def test_each_page_with_what_it_shows_first_is_under_1_mb(pages):
    """Page HTML, the images it references and the frames it shows before any control moves;
    the other frames load when a control selects them."""
    sizes = {}
    for name, page in pages.items():
        page_path = HTML / f"{name}.html"
        images = set(re.findall(r'<img[^>]*src="(\.\./_images/[^"]+)"', page))
        files = images | _frames_shown_at_load(page)
        sizes[name] = page_path.stat().st_size + sum(
            (page_path.parent / src).stat().st_size for src in files)
    (HTML.parent / "page_sizes.json").write_text(json.dumps(sizes, indent=2))
    too_big = {name: size for name, size in sizes.items() if size > PAGE_BUDGET}
    assert not too_big, f"pages over 1 MB before a control is touched: {too_big}"


def _local_targets(page: str):
    """Relative href/src targets of a page, without query strings and fragments."""
    page = WIDGET_STATE.sub("", page)
    for target in re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', page):
        if not re.match(r"^[a-z][a-z0-9+.-]*:|^//", target):
            yield target


def test_every_internal_link_and_asset_exists():
    """The equivalent of Sphinx linkcheck for internal links: every page, every target."""
    missing = []
    for page_path in HTML.rglob("*.html"):
        if "_static" in page_path.parts:  # theme templates, not pages
            continue
        for target in _local_targets(page_path.read_text(encoding="utf-8")):
            if not (page_path.parent / target).resolve().exists():
                missing.append(f"{page_path.relative_to(HTML)} -> {target}")
    assert not missing, "\n".join(missing[:20])


def test_launch_and_download_buttons(pages):
    """Binder and Colab launch and notebook download on every chapter; the launch links name
    the repository, its branch and the chapter's notebook."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    for chapter in _chapter_notebooks():
        page = pages[chapter]
        assert f"mybinder.org/v2/gh/{repo}/" in page, f"{chapter}: no Binder launch button"
        colab = f"colab.research.google.com/github/{repo}/blob/{branch}/{chapter}.ipynb"
        assert colab in page, f"{chapter}: no Colab launch button to {colab}"
        assert f"_sources/{chapter}.ipynb" in page, f"{chapter}: no notebook download button"


def test_every_page_describes_itself_for_search_engines(pages):
    for name, page in pages.items():
        found = re.search(r'<meta content="([^"]{50,300})" name="description"', page)
        assert found, f"{name} has no meta description of 50 to 300 characters"
