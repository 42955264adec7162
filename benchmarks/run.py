"""``make bench``: measure everything, write ``results.json`` and ``RESULTS.md``.

    python -m benchmarks.run                  # training, scalar, live figures, grading, Lighthouse
    python -m benchmarks.run --book           # ... and the book's build and nbval times
    python -m benchmarks.run --only training  # one group (training, scalar, widgets, book)
    python -m benchmarks.run --quick          # 2 rounds each: checks the harness, times nothing

Figures measured by an earlier run and not by this one are kept in the results, each with
the time it was measured.
"""

from __future__ import annotations

import argparse
import sys
import time

from threadpoolctl import threadpool_limits

from . import machine, report

GROUPS = ("training", "scalar", "widgets", "grading", "lighthouse", "frames", "book")

NOTES = """
## How these are measured

* **Ratios, side by side.** Every timing is a ratio of two things measured in the same run
  in interleaved rounds (A B, then B A, ...), with the garbage collector run between runs
  and paused during them; a figure is the ratio of the two medians, and `results.json`
  also keeps the per-round ratios (their range shows how much the machine's load moved
  them). No unit test times anything.
* **The same work for PyTorch.** `backproplab.training.train` against a PyTorch loop on
  the same architecture with the same initial weights (copied in), float64, the same data,
  batch size, number of steps and shuffling order (the same NumPy permutations), plain SGD,
  and the same per-epoch history (mean loss and accuracy). As the computation is the same,
  the per-epoch losses of the two agree to rounding (`max_relative_loss_difference` in
  `results.json`), which the run checks.
* **The same threads.** NumPy's BLAS and PyTorch get the same number of threads (see the
  machine line above; `--threads N` changes it). The default is one each: on a shared
  2-core machine, a second BLAS thread waits for a core that another process holds, and
  OpenBLAS's 2-thread products then run several times slower than its 1-thread ones
  (PyTorch's MKL suffers less), which would measure the neighbours, not the library. The
  large MLP is also compared at NumPy's default thread count, reported without a target.
  OpenMP's spin-waiting makes PyTorch several times slower on a busy machine, so
  `OMP_WAIT_POLICY=PASSIVE` is set for it unless set already.
* **Inside a step.** For the large MLP: the share of a training step spent in matrix
  products is the time of the step's products alone (the same shapes and memory layouts,
  run as many times as the epoch has steps) over the time of `train` for that epoch; the
  backward/forward ratio uses the public `model.backward` (which also returns dL/dX for
  the input) and `model.forward` on one batch.
* **Scalar engine.** One gradient of the mean squared error over a data set, through a
  graph of `Value`s (`scalar_network`) and through `Sequential.loss_and_grads`, from the
  same weights; the gradients are checked to agree (`max_abs_gradient_difference`).
* **Live figures.** Every notebook of `book/` with a `live_explorer(` call runs in a
  Jupyter kernel up to its last live figure, with `live_explorer` wrapped so that each
  figure is built for real and its controls are moved away from their defaults and back;
  each change of a control runs the widget's own callback (the figure's update, the
  redraw of what moves over the kept background, the PNG sent to the image widget) and is
  timed. The target applies to the median at the defaults;
  other settings are in `results.json`.
* **Grading.** `benchmarks/bench_grading.py` grades 40 copies of the reference solutions
  with `assignments/grade.py` as an instructor runs it (two sandboxes at a time) and counts
  submissions a minute over the whole run; every copy must score full marks.
* **Lighthouse.** `benchmarks/bench_lighthouse.py` audits the intro and chapters 4 and 6,
  served from `_build/html`, with Lighthouse 12.2.3 and Debian's Chromium in its default
  mobile settings (throttled, so performance is a lab figure); accessibility and best
  practices have a target of 95, performance and SEO are reported.
* **Frames on a static page.** `benchmarks/bench_frames.py` moves the first slider of each
  chapter page through every frame in Chromium and times each move from the key to the new
  frame loaded and decoded (frames are files fetched on demand); the target applies to the
  median. The same page with its frames put back inline is measured too, for the ratio.
* **Book.** `benchmarks/bench_book.py` (with `--book`) times a clean `make book` (build
  outputs and notebook cache removed; the npm downloads kept), `make book` again with
  nothing changed, and `pytest --nbval-lax --nbval-current-env book/`.
"""


