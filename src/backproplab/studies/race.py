"""Optimizers side by side: a race on a 2-D surface, and the steps they take.

Each optimizer gets the learning rate that suits it on a surface (``tune_lrs`` picks it from
a grid by ``path_score``, so getting down fast and staying down both count), then ``race``
runs them all from the same start, optionally with every learning rate scaled by the same
factor, and returns their paths (``surfaces.OptimizerPath``). ``steps_to_stay`` is the race's
measure: the step from which a run's loss stays below a target. One race from one start with
one tuning grid is a single sample, so ``race_sweep`` repeats tuning and racing over several
start points and several offsets of the grid and reports every measurement (``RaceSweep``);
a ranking is only worth stating if it holds across them. ``step_sizes`` records how far an
optimizer moves one parameter for a given sequence of gradients.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from backproplab._validation import as_float_array, check_positive, check_positive_int
from backproplab.network import MLP
from backproplab.optimizers import Adam, get_optimizer
from backproplab.studies.seeds import over_seeds
from backproplab.studies.surfaces import OptimizerPath, Surface, get_surface, run_optimizer
from backproplab.training import train

RACE_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "nadam")
LR_GRID = tuple(float(v) for v in np.logspace(-4, 0, 9))  # half-decades, 1e-4 .. 1
LOSS_FLOOR = 1e-16  # losses below this count as this (rounding level of a loss of order 1)
# offsets of the tuning grid, in decades: a quarter of its half-decade spacing apart
GRID_OFFSETS = (0.0, 0.125, 0.25, 0.375)


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


def _tuned_run(surface: Surface, optimizer, lrs, start, steps,
               **opt_kwargs) -> tuple[float, OptimizerPath]:
    """(best learning rate, its path): see ``tune_lr``; ``opt_kwargs`` go to the optimizer."""
    lrs = [check_positive(lr, "lrs") for lr in lrs]
    if not lrs:
        raise ValueError("lrs must list at least one learning rate")
    paths = [run_optimizer(surface, optimizer, start, steps, lr, **opt_kwargs) for lr in lrs]
    scores = [path_score(path) for path in paths]
    if not np.isfinite(min(scores)):
        raise ValueError(
            f"every learning rate in lrs diverged for {optimizer} on {surface.name}; "
            "try smaller ones"
        )
    best = int(np.argmin(scores))
    return lrs[best], paths[best]


def tune_lr(surface, optimizer, lrs=LR_GRID, start=None, steps=100) -> float:
    """The learning rate in ``lrs`` (a sequence of positive numbers) whose run of ``steps``
    updates from ``start`` (2,) has the lowest ``path_score``.

    Raises ValueError if every learning rate in the grid diverges.
    """
    return _tuned_run(_as_surface(surface), optimizer, lrs, start, steps)[0]


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
    """The first step whose loss is at most ``loss``, or None if the run never gets there.

    A run that dips below ``loss`` once and comes back up counts as arrived: for a race, use
    ``steps_to_stay``.
    """
    below = np.flatnonzero(path.losses <= loss)
    return int(below[0]) if below.size else None


def steps_to_stay(path: OptimizerPath, loss: float) -> int | None:
    """The step from which the loss stays at or below ``loss`` up to the end of the run, or
    None if the run ends above it or diverged.

    ``path.losses`` (n,) for steps 0 .. n-1: returns the smallest k with losses[j] <= loss for
    every j >= k. Unlike ``steps_to_reach`` a dip that is followed by a rebound does not count.
    """
    loss = check_positive(loss, "loss")
    if path.diverged:
        return None
    above = np.flatnonzero(path.losses > loss)
    if not above.size:
        return 0
    k = int(above[-1]) + 1
    return k if k < len(path.losses) else None


def shifted_grid(offset: float, lrs=LR_GRID) -> tuple[float, ...]:
    """The learning rates ``lrs`` each multiplied by 10**offset (offset in decades)."""
    if isinstance(offset, bool) or not np.isfinite(offset):
        raise ValueError(f"offset must be a finite number of decades; got {offset!r}")
    return tuple(check_positive(lr, "lrs") * 10.0 ** float(offset) for lr in lrs)


@dataclass(frozen=True)
class RaceSweep:
    """Races over several settings: every start in ``starts`` with every grid offset in
    ``offsets`` (settings ordered start-major, n = len(starts) * len(offsets)) at every
    learning-rate scale in ``scales``.

    tuned: (n_settings, n_optimizers) tuned learning rates (before scaling);
    steps: (n_settings, n_scales, n_optimizers) ``steps_to_stay`` of each run, NaN where the
    run never stays below ``target``; final_loss: same shape, the last loss (NaN if diverged);
    diverged: same shape, bool; lowest: same shape, the lowest loss of the run; rebound: same
    shape, the highest loss after the step of the lowest (how far the run climbed back up).
    """

    surface: str
    optimizers: tuple[str, ...]
    starts: tuple[tuple[float, float], ...]
    offsets: tuple[float, ...]
    scales: tuple[float, ...]
    target: float
    tuned: np.ndarray
    steps: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    lowest: np.ndarray
    rebound: np.ndarray

    @property
    def n_settings(self) -> int:
        return len(self.starts) * len(self.offsets)

    def _scale_index(self, scale: float) -> int:
        if scale not in self.scales:
            raise ValueError(f"scale must be one of {self.scales}; got {scale!r}")
        return self.scales.index(scale)

    def _column(self, name: str) -> int:
        if name not in self.optimizers:
            raise ValueError(f"optimizer must be one of {self.optimizers}; got {name!r}")
        return self.optimizers.index(name)

    def times(self, name: str, scale: float = 1.0) -> np.ndarray:
        """``name``'s steps to stay below the target in every setting, (n_settings,), NaN
        where it never stays there."""
        return self.steps[:, self._scale_index(scale), self._column(name)]

    def finals(self, name: str, scale: float = 1.0) -> np.ndarray:
        """``name``'s last loss in every setting, (n_settings,), NaN where it diverged."""
        return self.final_loss[:, self._scale_index(scale), self._column(name)]

    def faster(self, a: str, b: str, scale: float = 1.0) -> int:
        """In how many settings ``a`` stays below the target in fewer steps than ``b`` (a run
        that never gets there counts as infinitely slow; ties count for neither)."""
        ta, tb = (np.nan_to_num(self.times(n, scale), nan=np.inf) for n in (a, b))
        return int(np.sum(ta < tb))

    def rank_counts(self, scale: float = 1.0) -> dict[str, tuple[int, int]]:
        """``{name: (times first, times last)}`` over the settings, by steps to stay below
        the target (ties share the place; runs that never get there share the last)."""
        times = np.nan_to_num(self.steps[:, self._scale_index(scale), :], nan=np.inf)
        first = times == times.min(axis=1, keepdims=True)
        last = times == times.max(axis=1, keepdims=True)
        return {name: (int(first[:, i].sum()), int(last[:, i].sum()))
                for i, name in enumerate(self.optimizers)}

    def diverged_in(self, name: str, scale: float) -> int:
        """In how many settings ``name``'s run at ``scale`` diverged."""
        return int(self.diverged[:, self._scale_index(scale), self._column(name)].sum())


