"""The code a reader sees runs on its own.

The book hides cells tagged `remove-cell` (hidden checks, glue of numbers into the prose).
A reader who copies the visible cells into a fresh kernel must get a notebook that runs:
every name a visible cell uses is defined in a visible cell or imported from a library.
Each chapter is executed here with its `remove-cell` cells dropped.

The same run logs every figure and frame the chapter renders (`plots.style.record_renders`),
and the book's figure style is checked on that log: 2x pixel density, a width that fits the
text column, no text below 11 CSS pixels. (The removed cells hold live figures for Jupyter,
which never reach the site.)
"""

import functools
import json
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from backproplab.plots import style

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def visible_only(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `notebook` without the cells the book removes."""
    kept = nbformat.from_dict(notebook)
    kept.cells = [c for c in kept.cells if "remove-cell" not in c.metadata.get("tags", [])]
    return kept


def run(notebook: nbformat.NotebookNode) -> None:
    """Execute `notebook` top to bottom in a fresh kernel of this environment."""
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "book")}}).execute()


def test_a_name_defined_only_in_a_hidden_cell_is_caught():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def helper():\n    return 1",
                                  metadata={"tags": ["remove-cell"]}),
        nbformat.v4.new_code_cell("helper()"),
    ])
    run(notebook)  # the whole notebook runs
    with pytest.raises(CellExecutionError, match="NameError"):
        run(visible_only(notebook))


@functools.cache
def visible_run(chapter: Path) -> tuple[Exception | None, list[dict]]:
    """Run `chapter`'s visible cells once; (the error if one failed, the figures rendered)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "renders.jsonl"
        notebook = visible_only(nbformat.read(chapter, as_version=4))
        notebook.cells.insert(0, nbformat.v4.new_code_cell(
            f"from backproplab.plots.style import record_renders\nrecord_renders({str(log)!r})"))
        try:
            run(notebook)
            error = None
        except CellExecutionError as exc:
            error = exc
        lines = log.read_text().splitlines() if log.exists() else []
        renders = [json.loads(line) for line in lines]
    return error, renders


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_visible_cells_run_without_the_hidden_ones(chapter):
    error, _ = visible_run(chapter)
    if error is not None:
        raise error


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_every_figure_and_frame_reads_on_the_page(chapter):
    error, renders = visible_run(chapter)
    assert error is None, "the chapter did not run (see the test above)"
    assert renders, "no figure was rendered: the log is not recording"
    failing = [f"{r['kind']} {r['title']!r} ({r['width_px']}x{r['height_px']} px): "
               + "; ".join(style.problems(r)) for r in renders if style.problems(r)]
    assert not failing, f"{len(failing)} of {len(renders)} renders:\n" + "\n".join(failing)
