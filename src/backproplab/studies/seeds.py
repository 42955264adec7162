"""Claims as distributions: one number per seed, summarised honestly.

A training run is chaotic: on another CPU (another BLAS kernel, another SIMD path) the same
seed can end somewhere else. So a chapter never rests a conclusion on one run. It runs the
experiment for several seeds with :func:`over_seeds` and states what :class:`Spread` reports:
the median and range, the mean and standard deviation, or the fraction of seeds for which
something holds. :func:`wilson_interval` is the binomial confidence interval for an accuracy
measured on ``n`` images.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from backproplab._validation import check_positive_int


@dataclass(frozen=True)
class Spread:
    """One value per seed, shape ``(n_seeds,)``, with the statistics a chapter quotes."""

    values: np.ndarray

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return float(np.median(self.values))

    @property
    def low(self) -> float:
        return float(np.min(self.values))

    @property
    def high(self) -> float:
        return float(np.max(self.values))

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def sd(self) -> float:
        """Sample standard deviation (ddof=1); 0 for a single seed."""
        return float(np.std(self.values, ddof=1)) if self.n > 1 else 0.0

    def fraction(self, condition: Callable[[np.ndarray], np.ndarray]) -> float:
        """Share of seeds whose value satisfies ``condition`` (a vectorised predicate)."""
        hits = np.asarray(condition(self.values), dtype=bool)
        if hits.shape != self.values.shape:
            raise ValueError(f"condition must return one boolean per seed {self.values.shape}; "
                             f"got shape {hits.shape}")
        return float(np.mean(hits))

    def named(self, prefix: str) -> dict[str, float]:
        """``{prefix_median, prefix_low, prefix_high, prefix_mean, prefix_sd}``, for glue."""
        stats = ("median", "low", "high", "mean", "sd")
        return {f"{prefix}_{stat}": getattr(self, stat) for stat in stats}

    def __str__(self) -> str:
        return (f"median {self.median:.4g} (range {self.low:.4g} to {self.high:.4g}; "
                f"mean {self.mean:.4g} ± {self.sd:.2g}; {self.n} seeds)")


def spread(values: Iterable[float]) -> Spread:
    """A :class:`Spread` of finite numbers, one per seed (at least one)."""
    array = np.asarray(list(values), dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"values must be a non-empty sequence of numbers, one per seed; "
                         f"got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("values must be finite; a diverged run should be counted with "
                         "Spread.fraction, not averaged")
    return Spread(array)


def over_seeds(experiment: Callable[[int], object], seeds: Iterable[int]) -> list:
    """``[experiment(seed) for seed in seeds]``, with the seeds checked to be distinct ints."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in seeds):
        raise ValueError(f"seeds must be integers; got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct; got {seeds!r}")
    return [experiment(int(seed)) for seed in seeds]


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion: ``successes`` of ``n`` trials.

    Unlike the normal approximation p ± z·sqrt(p(1-p)/n), it stays inside [0, 1] and does not
    collapse to a point when p is 0 or 1, which matters for accuracies near 100 %.
    """
    n = check_positive_int(n, "n")
    if isinstance(successes, bool) or not isinstance(successes, (int, np.integer)) or not (
        0 <= successes <= n
    ):
        raise ValueError(f"successes must be an integer from 0 to n={n}; got {successes!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence!r}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else float(centre - half)  # exact ends, free of rounding
    high = 1.0 if successes == n else float(centre + half)
    return low, high
