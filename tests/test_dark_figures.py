"""The dark twins of the site's figures (book/_ext/dark_figures.py)."""

import colorsys
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
import dark_figures  # noqa: E402

from backproplab.plots.core import PALETTE  # noqa: E402


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255


def test_white_becomes_the_page_and_black_text_turns_white():
    assert np.allclose(dark_figures.dark_pixels(np.ones(3)), dark_figures.BACKGROUND)
    assert np.allclose(dark_figures.dark_pixels(np.zeros(3)), 1)


def test_each_palette_colour_keeps_its_hue_and_saturation_and_turns_its_lightness_over():
    for name, hex_colour in PALETTE.items():
        if name == "black":
            continue
        hue, light, saturation = colorsys.rgb_to_hls(*_rgb(hex_colour))
        # undo the lift to the page's background, then compare in HLS (by hand: L -> 1 - L)
        dark = (dark_figures.dark_pixels(_rgb(hex_colour)) - dark_figures.BACKGROUND) / (
            1 - dark_figures.BACKGROUND)
        hue2, light2, saturation2 = colorsys.rgb_to_hls(*dark)
        assert abs(hue2 - hue) < 1e-9 and abs(saturation2 - saturation) < 1e-9, name
        assert abs(light2 - (1 - light)) < 1e-9, name


def test_twins_are_written_beside_their_figures_and_follow_them(tmp_path):
    figure = tmp_path / "abc.png"
    Image.new("RGBA", (20, 10), (255, 255, 255, 255)).save(figure)
    assert dark_figures.update_twins(tmp_path) == 1
    twin = tmp_path / "abc.dark.png"
    with Image.open(twin) as image:
        assert image.size == (20, 10)
        assert image.convert("RGBA").getpixel((3, 3)) == (0x12, 0x12, 0x12, 255)
    assert dark_figures.update_twins(tmp_path) == 0, "an up-to-date twin is not rewritten"
    figure.unlink()
    dark_figures.update_twins(tmp_path)
    assert not twin.exists(), "the twin of a figure that is gone is dropped"
