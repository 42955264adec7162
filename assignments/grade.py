"""Grade a folder of submitted notebooks into one CSV file, in two phases that trust nothing.

    python assignments/grade.py SUBMISSIONS [--output grades.csv] [--feedback DIR]

1. Untrusted execution (sandbox.py): each submission's code cells run in a bubblewrap sandbox
   of their own, as an unprivileged user, with no network, no view of this repository, the
   other submissions or the output, and limits for the whole process tree. After the last
   cell, the sandbox calls the student's functions on inputs this run chose at random and
   hands back plain JSON data.
2. Trusted scoring (scoring.py, and each assignment's checks.py): this process, which never
   runs a student's code, computes the right answers with `backproplab`, compares, caps each
   question at its points, and alone writes ``grades.csv``.

Every file under SUBMISSIONS (subfolders and hidden files included) gets one row; the
assignment comes from the notebook's metadata or its otter set-up line, or ``--assignment``.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sandbox
import scoring

HERE = Path(__file__).resolve().parent
MESSAGE_LIMIT = 300  # characters kept from one message in grades.csv
NOTEBOOK_LIMIT = 20 * 2**20  # bytes: a larger file is not read
OTTER_INIT = re.compile(r"""otter\.Notebook\(\s*["']([^"'/\\]+)_assignment\.ipynb["']""")


@dataclass
class Grade:
    """One row of grades.csv."""

    submission: str
    assignment: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.scores.values())


class SubmissionError(Exception):
    """A submission that cannot be graded at all; its message goes to the error column."""


def known_assignments() -> list[str]:
    return sorted(p.parent.name for p in HERE.glob("[0-9]*/checks.py"))


def read_notebook(path: Path):
    """The notebook at `path`; SubmissionError if it is not one (no code runs for that)."""
    import nbformat

    if path.is_symlink():
        raise SubmissionError("a symbolic link, not a file: hand in the notebook itself")
    if path.suffix != ".ipynb":
        raise SubmissionError(f"not a notebook: expected a .ipynb file, got '{path.name}'")
    if path.stat().st_size > NOTEBOOK_LIMIT:
        raise SubmissionError(f"the file is over {NOTEBOOK_LIMIT // 2**20} MB: clear its outputs")
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several unrelated types for a damaged file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SubmissionError(f"not a readable Jupyter notebook ({_clip(reason)})") from exc
    return nb


def assignment_of(nb, forced: str | None) -> str:
    """The assignment `nb` answers: `forced`, else otter's metadata, else its set-up line."""
    claimed = nb.metadata.get("otter", {}).get("assignment_name")
    if claimed is None:
        for cell in nb.cells:
            match = OTTER_INIT.search(cell.source) if cell.cell_type == "code" else None
            if match:
                claimed = match.group(1)
                break
    if claimed and forced and claimed != forced:
        raise SubmissionError(f"this notebook is for assignment '{claimed}', not '{forced}'")
    name = forced or claimed
    if name is None:
        raise SubmissionError("cannot tell which assignment this is: pass --assignment NAME")
    if name not in known_assignments():
        raise SubmissionError(f"unknown assignment '{name}'; known: "
                              f"{', '.join(known_assignments())}")
    return name


def grade_one(path: Path, folder: Path, forced, limits: sandbox.Limits, seed: int) -> Grade:
    """Grade one file into a row; a bad submission never raises."""
    grade = Grade(path.relative_to(folder).as_posix())
    try:
        nb = read_notebook(path)
        grade.assignment = assignment_of(nb, forced)
        questions = scoring.load_questions(grade.assignment, np.random.default_rng(seed))
        grade.scores = dict.fromkeys((q.name for q in questions), 0.0)
        cells = [c.source for c in nb.cells if c.cell_type == "code"]
        if not any(source.strip() for source in cells):
            raise SubmissionError("empty notebook: it has no code to grade")
        outcome = sandbox.run_submission(cells, [q.probes() for q in questions], limits)
    except SubmissionError as exc:
        grade.errors.append(str(exc))
        return grade
    except sandbox.Stopped:
        raise
    except Exception as exc:  # a bug here must not cost the other submissions their grades
        grade.errors.append(f"internal grading error: {type(exc).__name__}: {_clip(str(exc))}")
        return grade
    stopped = {m.split(":", 1)[0]: m.split(": ", 1)[1] for m in outcome.stopped if ": " in m}
    result = scoring.score(questions, outcome.answers, stopped)
    grade.scores = result.points
    grade.failures = result.failures
    grade.errors += [f"code cell {i + 1}: {message}"
                     for i, message in sorted(outcome.cell_errors.items())]
    grade.errors += [m for m in outcome.stopped if m.split(":", 1)[0] not in grade.scores]
    return grade


def submissions_in(folder: Path, output: Path) -> list[Path]:
    """Every file under `folder`, subfolders and hidden files included, except `output`."""
    return sorted(p for p in folder.rglob("*")
                  if (p.is_file() or p.is_symlink()) and p.resolve() != output.resolve())


def write_csv(path: Path, grades: list[Grade]) -> None:
    """Write grades.csv atomically: one row per submission, one column per question."""
    points = {name: {q.name: q.points for q in scoring.load_questions(
        name, np.random.default_rng(0))} for name in sorted({g.assignment for g in grades} - {""})}
    columns = [q for name in points for q in points[name]]
    header = ["submission", "assignment", *columns, "total", "possible", "error", "failures"]
    rows = []
    for g in grades:
        possible = _number(sum(points[g.assignment].values())) if g.assignment else ""
        cells = [_number(g.scores[q]) if q in g.scores else "" for q in columns]
        rows.append([g.submission, g.assignment, *cells, _number(g.total), possible,
                     " | ".join(map(_clip, g.errors)), " | ".join(map(_clip, g.failures))])
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_feedback(folder: Path, grade: Grade) -> None:
    """A text file a student may be given: scores and messages (no hidden details exist)."""
    lines = [f"{grade.submission}: {grade.assignment or 'not graded'}", ""]
    lines += [f"{q}: {_number(s)}" for q, s in grade.scores.items()]
    lines += ["", f"total: {_number(grade.total)}", ""]
    lines += [f"- {m}" for m in grade.errors + grade.failures]
    target = folder / (grade.submission.replace("/", "__") + ".txt")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def grade_folder(folder: Path, output: Path, forced, limits, jobs, feedback=None,
                 log=sys.stderr) -> list[Grade]:
    """Grade every file under `folder` (`jobs` at a time), write `output`, return the rows."""
    if forced is not None and forced not in known_assignments():
        raise SystemExit(f"unknown --assignment '{forced}'; known: "
                         f"{', '.join(known_assignments())}")
    if not sandbox.available():
        raise SystemExit("grading needs bubblewrap: apt-get install bubblewrap")
    folder, output = folder.resolve(), output.resolve()
    files = submissions_in(folder, output)
    seed = int.from_bytes(os.urandom(8), "little")  # this run's inputs: unknown beforehand
    grades, start, lock = {}, time.monotonic(), threading.Lock()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_one, p, folder, forced, limits, seed): p for p in files}
        try:
            for future in as_completed(futures):
                grade = future.result()
                with lock:
                    grades[futures[future]] = grade
                    done = len(grades)
                    left = (time.monotonic() - start) / done * (len(files) - done)
                    print(f"[{done}/{len(files)}, about {left:.0f} s left] {grade.submission}: "
                          f"{_number(grade.total)}", file=log, flush=True)
        except BaseException:
            sandbox.stop_all()
            for f in futures:
                f.cancel()
            raise
    ordered = [grades[p] for p in files]
    write_csv(output, ordered)
    if feedback is not None:
        feedback.mkdir(parents=True, exist_ok=True)
        for grade in ordered:
            write_feedback(feedback, grade)
    return ordered


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _number(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--output", type=Path, default=Path("grades.csv"))
    parser.add_argument("--feedback", type=Path, help="folder for one feedback file per student")
    parser.add_argument("--assignment", help="grade every file against this assignment")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    defaults = sandbox.Limits()
    parser.add_argument("--cell-timeout", type=float, default=defaults.cell_seconds)
    parser.add_argument("--question-timeout", type=float, default=defaults.question_seconds)
    parser.add_argument("--submission-timeout", type=float, default=defaults.submission_seconds)
    parser.add_argument("--memory-gb", type=float, default=defaults.memory_gb)
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder; got {args.submissions}")
    limits = sandbox.Limits(args.cell_timeout, args.question_timeout, args.submission_timeout,
                            args.memory_gb)
    try:
        grades = grade_folder(args.submissions, args.output, args.assignment, limits,
                              args.jobs, args.feedback)
    except KeyboardInterrupt:
        print("stopped: every sandbox was killed; grades.csv was left as it was", file=sys.stderr)
        return 130
    print(f"wrote {args.output} ({len(grades)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
