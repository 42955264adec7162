"""How fast the sandboxed grader works through a class: submissions a minute.

Forty reference solutions (the seven assignments' solutions, copied round-robin) are graded by
``assignments/grade.py`` with its defaults (two at a time, each in its own bubblewrap sandbox),
and the wall-clock time of the whole run gives the throughput. Every copy must score full
marks, or the figure is not counted. Runs on its own too: ``python -m benchmarks.bench_grading``.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .report import figure

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = 40
TARGET = 20.0  # submissions a minute


def run(count: int = SUBMISSIONS) -> list[dict]:
    solutions = sorted((ROOT / "dist" / "solutions").glob("*.ipynb"))
    if not solutions:
        raise SystemExit("no reference solutions in dist/solutions: run `make assignments`")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        for k in range(count):
            shutil.copy(solutions[k % len(solutions)], folder / f"student{k:02d}.ipynb")
        output = Path(tmp) / "grades.csv"
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(ROOT / "assignments" / "grade.py"),
                               str(folder), "--output", str(output)],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        rows = []
        if done.returncode == 0:
            with open(output, newline="") as f:
                rows = list(csv.DictReader(f))
    full = sum(r["total"] == r["possible"] and not r["error"] for r in rows)
    rate = count / seconds * 60 if full == count else 0.0
    return [figure("grading_throughput", f"sandboxed grading of {count} reference solutions",
                   rate, "submissions/min", target=TARGET, comparison=">=",
                   details={"seconds": seconds, "full_marks": full,
                            "exit_status": done.returncode})]


if __name__ == "__main__":
    for fig in run():
        print(f"{fig['title']}: {fig['value']:.1f} {fig['unit']} ({fig['details']})")
