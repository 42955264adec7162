"""The assignments: build them, scan the student release, and grade good and broken submissions.

``assignments/build.py`` runs once into a temporary ``dist``; ``assignments/grade.py`` then
runs once over a folder holding every reference solution, every blank student notebook and a
set of broken submissions, three at a time (under two minutes on two idle cores). Offline.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
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
CELL_TIMEOUT, TEST_TIMEOUT, SUBMISSION_TIMEOUT = 8, 2, 45

pytestmark = [
    pytest.mark.skipif(
        bool(MISSING) and os.environ.get("CI") != "true",
        reason=f"{', '.join(MISSING)} not installed: pip install -r assignments/requirements.txt",
    ),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:traitlets"),
]


def _load_script(name):
    """Import assignments/<name>.py without putting assignments/ on sys.path."""
    spec = importlib.util.spec_from_file_location(f"assignments_{name}", ASSIGNMENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


grade = _load_script("grade")  # needs only the standard library at import time


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


def _broken_submissions(solution: Path, blank: Path, folder: Path, probe: Path) -> None:
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
    stubborn = (  # swallows the interrupt that ends a cell after --cell-timeout
        "import time\n"
        "while True:\n"
        "    try:\n"
        "        time.sleep(1000)\n"
        "    except BaseException:\n"
        "        pass"
    )
    variant("ignores_interrupts.ipynb", lambda nb: _insert_before_first_question(nb, stubborn))
    report = (
        "import os, sys\n"
        f"open({str(probe)!r}, 'w').write(sys.executable + '\\n' + os.environ['JUPYTER_DATA_DIR'])"
    )

    def other_kernel(nb):
        nb.metadata.kernelspec = {"name": "no-such-kernel", "display_name": "?", "language": "?"}
        return _insert_before_first_question(nb, report)

    variant("Renamed copy (2).ipynb", other_kernel)
    cheat = (
        "from otter.test_files.abstract_test import TestCaseResult\n"
        "from otter.test_files.exception_test import ExceptionTestFile\n"
        "ExceptionTestFile.run = lambda self, env: setattr(\n"
        "    self, 'test_case_results', [TestCaseResult(t, '', True) for t in self.test_cases])"
    )
    tampered = _insert_before_first_question(nbformat.read(blank, as_version=4), cheat)
    nbformat.write(tampered, folder / "tampered.ipynb")
    empty = nbformat.read(blank, as_version=4)
    empty.cells = [c for c in empty.cells if c.cell_type == "markdown"]
    nbformat.write(empty, folder / "empty.ipynb")
    (folder / "not_a_notebook.txt").write_text("my answers are in my head\n")
    (folder / "garbage.ipynb").write_text("{this is not json")


@pytest.fixture(scope="module")
def graded(dist, tmp_path_factory):
    """Grade everything in one run; return ({file name: row}, the probe file, the folder)."""
    folder = tmp_path_factory.mktemp("submissions")
    probe = tmp_path_factory.mktemp("probe") / "kernel.txt"
    for notebook in sorted((dist / "solutions").glob("*.ipynb")):
        (folder / f"solution_{notebook.name}").write_bytes(notebook.read_bytes())
    for notebook in sorted((dist / "student").glob("*.ipynb")):
        (folder / f"blank_{notebook.name}").write_bytes(notebook.read_bytes())
    first = "01_loss_functions_assignment.ipynb"
    _broken_submissions(dist / "solutions" / first, dist / "student" / first, folder, probe)
    output = folder / "grades.csv"
    run = subprocess.run(
        [
            sys.executable,
            str(ASSIGNMENTS / "grade.py"),
            str(folder),
            "--output",
            str(output),
            "--autograders",
            str(dist / "autograder"),
            "--jobs",
            "3",
            f"--cell-timeout={CELL_TIMEOUT}",
            f"--test-timeout={TEST_TIMEOUT}",
            f"--submission-timeout={SUBMISSION_TIMEOUT}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, f"grade.py failed:\n{run.stdout}\n{run.stderr}"
    with open(output, newline="", encoding="utf-8") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    return rows, probe, folder


def _questions(dist, assignment):
    return grade.load_autograders(dist / "autograder")[assignment].questions


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
        questions = _questions(dist, master.parent.name)
        assert 3 <= len(questions) <= 5, f"{master.name} has {len(questions)} questions"
        all_questions += list(questions)
    assert len(all_questions) == len(set(all_questions)), "question names must be unique"


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


def test_reference_solutions_score_full_marks(graded, dist):
    rows, _, _ = graded
    for master in MASTERS:
        row = rows[f"solution_{master.stem}.ipynb"]
        questions = _questions(dist, master.parent.name)
        assert row["error"] == "" and row["failures"] == "", row
        for question, points in questions.items():
            assert float(row[question]) == points, f"{question}: {row[question]} of {points}"
        assert float(row["total"]) == float(row["possible"]) == sum(questions.values())


def test_blank_notebooks_score_zero_with_readable_failures(graded, dist):
    rows, _, _ = graded
    for master in MASTERS:
        row = rows[f"blank_{master.stem}.ipynb"]
        assert float(row["total"]) == 0, row
        failures = row["failures"].split(" | ")
        for question in _questions(dist, master.parent.name):
            public = [f for f in failures if f.startswith(f"{question} test 1:")]
            assert public and "AssertionError: " in public[0], f"{question}: {public}; {row}"
            assert re.search(r"replace the \.\.\.|must (be|have|return)", public[0]), public[0]


@pytest.mark.parametrize(
    ("submission", "zero_questions", "message"),
    [
        ("raises.ipynb", ["q1_mse_gradient"], "raised RuntimeError: bug"),
        ("syntax_error.ipynb", ["q2_bce_gradient"], "raised SyntaxError"),
        ("loops_forever.ipynb", [], f"did not finish within {CELL_TIMEOUT} s and was stopped"),
        ("loops_in_function.ipynb", ["q3_stable_bce_with_logits"], f"within {TEST_TIMEOUT} s"),
        ("Renamed copy (2).ipynb", [], None),
    ],
)
def test_broken_submissions_keep_partial_credit(graded, dist, submission, zero_questions, message):
    row = graded[0][submission]
    assert row["assignment"] == "01_loss_functions"
    for question, points in _questions(dist, "01_loss_functions").items():
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
        ("ignores_interrupts.ipynb", f"grading stopped after {SUBMISSION_TIMEOUT} s"),
    ],
)
def test_ungradable_submissions_score_zero_with_a_message(graded, submission, message):
    row = graded[0][submission]
    assert float(row["total"]) == 0 and message in row["error"], row


def test_tampering_with_the_grader_is_flagged_for_review(graded, dist):
    row = graded[0]["tampered.ipynb"]
    assert "review by hand: code cell 3 touches the grader" in row["error"], row
    # The trust model: tests run in the student's kernel, so the tampering itself works.
    assert float(row["total"]) == sum(_questions(dist, "01_loss_functions").values())


def test_every_file_gets_one_row(graded):
    rows, _, folder = graded
    files = sorted(p.name for p in folder.iterdir() if p.name != "grades.csv")
    assert sorted(rows) == files


def test_grading_kernel_is_this_python_in_a_private_jupyter_dir(graded):
    _, probe, _ = graded
    executable, data_dir = probe.read_text().splitlines()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert "backproplab-grading-" in data_dir and data_dir != os.environ.get("JUPYTER_DATA_DIR")


def test_grades_csv_is_replaced_atomically_or_left_alone(tmp_path, monkeypatch):
    autograders = {"a": grade.Autograder("a", tmp_path / "a.zip", {"q1": 2.0, "q2": 3.0})}
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

    monkeypatch.setattr(grade.csv, "writer", Exploding)
    with pytest.raises(OSError):
        grade.write_csv(output, rows, autograders)
    assert output.read_text() == "previous grades\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"], "a temporary file was left"
    monkeypatch.undo()
    grade.write_csv(output, rows, autograders)
    with open(output, newline="") as f:
        table = list(csv.reader(f))
    header = ["submission", "assignment", "q1", "q2", "total", "possible", "error", "failures"]
    assert table[0] == header
    assert table[1] == ["x.ipynb", "a", "2", "1", "3", "5", "", ""]
    assert table[2][:2] == ["y.txt", ""] and table[2][6] == "not a notebook"
