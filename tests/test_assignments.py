"""The assignments: build them, scan the student release, and grade good and broken submissions.

``assignments/build.py`` runs once into a temporary ``dist``; ``assignments/grade.py`` then
runs once over a folder holding every reference solution, every blank student notebook and a
set of broken submissions. Offline. (Submissions crafted to cheat or to do damage are in
test_grading_red_team.py.)
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
MASTERS = sorted(ASSIGNMENTS.glob("[0-9]*/*_assignment.md"))
MISSING = [m for m in ("otter", "jupytext") if importlib.util.find_spec(m) is None]
CELL_TIMEOUT, TEST_TIMEOUT, SUBMISSION_TIMEOUT = 8, 5, 60

pytestmark = [
    pytest.mark.skipif(
        bool(MISSING) and os.environ.get("CI") != "true",
        reason=f"{', '.join(MISSING)} not installed: pip install -r assignments/requirements.txt",
    ),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:traitlets"),
]


sys.path.insert(0, str(ASSIGNMENTS))  # grade.py imports its neighbours as a script does
import grade  # noqa: E402
import scoring  # noqa: E402


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    if MISSING:
        pytest.fail(f"CI=true but {MISSING} missing: pip install -r assignments/requirements.txt")
    dist = tmp_path_factory.mktemp("dist")
    run = subprocess.run(
        [sys.executable, str(ASSIGNMENTS / "build.py"), "--dist", str(dist)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"build.py failed:\n{run.stdout}\n{run.stderr}"
    return dist


def _edit_cell(nb, defines: str, new_source: str):
    """Replace the source of the code cell that defines ``defines``."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and f"def {defines}(" in c.source]
    cell.source = new_source
    return nb


def _insert_before_first_question(nb, source: str):
    index = next(i for i, c in enumerate(nb.cells) if "def mse_grad(" in c.source)
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def _broken_submissions(solution: Path, blank: Path, folder: Path) -> None:
    """Write the broken submissions, all derived from assignment 1, into ``folder``."""

    def variant(name, edit):
        nbformat.write(edit(nbformat.read(solution, as_version=4)), folder / name)

    variant("raises.ipynb", lambda nb: _edit_cell(nb, "mse_grad", "raise RuntimeError('bug')"))
    variant(
        "syntax_error.ipynb",
        lambda nb: _edit_cell(nb, "bce_grad", "def bce_grad(p, y)\n    return p"),
    )
    loop = "while True:\n    pass"
    variant("loops_forever.ipynb", lambda nb: _insert_before_first_question(nb, loop))
    endless = "def bce_with_logits(z, y):\n    while True:\n        pass"
    variant("loops_in_function.ipynb", lambda nb: _edit_cell(nb, "bce_with_logits", endless))
    stubborn = (  # swallows every interrupt: only killing it from outside ends it
        "import time\n"
        "while True:\n"
        "    try:\n"
        "        time.sleep(1000)\n"
        "    except BaseException:\n"
        "        pass"
    )
    variant("ignores_interrupts.ipynb", lambda nb: _insert_before_first_question(nb, stubborn))

    def other_kernel(nb):
        nb.metadata.kernelspec = {"name": "no-such-kernel", "display_name": "?", "language": "?"}
        return nb

    variant("Renamed copy (2).ipynb", other_kernel)
    variant("no_metadata.ipynb", _anonymous)
    empty = nbformat.read(blank, as_version=4)
    empty.cells = [c for c in empty.cells if c.cell_type == "markdown"]
    nbformat.write(empty, folder / "empty.ipynb")
    (folder / "not_a_notebook.txt").write_text("my answers are in my head\n")
    (folder / "garbage.ipynb").write_text("{this is not json")


def _anonymous(nb):
    """`nb` without anything that names its assignment: no metadata, no otter set-up cell."""
    nb.metadata.pop("otter", None)
    nb.cells = [c for c in nb.cells if "otter.Notebook(" not in c.source]
    return nb


@pytest.fixture(scope="module")
def graded(dist, tmp_path_factory):
    """Grade everything in one run; return ({file name: row}, the folder)."""
    folder = tmp_path_factory.mktemp("submissions")
    for notebook in sorted((dist / "solutions").glob("*.ipynb")):
        (folder / f"solution_{notebook.name}").write_bytes(notebook.read_bytes())
    for notebook in sorted((dist / "student").glob("*.ipynb")):
        (folder / f"blank_{notebook.name}").write_bytes(notebook.read_bytes())
    first = "01_loss_functions_assignment.ipynb"
    _broken_submissions(dist / "solutions" / first, dist / "student" / first, folder)
    output = folder / "grades.csv"
    run = subprocess.run(
        [
            sys.executable,
            str(ASSIGNMENTS / "grade.py"),
            str(folder),
            "--output",
            str(output),
            f"--cell-timeout={CELL_TIMEOUT}",
            f"--question-timeout={TEST_TIMEOUT}",
            f"--submission-timeout={SUBMISSION_TIMEOUT}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, f"grade.py failed:\n{run.stdout}\n{run.stderr}"
    with open(output, newline="", encoding="utf-8") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    return rows, folder


def _master_points(dist, assignment) -> dict[str, float]:
    """Each question's points as the master's tests give them (otter's autograder zip)."""
    from otter.test_files.exception_test import ExceptionTestFile

    with zipfile.ZipFile(dist / "autograder" / f"{assignment}.zip") as archive:
        tests = sorted(n for n in archive.namelist() if n.startswith("tests/"))
        files = [ExceptionTestFile.from_string(archive.read(n).decode(), n) for n in tests]
    return {f.name: float(f.possible) for f in files}


def _questions(assignment) -> dict[str, float]:
    """The grader's questions and their points (checks.py)."""
    import numpy as np

    return {q.name: q.points
            for q in scoring.load_questions(assignment, np.random.default_rng(0))}


def _master_secrets(master: Path):
    """(solution code, hidden test names) read straight from a master's text.

    A solution line that also appears outside the solutions (e.g. in given code) is no secret.
    """
    solutions, hidden_tests, public = [], [], set()
    in_fence = in_solution = hidden = False
    for line in master.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = stripped == "```otter"
        elif in_fence:
            continue
        elif stripped == "# BEGIN SOLUTION":
            in_solution = True
        elif stripped == "# END SOLUTION":
            in_solution = False
        elif in_solution and len(stripped) > 8:
            solutions.append(stripped)
        elif stripped.endswith("# SOLUTION"):
            solutions.append(stripped.split(" = ", 1)[-1].rsplit("#", 1)[0].strip())
        else:
            public.add(stripped)
            if stripped == "hidden: true":
                hidden = True
            elif hidden and stripped.startswith("def test_"):
                hidden_tests.append(stripped[4 : stripped.index("(")])
                hidden = False
    return [line for line in solutions if len(line) > 12 and line not in public], hidden_tests


def test_every_master_builds_a_student_notebook_and_an_autograder(dist):
    names = [m.parent.name for m in MASTERS]
    assert {"01_loss_functions", "02_gradient_descent", "03_backpropagation"} <= set(names)
    all_questions = []
    for master in MASTERS:
        assert (dist / "student" / f"{master.stem}.ipynb").is_file()
        assert (dist / "solutions" / f"{master.stem}.ipynb").is_file()
        questions = _master_points(dist, master.parent.name)
        assert 3 <= len(questions) <= 5, f"{master.name} has {len(questions)} questions"
        all_questions += list(questions)
    assert len(all_questions) == len(set(all_questions)), "question names must be unique"


@pytest.mark.parametrize("master", MASTERS, ids=[m.parent.name for m in MASTERS])
def test_the_grader_asks_each_question_for_the_points_the_master_gives(dist, master):
    assert _questions(master.parent.name) == _master_points(dist, master.parent.name)


def test_student_release_has_no_solution_code_and_no_hidden_tests(dist):
    files = [p for p in (dist / "student").rglob("*") if p.is_file()]
    released = {p: p.read_text(errors="replace") for p in files}
    assert len(released) == len(MASTERS)
    markers = ["BEGIN SOLUTION", "END SOLUTION", "# SOLUTION", "BEGIN TESTS", "hidden=True"]
    markers += ["BEGIN QUESTION", "ASSIGNMENT CONFIG", "from backproplab"]
    for path, text in released.items():
        for marker in markers:
            assert marker not in text, f"{path.name} contains {marker!r}"
    for master in MASTERS:
        solutions, hidden_tests = _master_secrets(master)
        assert len(solutions) >= 3 and len(hidden_tests) >= 3, f"{master.name}: scan found little"
        with zipfile.ZipFile(dist / "autograder" / f"{master.parent.name}.zip") as archive:
            tests = [n for n in archive.namelist() if n.startswith("tests/")]
            autograder_tests = "".join(archive.read(n).decode() for n in tests)
        reference = (dist / "solutions" / f"{master.stem}.ipynb").read_text()
        for secret in solutions:
            assert json.dumps(secret)[1:-1] in reference, f"the scan reads {secret!r} wrongly"
            for path, text in released.items():
                assert json.dumps(secret)[1:-1] not in text, f"{path.name} leaks {secret!r}"
        for name in hidden_tests:
            assert name in autograder_tests, f"hidden test {name} missing from the autograder"
            for path, text in released.items():
                assert name not in text, f"{path.name} leaks the hidden test {name}"


def test_reference_solutions_score_full_marks(graded):
    rows, _ = graded
    for master in MASTERS:
        row = rows[f"solution_{master.stem}.ipynb"]
        questions = _questions(master.parent.name)
        assert row["error"] == "" and row["failures"] == "", row
        for question, points in questions.items():
            assert float(row[question]) == points, f"{question}: {row[question]} of {points}"
        assert float(row["total"]) == float(row["possible"]) == sum(questions.values())


def test_blank_notebooks_score_zero_with_readable_failures(graded):
    rows, _ = graded
    for master in MASTERS:
        row = rows[f"blank_{master.stem}.ipynb"]
        assert float(row["total"]) == 0, row
        failures = row["failures"].split(" | ")
        for question in _questions(master.parent.name):
            mine = [f for f in failures if f.startswith(f"{question}: ")]
            assert mine, f"{question} has no failure message; {row}"
            assert any("replace the ..." in f for f in mine), mine


@pytest.mark.parametrize(
    ("submission", "zero_questions", "message"),
    [
        ("raises.ipynb", ["q1_mse_gradient"], "RuntimeError: bug"),
        ("syntax_error.ipynb", ["q2_bce_gradient"], "SyntaxError"),
        ("loops_forever.ipynb", [], f"stopped after {CELL_TIMEOUT} s"),
        ("ignores_interrupts.ipynb", [], f"stopped after {CELL_TIMEOUT} s"),
        ("loops_in_function.ipynb", ["q3_stable_bce_with_logits"],
         f"stopped after {TEST_TIMEOUT} s"),
        ("Renamed copy (2).ipynb", [], None),
    ],
)
def test_broken_submissions_keep_partial_credit(graded, submission, zero_questions, message):
    row = graded[0][submission]
    assert row["assignment"] == "01_loss_functions"
    for question, points in _questions("01_loss_functions").items():
        expected = 0 if question in zero_questions else points
        assert float(row[question]) == expected, f"{question}: {row[question]}, expected {expected}"
    if message is None:
        assert row["error"] == row["failures"] == "", row
    else:
        assert message in row["error"] + row["failures"], row


@pytest.mark.parametrize(
    ("submission", "message"),
    [
        ("empty.ipynb", "empty notebook: it has no code to grade"),
        ("not_a_notebook.txt", "not a notebook: expected a .ipynb file"),
        ("garbage.ipynb", "not a readable Jupyter notebook"),
    ],
)
def test_ungradable_submissions_score_zero_with_a_message(graded, submission, message):
    row = graded[0][submission]
    assert float(row["total"]) == 0 and message in row["error"], row


def test_a_notebook_that_does_not_name_its_assignment_is_graded_with_assignment(
        graded, dist, tmp_path):
    assert "pass --assignment NAME" in graded[0]["no_metadata.ipynb"]["error"]
    folder = tmp_path / "one"
    folder.mkdir()
    solution = nbformat.read(dist / "solutions" / "01_loss_functions_assignment.ipynb", 4)
    nbformat.write(_anonymous(solution), folder / "anonymous.ipynb")
    output = tmp_path / "grades.csv"
    subprocess.run([sys.executable, str(ASSIGNMENTS / "grade.py"), str(folder), "--output",
                    str(output), "--assignment", "01_loss_functions"], check=True, timeout=120)
    with open(output, newline="", encoding="utf-8") as f:
        (row,) = csv.DictReader(f)
    assert row["assignment"] == "01_loss_functions" and row["total"] == row["possible"], row


def test_every_file_gets_one_row(graded):
    rows, folder = graded
    files = sorted(p.name for p in folder.iterdir() if p.name != "grades.csv")
    assert sorted(rows) == files


def test_grades_csv_is_replaced_atomically_or_left_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(grade.scoring, "load_questions", lambda name, rng: [
        scoring.Question("q1", [scoring.Check("", "f", None, 0, points=2.0)]),
        scoring.Question("q2", [scoring.Check("", "g", None, 0, points=3.0)])])
    rows = [grade.Grade("x.ipynb", "a", {"q1": 2.0, "q2": 1.0})]
    rows.append(grade.Grade("y.txt", errors=["not a notebook"]))
    output = tmp_path / "grades.csv"
    output.write_text("previous grades\n")

    class Exploding:
        def __init__(self, f):
            self.f = f

        def writerow(self, row):
            self.f.write("partial,")

        def writerows(self, rows):
            raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(grade.csv, "writer", Exploding)
        with pytest.raises(OSError):
            grade.write_csv(output, rows)
    assert output.read_text() == "previous grades\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"], "a temporary file was left"
    grade.write_csv(output, rows)
    with open(output, newline="") as f:
        table = list(csv.reader(f))
    header = ["submission", "assignment", "q1", "q2", "total", "possible", "error", "failures"]
    assert table[0] == header
    assert table[1] == ["x.ipynb", "a", "2", "1", "3", "5", "", ""]
    assert table[2][:2] == ["y.txt", ""] and table[2][6] == "not a notebook"
