"""The training loop: shuffled mini-batches, an optimizer, and a history of what happened.

``train`` checks every argument once, then repeats for each epoch: shuffle,
and for each mini-batch forward, loss, backward, (L2, clipping), optimizer
step. It records per epoch the training loss, accuracy for classification,
validation loss/accuracy, the learning rate and the mean |dW| of each weight
matrix. A loss that becomes inf or NaN stops training with an explanation in
``History.message`` instead of an exception: divergence is a lesson.
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backproplab._validation import (
    as_2d_float,
    as_float_array,
    as_generator,
    check_choice,
    check_non_negative,
    check_positive,
    check_positive_int,
)
from backproplab.clipping import clip_by_norm, clip_by_value
from backproplab.layers import Activation, Dense
from backproplab.losses import LOSSES, Loss, _prepared_targets, _unchecked_fns, get_loss
from backproplab.network import Sequential
from backproplab.optimizers import OPTIMIZERS, Optimizer, get_optimizer

__all__ = ["History", "accuracy", "minibatches", "train"]

CLASSIFICATION_LOSSES = ("bce", "bce_with_logits", "softmax_cross_entropy")
_BINARY_LOSSES = ("bce", "bce_with_logits")


@dataclass
class History:
    """What happened during ``train``; every list has one entry per completed epoch.

    loss : mean training loss over the epoch's samples (mini-batch losses
        before each update, weighted by batch size), including the L2 term
    accuracy : training accuracy measured the same way (classification only)
    val_loss, val_accuracy : on the validation set after each epoch
        (val_loss is the data loss, without the L2 term)
    lr : learning rate used in each epoch
    grad_stats : property, array (epochs, n_weight_matrices) of mean |dW| per
        weight matrix (input side first) on the last mini-batch of each epoch
    diverged, message : set when the loss became inf/NaN
    stopped_epoch : index of the epoch in which training stopped
    best_epoch : index of the epoch with the lowest val_loss (None without validation)
    steps : number of optimizer updates made
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_mean_abs: list[np.ndarray] = field(default_factory=list, repr=False)
    diverged: bool = False
    message: str = ""
    stopped_epoch: int | None = None
    best_epoch: int | None = None
    steps: int = 0

    @property
    def grad_stats(self) -> np.ndarray:
        """Mean |dW| per weight matrix and epoch, shape (epochs, n_weight_matrices)."""
        width = len(self.grad_mean_abs[0]) if self.grad_mean_abs else 0
        return np.array(self.grad_mean_abs, dtype=np.float64).reshape(-1, width)


# ----- mini-batches ----------------------------------------------------------------------------
def minibatches(*arrays, batch_size=None, shuffle=True, rng=None, seed=None):
    """Yield aligned mini-batches ``(a[idx], b[idx], ...)`` of arrays sharing their first axis.

    There are ceil(n / batch_size) batches, the last one possibly smaller;
    ``batch_size=None`` gives one full batch. With ``shuffle`` the rows are
    permuted by the generator first (a single full batch is left in order:
    the order of its rows does not change its gradient).
    """
    if not arrays:
        raise ValueError("minibatches needs at least one array")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"arrays must all have {n} rows; got {[len(a) for a in arrays]}")
    size = n if batch_size is None else check_positive_int(batch_size, "batch_size")
    if shuffle and size < n:
        order = as_generator(rng, seed).permutation(n)
        arrays = tuple(a[order] for a in arrays)
    for start in range(0, n, size):
        yield tuple(a[start:start + size] for a in arrays)


# ----- reading outputs and targets as classes ---------------------------------------------------
def _output_classes(output: np.ndarray, from_logits: bool) -> np.ndarray:
    """Predicted labels (n,): argmax of several outputs, a threshold on a single one."""
    if output.shape[1] > 1:
        return np.argmax(output, axis=1)
    return (output[:, 0] > (0.0 if from_logits else 0.5)).astype(np.int64)


def _target_classes(y: np.ndarray) -> np.ndarray:
    """True labels (n,) from labels (n,), binary targets (n, 1) or one-hot rows (n, k)."""
    if y.ndim == 1:
        return y.astype(np.int64)
    if y.shape[1] == 1:
        return (y[:, 0] > 0.5).astype(np.int64)
    return np.argmax(y, axis=1)


