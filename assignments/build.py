"""Build the student release and the autograders from the assignment masters.

    python assignments/build.py [--dist dist] [--verify]

Each folder ``assignments/<name>/`` holds one master, ``<name>_assignment.md`` (MyST text,
converted with jupytext) or ``.ipynb``, written in otter-grader's assignment format. For each
master, ``otter assign`` (run locally, no Docker) produces:

    dist/student/<name>_assignment.ipynb    the notebook students download: no solutions,
                                            public tests only
    dist/autograder/<name>.zip              otter's autograder, hidden tests too, for a grading
                                            service (``grade.py`` grades with <name>/checks.py)
    dist/solutions/<name>_assignment.ipynb  the reference solutions, for instructors only

``--verify`` then grades every reference solution with ``grade.py`` and fails unless each one
scores full marks.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUTPUTS = ("student", "autograder", "solutions", "otter")
STUDENT_KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def find_masters(folder: Path = HERE) -> dict[str, Path]:
    """Map each assignment name (its folder's name) to its master file."""
    masters = {}
    for directory in sorted(p for p in folder.iterdir() if p.is_dir() and p.name[0].isdigit()):
        candidates = [directory / f"{directory.name}_assignment{ext}" for ext in (".md", ".ipynb")]
        found = [p for p in candidates if p.exists()]
        if len(found) != 1:
            raise SystemExit(
                f"{directory} must hold exactly one master named {directory.name}_assignment.md "
                f"or .ipynb; found {[p.name for p in found]}"
            )
        masters[directory.name] = found[0]
    return masters


def read_master(path: Path):
    """The master as a notebook (MyST text goes through jupytext), without jupytext metadata."""
    if path.suffix == ".md":
        import jupytext

        nb = jupytext.read(path)
    else:
        nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = dict(STUDENT_KERNEL)
    return nb


def assign(name: str, master: Path, dist: Path) -> None:
    """Run ``otter assign`` on one master and copy its products into ``dist``."""
    from otter.assign import main as otter_assign

    stem = master.stem
    work = dist / "otter" / name
    with tempfile.TemporaryDirectory() as tmp:
        notebook = Path(tmp) / f"{stem}.ipynb"
        nbformat.write(read_master(master), notebook)
        otter_assign(str(notebook), str(work), no_pdfs=True, no_run_tests=True)
    student = nbformat.read(work / "student" / f"{stem}.ipynb", as_version=4)
    claimed = student.metadata.get("otter", {}).get("assignment_name")
    if claimed != name:
        raise SystemExit(f"{master}: the ASSIGNMENT CONFIG name must be '{name}'; got {claimed!r}")
    (zip_path,) = (work / "autograder").glob(f"{stem}-autograder_*.zip")
    nbformat.write(student, dist / "student" / f"{stem}.ipynb")
    shutil.copy(zip_path, dist / "autograder" / f"{name}.zip")
    shutil.copy(work / "autograder" / f"{stem}.ipynb", dist / "solutions" / f"{stem}.ipynb")


def build(dist: Path) -> dict[str, Path]:
    """Build every assignment into ``dist`` (its previous outputs are removed first)."""
    for sub in OUTPUTS:
        shutil.rmtree(dist / sub, ignore_errors=True)
        (dist / sub).mkdir(parents=True)
    masters = find_masters()
    for name, master in masters.items():
        print(f"building {name} from {master.relative_to(ROOT)}")
        assign(name, master, dist)
    return masters


def verify(dist: Path) -> None:
    """Grade the reference solutions; exit with an error unless each scores full marks."""
    sys.path.insert(0, str(HERE))
    import grade
    import sandbox

    with tempfile.TemporaryDirectory() as tmp:
        rows = grade.grade_folder(
            dist / "solutions", Path(tmp) / "grades.csv", None, sandbox.Limits(), 2)
    bad = [g for g in rows if not g.assignment or g.errors or g.failures]
    if bad:
        details = "\n".join(f"{g.submission}: {'; '.join(g.errors + g.failures)}" for g in bad)
        raise SystemExit("reference solutions lost points:\n" + details)
    print(f"verified: {len(rows)} reference solutions score full marks")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--verify", action="store_true", help="grade the reference solutions")
    args = parser.parse_args(argv)
    masters = build(args.dist.resolve())
    print(f"built {len(masters)} assignments into {args.dist}")
    if args.verify:
        verify(args.dist.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
