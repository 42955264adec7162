"""Red team: submissions crafted to cheat, to do damage, or to trip the grader up.

Each is derived from assignment 1 (15 points) and graded in one run of grade.py, together
with an honest solution that other submissions try to harm. Each case asserts the grade it must
get; and after the run nothing outside the sandbox may have changed: the submissions folder,
the reference solutions, otter's autograder, the grader's own code and the site-packages.
"""

from __future__ import annotations

import csv
import hashlib
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
GRADE = ASSIGNMENTS / "grade.py"
FULL, QUESTIONS = 15.0, ["q1_mse_gradient", "q2_bce_gradient", "q3_stable_bce_with_logits",
                         "q4_logit_identity", "q5_sigmoid_mse_gradient"]
CELL, QUESTION, SUBMISSION = 8, 4, 60  # seconds (with room for a loaded machine)
AS_ROOT = os.getuid() == 0

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "bwrap"], capture_output=True).returncode != 0
    and os.environ.get("CI") != "true", reason="bubblewrap is not installed")

# Answers that are wrong everywhere (no check expects all ones), so a cheat that does not work
# scores 0 and one that works scores points.
WRONG = """
import numpy as np
def mse_grad(y_pred, y_true): return np.ones_like(np.asarray(y_pred, dtype=float))
def bce_grad(p, y): return np.ones_like(np.asarray(p, dtype=float))
def bce_with_logits(z, y): return 1.0
def bce_with_logits_grad(z, y): return np.ones_like(np.asarray(z, dtype=float))
dL_dz_mse = dL_dz_bce = 1.0
"""

LIAR = """
class Liar(float):
    def __new__(cls): return float.__new__(cls, 1.0)
    def __eq__(self, other): return True
    __array_priority__ = 1000
    def __array_ufunc__(self, *a, **k): return True
    def __array_function__(self, *a, **k): return True
    def __bool__(self): return True
class LiarArray:
    __array_ufunc__ = Liar.__array_ufunc__
    __array_function__ = Liar.__array_function__
    def __eq__(self, other): return True
def mse_grad(y_pred, y_true): return LiarArray()
def bce_grad(p, y): return LiarArray()
def bce_with_logits(z, y): return Liar()
def bce_with_logits_grad(z, y): return LiarArray()
dL_dz_mse = dL_dz_bce = Liar()
"""


def cheats(paths: dict) -> dict[str, str]:
    """Cells appended after WRONG; each tries to get marks without solving anything."""
    return {
        "numpy_setattr": "setattr(__import__('num' + 'py'), 'allclose', lambda *a, **k: True)\n"
                         "setattr(__import__('num' + 'py'), 'isclose', lambda *a, **k: True)",
        "numpy_vars": "import importlib\n"
                      "vars(importlib.import_module('numpy'))['allclose'] = lambda *a, **k: True",
        "numpy_plain": "import numpy\nnumpy.allclose = lambda *a, **k: True\n"
                       "numpy.testing.assert_allclose = lambda *a, **k: None",
        "otter_runner": "m = __import__('importlib').import_module('ot' + 'ter.test_files.'\n"
                        "    'exception_test')\nm.ExceptionTestFile.run = lambda self, env: None",
        "score_forged": FORGE,
        "array_protocols": LIAR,
        "stack_inspection": STACK,
        "test_files_rewritten": f"import glob\nfor p in glob.glob({paths['autograder']!r} + "
                                "'/*'):\n    open(p, 'r+b').close()\n"
                                "    raise RuntimeError('BREACH: could open ' + p)",
        "solutions_executed": f"import json\nnb = json.load(open({paths['solution']!r}))\n"
                              "for c in nb['cells']:\n    if c['cell_type'] == 'code':\n"
                              "        exec(''.join(c['source']))",
        "solutions_via_executable": "import sys, pathlib, json\n"
                                    "root = pathlib.Path(sys.executable).parents[2]\n"
                                    "for p in root.rglob('*_assignment.ipynb'):\n"
                                    "    for c in json.load(open(p))['cells']:\n"
                                    "        if c['cell_type'] == 'code':\n"
                                    "            exec(''.join(c['source']))",
        "otter_line": "import otter; grader = otter.Notebook('01_loss_functions_assignment.ipynb'"
                      "); import numpy; numpy.allclose = lambda *a, **k: True",
    }