def _holds_labels(y: np.ndarray) -> bool:
    """True if y (n, k) holds 0/1 targets: one binary column or one-hot rows."""
    binary = bool(np.all((y == 0) | (y == 1)))
    return binary and (y.shape[1] == 1 or bool(np.all(y.sum(axis=1) == 1)))


def accuracy(model, X, y, loss=None) -> float:
    """Fraction of samples of X (n, n_features) whose predicted class matches y.

    y: labels (n,), binary targets (n, 1) or one-hot rows (n, k). A single
    output is thresholded at 0 if ``loss`` works on logits, else at 0.5
    (``loss=None`` uses ``model.output_is_logit``); several outputs use argmax.
    """
    X = as_2d_float(X, "X")
    y = as_float_array(y, "y")
    if len(y) != len(X) or y.ndim > 2:
        raise ValueError(f"y must have one entry per row of X ({len(X)}); got shape {y.shape}")
    from_logits = (
        getattr(model, "output_is_logit", False) if loss is None else get_loss(loss).from_logits
    )
    predicted = _output_classes(model.forward(X), from_logits)
    return float(np.mean(predicted == _target_classes(y)))


# ----- argument checks (run once per call of train) --------------------------------------------
def _check_model(model) -> tuple[int, int]:
    """Return (n_inputs, n_outputs) of a Sequential-like model."""
    needed = ("forward", "backward", "zero_grad", "params", "grads", "dense_layers")
    missing = [name for name in needed if not hasattr(model, name)]
    if missing:
        raise TypeError(
            f"model must be a backproplab Sequential (or MLP); {type(model).__name__} has no "
            f"{', '.join(missing)}"
        )
    dense = model.dense_layers()
    if not dense:
        raise ValueError("model must contain at least one Dense layer")
    return dense[0].params["W"].shape[0], dense[-1].params["W"].shape[1]


def _check_targets(y, n: int, k: int, loss: Loss, name: str) -> np.ndarray:
    """Return y in the shape ``loss`` expects for n samples and k outputs."""
    y = as_float_array(y, name)
    if len(y) != n:
        raise ValueError(f"{name} must have {n} rows, one per sample of X; got shape {y.shape}")
    if loss.name == "softmax_cross_entropy" and y.ndim == 1:
        if np.any(y != np.round(y)) or y.min() < 0 or y.max() >= k:
            raise ValueError(
                f"{name} must hold integer class labels in [0, {k}) for a model with {k} "
                f"outputs; got values in [{y.min():g}, {y.max():g}]"
            )
        return y.astype(np.int64)
    if loss.name == "softmax_cross_entropy" and y.ndim == 2 and (
        y.min() < 0 or not np.allclose(y.sum(axis=1), 1.0)
    ):
        raise ValueError(
            f"{name} rows must be probability distributions (non-negative, summing to 1)"
        )
    if y.ndim == 1 and k == 1:
        y = y[:, None]
    if y.shape != (n, k):
        raise ValueError(
            f"{name} must have shape ({n}, {k}) to match the model's {k} outputs for loss "
            f"'{loss.name}'; got shape {y.shape}"
        )
    if loss.name in _BINARY_LOSSES and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{name} must hold targets in [0, 1] for loss '{loss.name}'")
    return y


def _check_validation(validation, n_features: int, k: int, loss: Loss):
    if not isinstance(validation, list | tuple) or len(validation) != 2:
        raise TypeError("validation must be a tuple (X_val, y_val)")
    X_val = as_2d_float(validation[0], "validation X")
    if X_val.shape[1] != n_features:
        raise ValueError(
            f"validation X must have {n_features} columns like X; got shape {X_val.shape}"
        )
    return X_val, _check_targets(validation[1], len(X_val), k, loss, "validation y")


def _check_optional(value, name: str, check):
    return None if value is None else check(value, name)


def _make_optimizer(optimizer, model, lr: float, optimizer_kwargs) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if len(optimizer.params) != len(model.params) or any(
            p is not q for p, q in zip(optimizer.params, model.params, strict=True)
        ):
            raise ValueError("optimizer must be built on model.params (the same arrays)")
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(
            f"optimizer must be a name or an Optimizer; got {type(optimizer).__name__}"
        )
    check_choice(optimizer.lower(), "optimizer", OPTIMIZERS)
    kwargs = {} if optimizer_kwargs is None else optimizer_kwargs
    if not isinstance(kwargs, dict):
        raise TypeError(f"optimizer_kwargs must be a dict; got {type(kwargs).__name__}")
    if "lr" in kwargs:
        raise ValueError("optimizer_kwargs must not contain 'lr'; pass the learning rate as lr")
    return get_optimizer(optimizer, model.params, lr=lr, **kwargs)


