"""Optimizers side by side: a race on a 2-D surface, and the steps they take.

Each optimizer gets the learning rate that suits it on a surface (``tune_lrs`` picks it from
a grid by ``path_score``, so getting down fast and staying down both count), then ``race``
runs them all from the same start, optionally with every learning rate scaled by the same
factor, and returns their paths (``surfaces.OptimizerPath``). ``step_sizes`` records how far
an optimizer moves one parameter for a given sequence of gradients.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from backproplab._validation import as_float_array, check_positive, check_positive_int
from backproplab.optimizers import get_optimizer
from backproplab.studies.surfaces import OptimizerPath, Surface, get_surface, run_optimizer

RACE_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "nadam")
LR_GRID = tuple(float(v) for v in np.logspace(-4, 0, 9))  # half-decades, 1e-4 .. 1
LOSS_FLOOR = 1e-16  # losses below this count as this (rounding level of a loss of order 1)


def _as_surface(surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str):
        return get_surface(surface)
    raise TypeError(f"surface must be a Surface or a surface name; got {type(surface).__name__}")


def path_score(path: OptimizerPath) -> float:
    """How well a run did, lower is better: the mean over its steps k of log10 of the highest
    loss from step k to the end (losses floored at LOSS_FLOOR).

    The highest loss still to come is the level the run has got below for good at step k, so
    the score rewards getting down fast and staying down: a late spike counts against every
    step before it. A run that diverged scores +inf.
    """
    if path.diverged:
        return float("inf")
    still_to_come = np.maximum.accumulate(path.losses[::-1])[::-1]
    return float(np.mean(np.log10(np.maximum(still_to_come, LOSS_FLOOR))))


def tune_lr(surface, optimizer, lrs=LR_GRID, start=None, steps=100) -> float:
    """The learning rate in ``lrs`` (a sequence of positive numbers) whose run of ``steps``
    updates from ``start`` (2,) has the lowest ``path_score``.

    Raises ValueError if every learning rate in the grid diverges.
    """
    surface = _as_surface(surface)
    lrs = [check_positive(lr, "lrs") for lr in lrs]
    if not lrs:
        raise ValueError("lrs must list at least one learning rate")
    scores = [path_score(run_optimizer(surface, optimizer, start, steps, lr)) for lr in lrs]
    if not np.isfinite(min(scores)):
        raise ValueError(
            f"every learning rate in lrs diverged for {optimizer} on {surface.name}; "
            "try smaller ones"
        )
    return lrs[int(np.argmin(scores))]


def tune_lrs(surface, optimizers=RACE_OPTIMIZERS, lrs=LR_GRID, start=None, steps=100):
    """``{optimizer: tune_lr(...)}`` for each name in ``optimizers``, in order."""
    return {name: tune_lr(surface, name, lrs, start, steps) for name in optimizers}


def race(surface, lrs: Mapping[str, float], start=None, steps=100, lr_scale=1.0):
    """Run every optimizer in ``lrs`` (name -> learning rate) from the same ``start`` (2,)
    for ``steps`` updates, each at ``lr_scale`` times its learning rate.

    Returns ``{name: OptimizerPath}`` in the order of ``lrs``; paths that diverge stop early
    (see ``surfaces.run_optimizer``). Other hyper-parameters keep their defaults.
    """
    surface = _as_surface(surface)
    if not isinstance(lrs, Mapping) or not lrs:
        raise ValueError("lrs must be a non-empty mapping of optimizer name -> learning rate")
    lr_scale = check_positive(lr_scale, "lr_scale")
    return {
        name: run_optimizer(surface, name, start, steps, lr_scale * check_positive(lr, "lrs"))
        for name, lr in lrs.items()
    }


def steps_to_reach(path: OptimizerPath, loss: float) -> int | None:
    """The first step whose loss is at most ``loss``, or None if the run never gets there."""
    below = np.flatnonzero(path.losses <= loss)
    return int(below[0]) if below.size else None


def snapshot_steps(steps: int, count: int) -> list[int]:
    """``count`` increasing steps from 0 to ``steps``, spaced roughly geometrically so the
    fast early moves and the slow late progress both get frames (as with a log time axis).

    Returns a list of distinct ints starting at 0 and ending at ``steps``.
    """
    steps = check_positive_int(steps, "steps")
    count = check_positive_int(count, "count")
    if not 2 <= count <= steps + 1:
        raise ValueError(f"count must be between 2 and steps + 1 = {steps + 1}; got {count}")
    chosen = [0]
    for k in range(1, count):
        # the next step on a geometric grid from 1 to steps, at least one past the last one
        # and leaving room for the snapshots still to come
        remaining = count - 1 - k
        target = round((steps + 1) ** (k / (count - 1))) - 1
        chosen.append(min(max(target, chosen[-1] + 1), steps - remaining))
    return chosen


def losses_at(paths: Mapping[str, OptimizerPath], step: int) -> dict[str, float]:
    """Each path's loss at ``step`` (its last loss if it stopped earlier), ``{name: loss}``."""
    return {
        name: float(path.losses[min(step, len(path.losses) - 1)]) for name, path in paths.items()
    }



def step_sizes(optimizer, gradients, lr=1.0, step_counts=None, **kwargs) -> np.ndarray:
    """How far ``optimizer`` (a name or class) moves one scalar parameter that receives
    ``gradients[i]`` at update i, divided by ``lr``; gradients (T,) -> sizes (T,).

    step_counts: optional (T,) positive ints, the value of the step counter ``t`` to use at
    each update instead of 1, 2, ..., T (to replay a wrong count). kwargs go to the optimizer.
    """
    gradients = as_float_array(gradients, "gradients", ndim=1)
    if step_counts is not None:
        step_counts = [check_positive_int(t, "step_counts") for t in step_counts]
        if len(step_counts) != len(gradients):
            raise ValueError(
                f"step_counts must give one count per gradient ({len(gradients)}); "
                f"got {len(step_counts)}"
            )
    p = np.zeros(1)
    opt = get_optimizer(optimizer, [p], lr=lr, **kwargs)
    sizes = np.empty(len(gradients))
    for i, g in enumerate(gradients):
        if step_counts is not None:
            opt.t = step_counts[i] - 1  # step() adds one before the update
        before = p[0]
        opt.step([np.array([g])])
        sizes[i] = abs(p[0] - before) / opt.lr
    return sizes