FORGE = """
import json, os
events = []
for q in ["q1_mse_gradient", "q2_bce_gradient", "q3_stable_bce_with_logits",
          "q4_logit_identity", "q5_sigmoid_mse_gradient"]:
    events.append({"event": "question", "name": q})
    events += [{"event": "probe", "question": q, "index": i, "value": 1e9} for i in range(50)]
events.append({"event": "done"})
data = "".join(json.dumps(e) + "\\n" for e in events).encode()
for fd in range(3, 64):
    try:
        os.write(fd, data)
    except OSError:
        pass
os._exit(0)
"""

STACK = """
import inspect, numpy as np
def _steal(default):
    for frame in inspect.stack():
        for name, value in frame.frame.f_locals.items():
            if name in ("expected", "reference", "want"):
                return value
    return default
def mse_grad(y_pred, y_true): return _steal(np.ones_like(y_pred))
def bce_grad(p, y): return _steal(np.ones_like(p))
def bce_with_logits(z, y): return _steal(1.0)
def bce_with_logits_grad(z, y): return _steal(np.ones_like(z))
"""


def damage(paths: dict) -> dict[str, str]:
    """Cells appended after WRONG; each tries to harm something outside its own grade.

    Where the target is the grader's own installation, the attempt only opens it for writing
    and reports "BREACH" if it could, so that a broken sandbox shows in this test and does not
    damage the checkout that runs it."""
    return {
        "background_process": "import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 3; echo "
                              f"x,0 >> {paths['output']}; touch {paths['marker']}'], "
                              "start_new_session=True)\n"
                              "import os\nif os.fork() == 0:\n    os.setsid()\n"
                              "    import time; time.sleep(3)\n"
                              f"    open({paths['marker']!r}, 'w').write('x')\n    os._exit(0)",
        "classmate_overwritten": "import os, glob\n"
                                 "for pid in os.listdir('/proc'):\n    try:\n"
                                 "        cwd = os.readlink(f'/proc/{pid}/cwd')\n"
                                 "    except OSError:\n        continue\n"
                                 "    for p in glob.glob(cwd + '/**/*.ipynb', recursive=True):\n"
                                 "        open(p, 'w').write('{}')\n"
                                 f"open({paths['victim']!r}, 'w').write('{{}}')",
        "secrets_copied_out": f"import shutil\nshutil.copy({paths['checks']!r}, "
                              f"{paths['leak']!r})",
        "secrets_in_error": f"raise RuntimeError(open({paths['checks']!r}).read())",
        "code_written": "import os, sysconfig\n"
                        "path = os.path.join(sysconfig.get_paths()['purelib'],\n"
                        "                    'sitecustomize.py')\n"
                        "try:\n    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))\n"
                        "    os.unlink(path)\n    breach = 'BREACH: could create ' + path\n"
                        "except OSError:\n    breach = ''\n"
                        f"try:\n    open({str(GRADE)!r}, 'a').close()\n"
                        "    breach += ' BREACH: could write grade.py'\n"
                        "except OSError:\n    pass\n"
                        "if breach:\n    raise RuntimeError(breach)",
    }


