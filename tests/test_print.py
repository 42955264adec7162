"""The printable book: Chromium prints the built pages through the print stylesheet.

Two pages (the intro and chapter 4) are printed with scripts/print_book.py into one PDF, which
is then read back: one outline entry per page, the text and the figures are there (the
step-through's first frame is an image), and what only works on a screen is not (solutions,
controls, navigation).
"""

import pytest

from test_browser import _unavailable_reason

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    reason = _unavailable_reason()
    if reason:
        import os

        if os.environ.get("CI") == "true":
            pytest.fail(f"the print test cannot run under CI: {reason}")
        pytest.skip(reason)
    from pypdf import PdfReader
    from scripts.print_book import print_book

    output = tmp_path_factory.mktemp("pdf") / "book.pdf"
    print_book(output, ["book/intro", "book/04_hand_worked_example"])
    return PdfReader(output)


def test_each_page_is_a_chapter_of_the_pdf(printed):
    titles = [item.title for item in printed.outline]
    assert titles[0] == "Backprop Lab" and titles[1].endswith("A hand-worked example")
    assert len(titles) == 2
    assert len(printed.pages) >= 6


def test_text_maths_and_figures_are_printed(printed):
    text = "\n".join(page.extract_text() for page in printed.pages)
    for heading in ["The loop at the heart of it all", "The forward pass", "The hidden deltas"]:
        assert heading in text
    images = sum(len(page.images) for page in printed.pages)
    assert images >= 3, f"only {images} images: the figures' first frames are missing"


def test_what_only_works_on_a_screen_is_left_out(printed):
    text = "\n".join(page.extract_text() for page in printed.pages)
    assert "Solution to" not in text
    assert "Skip to main content" not in text and "Search" not in text.split("\n")[:5]