def _check_callable(value, name: str):
    if not callable(value):
        raise TypeError(f"{name} must be callable; got {type(value).__name__}")
    return value


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


# ----- one optimisation step -------------------------------------------------------------------
def _replaced(obj, names) -> bool:
    """True if any of the methods ``names`` was replaced on the instance ``obj`` itself."""
    return any(name in vars(obj) for name in names)


def _plain_layers(model):
    """``model.layers`` if every step may use the layers' unchecked passes, else None.

    That holds for a plain ``Sequential`` of distinct ``Dense`` and ``Activation`` layers
    whose methods nobody replaced. Any other model (a subclass, a residual block, a layer
    used twice, a custom layer) takes its public, checked methods.
    """
    if type(model) is not Sequential or _replaced(model, ("forward", "backward", "zero_grad")):
        return None
    layers = model.layers
    if len({id(layer) for layer in layers}) != len(layers) or any(
        type(layer) not in (Dense, Activation) or _replaced(layer, ("forward", "backward"))
        for layer in layers
    ):
        return None
    return list(layers)


class _Stepper:
    """Forward, loss, backward, L2, clipping and update for one mini-batch.

    ``train`` has checked X, y and every setting once, so for the library's own layers,
    losses and optimizers each step calls their unchecked internals (no re-validation, no
    input gradient for the first layer, gradients written rather than zeroed and added);
    the numbers are the same as through the public methods.
    """

    def __init__(self, model, loss: Loss, optimizer: Optimizer, l2, clip_value, clip_norm):
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.l2, self.clip_value, self.clip_norm = l2, clip_value, clip_norm
        self.params = model.params
        self.is_weight = [p.ndim == 2 for p in self.params]
        self.weights = [p for p in self.params if p.ndim == 2]
        self.layers = _plain_layers(model)
        self.grads = model.grads
        self.loss_value, self.loss_grad = _unchecked_fns(loss)
        plain_step = type(optimizer).step is Optimizer.step
        self.update = optimizer._apply if plain_step else optimizer.step

    def _forward(self, X):
        if self.layers is None:
            self.model.zero_grad()
            return self.model.forward(X)
        for layer in self.layers:
            X = layer._train_forward(X)
        return X

    def _backward(self, grad) -> list[np.ndarray]:
        """Backpropagate dL/d(output); return the parameter gradients aligned with params."""
        if self.layers is None:
            self.model.backward(grad)
            return self.model.grads
        for layer in reversed(self.layers[1:]):
            grad = layer._train_backward(grad, input_grad=True)
        self.layers[0]._train_backward(grad, input_grad=False)
        return self.grads

    def _no_update(self, value: float, output: np.ndarray) -> tuple[float, np.ndarray]:
        """Leave the gradients at zero, as after ``zero_grad`` with no backward pass."""
        if self.layers is not None:
            self.model.zero_grad()
        return value, output

    def __call__(self, X_batch, y_batch) -> tuple[float, np.ndarray]:
        """Return (loss before the update, output); a non-finite loss makes no update."""
        output = self._forward(X_batch)
        if not np.isfinite(output).all():
            return self._no_update(math.inf if np.any(np.isinf(output)) else math.nan, output)
        value = self.loss_value(output, y_batch)
        if self.l2:
            value += 0.5 * self.l2 * sum(float(np.vdot(W, W)) for W in self.weights)
        if not math.isfinite(value):
            return self._no_update(value, output)
        grads = self._backward(self.loss_grad(output, y_batch))
        if self.l2:
            grads = [
                g + self.l2 * p if weight else g
                for g, p, weight in zip(grads, self.params, self.is_weight, strict=True)
            ]
        if self.clip_value is not None:
            grads = clip_by_value(grads, self.clip_value)
        if self.clip_norm is not None:
            grads = clip_by_norm(grads, self.clip_norm)
        self.update(grads)
        return value, output

    def grad_mean_abs(self) -> np.ndarray:
        """Mean |dW| of each weight matrix from the last backward pass (data loss only)."""
        pairs = zip(self.model.grads, self.is_weight, strict=True)
        return np.array([np.abs(g).sum() / g.size for g, weight in pairs if weight])

    def evaluate(self, X, y) -> tuple[float, float]:
        """(data loss, accuracy) on a whole data set with the current weights."""
        output = self.model.forward(X)
        if not np.all(np.isfinite(output)):
            return math.nan, math.nan
        predicted = _output_classes(output, self.loss.from_logits)
        return self.loss.value(output, y), float(np.mean(predicted == _target_classes(y)))