def honest(blank: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> dict:
    """Honest notebooks that the old grader penalised; name -> (notebook, expected scores)."""
    def copy(nb):
        return nbformat.from_dict(nb)

    def cell(nb, source, where=None):
        nb = copy(nb)
        new = nbformat.v4.new_code_cell(source)
        nb.cells.insert(len(nb.cells) if where is None else where, new)
        return nb

    def replaced(nb, name, source):
        nb = copy(nb)
        (target,) = [c for c in nb.cells if c.cell_type == "code" and f"def {name}(" in c.source]
        target.source = source
        return nb

    full = dict.fromkeys(QUESTIONS, 3.0)
    no_metadata = copy(solution)
    no_metadata.metadata.pop("otter", None)
    late_fix = replaced(solution, "mse_grad", "def mse_grad(y_pred, y_true):\n    return 0")
    late_fix = cell(late_fix, "def mse_grad(y_pred, y_true):\n"
                              "    return 2 * (y_pred - y_true) / np.size(y_pred)")
    swallowed = replaced(solution, "bce_with_logits", "def bce_with_logits(z, y):\n"
                         "    while True:\n        try:\n            while True:\n"
                         "                pass\n        except Exception:\n            pass")
    c_loop = cell(solution, "sum(range(10**15))", where=3)
    dies = replaced(solution, "bce_with_logits_grad",
                    "import os\ndef bce_with_logits_grad(z, y):\n    os._exit(1)")
    message = cell(solution, "assert False, 'first line\\nsecond line\\n [ 2.]]'")
    exits = cell(cell(solution, "import sys\nsys.exit(1)", where=3), "exit()", where=5)
    allocates = cell(solution, "import numpy as np\nhuge = np.ones(20 * 2**30 // 8)", where=3)
    return {
        "no_otter_metadata.ipynb": (no_metadata, full),
        "fix_in_a_later_cell.ipynb": (late_fix, full),
        "endless_loop_in_try.ipynb": (swallowed, {**full, "q3_stable_bce_with_logits": 0.0}),
        "loop_in_c_code.ipynb": (c_loop, full),
        "kernel_dies_answering.ipynb": (dies, {**full, "q4_logit_identity": 0.0}),
        "multi_line_message.ipynb": (message, full),
        "exits.ipynb": (exits, full),
        "allocates_20_GB.ipynb": (allocates, full),
        "$(touch pwned); rm -rf ~ 'x\".ipynb": (copy(solution), full),
        "sub/folder/Renamed copy (2).ipynb": (copy(solution), full),
        ".hidden_copy.ipynb": (copy(solution), full),
    }


def _hash_tree(*roots: Path) -> dict[str, str]:
    digest = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def _nobody_processes() -> list[str]:
    """Processes of the sandbox's user still running (zombies aside) a moment later."""
    for _ in range(20):
        run = subprocess.run(["ps", "-u", "65534", "-o", "pid=,stat=,args="],
                             capture_output=True, text=True)
        alive = [line for line in run.stdout.splitlines() if line.split()[1][0] != "Z"]
        if not alive:
            return []
        time.sleep(0.25)
    return alive


@pytest.fixture(scope="module")
def red_team(tmp_path_factory):
    dist = ROOT / "dist"
    if not (dist / "solutions" / "01_loss_functions_assignment.ipynb").exists():
        subprocess.run([sys.executable, str(ASSIGNMENTS / "build.py")], check=True,
                       capture_output=True, timeout=600)
    base = tmp_path_factory.mktemp("red_team")
    folder, outside = base / "submissions", base / "outside"
    folder.mkdir()
    outside.mkdir()
    solution_path = dist / "solutions" / "01_loss_functions_assignment.ipynb"
    solution = nbformat.read(solution_path, as_version=4)
    blank = nbformat.read(dist / "student" / "01_loss_functions_assignment.ipynb", as_version=4)
    paths = {"autograder": str(dist / "autograder"), "solution": str(solution_path),
             "output": str(outside / "grades.csv"), "marker": str(outside / "marker"),
             "victim": str(folder / "victim.ipynb"), "leak": str(outside / "leak.py"),
             "checks": str(ASSIGNMENTS / "01_loss_functions" / "checks.py")}
    expected = {"victim.ipynb": dict.fromkeys(QUESTIONS, 3.0)}
    nbformat.write(solution, folder / "victim.ipynb")
    for name, source in {**cheats(paths), **damage(paths)}.items():
        nb = nbformat.from_dict(blank)
        nb.cells += [nbformat.v4.new_code_cell(WRONG), nbformat.v4.new_code_cell(source)]
        nbformat.write(nb, folder / f"{name}.ipynb")
        expected[f"{name}.ipynb"] = dict.fromkeys(QUESTIONS, 0.0)
    for name, (nb, scores) in honest(blank, solution).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / name)
        expected[name] = scores
    (folder / "not_a_notebook.txt").write_text("my answers are in my head\n")
    (folder / "huge.ipynb").write_bytes(b" " * (21 * 2**20))
    guarded = [folder, dist / "solutions", dist / "autograder", ASSIGNMENTS,
               Path(sysconfig.get_paths()["purelib"]) / "numpy" / "__init__.py"]
    before = _hash_tree(*guarded)
    start = time.monotonic()
    run = subprocess.run([sys.executable, str(GRADE), str(folder), "--output",
                          str(outside / "grades.csv"), "--feedback", str(outside / "feedback"),
                          f"--cell-timeout={CELL}", f"--question-timeout={QUESTION}",
                          f"--submission-timeout={SUBMISSION}", "--memory-gb=2"],
                         capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - start
    assert run.returncode == 0, f"grade.py failed:\n{run.stdout}\n{run.stderr}"
    time.sleep(4)  # longer than any background process waits before it strikes
    with open(outside / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    return {"rows": rows, "expected": expected, "before": before, "guarded": guarded,
            "outside": outside, "log": run.stderr, "seconds": seconds, "folder": folder}


def _row_scores(row):
    return {q: float(row[q]) for q in QUESTIONS}


def test_every_file_handed_in_gets_a_row(red_team):
    folder = red_team["folder"]
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(red_team["rows"]) == files
    assert "sub/folder/Renamed copy (2).ipynb" in files and ".hidden_copy.ipynb" in files


@pytest.mark.parametrize("name", [*cheats(dict.fromkeys(
    ["autograder", "solution", "output", "marker", "victim", "leak", "checks"], "")),
    *damage(dict.fromkeys(["output", "marker", "victim", "leak", "checks"], ""))])
def test_cheats_and_attacks_score_nothing(red_team, name):
    row = red_team["rows"][f"{name}.ipynb"]
    assert _row_scores(row) == red_team["expected"][f"{name}.ipynb"], row
    assert float(row["total"]) <= float(row["possible"]) == FULL


@pytest.mark.parametrize("name", ["victim.ipynb", "no_otter_metadata.ipynb",
                                  "fix_in_a_later_cell.ipynb", "endless_loop_in_try.ipynb",
                                  "loop_in_c_code.ipynb", "kernel_dies_answering.ipynb",
                                  "multi_line_message.ipynb", "sub/folder/Renamed copy (2).ipynb",
                                  ".hidden_copy.ipynb", "exits.ipynb", "allocates_20_GB.ipynb",
                                  "$(touch pwned); rm -rf ~ 'x\".ipynb"])
def test_honest_answers_get_their_points(red_team, name):
    row = red_team["rows"][name]
    assert _row_scores(row) == red_team["expected"][name], row


def test_messages_say_what_happened(red_team):
    rows = red_team["rows"]
    assert f"stopped after {QUESTION:g} s" in rows["endless_loop_in_try.ipynb"]["failures"]
    assert f": stopped after {CELL:g} s; the notebook ran again without it" in rows[
        "loop_in_c_code.ipynb"]["error"]
    assert "ended before grading finished" in rows["kernel_dies_answering.ipynb"]["failures"]
    assert "first line second line [ 2.]]" in rows["multi_line_message.ipynb"]["error"]
    assert "over 20 MB" in rows["huge.ipynb"]["error"]
    assert "MemoryError" in rows["allocates_20_GB.ipynb"]["error"]
    assert "not a notebook" in rows["not_a_notebook.txt"]["error"]


def test_no_attempt_to_write_outside_succeeded(red_team):
    for name, row in red_team["rows"].items():
        assert "BREACH" not in row["error"] + row["failures"], (name, row)


def test_nothing_outside_the_sandbox_changed(red_team):
    after = _hash_tree(*red_team["guarded"])
    assert after == red_team["before"]
    outside = red_team["outside"]
    assert not (outside / "marker").exists() and not (outside / "leak.py").exists()
    assert not Path(sysconfig.get_paths()["purelib"], "sitecustomize.py").exists()
    with open(outside / "grades.csv", encoding="utf-8") as f:
        assert sum(1 for _ in csv.reader(f)) == len(red_team["rows"]) + 1


def test_no_secret_reaches_the_csv_or_the_feedback(red_team):
    checks = (ASSIGNMENTS / "01_loss_functions" / "checks.py").read_text()
    secret_lines = [line.strip() for line in checks.splitlines() if len(line.strip()) > 30]
    texts = [(red_team["outside"] / "grades.csv").read_text()]
    texts += [p.read_text() for p in (red_team["outside"] / "feedback").iterdir()]
    for text in texts:
        assert "backproplab" not in text
        for line in secret_lines:
            assert line not in text


@pytest.mark.skipif(not AS_ROOT, reason="needs root to look for processes of another user")
def test_nothing_is_left_running(red_team):
    assert _nobody_processes() == []
    leftovers = list(Path(tempfile.gettempdir()).glob("bl-job-*"))
    assert leftovers == []


def test_progress_is_reported_with_a_count_and_an_estimate(red_team):
    lines = [line for line in red_team["log"].splitlines() if line.startswith("[")]
    assert len(lines) == len(red_team["rows"])
    assert lines[-1].startswith(f"[{len(red_team['rows'])}/{len(red_team['rows'])}, about ")


def test_the_memory_limit_holds_for_the_whole_process_tree(tmp_path):
    if not AS_ROOT:
        pytest.skip("a limit for the whole tree needs a cgroup, which needs root here")
    sys.path.insert(0, str(ASSIGNMENTS))
    import sandbox

    children = ("import subprocess, sys\n"
                "code = 'import numpy as np, time; a = np.ones(int(0.7e9 / 8)); time.sleep(3)'\n"
                "ps = [subprocess.Popen([sys.executable, '-c', code]) for _ in range(3)]\n"
                "finished = sum(p.wait() == 0 for p in ps)")
    outcome = sandbox.run_submission([children], [{"name": "q", "probes": [{"name": "finished"}]}],
                                     sandbox.Limits(memory_gb=1.5, cell_seconds=30))
    finished = outcome.answers.get("q", [{}])[0].get("value")
    assert finished != 3, "three children of 0.7 GB each all ran under a limit of 1.5 GB"
    assert finished in (0, 1, 2) or outcome.stopped, outcome


def test_ctrl_c_stops_promptly_and_leaves_nothing(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    blank = nbformat.read(ROOT / "dist" / "student" / "01_loss_functions_assignment.ipynb",
                          as_version=4)
    blank.cells.append(nbformat.v4.new_code_cell("while True:\n    pass"))
    for k in range(3):
        nbformat.write(blank, folder / f"loop{k}.ipynb")
    output = tmp_path / "grades.csv"
    output.write_text("previous grades\n")
    process = subprocess.Popen([sys.executable, str(GRADE), str(folder), "--output", str(output),
                                "--cell-timeout=60"], stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    start = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    assert time.monotonic() - start < 5
    assert process.returncode == 130, process.stderr.read()
    assert output.read_text() == "previous grades\n"
    if AS_ROOT:
        assert _nobody_processes() == []
    assert list(Path(tempfile.gettempdir()).glob("bl-job-*")) == []
