"""Tests of backproplab.studies.seeds: spreads over seeds and the Wilson interval."""

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backproplab.studies.seeds import Spread, over_seeds, spread, wilson_interval


def test_spread_statistics_match_the_statistics_module():
    values = [0.91, 0.95, 0.43, 0.94, 0.96, 0.88]
    s = spread(values)
    assert s.n == 6
    assert s.median == pytest.approx(statistics.median(values), abs=1e-15)
    assert (s.low, s.high) == (0.43, 0.96)
    assert s.mean == pytest.approx(statistics.fmean(values), abs=1e-15)
    assert s.sd == pytest.approx(statistics.stdev(values), abs=1e-15)


def test_fraction_counts_the_seeds_that_satisfy_a_condition():
    s = spread([0.2, 0.9, 0.95, 0.5, 0.97])
    assert s.fraction(lambda v: v > 0.85) == 3 / 5
    assert s.fraction(lambda v: v > 1) == 0.0
    with pytest.raises(ValueError, match="condition"):
        s.fraction(lambda v: True)


def test_named_gives_one_glue_name_per_statistic():
    s = spread([1.0, 2.0, 4.0])
    assert s.named("acc") == {"acc_median": 2.0, "acc_low": 1.0, "acc_high": 4.0,
                              "acc_mean": 7 / 3, "acc_sd": pytest.approx(math.sqrt(7 / 3))}


def test_a_single_seed_has_zero_spread_and_the_text_says_how_many_seeds():
    s = spread([0.5])
    assert s.sd == 0.0 and s.low == s.high == s.median == 0.5
    assert "1 seeds" in str(s) and "median 0.5" in str(s)


@pytest.mark.parametrize("bad", [[], [[1.0, 2.0]], [1.0, float("nan")], [float("inf")]])
def test_spread_rejects_empty_nested_or_non_finite_values(bad):
    with pytest.raises(ValueError, match="values"):
        spread(bad)


def test_over_seeds_runs_the_experiment_once_per_seed_in_order():
    assert over_seeds(lambda seed: seed * 10, [3, 1, 2]) == [30, 10, 20]
    assert isinstance(over_seeds(lambda seed: seed, np.arange(2))[0], int)


@pytest.mark.parametrize("bad", [[], [1, 1], [0.5], [True]])
def test_over_seeds_rejects_missing_repeated_or_non_integer_seeds(bad):
    with pytest.raises(ValueError, match="seeds"):
        over_seeds(lambda seed: seed, bad)


def test_wilson_interval_matches_values_worked_by_hand():
    # 8 of 10 at 95 %: z = 1.959964, centre (0.8 + z²/20) / (1 + z²/10) = 0.71698...,
    # half-width z·sqrt(0.016 + z²/400) / (1 + z²/10) = 0.22712...: the textbook (0.490, 0.943).
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.49016, abs=1e-5) and high == pytest.approx(0.94332, abs=1e-5)
    # 0 of n: the lower end is exactly 0 and the upper end z²/(n + z²).
    z2 = 1.959963984540054**2
    assert wilson_interval(0, 50) == pytest.approx((0.0, z2 / (50 + z2)), abs=1e-15)
    # n of n mirrors it.
    assert wilson_interval(50, 50) == pytest.approx((50 / (50 + z2), 1.0), abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 2000), data=st.data())
def test_wilson_interval_contains_the_estimate_and_shrinks_with_confidence(n, data):
    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    assert 0 <= low <= k / n <= high <= 1
    narrow = wilson_interval(k, n, confidence=0.5)
    assert low <= narrow[0] + 1e-15 and narrow[1] <= high + 1e-15


@pytest.mark.parametrize(
    ("successes", "n", "confidence", "name"),
    [(11, 10, 0.95, "successes"), (-1, 10, 0.95, "successes"), (2.5, 10, 0.95, "successes"),
     (1, 0, 0.95, "n"), (1, 10, 1.0, "confidence"), (1, 10, 0.0, "confidence")],
)
def test_wilson_interval_rejects_bad_input_by_name(successes, n, confidence, name):
    with pytest.raises((ValueError, TypeError), match=name):
        wilson_interval(successes, n, confidence)


def test_spread_is_a_plain_frozen_record():
    s = Spread(np.array([1.0, 2.0]))
    with pytest.raises(AttributeError):
        s.values = np.array([3.0])