def race_sweep(surface, starts: Sequence, offsets=GRID_OFFSETS, scales=(1.0,),
               optimizers=RACE_OPTIMIZERS, steps=100, target=1e-6, lrs=LR_GRID) -> RaceSweep:
    """Tune (``tune_lrs`` on ``lrs`` shifted by each offset, see ``shifted_grid``) and race
    ``optimizers`` from every point in ``starts`` (each (2,)) for ``steps`` updates, at every
    learning-rate scale in ``scales``; returns a ``RaceSweep`` of the measurements.

    Costs len(starts) * len(offsets) * len(optimizers) * (len(lrs) + len(scales)) runs, one
    fewer per optimizer and setting if ``scales`` holds 1.0 (that race is the tuning run).
    """
    surface = _as_surface(surface)
    starts = tuple(tuple(float(v) for v in as_float_array(p, "starts", ndim=1)) for p in starts)
    if not starts or any(len(p) != 2 for p in starts):
        raise ValueError("starts must list at least one point (x, y)")
    offsets = tuple(float(o) for o in offsets)
    scales = tuple(check_positive(s, "scales") for s in scales)
    if not offsets or not scales:
        raise ValueError("offsets and scales must each list at least one value")
    optimizers = tuple(optimizers)
    target = check_positive(target, "target")
    n, shape = len(starts) * len(offsets), (len(starts) * len(offsets), len(scales),
                                             len(optimizers))
    tuned = np.empty((n, len(optimizers)))
    times, finals, diverged = np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape, bool)
    lowest, rebound = np.empty(shape), np.empty(shape)
    setting = 0
    for start in starts:
        for offset in offsets:
            grid = shifted_grid(offset, lrs)
            for i, name in enumerate(optimizers):
                tuned[setting, i], tuned_path = _tuned_run(surface, name, grid, start, steps)
                for j, scale in enumerate(scales):  # at x1 the race is the tuning run itself
                    path = tuned_path if scale == 1.0 else run_optimizer(
                        surface, name, start, steps, scale * tuned[setting, i])
                    reached = steps_to_stay(path, target)
                    times[setting, j, i] = np.nan if reached is None else reached
                    finals[setting, j, i] = np.nan if path.diverged else path.losses[-1]
                    diverged[setting, j, i] = path.diverged
                    k = int(np.argmin(path.losses))
                    lowest[setting, j, i] = path.losses[k]
                    rebound[setting, j, i] = path.losses[k:].max()
            setting += 1
    return RaceSweep(surface.name, optimizers, starts, offsets, scales, target, tuned, times,
                     finals, diverged, lowest, rebound)