def _training(threads: int, default_threads: int, quick: bool) -> list[dict]:
    from . import bench_training

    torch = machine.import_torch(threads)
    figures = bench_training.run(torch, quick=quick)
    if default_threads != threads:
        figures.append(_at_default_threads(torch, bench_training, default_threads, quick))
    torch.set_num_threads(threads)
    return figures


def _at_default_threads(torch, bench_training, threads: int, quick: bool) -> dict:
    torch.set_num_threads(threads)
    with threadpool_limits(threads):
        fig = bench_training.compare_with_torch(torch, bench_training.LARGE, 2 if quick else 3)
    fig.update(key=f"{fig['key']}_{threads}_threads", target=None, passed=None,
               title=f"{fig['title']}, {threads} threads each")
    return fig


def _scalar(quick: bool) -> list[dict]:
    from . import bench_scalar

    return bench_scalar.run(quick=quick)


def _widgets(quick: bool) -> list[dict]:
    from . import bench_widgets

    return bench_widgets.run(quick=quick)


def _grading() -> list[dict]:
    from . import bench_grading

    return bench_grading.run()


def _lighthouse() -> list[dict]:
    from . import bench_lighthouse

    return bench_lighthouse.run()


def _frames() -> list[dict]:
    from . import bench_frames

    return bench_frames.run()


def _book() -> list[dict]:
    from . import bench_book

    return bench_book.run()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Backprop Lab benchmarks")
    parser.add_argument("--book", action="store_true",
                        help="also time the book's clean build, rebuild and nbval (minutes)")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated groups to run, from {', '.join(GROUPS)}")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and for PyTorch alike (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds per figure: checks the harness, not a measurement")
    args = parser.parse_args(argv)
    groups = [g for g in GROUPS if g != "book" or args.book]
    if args.only:
        groups = [g.strip() for g in args.only.split(",")]
        unknown = sorted(set(groups) - set(GROUPS))
        if unknown:
            parser.error(f"unknown group(s) {unknown}; expected some of {', '.join(GROUPS)}")

    figures = []
    default_threads = machine.numpy_blas_threads()
    with threadpool_limits(args.threads, user_api="blas"):
        machine_info = machine.describe()
        for group in groups:
            started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            print(f"== {group}", flush=True)
            if group == "training":
                new = _training(args.threads, default_threads, args.quick)
                machine_info = machine.describe(sys.modules["torch"])
            elif group == "scalar":
                new = _scalar(args.quick)
            elif group == "widgets":
                new = _widgets(args.quick)
            elif group == "grading":
                new = _grading()
            elif group == "lighthouse":
                new = _lighthouse()
            elif group == "frames":
                new = _frames()
            else:
                new = _book()
            for fig in new:
                fig["measured_at"] = started
                fig["quick"] = args.quick
                print(f"   {fig['title']}: {fig['value']:.3g} {fig['unit']}"
                      f" ({'reported' if fig['passed'] is None else fig['passed']})", flush=True)
            figures.extend(new)

    results = report.load()
    results["figures"] = report.merge(results.get("figures", []), figures)
    machine_info["load_average_end"] = machine.describe()["load_average"]
    results["machine"] = {**results.get("machine", {}), **machine_info}  # keeps torch's info
    results["threads"] = args.threads
    report.save(results, NOTES)
    print(report.markdown_table(results["figures"]))
    failed = [f["key"] for f in results["figures"] if f["passed"] is False]
    print(f"{len(failed)} of {len(results['figures'])} figures miss their target"
          + (f": {', '.join(failed)}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