def _divergence_message(epoch: int, update: int, lr: float, loss_value: float) -> str:
    what = "nan" if math.isnan(loss_value) else "inf"
    if update == 1:
        cause = (
            "it is not finite even before the first update, so check the scale of X and y "
            f"and of the initial weights (the learning rate is {lr:g})"
        )
    else:
        cause = (
            f"the learning rate ({lr:g}) is probably too large: each update overshoots and "
            f"the weights grow without bound; try lr={lr / 10:g}, gradient clipping or a "
            "decaying schedule"
        )
    return f"training diverged at epoch {epoch} (update {update}): loss became {what}; {cause}"


def _train_epoch(step, history, epoch, batches, n_samples, classify) -> bool:
    """Run the updates of one epoch and record its loss/accuracy; False if the loss diverged."""
    total_loss = correct = 0.0
    for X_batch, y_batch, classes in batches:
        value, output = step(X_batch, y_batch)
        if not math.isfinite(value):
            history.diverged = True
            history.message = _divergence_message(
                epoch, history.steps + 1, step.optimizer.lr, value
            )
            return False
        history.steps += 1
        total_loss += value * len(X_batch)
        if classify:
            correct += np.count_nonzero(
                _output_classes(output, step.loss.from_logits) == classes
            )
    history.loss.append(total_loss / n_samples)
    if classify:
        history.accuracy.append(correct / n_samples)
    history.lr.append(step.optimizer.lr)
    history.grad_mean_abs.append(step.grad_mean_abs())
    return True


def _improved(val_loss: float, history: History) -> bool:
    """True if a finite ``val_loss`` beats the best one recorded so far."""
    best = history.best_epoch
    return math.isfinite(val_loss) and (best is None or val_loss < history.val_loss[best])


def _last_best(history: History) -> int:
    return -1 if history.best_epoch is None else history.best_epoch


def _scheduled_lr(schedule, epoch: int) -> float:
    lr = schedule(epoch)
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf:
        raise ValueError(
            f"schedule must return a positive learning rate; got {lr!r} at epoch {epoch}"
        )
    return float(lr)


class _Progress:
    """A one-line progress report: rewritten in place with a carriage return in a terminal,
    and as one updated display in a notebook (so a saved or published notebook keeps one
    line, the last, rather than one line per update)."""

    def __init__(self, epochs: int, enabled: bool):
        self.epochs, self.enabled, self.last = epochs, enabled, -math.inf
        self.display = None

    def show(self, epoch: int, history: History, final: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not final and now - self.last < 0.2):
            return
        self.last = now
        line = f"epoch {epoch + 1}/{self.epochs}"
        if history.loss:
            line += f"  loss {history.loss[-1]:.4g}"
        if history.val_accuracy:
            line += f"  val acc {history.val_accuracy[-1]:.3f}"
        if final and history.diverged:
            line += "\n" + history.message
        if _in_notebook():
            self._update_display(line)
        else:
            sys.stdout.write(f"\r{line:<60}" + ("\n" if final else ""))
            sys.stdout.flush()

    def _update_display(self, line: str) -> None:
        from IPython.display import display

        if self.display is None:
            self.display = display({"text/plain": line}, raw=True, display_id=True)
        else:
            self.display.update({"text/plain": line}, raw=True)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where outputs are messages, not a terminal)."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")


