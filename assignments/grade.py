"""Grade a folder of submitted notebooks into one CSV file, with otter-grader running locally.

    python assignments/grade.py SUBMISSIONS [--output grades.csv] [--autograders dist/autograder]

Every regular file in SUBMISSIONS (hidden files aside) gets one row: the assignment, a score per
question, the total, and messages. The assignment is read from the notebook's metadata (written
by ``otter assign``), or forced with ``--assignment NAME``.

Robustness, submission by submission:

- a file that is not a notebook, or a notebook with no code, scores 0 with a message, no kernel;
- each notebook is graded by ``otter.api.grade_submission`` in its own worker process, with a
  wall-clock limit (``--submission-timeout``); on expiry the worker and its kernel are killed;
- a student cell that runs longer than ``--cell-timeout`` seconds is interrupted and the rest of
  the notebook still runs, so the other questions keep their credit; cells that raise (syntax
  errors included) are reported and do not stop the run;
- every test case runs under a ``--test-timeout`` alarm, so a function that never returns fails
  its own tests only;
- the kernel is this Python (the project's environment), declared in a temporary
  ``JUPYTER_DATA_DIR`` under a private name, whatever kernel the submission asks for;
- ``grades.csv`` is written to a temporary file and renamed over the old one: never half-written.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAME = "backproplab-grader"
CELL_KEY = "backproplab_grading"  # metadata key marking the submission's own code cells
OTTER_INIT = re.compile(r"""otter\.Notebook\(\s*["']([^"']+\.ipynb)["']""")
MESSAGE_LIMIT = 300  # characters kept from one error message
# Code that reaches into the grader or rebinds what the tests rely on; the cells otter itself
# writes into the student notebook are the only legitimate mentions.
SUSPICIOUS = re.compile(
    r"\botter\b|\bChecker\b|test_files|sys\.modules|\bbuiltins\b|__builtins__|"
    r"\bnp\.\w+\s*=[^=]|import signal|\bsignal\.(signal|setitimer|alarm)"
)
OTTER_BOILERPLATE = re.compile(
    r"\s*(# Initialize Otter|import otter|grader = otter\.Notebook\(.*\)|"
    r"grader\.check(_all)?\(.*\))\s*$"
)
# jsonschema (imported by nbformat, so by otter) compiles an optional RFC 3987 grammar at import,
# seconds of CPU in every worker and every kernel. Grading never validates IRIs, so both skip it.
SLOW_OPTIONAL_MODULE = "rfc3987_syntax"
SKIP_SLOW_IMPORT = f"import sys\nsys.modules.setdefault({SLOW_OPTIONAL_MODULE!r}, None)\n"

# Inserted as the submission's first cell (after otter's own set-up cell): each test case runs
# under an alarm. It mirrors otter's ExceptionTestFile.run, so failure messages look the same.
TIME_LIMIT_CELL = """\
def _time_limit_test_cases(limit):
    import signal
    from otter.test_files.abstract_test import TestCaseResult
    from otter.test_files.exception_test import ExceptionTestFile

    def expire(signum, frame):
        raise TimeoutError(f"the test did not finish within {limit:g} s (an endless loop?)")

    def run(self, global_environment):
        self.test_case_results = []
        for tc in self.test_cases:
            passed, message = True, "✅ Test case passed"
            previous = signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                tc.body.call_func(global_environment)
            except Exception as e:
                passed, message = False, "❌ Test case failed\\n" + self._generate_error_message(e)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            self.test_case_results.append(TestCaseResult(tc, message, passed))

    ExceptionTestFile.run = run


_time_limit_test_cases({limit})
del _time_limit_test_cases
"""


@dataclass
class Autograder:
    """One assignment's autograder zip and its questions (name -> points possible, in order)."""

    name: str
    zip_path: Path
    questions: dict[str, float]


@dataclass
class Grade:
    """One row of grades.csv."""

    submission: str
    assignment: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class SubmissionError(Exception):
    """A submission that cannot be graded at all; its message goes to the error column."""


# ---------------------------------------------------------------- autograders


def load_autograders(directory: Path) -> dict[str, Autograder]:
    """Read every ``<name>.zip`` built by build.py: its assignment name and its questions."""
    from otter.test_files.exception_test import ExceptionTestFile

    autograders = {}
    for zip_path in sorted(directory.glob("*.zip")):
        with zipfile.ZipFile(zip_path) as archive:
            name = json.loads(archive.read("otter_config.json"))["assignment_name"]
            tests = sorted(n for n in archive.namelist() if n.startswith("tests/"))
            questions = {}
            for member in tests:
                test_file = ExceptionTestFile.from_string(archive.read(member).decode(), member)
                questions[test_file.name] = float(test_file.possible)
        autograders[name] = Autograder(name, zip_path.resolve(), questions)
    if not autograders:
        raise SystemExit(f"no autograder zip in {directory}: run `make assignments` first")
    return autograders


# ---------------------------------------------------------------- checks without a kernel


def read_notebook(path: Path):
    """Return the notebook at ``path``; raise SubmissionError if it is not one."""
    import nbformat

    if path.suffix != ".ipynb":
        raise SubmissionError(f"not a notebook: expected a .ipynb file, got '{path.name}'")
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several unrelated types for a damaged file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SubmissionError(f"not a readable Jupyter notebook ({_clip(reason)})") from exc
    return nb


def assignment_of(nb, autograders: dict[str, Autograder], forced: str | None) -> Autograder:
    """The autograder for ``nb``: ``forced`` if given, else the name otter wrote in its metadata."""
    claimed = nb.metadata.get("otter", {}).get("assignment_name")
    if claimed and forced and claimed != forced:
        raise SubmissionError(f"this notebook is for assignment '{claimed}', not '{forced}'")
    name = forced or claimed
    if name is None:
        raise SubmissionError(
            "cannot tell which assignment this is (no otter metadata): pass --assignment"
        )
    if name not in autograders:
        known = ", ".join(sorted(autograders))
        raise SubmissionError(f"unknown assignment '{name}'; autograders exist for: {known}")
    return autograders[name]


def grader_tampering(nb) -> list[str]:
    """Cells whose code reaches into the grader: flagged for review (see README, trust model)."""
    messages = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for line in cell.source.splitlines():
            if SUSPICIOUS.search(line) and not OTTER_BOILERPLATE.match(line):
                messages.append(f"review by hand: code cell {number} touches the grader: {line!r}")
                break
    return messages


def prepare_notebook(nb, test_timeout: float):
    """Mark the submission's code cells, run them on our kernel, and time-limit each test."""
    import nbformat

    number = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            number += 1
            first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            cell.metadata[CELL_KEY] = {"number": number, "first_line": first_line[:60]}
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Backprop Lab grader",
        "language": "python",
    }
    nb.cells.insert(0, nbformat.v4.new_code_cell(TIME_LIMIT_CELL.format(limit=test_timeout)))
    return nb


