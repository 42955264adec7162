"""The book as one PDF, printed by Chromium from the built site (`make pdf`).

    python -m scripts.print_book [--output _build/pdf/backprop-lab.pdf] [--pages intro,...]

Serves _build/html on 127.0.0.1, opens every page of the table of contents in Debian's
Chromium (Playwright), waits until MathJax has typeset it and its figures show their first
frame, prints it with the site's print stylesheet (book/_static/print.css: text, maths,
figures and captions; no navigation, controls or solutions) and joins the pages into one PDF
with an outline entry per chapter. Offline: nothing is fetched.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml
from scripts.serve import served

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]


# Frames load lazily (book/_ext/frames_on_demand.py): on paper every one shown must be there.
LOAD_EVERY_IMAGE = """async () => {
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = "eager"; });
    await Promise.all(images.filter(img => !img.complete).map(img => new Promise(done => {
        img.addEventListener("load", done); img.addEventListener("error", done); })));
}"""


def print_page(browser, url: str, target: Path) -> str:
    """Print one page to `target`; return its title."""
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    page.goto(url, wait_until="load")
    if page.locator("script[type='application/vnd.jupyter.widget-state+json']").count():
        page.wait_for_selector(".widget-html-content img", state="attached", timeout=30_000)
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    page.evaluate(LOAD_EVERY_IMAGE)
    page.wait_for_timeout(300)
    page.emulate_media(media="print")
    page.pdf(path=str(target), format="A4", print_background=False, prefer_css_page_size=True)
    title = page.locator("h1").first.inner_text().replace("#", "").strip()
    page.close()
    return title


def print_book(output: Path, pages: list[str] | None = None) -> Path:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfWriter

    if not (HTML / "index.html").exists():
        raise SystemExit("the site is not built: run `make book` first")
    pages = pages or toc_pages()
    output.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    with served(HTML) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for i, name in enumerate(pages):
            part = output.parent / f".part-{i:02d}.pdf"
            parts.append((print_page(browser, f"{site}/{name}.html", part), part))
        browser.close()
    writer = PdfWriter()
    for title, part in parts:
        start = len(writer.pages)
        writer.append(str(part))
        writer.add_outline_item(title, start)
        part.unlink()
    writer.add_metadata({"/Title": "Backprop Lab"})
    with open(output, "wb") as f:
        writer.write(f)
    return output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "_build" / "pdf" / "backprop-lab.pdf")
    parser.add_argument("--pages", help="comma-separated pages (default: the whole book)")
    args = parser.parse_args(argv)
    pages = args.pages.split(",") if args.pages else None
    print(f"wrote {print_book(args.output, pages)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
