"""Lighthouse scores of the built site: performance, accessibility, best practices and SEO.

The intro and two chapters are served from _build/html on 127.0.0.1 and audited by
Lighthouse 12.2.3 (from npm, installed by ``make bench``) driving Debian's Chromium, with its
default mobile settings (throttled CPU and network, so performance is a lab figure, not a
reader's). Accessibility and best practices have a target of 95 on every page; performance
and SEO are reported. Runs on its own too: ``python -m benchmarks.bench_lighthouse``.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from scripts.serve import served

from .report import figure

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "_build" / "npm-bench" / "node_modules" / "lighthouse" / "cli" / "index.js"
PAGES = ("book/intro", "book/04_hand_worked_example", "book/06_optimizers")
CATEGORIES = {"performance": None, "accessibility": 95, "best-practices": 95, "seo": None}


def audit(url: str, out: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": "/usr/bin/chromium"}
    subprocess.run(["node", str(LIGHTHOUSE), url, "--quiet", "--output=json",
                    f"--output-path={out}", f"--only-categories={','.join(CATEGORIES)}",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
                   check=True, env=env, timeout=300)
    report = json.loads(out.read_text())
    def below_full(ref):
        score = report["audits"][ref["id"]].get("score")
        return ref["weight"] > 0 and score is not None and score < 1

    failing = {cat: [r["id"] for r in report["categories"][cat]["auditRefs"] if below_full(r)]
               for cat in CATEGORIES}
    return {cat: (report["categories"][cat]["score"] * 100, failing[cat]) for cat in CATEGORIES}


def run() -> list[dict]:
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: `make bench` installs it from npm")
    figures = []
    with served(ROOT / "_build" / "html") as site, tempfile.TemporaryDirectory() as tmp:
        for page in PAGES:
            scores = audit(f"{site}/{page}.html", Path(tmp) / "report.json")
            for cat, (score, failing) in scores.items():
                figures.append(figure(
                    f"lighthouse_{cat}_{Path(page).name}",
                    f"Lighthouse {cat}: {Path(page).name}", score, "/100",
                    target=CATEGORIES[cat], comparison=">=",
                    details={"audits_below_full_score": failing}))
    return figures


if __name__ == "__main__":
    for fig in run():
        print(f"{fig['title']}: {fig['value']:.0f} {fig['details']}")
