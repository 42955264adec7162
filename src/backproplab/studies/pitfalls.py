"""Chapter 7's experiments over seeds: one recipe trained with several seeds, and their spread.

A training run is chaotic, so a pitfall and its fix are each trained for several seeds (the
seed sets both the initial weights and the shuffling order) with :func:`runs_over_seeds`, and
the chapter quotes what all of them reach: :func:`final_spread` (a
``backproplab.studies.seeds.Spread`` of the last value of a History curve),
:func:`diverged_fraction`, and :func:`largest_fall` (how far a curve ever fell below its
best). :func:`over_splits` does the same for the whole evaluation
protocol: a new train/validation/test split per seed, a network trained on it, the test
accuracy measured once. :func:`noisy_labels` makes the label noise of the overfitting pitfall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from backproplab._validation import as_2d_float, check_positive_int
from backproplab.data import train_val_test_split
from backproplab.network import MLP
from backproplab.studies.seeds import Spread, over_seeds, spread
from backproplab.training import History, accuracy, train

__all__ = [
    "SeedRun",
    "SplitRun",
    "diverged_fraction",
    "final_spread",
    "largest_fall",
    "noisy_labels",
    "over_splits",
    "runs_over_seeds",
]


@dataclass(frozen=True)
class SeedRun:
    """One seed's training run: the seed, the trained model and its History."""

    seed: int
    model: object
    history: History


def runs_over_seeds(build: Callable[[int], object], X, y, seeds: Iterable[int],
                    **recipe) -> list[SeedRun]:
    """Train ``build(seed)`` on X (n, n_features) and y with ``train(..., seed=seed, **recipe)``.

    build : a function of the seed that returns a fresh model (the seed of its initial
        weights, e.g. ``lambda seed: MLP(sizes, seed=seed)``).
    recipe : the other keyword arguments of ``backproplab.training.train``; the same seed
        sets the shuffling order, so ``seed`` must not be among them.
    Returns one :class:`SeedRun` per seed, in the order of ``seeds``.
    """
    if not callable(build):
        raise TypeError(f"build must be a function of the seed; got {type(build).__name__}")
    if "seed" in recipe or "rng" in recipe:
        raise ValueError("recipe must not set seed or rng: each run's seed comes from seeds")

    def run(seed: int) -> SeedRun:
        model = build(seed)
        return SeedRun(seed, model, train(model, X, y, seed=seed, **recipe))

    return over_seeds(run, seeds)


def _histories(runs) -> list[History]:
    runs = list(runs)
    if not runs:
        raise ValueError("runs must hold at least one run")
    histories = [run.history if isinstance(run, SeedRun) else run for run in runs]
    if not all(isinstance(h, History) for h in histories):
        raise ValueError("runs must be SeedRuns or training Histories")
    return histories


def diverged_fraction(runs) -> float:
    """Share of ``runs`` (SeedRuns or Histories) whose loss stopped being finite."""
    return float(np.mean([h.diverged for h in _histories(runs)]))


def final_spread(runs, curve: str = "val_accuracy") -> Spread:
    """The spread over ``runs`` of the last value of the History curve ``curve``.

    curve : "loss", "accuracy", "val_loss" or "val_accuracy". A run that diverged has no
    honest last value: count it with :func:`diverged_fraction` instead (a ValueError here).
    """
    if curve not in ("loss", "accuracy", "val_loss", "val_accuracy"):
        raise ValueError(f"curve must be loss, accuracy, val_loss or val_accuracy; got {curve!r}")
    histories = _histories(runs)
    if any(h.diverged for h in histories):
        raise ValueError("runs must not have diverged; count those with diverged_fraction")
    if any(not getattr(h, curve) for h in histories):
        raise ValueError(f"every run must have recorded {curve} (train with validation=...)")
    return spread(getattr(h, curve)[-1] for h in histories)


def largest_fall(curve) -> float:
    """The largest fall of a curve (epochs,) below its best so far: max_t (max_{s<=t} c_s - c_t).

    For a validation-accuracy curve it measures how far a run ever collapsed after having
    done better; 0 for a curve that never goes down.
    """
    values = np.asarray(curve, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"curve must be a non-empty 1-D sequence of finite numbers; got shape "
                         f"{values.shape}")
    return float(np.max(np.maximum.accumulate(values) - values))


@dataclass(frozen=True)
class SplitRun:
    """One seed of :func:`over_splits`: its model, History and held-out accuracies.

    val_accuracy is that of the weights kept (the best epoch when early stopping restored
    them); test_accuracy is measured once, on test_size images. validation is the split's
    (X_val, y_val), for looking at the model's mistakes.
    """

    seed: int
    model: object
    history: History
    val_accuracy: float
    test_accuracy: float
    test_size: int
    validation: tuple[np.ndarray, np.ndarray]


def over_splits(X, y, sizes: Sequence[int], seeds: Iterable[int], val: float = 0.15,
                test: float = 0.15, **recipe) -> list[SplitRun]:
    """For each seed: split X (n, n_features), y (n,) with that seed, train, test once.

    The seed sets the stratified split (``train_val_test_split``), the initial weights of
    ``MLP(sizes)`` and the shuffling order. ``recipe`` holds the other keyword arguments of
    ``backproplab.training.train`` (loss, optimizer, lr, early_stopping, ...); the validation
    set is the split's own.
    """
    X = as_2d_float(X, "X")
    if "seed" in recipe or "rng" in recipe or "validation" in recipe:
        raise ValueError("recipe must not set seed, rng or validation: over_splits sets them")

    def run(seed: int) -> SplitRun:
        X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
            X, y, val=val, test=test, seed=seed)
        model = MLP(list(sizes), seed=seed)
        history = train(model, X_train, y_train, seed=seed, validation=(X_val, y_val), **recipe)
        loss = recipe.get("loss")
        return SplitRun(seed, model, history, accuracy(model, X_val, y_val, loss),
                        accuracy(model, X_test, y_test, loss), len(y_test), (X_val, y_val))

    return over_seeds(run, seeds)


def noisy_labels(y, noise: float, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A copy of integer labels y (n,) in which each label is wrong with probability ``noise``.

    A wrong label is drawn uniformly from the other ``n_classes - 1`` classes. Returns the
    noisy labels (n,) and the boolean mask (n,) of the labels that were changed.
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"y must be a 1-D array of integer labels; got {labels.dtype} with "
                         f"shape {labels.shape}")
    k = check_positive_int(n_classes, "n_classes")
    if k < 2 or labels.min(initial=0) < 0 or labels.max(initial=0) >= k:
        raise ValueError(f"y must hold labels from 0 to n_classes - 1 with n_classes >= 2; "
                         f"got n_classes={k} and labels up to {labels.max(initial=0)}")
    if not 0 <= noise <= 1:
        raise ValueError(f"noise must be a probability from 0 to 1; got {noise!r}")
    rng = np.random.default_rng(seed)
    changed = rng.random(len(labels)) < noise
    noisy = labels.copy()
    noisy[changed] = (noisy[changed] + rng.integers(1, k, changed.sum())) % k
    return noisy, changed