# ----- the loop --------------------------------------------------------------------------------
def train(
    model,
    X,
    y,
    loss="mse",
    optimizer="sgd",
    lr=0.1,
    epochs=100,
    batch_size=None,
    shuffle=True,
    rng=None,
    seed=None,
    validation=None,
    schedule: Callable | None = None,
    clip_value=None,
    clip_norm=None,
    l2=0.0,
    early_stopping=None,
    callback: Callable | None = None,
    optimizer_kwargs=None,
    progress=False,
) -> History:
    """Train ``model`` on X (n, n_features) and y, updating its parameters in place.

    Parameters
    ----------
    y : targets in the shape the loss expects: (n, k) for k outputs ((n,) is
        accepted for one output), or integer labels (n,) for softmax_cross_entropy
    loss : a name from ``backproplab.losses.LOSSES`` or a ``Loss``
    optimizer : a name from ``backproplab.optimizers.OPTIMIZERS`` (built with
        ``lr`` and ``optimizer_kwargs``) or an ``Optimizer`` already built on
        ``model.params`` (then ``lr`` and ``optimizer_kwargs`` are not used)
    epochs : number of passes over the data (epochs are numbered from 0)
    batch_size : rows per mini-batch, 1 <= batch_size <= n; None = full batch;
        an epoch makes ceil(n / batch_size) updates
    shuffle, rng, seed : reshuffle the rows every epoch with this generator
    validation : (X_val, y_val) evaluated after every epoch
    schedule : callable epoch -> learning rate, applied at the start of each epoch
    clip_value, clip_norm : clip each gradient entry to [-clip_value, clip_value]
        and/or rescale the gradients to global norm <= clip_norm (in that order)
    l2 : adds 0.5 * l2 * sum(W**2) over the weight matrices (not the biases)
        to the loss and l2 * W to their gradients
    early_stopping : patience in epochs; stop when val_loss has not improved
        for that many epochs, then restore the weights of the best epoch
        (needs ``validation``)
    callback : called as callback(epoch, history) after every epoch
    progress : print a one-line progress report (terminal and notebook)

    Returns a :class:`History`. A non-finite loss stops training without an
    exception: that update is not made, ``diverged`` is True and ``message``
    names the epoch, the update and the learning rate.
    """
    n_inputs, k = _check_model(model)
    X = as_2d_float(X, "X")
    if X.shape[1] != n_inputs:
        raise ValueError(
            f"X must have {n_inputs} columns for a model with {n_inputs} inputs; got shape "
            f"{X.shape}"
        )
    if isinstance(loss, str):
        check_choice(loss, "loss", LOSSES)
    loss = get_loss(loss)
    y = _check_targets(y, len(X), k, loss, "y")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
        if batch_size > len(X):
            raise ValueError(
                f"batch_size must be at most the number of samples ({len(X)}); got {batch_size}"
            )
    epochs = check_positive_int(epochs, "epochs")
    lr = check_positive(lr, "lr")
    l2 = check_non_negative(l2, "l2")
    clip_value = _check_optional(clip_value, "clip_value", check_positive)
    clip_norm = _check_optional(clip_norm, "clip_norm", check_positive)
    early_stopping = _check_optional(early_stopping, "early_stopping", check_positive_int)
    schedule = _check_optional(schedule, "schedule", _check_callable)
    callback = _check_optional(callback, "callback", _check_callable)
    shuffle = _check_bool(shuffle, "shuffle")
    report = _Progress(epochs, _check_bool(progress, "progress"))
    if validation is not None:
        validation = _check_validation(validation, X.shape[1], k, loss)
    elif early_stopping is not None:
        raise ValueError("early_stopping needs validation=(X_val, y_val) to watch")
    rng = as_generator(rng, seed)
    optimizer = _make_optimizer(optimizer, model, lr, optimizer_kwargs)

    model.output_is_logit = loss.from_logits
    step = _Stepper(model, loss, optimizer, l2, clip_value, clip_norm)
    classify = loss.name in CLASSIFICATION_LOSSES or _holds_labels(y)
    y_classes = _target_classes(y) if classify else np.zeros(len(y))
    y_batches = _prepared_targets(loss, y, k)
    history, best_params = History(), None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(epochs):
            history.stopped_epoch = epoch
            if schedule is not None:
                optimizer.lr = _scheduled_lr(schedule, epoch)
            batches = minibatches(
                X, y_batches, y_classes, batch_size=batch_size, shuffle=shuffle, rng=rng
            )
            if not _train_epoch(step, history, epoch, batches, len(X), classify):
                break
            if validation is not None:
                val_loss, val_accuracy = step.evaluate(*validation)
                history.val_loss.append(val_loss)
                if classify:
                    history.val_accuracy.append(val_accuracy)
                if _improved(val_loss, history):
                    history.best_epoch = epoch
                    if early_stopping is not None:
                        best_params = [p.copy() for p in step.params]
            if callback is not None:
                callback(epoch, history)
            report.show(epoch, history)
            if early_stopping is not None and epoch - _last_best(history) >= early_stopping:
                break
    if best_params is not None:
        for p, best in zip(step.params, best_params, strict=True):
            p[...] = best
    report.show(history.stopped_epoch, history, final=True)
    return history