def tuned_times(surface, starts: Sequence, optimizer: str, offsets=GRID_OFFSETS, steps=100,
                target=1e-6, lrs=LR_GRID, **opt_kwargs) -> np.ndarray:
    """``race_sweep``'s measurement for one optimizer with other hyper-parameters: in every
    setting (every start (2,) in ``starts`` with every grid offset, start-major), tune the
    learning rate of ``optimizer`` built with ``opt_kwargs`` (e.g. ``betas=(0.45, 0.999)``)
    on the shifted grid and return its ``steps_to_stay`` below ``target``, (n_settings,),
    NaN where the tuned run never stays there.
    """
    surface = _as_surface(surface)
    target = check_positive(target, "target")
    starts = [as_float_array(p, "starts", ndim=1) for p in starts]
    if not starts or any(len(p) != 2 for p in starts):
        raise ValueError("starts must list at least one point (x, y)")
    times = []
    for start in starts:
        for offset in offsets:
            path = _tuned_run(surface, optimizer, shifted_grid(offset, lrs), start, steps,
                              **opt_kwargs)[1]
            reached = steps_to_stay(path, target)
            times.append(np.nan if reached is None else reached)
    return np.array(times, dtype=np.float64)


def train_optimizers(X, y, lrs: Mapping[str, float], seeds, sizes, epochs=10, batch_size=32,
                     validation=None, activation="relu", loss="softmax_cross_entropy"):
    """Train one MLP of layer ``sizes`` per optimizer in ``lrs`` (name -> learning rate) and per
    seed in ``seeds``: seed s draws the initial weights, seed s + 1 the shuffles, the same for
    every optimizer. X (n, n_features), y as ``training.train`` expects.

    Returns ``(histories, seconds)``: ``{name: [History per seed]}`` and
    ``{name: [wall-clock seconds per seed]}``.
    """
    if not isinstance(lrs, Mapping) or not lrs:
        raise ValueError("lrs must be a non-empty mapping of optimizer name -> learning rate")
    seeds = list(seeds)

    def run(name, seed):
        model = MLP(sizes, activation=activation, seed=seed)
        tic = time.perf_counter()
        history = train(model, X, y, loss=loss, optimizer=name, lr=lrs[name], epochs=epochs,
                        batch_size=batch_size, seed=seed + 1, validation=validation)
        return history, time.perf_counter() - tic

    histories, seconds = {}, {}
    for name in lrs:
        runs = over_seeds(lambda seed, name=name: run(name, seed), seeds)
        histories[name], seconds[name] = [h for h, _ in runs], [t for _, t in runs]
    return histories, seconds


def first_moment_estimates(gradients, beta1=0.9) -> np.ndarray:
    """Adam's running average m_t of ``gradients`` (T,) for one scalar parameter, without bias
    correction (m_0 = 0, m_t = beta1 m_{t-1} + (1 - beta1) g_t), shape (T,), as the library's
    Adam keeps it. Divide by 1 - beta1**t for the corrected estimate."""
    gradients = as_float_array(gradients, "gradients", ndim=1)
    adam = Adam([np.zeros(1)], lr=1.0, betas=(beta1, 0.999), bias_correction=False)
    moments = np.empty(len(gradients))
    for i, g in enumerate(gradients):
        adam.step([np.array([g])])
        moments[i] = adam.state[0]["exp_avg"][0]
    return moments


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
