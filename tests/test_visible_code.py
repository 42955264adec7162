"""The code a reader sees runs on its own.

The book hides cells tagged `remove-cell` (hidden checks, glue of numbers into the prose).
A reader who copies the visible cells into a fresh kernel must get a notebook that runs:
every name a visible cell uses is defined in a visible cell or imported from a library.
Each chapter is executed here with its `remove-cell` cells dropped.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

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


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_visible_cells_run_without_the_hidden_ones(chapter):
    run(visible_only(nbformat.read(chapter, as_version=4)))
