"""Interleaved timing: run candidates in turn, A B B A A B ..., and compare their medians.

A shared machine's load changes from second to second. Timing candidates in alternation,
with the order flipped every round, lets each round see the same load for all of them,
and the median over rounds ignores the rounds a neighbour spoiled.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    """Seconds per run of each candidate, one entry per round."""

    seconds: dict[str, list[float]]

    def median(self, name: str) -> float:
        return statistics.median(self.seconds[name])

    def ratio(self, numerator: str, denominator: str) -> float:
        """median(numerator) / median(denominator)."""
        return self.median(numerator) / self.median(denominator)

    def round_ratios(self, numerator: str, denominator: str) -> list[float]:
        """The ratio within each round, to show how much the load moved it."""
        pairs = zip(self.seconds[numerator], self.seconds[denominator], strict=True)
        return [a / b for a, b in pairs]

    def summary(self, numerator: str, denominator: str) -> dict:
        """Medians, the ratio of medians and the range of per-round ratios, for a report."""
        per_round = self.round_ratios(numerator, denominator)
        return {
            "median_seconds": {name: self.median(name) for name in self.seconds},
            "ratio": self.ratio(numerator, denominator),
            "round_ratio_min": min(per_round),
            "round_ratio_max": max(per_round),
            "rounds": len(per_round),
        }


def interleaved(
    factories: Mapping[str, Callable[[], Callable[[], object]]], rounds: int, warmup: int = 1
) -> Comparison:
    """Time each candidate once per round, alternating the order of candidates every round.

    ``factories[name]()`` prepares one run (untimed: building a model, copying weights) and
    returns the callable that is timed. ``warmup`` untimed rounds come first. The garbage
    collector runs between runs, never during one.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1; got {rounds}")
    names = list(factories)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for index in range(warmup + rounds):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            run = factories[name]()
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                run()
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            if index >= warmup:
                seconds[name].append(elapsed)
    return Comparison(seconds)
