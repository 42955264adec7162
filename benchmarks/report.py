"""Results as figures with targets: ``results.json`` for machines, ``RESULTS.md`` for people."""

from __future__ import annotations

import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"

COMPARISONS = {"<=": "≤", ">=": "≥"}


def figure(key, title, value, unit, target=None, comparison="<=", details=None) -> dict:
    """One measured figure; ``passed`` is None for a figure that is reported, not judged."""
    if comparison not in COMPARISONS:
        raise ValueError(f"comparison must be one of {sorted(COMPARISONS)}; got {comparison!r}")
    passed = None
    if target is not None:
        passed = bool(value <= target) if comparison == "<=" else bool(value >= target)
        if not math.isfinite(value):
            passed = False
    return {
        "key": key,
        "title": title,
        "value": value,
        "unit": unit,
        "target": target,
        "comparison": comparison,
        "passed": passed,
        "details": details or {},
    }


def merge(old: list[dict], new: list[dict]) -> list[dict]:
    """``old`` with every figure that ``new`` measured again replaced, in a stable order."""
    fresh = {f["key"]: f for f in new}
    merged = [fresh.pop(f["key"], f) for f in old]
    return merged + list(fresh.values())


def _number(value: float, unit: str) -> str:
    if unit == "s" and value >= 10:
        return f"{value:.0f} s"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if unit == "×":
        return f"{value:.0f}×" if value >= 10 else f"{value:.1f}×"
    return f"{value:.2f}"


def _verdict(fig: dict) -> str:
    if fig["passed"] is None:
        return "reported"
    return "pass" if fig["passed"] else "**FAIL**"


def markdown_table(figures: list[dict]) -> str:
    """The table the README quotes: one row per figure, with its target and verdict."""
    rows = ["| measure | result | target | verdict |", "|---|---|---|---|"]
    for fig in figures:
        target = "—"
        if fig["target"] is not None:
            target = f"{COMPARISONS[fig['comparison']]} {_number(fig['target'], fig['unit'])}"
        rows.append(
            f"| {fig['title']} | {_number(fig['value'], fig['unit'])} | {target} | "
            f"{_verdict(fig)} |"
        )
    return "\n".join(rows)


def load(path: Path = RESULTS_JSON) -> dict:
    if not path.exists():
        return {"figures": [], "machine": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def save(results: dict, notes: str, json_path: Path = RESULTS_JSON,
         md_path: Path = RESULTS_MD) -> None:
    """Write ``results`` as JSON and as a markdown page: the table, then ``notes``."""
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    machine = results.get("machine", {})
    blas = machine.get("numpy_blas") or [{}]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run`); every figure and its target "
        "is also in `results.json`.",
        "",
        markdown_table(results["figures"]),
        "",
        f"Measured on {machine.get('processor', '?')} ({machine.get('cores', '?')} cores), "
        f"load average {_load(machine)} at the start; NumPy {machine.get('numpy', '?')} with "
        f"{blas[0].get('internal_api', '?')} {blas[0].get('version', '')} "
        f"({blas[0].get('architecture', '?')} kernels, "
        f"threads: {blas[0].get('num_threads', '?')}); "
        f"PyTorch {machine.get('torch', '?')} (threads: {machine.get('torch_threads', '?')}); "
        f"OMP_WAIT_POLICY={machine.get('environment', {}).get('OMP_WAIT_POLICY')}, "
        f"OPENBLAS_CORETYPE={machine.get('environment', {}).get('OPENBLAS_CORETYPE')}.",
        "",
        notes.strip(),
        "",
    ]
    md_path.write_text("\n".join(lines), encoding="utf-8")


def _load(machine: dict) -> str:
    load = machine.get("load_average")
    return "?" if not load else f"{load[0]:.1f}"