def expected_file_name(nb) -> str:
    """The file name the notebook's otter set-up cell opens (students may have renamed the file)."""
    for cell in nb.cells:
        match = OTTER_INIT.search(cell.source) if cell.cell_type == "code" else None
        if match:
            return Path(match.group(1)).name
    return "submission.ipynb"


def grading_environment(tmp: Path) -> dict[str, str]:
    """Environment for the workers: a private Jupyter data dir whose only kernel is this Python."""
    kernel_dir = tmp / "jupyter" / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Backprop Lab grader",
        "language": "python",
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-skip-slow-import.py").write_text(SKIP_SLOW_IMPORT)
    env = dict(os.environ)
    env.update(
        JUPYTER_DATA_DIR=str(tmp / "jupyter"),
        IPYTHONDIR=str(tmp / "ipython"),  # only our start-up file, none of the user's
        MPLBACKEND="Agg",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        # One BLAS thread per kernel: notebooks are graded side by side, and a many-core BLAS
        # would reserve more address space than --memory-gb allows.
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    return env


# ---------------------------------------------------------------- the worker (one submission)


def time_limited_executor(cell_timeout: float):
    """nbconvert's ExecutePreprocessor, interrupting any submission cell after ``cell_timeout``.

    Cells otter adds (its checks and the final test run) have no limit of their own: every
    test case in them is time-limited by TIME_LIMIT_CELL instead.
    """
    from nbconvert.preprocessors import ExecutePreprocessor

    class TimeLimitedExecutor(ExecutePreprocessor):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.interrupt_on_timeout = True
            self.timeout_func = lambda cell: cell_timeout if CELL_KEY in cell.metadata else None

    return TimeLimitedExecutor


def run_worker(notebook: Path, autograder_zip: Path, result_path: Path, cell_timeout, memory_gb):
    """Grade one prepared notebook with otter and write the outcome to ``result_path`` (JSON).

    The memory limit (address space) is inherited by the kernel, where a submission that
    allocates too much gets a MemoryError in its own cell instead of exhausting the machine.
    """
    import resource

    import nbconvert.preprocessors
    from otter.api import grade_submission

    limit = int(memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    # otter imports ExecutePreprocessor from this module at call time, so this swap takes effect.
    nbconvert.preprocessors.ExecutePreprocessor = time_limited_executor(cell_timeout)
    outcome = {"scores": {}, "failures": [], "errors": []}
    try:
        results = grade_submission(str(notebook), str(autograder_zip), quiet=True)
    except Exception as exc:
        if type(exc).__name__ == "DeadKernelError":
            message = "the kernel died (the notebook called exit() or crashed Python)"
        else:
            message = f"grading failed: {type(exc).__name__}: {_clip(str(exc))}"
        outcome["errors"].append(f"{message}: every question scores 0")
    else:
        if results.catastrophic_error is not None:
            outcome["errors"].append(f"grading failed: {_clip(str(results.catastrophic_error))}")
        for name, test_file in results.results.items():
            outcome["scores"][name] = float(test_file.score)
            outcome["failures"] += failure_messages(name, test_file)
        if results.notebook is not None:
            outcome["errors"] += cell_errors(results.notebook, cell_timeout)
    _write_atomically(result_path, json.dumps(outcome))


def failure_messages(question: str, test_file) -> list[str]:
    """One line per failed test case: the question, the case, and the error's last line."""
    messages = []
    for number, result in enumerate(test_file.test_case_results, start=1):
        if result.passed:
            continue
        lines = [line.strip() for line in (result.message or "").splitlines() if line.strip()]
        hidden = " (hidden)" if result.test_case.hidden else ""
        messages.append(f"{question} test {number}{hidden}: {_clip(lines[-1] if lines else '')}")
    return messages


def cell_errors(executed_nb, cell_timeout: float) -> list[str]:
    """Readable messages for the submission's cells that raised or were stopped."""
    messages = []
    for cell in executed_nb.cells:
        mark = cell.get("metadata", {}).get(CELL_KEY)
        if cell.cell_type != "code" or mark is None:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            where = f"code cell {mark['number']} (`{mark['first_line']}`)"
            if output.get("ename") == "KeyboardInterrupt":
                messages.append(f"{where} did not finish within {cell_timeout:g} s and was stopped")
            else:
                evalue = _clip(str(output.get("evalue", "")))
                messages.append(f"{where} raised {output.get('ename')}: {evalue}")
    return messages


# ---------------------------------------------------------------- the driver


@dataclass
class Limits:
    """Seconds per submission cell, per test case and per submission; memory per submission."""

    cell: float = 60.0
    test: float = 20.0
    submission: float = 600.0
    memory_gb: float = 4.0


def grade_one(path: Path, autograders, forced, limits: Limits, env, tmp: Path) -> Grade:
    """Grade one file into a row of grades.csv; a bad submission never raises."""
    grade = Grade(path.name)
    try:
        nb = read_notebook(path)
        autograder = assignment_of(nb, autograders, forced)
        grade.assignment = autograder.name
        grade.scores = dict.fromkeys(autograder.questions, 0.0)
        if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
            raise SubmissionError("empty notebook: it has no code to grade")
        grade.errors += grader_tampering(nb)
        outcome = run_in_worker(nb, autograder, limits, env, Path(tempfile.mkdtemp(dir=tmp)))
    except SubmissionError as exc:
        grade.errors.append(str(exc))
    except Exception as exc:  # a bug here must not cost the other submissions their grades
        grade.errors.append(f"internal grading error: {type(exc).__name__}: {_clip(str(exc))}")
    else:
        grade.scores.update({q: s for q, s in outcome["scores"].items() if q in grade.scores})
        grade.errors += outcome["errors"]
        grade.failures += outcome["failures"]
    return grade


def run_in_worker(nb, autograder: Autograder, limits: Limits, env, workdir: Path) -> dict:
    """Grade ``nb`` in a worker process under the wall-clock limit; return the worker's outcome."""
    import nbformat

    notebook = workdir / "submission" / expected_file_name(nb)
    notebook.parent.mkdir()
    nbformat.write(prepare_notebook(nb, limits.test), notebook)
    result_path, log_path = workdir / "result.json", workdir / "worker.log"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        str(notebook),
        str(autograder.zip_path),
        str(result_path),
        f"--cell-timeout={limits.cell}",
        f"--memory-gb={limits.memory_gb}",
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, env=env, cwd=workdir, stdout=log, stderr=log, start_new_session=True
        )
        try:
            process.wait(timeout=limits.submission)
        except subprocess.TimeoutExpired:
            # The kernel notices that its parent is gone and exits too (ipykernel's poller).
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise SubmissionError(
                f"grading stopped after {limits.submission:g} s (the notebook as a whole took "
                "too long): every question scores 0"
            ) from None
    if not result_path.exists():
        tail = " ".join(log_path.read_text(errors="replace").split()[-40:])
        raise SubmissionError(f"the grader crashed (exit code {process.returncode}): {_clip(tail)}")
    return json.loads(result_path.read_text())


def submissions_in(folder: Path, output: Path) -> list[Path]:
    """Every regular, non-hidden file of ``folder`` (except the output CSV), sorted by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.resolve() != output.resolve()
    )


def write_csv(path: Path, grades: list[Grade], autograders: dict[str, Autograder]) -> None:
    """Write grades.csv atomically: one row per submission, one column per question."""
    used = [a for a in autograders.values() if any(g.assignment == a.name for g in grades)]
    questions = [q for a in used for q in a.questions]
    header = ["submission", "assignment", *questions, "total", "possible", "error", "failures"]
    rows = []
    for g in grades:
        possible = sum(autograders[g.assignment].questions.values()) if g.assignment else ""
        cells = [_number(g.scores[q]) if q in g.scores else "" for q in questions]
        total = _number(sum(g.scores.values())) if g.assignment else 0
        row = [g.submission, g.assignment, *cells, total, _number(possible) if possible else ""]
        rows.append([*row, " | ".join(g.errors), " | ".join(g.failures)])
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


def grade_folder(folder: Path, output: Path, autograder_dir: Path, forced, limits, jobs) -> list:
    """Grade every file in ``folder`` (``jobs`` at a time) and write ``output``; return the rows."""
    autograders = load_autograders(autograder_dir)
    if forced is not None and forced not in autograders:
        raise SystemExit(f"unknown --assignment '{forced}'; known: {', '.join(autograders)}")
    output = output.resolve()
    files = [p.resolve() for p in submissions_in(folder, output)]
    with tempfile.TemporaryDirectory(prefix="backproplab-grading-") as tmp_name:
        tmp = Path(tmp_name)
        env = grading_environment(tmp)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            grades = list(
                pool.map(lambda p: grade_one(p, autograders, forced, limits, env, tmp), files)
            )
    write_csv(output, grades, autograders)
    return grades


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _number(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, nargs="?", help="folder of submitted notebooks")
    parser.add_argument("--output", type=Path, default=Path("grades.csv"))
    parser.add_argument("--autograders", type=Path, default=ROOT / "dist" / "autograder")
    parser.add_argument("--assignment", help="grade every file against this assignment")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell, help="seconds")
    parser.add_argument("--test-timeout", type=float, default=Limits.test, help="seconds")
    parser.add_argument("--submission-timeout", type=float, default=Limits.submission)
    parser.add_argument("--memory-gb", type=float, default=Limits.memory_gb)
    parser.add_argument("--worker", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.modules.setdefault(SLOW_OPTIONAL_MODULE, None)  # before anything imports jsonschema
    if args.worker:
        run_worker(*args.worker, cell_timeout=args.cell_timeout, memory_gb=args.memory_gb)
        return 0
    if args.submissions is None or not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder; got {args.submissions}")
    limits = Limits(args.cell_timeout, args.test_timeout, args.submission_timeout, args.memory_gb)
    grades = grade_folder(
        args.submissions, args.output, args.autograders, args.assignment, limits, args.jobs
    )
    for g in grades:
        status = "; ".join(g.errors) or "ok"
        print(f"{g.submission}: {_number(sum(g.scores.values()))} ({_clip(status)})")
    print(f"wrote {args.output} ({len(grades)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
