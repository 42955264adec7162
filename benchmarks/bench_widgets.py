"""Every live figure of the book, driven as a reader would drive it, callback by callback.

The live figures are found by scanning ``book/*.ipynb`` for ``live_explorer(`` calls, so a
new chapter is measured as soon as it exists. Each such notebook runs in a Jupyter kernel,
as in JupyterLab, up to its last live figure, with ``backproplab.plots.widgets.live_explorer``
replaced by the timing wrapper of ``widget_probe``: every live figure is then built for
real and its callbacks are timed in place, with the state the chapter built before it.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .report import figure

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
TARGET_MS = 100.0
MARKER = "WIDGET-PROBE-RESULTS:"


def live_notebooks(book: Path = BOOK) -> list[Path]:
    """The notebooks with at least one ``live_explorer(`` call in a code cell, in order."""
    return [path for path in sorted(book.glob("*.ipynb")) if _last_live_cell(_read(path)) >= 0]


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _last_live_cell(notebook) -> int:
    """Index of the last code cell calling ``live_explorer(``, or -1."""
    found = -1
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and "live_explorer(" in cell.source:
            found = index
    return found


def probe_notebook(notebook, repeats: int):
    """A copy that installs the probe first, stops after the last live figure, then prints
    the probe's results after ``MARKER``."""
    cells = [cell for cell in notebook.cells[: _last_live_cell(notebook) + 1]
             if cell.cell_type == "code"]
    setup = (
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        f"from benchmarks import widget_probe\nwidget_probe.install(repeats={repeats})"
    )
    report = f"import json\nprint({MARKER!r} + json.dumps(widget_probe.RESULTS))"
    probe = nbformat.v4.new_notebook(metadata=notebook.metadata)
    probe.cells = [nbformat.v4.new_code_cell(setup), *cells, nbformat.v4.new_code_cell(report)]
    return probe


def _results(executed) -> list[dict]:
    for output in executed.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if output.get("output_type") == "stream" and MARKER in text:
            return json.loads(text.split(MARKER, 1)[1])
    raise RuntimeError("the probe printed no results")


def measure_notebook(path: Path, repeats: int, timeout: int = 300) -> list[dict]:
    """Run ``path`` in a kernel up to its last live figure; one record per live figure.

    ``timeout`` limits each cell, in seconds, so that a hung kernel cannot stall the run.
    """
    probe = probe_notebook(_read(path), repeats)
    client = NotebookClient(
        probe, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    records = _results(probe)
    for number, record in enumerate(records, start=1):
        record["notebook"] = path.name
        record["figure"] = number
    return records


def _figure(record: dict) -> dict:
    median = record["median_default_ms"]
    ok = median is not None and not record["failures"]
    return figure(
        f"widget_{Path(record['notebook']).stem}_{record['figure']}",
        f"live figure callback, median at the defaults: {record['notebook']} "
        f"#{record['figure']} ({record['figure_class']})",
        median if ok else float("inf"), "ms", target=TARGET_MS,
        details={
            "median_update_only_ms": record["median_update_only_default_ms"],
            "median_other_settings_ms": record["median_other_ms"],
            "max_ms": max(record["default_ms"] + record["other_ms"], default=None),
            "callbacks_timed": len(record["default_ms"]) + len(record["other_ms"]),
            "defaults": record["controls"],
            "failures": record["failures"],
        },
    )


def run(quick: bool = False) -> list[dict]:
    figures = []
    for path in live_notebooks():
        print(f"   running {path.name}", flush=True)
        try:
            records = measure_notebook(path, repeats=1 if quick else 2)
        except Exception as exc:  # noqa: BLE001 - one broken chapter must not hide the others
            figures.append(figure(
                f"widget_{path.stem}", f"live figures of {path.name}: notebook failed to run",
                float("inf"), "ms", target=TARGET_MS, details={"error": repr(exc)[:2000]},
            ))
            continue
        figures.extend(_figure(record) for record in records)
    medians = [f["value"] for f in figures]
    if medians:
        figures.append(figure(
            "widget_slowest", "slowest live figure (median callback at the defaults)",
            max(medians), "ms", target=TARGET_MS,
            details={"figures": len(medians), "median_of_medians": statistics.median(medians)},
        ))
    return figures
