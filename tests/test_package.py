"""backproplab as a package: it builds, passes the index's checks, and installs on its own.

The wheel and the sdist are built with `python -m build`, checked with `twine check` and
`check-wheel-contents`, and the wheel is installed into a fresh virtual environment with only
its runtime dependencies. There every chapter notebook, as the site offers it for download,
runs from top to bottom; its first cell must install the library itself when it is missing (as
on Colab), here from the wheel just built (`PIP_FIND_LINKS`), so that cell is tested too. The
library is uninstalled after each chapter, so each one installs it again.
"""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

import backproplab

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
RUNTIME = {"numpy", "matplotlib", "ipywidgets"}
NOT_AT_RUN_TIME = ["jupyter-book", "myst-nb", "sphinx", "pytest", "nbval", "otter-grader",
                   "scikit-learn", "playwright", "backproplab-dev"]

pytestmark = pytest.mark.book


def run(*command, **kwargs) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", str(out), str(ROOT))
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist, "folder": out}


def metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def test_wheel_and_sdist_pass_the_package_index_checks(built):
    run(sys.executable, "-m", "twine", "check", "--strict", str(built["wheel"]),
        str(built["sdist"]))
    run(sys.executable, "-m", "check_wheel_contents", str(built["wheel"]))


def test_wheel_carries_version_licence_readme_and_classifiers(built):
    meta = metadata(built["wheel"])
    assert meta["Name"] == "backproplab" and meta["Version"] == backproplab.__version__
    assert meta["License-Expression"] == "MIT" and meta["License-File"] == "LICENSE"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "Backprop Lab" in meta.get_payload()
    classifiers = meta.get_all("Classifier")
    assert "Intended Audience :: Education" in classifiers
    required = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert {re.split(r"[<>=!~ ;\[]", r)[0] for r in required} == RUNTIME
    with zipfile.ZipFile(built["wheel"]) as archive:
        names = archive.namelist()
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "book/", "assignments/"))]


def test_version_is_stated_once():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and not re.search(r'^version = "', pyproject, re.M)
    assert 'version = { attr = "backproplab.__version__" }' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+", backproplab.__version__)


def test_each_chapter_installs_its_library_when_it_is_missing():
    install = re.compile(r"%pip install (?:--quiet )?\"?backproplab(?:\[data\])?==([\d.]+)")
    for chapter in CHAPTERS:
        nb = nbformat.read(chapter, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert "import backproplab" in first.source and "except ImportError" in first.source
        match = install.search(first.source)
        assert match, f"{chapter.name}: its first cell does not install backproplab"
        assert match.group(1) == backproplab.__version__, f"{chapter.name} pins another version"


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory, built) -> Path:
    """A virtual environment with Jupyter's kernel and nothing of this project's."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", str(venv))
    python = venv / "bin" / "python"
    run(str(python), "-m", "pip", "install", "--quiet", "ipykernel>=6.29,<7")
    run(str(python), "-m", "ipykernel", "install", "--prefix", str(venv), "--name", "fresh")
    return venv


def test_the_wheel_installs_with_its_runtime_dependencies_only(fresh_venv, built, tmp_path):
    venv = tmp_path / "alone"
    run(sys.executable, "-m", "venv", str(venv))
    python = str(venv / "bin" / "python")
    run(python, "-m", "pip", "install", "--quiet", str(built["wheel"]))
    installed = run(python, "-m", "pip", "list", "--format=freeze").lower()
    assert "backproplab==" + backproplab.__version__ in installed
    for name in NOT_AT_RUN_TIME:
        assert f"\n{name}==" not in "\n" + installed, f"{name} came with the wheel"
    shown = run(python, "-c", "import backproplab, numpy; from backproplab import losses;"
                "print(backproplab.__version__, losses.mse(numpy.ones(3), numpy.zeros(3)))")
    assert shown.split() == [backproplab.__version__, "1.0"]


@pytest.mark.parametrize("chapter", [c.stem for c in CHAPTERS])
def test_a_downloaded_chapter_runs_in_a_fresh_environment(fresh_venv, built, chapter,
                                                          monkeypatch):
    from nbclient import NotebookClient

    assert subprocess.run([str(fresh_venv / "bin" / "python"), "-c", "import backproplab"],
                          capture_output=True).returncode != 0, "not fresh: backproplab is there"
    monkeypatch.setenv("JUPYTER_PATH", str(fresh_venv / "share" / "jupyter"))
    monkeypatch.setenv("PIP_FIND_LINKS", str(built["folder"]))  # the first cell installs it
    monkeypatch.setenv("PATH", f"{fresh_venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="fresh",
                   resources={"metadata": {"path": str(fresh_venv)}}).execute()
    pip = [str(fresh_venv / "bin" / "python"), "-m", "pip"]
    installed = subprocess.run([*pip, "show", "backproplab"], capture_output=True, text=True)
    assert f"Version: {backproplab.__version__}" in installed.stdout
    run(*pip, "uninstall", "--yes", "--quiet", "backproplab")  # fresh again for the next one
