"""Learning-rate schedules: each factory returns a function ``epoch -> lr``.

Epochs count from 0, so every schedule starts at ``lr0``. A training loop sets
``optimizer.lr = schedule(epoch)`` at the start of each epoch.

None of these meets both Robbins-Monro conditions (sum of lr infinite, sum of lr**2 finite):
the constant rate breaks the second, step and exponential decay are geometric series and
cosine annealing reaches 0 at ``total_epochs``, so they break the first. That is the usual,
deliberate choice for runs of a fixed length; an inverse-time schedule lr0 / (1 + epoch / tau)
that meets both is not provided here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from backproplab._validation import (
    check_choice,
    check_fraction,
    check_non_negative,
    check_positive,
    check_positive_int,
)

Schedule = Callable[[int], float]


def _check_epoch(epoch) -> int:
    if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral):
        raise TypeError(f"epoch must be a non-negative integer; got {type(epoch).__name__}")
    if epoch < 0:
        raise ValueError(f"epoch must be a non-negative integer; got {epoch}")
    return int(epoch)


def constant(lr0) -> Schedule:
    """``lr(epoch) = lr0`` for every epoch."""
    lr0 = check_positive(lr0, "lr0")

    def schedule(epoch):
        _check_epoch(epoch)
        return lr0

    return schedule


def step_decay(lr0, factor=0.5, every=10) -> Schedule:
    """``lr(epoch) = lr0 * factor ** (epoch // every)``: multiply by ``factor`` every ``every``
    epochs (the default halves the rate at epochs 10, 20, ...)."""
    lr0 = check_positive(lr0, "lr0")
    factor = check_positive(factor, "factor")
    every = check_positive_int(every, "every")

    def schedule(epoch):
        return lr0 * factor ** (_check_epoch(epoch) // every)

    return schedule


def exponential_decay(lr0, gamma=0.95) -> Schedule:
    """``lr(epoch) = lr0 * gamma ** epoch`` with ``0 < gamma < 1``."""
    lr0 = check_positive(lr0, "lr0")
    gamma = check_fraction(gamma, "gamma")
    if gamma == 0:
        raise ValueError("gamma must be in (0, 1); got 0.0")

    def schedule(epoch):
        return lr0 * gamma ** _check_epoch(epoch)

    return schedule


def cosine_annealing(lr0, total_epochs, lr_min=0.0) -> Schedule:
    """``lr(epoch) = lr_min + (lr0 - lr_min) * (1 + cos(pi * epoch / total_epochs)) / 2``.

    Falls from ``lr0`` at epoch 0 to ``lr_min`` at ``total_epochs`` (and stays there after);
    halfway it is the average of the two.
    """
    lr0 = check_positive(lr0, "lr0")
    total_epochs = check_positive_int(total_epochs, "total_epochs")
    lr_min = check_non_negative(lr_min, "lr_min")
    if lr_min > lr0:
        raise ValueError(f"lr_min must not exceed lr0 ({lr0}); got {lr_min}")

    def schedule(epoch):
        progress = min(_check_epoch(epoch), total_epochs) / total_epochs
        return lr_min + (lr0 - lr_min) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return schedule


SCHEDULES: dict[str, Callable[..., Schedule]] = {
    "constant": constant,
    "step": step_decay,
    "exponential": exponential_decay,
    "cosine": cosine_annealing,
}
_FULL_NAMES = {factory.__name__: name for name, factory in SCHEDULES.items()}


def get_schedule(name, **kwargs) -> Schedule:
    """The schedule ``SCHEDULES[name](**kwargs)``; ``name`` may also be the factory's name
    (``"step_decay"``, ``"exponential_decay"``, ``"cosine_annealing"``)."""
    if isinstance(name, str):
        name = _FULL_NAMES.get(name, name)
    check_choice(name, "schedule", SCHEDULES)
    return SCHEDULES[name](**kwargs)
