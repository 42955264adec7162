"""The build step that lightens the pages (book/_ext/page_weight.py): frames as files, figures
with a palette.

A synthetic page holds what a chapter holds: a stack of frames with a link from a slider,
and a model that no view shows. The site's own pages are checked in test_site.py.
"""

import base64
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
import page_weight  # noqa: E402

PNG_A = b"\x89PNG\r\n\x1a\n" + b"frame a" * 50
PNG_B = b"\x89PNG\r\n\x1a\n" + b"frame b" * 50


def _id(n: int) -> str:
    return f"{n:032x}"


def _frame(png: bytes, alt: str) -> dict:
    data = base64.b64encode(png).decode()
    return {"model_name": "HTMLModel", "state": {
        "value": f'<img src="data:image/png;base64,{data}" width="10" height="5" alt="{alt}">'}}


def _page() -> str:
    state = {
        _id(1): {"model_name": "VBoxModel",
                 "state": {"children": [f"IPY_MODEL_{_id(2)}", f"IPY_MODEL_{_id(3)}"]}},
        _id(2): {"model_name": "SelectionSliderModel", "state": {"index": 0}},
        _id(3): {"model_name": "StackModel", "state": {
            "children": [f"IPY_MODEL_{_id(4)}", f"IPY_MODEL_{_id(5)}", f"IPY_MODEL_{_id(6)}"],
            "selected_index": 0}},
        _id(4): _frame(PNG_A, "first </script> frame"),
        _id(5): _frame(PNG_B, "second"),
        _id(6): _frame(PNG_A, "third, same picture as the first"),
        _id(7): {"model_name": "DirectionalLinkModel", "state": {
            "source": [f"IPY_MODEL_{_id(2)}", "index"],
            "target": [f"IPY_MODEL_{_id(3)}", "selected_index"]}},
        _id(8): {"model_name": "ImageModel", "state": {"value": "unused " * 100}},
    }
    body = json.dumps({"version_major": 2, "state": state}).replace("</", "<\\/")
    view = json.dumps({"version_major": 2, "model_id": _id(1)})
    return ("<html><head>"
            f'<script type="application/vnd.jupyter.widget-state+json">{body}</script></head>'
            f'<body><script type="application/vnd.jupyter.widget-view+json">{view}</script>'
            "</body></html>")


def _state(page: str) -> dict:
    return json.loads(page_weight.STATE.search(page).group(2))["state"]


@pytest.fixture
def site(tmp_path):
    (tmp_path / "book").mkdir()
    page = tmp_path / "book" / "chapter.html"
    page.write_text(_page())
    return tmp_path


def test_frames_become_files_shared_by_equal_frames(site):
    counts = page_weight.move_all_frames(site)
    page = (site / "book" / "chapter.html").read_text()
    assert "data:image/png" not in page
    files = sorted((site / "_frames").iterdir())
    assert sorted(f.read_bytes() for f in files) == sorted([PNG_A, PNG_B])
    assert counts == {"book/chapter.html": 2}
    state = _state(page)
    for model, png in ((_id(4), PNG_A), (_id(5), PNG_B), (_id(6), PNG_A)):
        value = state[model]["state"]["value"]
        assert f'src="../_frames/{page_weight.frame_name(png)}"' in value
        assert 'loading="lazy"' in value and 'width="10" height="5"' in value


def test_models_no_view_shows_are_dropped_and_links_kept(site):
    page_weight.move_all_frames(site)
    state = _state((site / "book" / "chapter.html").read_text())
    assert _id(8) not in state
    assert {_id(k) for k in range(1, 8)} <= set(state)


def test_the_page_stays_valid_html_and_a_second_run_changes_nothing(site):
    page_weight.move_all_frames(site)
    page_path = site / "book" / "chapter.html"
    once = page_path.read_text()
    assert "first </script> frame" not in once and "first <\\/script> frame" in once
    assert page_weight.move_all_frames(site) == {"book/chapter.html": 2}
    assert page_path.read_text() == once
    assert len(list((site / "_frames").iterdir())) == 2


def test_frames_no_page_uses_any_more_are_deleted(site):
    page_weight.move_all_frames(site)
    stale = site / "_frames" / ("0" * 20 + ".png")
    stale.write_bytes(PNG_A)
    variant = site / "_frames" / page_weight.frame_name(PNG_A).replace(".png", ".dark.png")
    variant.write_bytes(PNG_B)
    page_weight.move_all_frames(site)
    assert not stale.exists()
    assert variant.exists(), "a variant of a frame in use is kept"


def test_a_page_without_widgets_is_left_alone(tmp_path):
    page = "<html><body><img src=\"data:image/png;base64,AAAA\" alt=\"inline\"></body></html>"
    assert page_weight.move_frames(page, tmp_path, tmp_path / "_frames") == (page, set())


def test_a_figure_gets_a_palette_keeps_its_pixels_size_and_transparency(tmp_path):
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 200), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    for k in range(40):  # anti-aliased-looking line art: many shades, few colours in all
        draw.line([(0, 5 * k), (299, 199 - 3 * k)], fill=(0, 114, 178, 255 - 5 * k), width=2)
    draw.rectangle([0, 0, 30, 30], fill=(0, 0, 0, 0))
    path = tmp_path / "figure.png"
    image.save(path, compress_level=0)
    before = path.stat().st_size
    assert page_weight.palette_png(path)
    assert path.stat().st_size < before / 3
    with Image.open(path) as reduced:
        assert reduced.mode == "P" and reduced.size == (300, 200)
        rgba = reduced.convert("RGBA")
    assert rgba.getpixel((10, 10))[3] == 0 and rgba.getpixel((150, 3))[3] > 0
    assert not page_weight.palette_png(path), "an image with a palette is left alone"
