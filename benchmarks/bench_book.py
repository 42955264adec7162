"""How long the book takes to build and to test.

* a clean ``make book``: the build outputs and the notebook cache are removed first, so
  every notebook is executed; the widget JavaScript fetched from npm is kept, since
  fetching it is an install step, not part of building;
* ``make book`` again with nothing changed (every notebook comes from the cache);
* ``pytest --nbval-lax --nbval-current-env book/``: every notebook under nbval.

These run real builds in the repository (``--root`` points elsewhere, e.g. at a copy) and
take minutes, so ``python -m benchmarks.run`` runs them only with ``--book``; this module
also runs on its own: ``python -m benchmarks.bench_book``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .report import figure

ROOT = Path(__file__).resolve().parent.parent
# What `make book` writes, relative to the repository: removed for a clean build.
BUILD_OUTPUTS = (
    "_build/.jupyter_cache", "_build/.src-hash", "_build/.doctrees", "_build/html",
    "_build/jupyter_execute",
)


def clean(root: Path) -> None:
    for relative in BUILD_OUTPUTS:
        path = root / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def timed(command: list[str], root: Path) -> tuple[float, int, str]:
    """(seconds, exit status, last lines of output) of ``command`` run in ``root``."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
    return seconds, done.returncode, tail


def _judged(key, title, target, result) -> dict:
    seconds, status, tail = result
    details = {"exit_status": status, "seconds": seconds}
    if status != 0:
        details["output_tail"] = tail
    return figure(key, title, seconds if status == 0 else float("inf"), "s", target=target,
                  details=details)


def run(root: Path = ROOT, build: bool = True, nbval: bool = True) -> list[dict]:
    figures = []
    if build:
        clean(root)
        figures.append(_judged("book_clean_build", "clean `make book` (executes every notebook)",
                               180.0, timed(["make", "book"], root)))
        figures.append(_judged("book_rebuild", "`make book` again, nothing changed",
                               20.0, timed(["make", "book"], root)))
    if nbval:
        python = root / ".venv" / "bin" / "python"
        command = [str(python if python.exists() else Path(sys.executable)), "-m", "pytest",
                   "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", "-q", "book/"]
        figures.append(_judged("book_nbval", "every notebook under nbval",
                               120.0, timed(command, root)))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository to build")
    parser.add_argument("--skip-build", action="store_true", help="only time nbval")
    parser.add_argument("--skip-nbval", action="store_true", help="only time the builds")
    args = parser.parse_args(argv)
    for fig in run(args.root.resolve(), build=not args.skip_build, nbval=not args.skip_nbval):
        verdict = "pass" if fig["passed"] else "FAIL"
        print(f"{fig['title']}: {fig['value']:.1f} s (target ≤ {fig['target']:.0f} s) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
