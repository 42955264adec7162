"""Learning-rate schedules at chosen epochs, with values worked out by hand."""

import math

import numpy as np
import pytest

from backproplab.optimizers import SGD
from backproplab.schedules import (
    SCHEDULES,
    constant,
    cosine_annealing,
    exponential_decay,
    get_schedule,
    step_decay,
)


def test_constant():
    schedule = constant(0.3)
    assert [schedule(e) for e in (0, 1, 50)] == [0.3, 0.3, 0.3]


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [(0, 0.8), (9, 0.8), (10, 0.4), (19, 0.4), (20, 0.2), (35, 0.1), (40, 0.05)],
)
def test_step_decay_halves_every_ten_epochs(epoch, expected):
    assert step_decay(0.8)(epoch) == pytest.approx(expected, rel=1e-15)


def test_step_decay_with_other_factor_and_period():
    schedule = step_decay(1.0, factor=0.1, every=3)
    assert [schedule(e) for e in (0, 2, 3, 6)] == pytest.approx([1.0, 1.0, 0.1, 0.01])


@pytest.mark.parametrize(("epoch", "expected"), [(0, 0.5), (1, 0.45), (2, 0.405), (3, 0.3645)])
def test_exponential_decay(epoch, expected):
    assert exponential_decay(0.5, gamma=0.9)(epoch) == pytest.approx(expected, rel=1e-14)


def test_cosine_annealing_endpoints_midpoint_and_quarter():
    lr0, lr_min, total = 0.1, 0.02, 40
    schedule = cosine_annealing(lr0, total, lr_min=lr_min)
    assert schedule(0) == pytest.approx(lr0, rel=1e-15)
    assert schedule(total) == pytest.approx(lr_min, rel=1e-15)
    assert schedule(total // 2) == pytest.approx((lr0 + lr_min) / 2, rel=1e-15)
    # a quarter of the way: cos(pi/4) = sqrt(2)/2
    quarter = lr_min + (lr0 - lr_min) * (1 + math.sqrt(2) / 2) / 2
    assert schedule(total // 4) == pytest.approx(quarter, rel=1e-14)
    assert schedule(total + 15) == pytest.approx(lr_min, rel=1e-15)


def test_cosine_annealing_is_decreasing_and_defaults_to_zero():
    schedule = cosine_annealing(1.0, 10)
    values = np.array([schedule(e) for e in range(11)])
    assert np.all(np.diff(values) < 0)
    assert values[-1] == pytest.approx(0.0, abs=1e-16)


@pytest.mark.parametrize(
    ("name", "kwargs", "epoch", "expected"),
    [
        ("constant", {"lr0": 0.2}, 7, 0.2),
        ("step", {"lr0": 0.2}, 10, 0.1),
        ("step_decay", {"lr0": 0.2, "every": 5}, 10, 0.05),
        ("exponential", {"lr0": 2.0, "gamma": 0.5}, 3, 0.25),
        ("exponential_decay", {"lr0": 2.0, "gamma": 0.5}, 1, 1.0),
        ("cosine", {"lr0": 0.4, "total_epochs": 8}, 4, 0.2),
        ("cosine_annealing", {"lr0": 0.4, "total_epochs": 8, "lr_min": 0.2}, 8, 0.2),
    ],
)
def test_get_schedule_by_short_and_full_name(name, kwargs, epoch, expected):
    assert get_schedule(name, **kwargs)(epoch) == pytest.approx(expected, rel=1e-14)


def test_registry_names():
    assert set(SCHEDULES) == {"constant", "step", "exponential", "cosine"}


def test_schedule_drives_an_optimizer():
    # lr 0.8 for epochs 0-9 and 0.4 for 10-19: p = -(10 * 0.8 + 10 * 0.4) * g with g = 1
    p = np.zeros(1)
    opt = SGD([p], lr=1.0)
    schedule = step_decay(0.8)
    for epoch in range(20):
        opt.lr = schedule(epoch)
        opt.step([np.ones(1)])
    np.testing.assert_allclose(p, [-12.0], rtol=1e-13)
