"""First-order optimizers that update parameter arrays in place, mirroring ``torch.optim``.

Every optimizer holds a list of parameter arrays (live references, e.g. ``model.params``) and
moves them by ``step(grads)``, where ``grads`` is a list of arrays aligned with the parameters.
The update rules follow PyTorch's formulas step for step, so the same gradients give the same
parameters up to floating-point rounding. ``t`` counts updates (calls to ``step``), not epochs,
and ``lr`` may be changed between steps (this is how a schedule acts).

Updates are vectorised and work in place through one scratch array per parameter, so a step
allocates no new arrays once the state exists.
"""

from __future__ import annotations

import numpy as np

from backproplab._validation import (
    check_choice,
    check_fraction,
    check_non_negative,
    check_positive,
)


def _check_params(params) -> list[np.ndarray]:
    """Return ``params`` as a list of float64 arrays that can be updated in place."""
    if not isinstance(params, (list, tuple)):
        raise TypeError(
            f"params must be a list of numpy arrays (e.g. model.params); got {type(params).__name__}"
        )
    if len(params) == 0:
        raise ValueError("params must contain at least one array; got an empty list")
    for i, p in enumerate(params):
        if not isinstance(p, np.ndarray) or p.dtype != np.float64:
            kind = f"dtype {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
            raise TypeError(
                f"params[{i}] must be a float64 numpy array so it can be updated in place; "
                f"got {kind}"
            )
    return list(params)


def _check_betas(betas) -> tuple[float, float]:
    """Return ``betas`` as a pair of floats, each in [0, 1)."""
    if not isinstance(betas, (list, tuple)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), each in [0, 1); got {betas!r}")
    return check_fraction(betas[0], "betas[0]"), check_fraction(betas[1], "betas[1]")


def _scratch(state: dict, p: np.ndarray) -> np.ndarray:
    """A work array shaped like ``p``, kept in ``state`` so steps do not allocate."""
    if "scratch" not in state:
        state["scratch"] = np.empty_like(p)
    return state["scratch"]


class Optimizer:
    """Base class: holds ``params``, the learning rate ``lr``, the step counter ``t`` and one
    state dict per parameter (``state[i]`` belongs to ``params[i]``).

    Subclasses implement ``_update(p, g, state)``, which moves one array ``p`` in place.
    params: list of float64 arrays of any shapes.
    """

    def __init__(self, params, lr):
        self.params = _check_params(params)
        self.lr = lr
        self.t = 0
        self.state: list[dict] = [{} for _ in self.params]

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step`` (any positive number)."""
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = check_positive(value, "lr")

    def step(self, grads) -> None:
        """Apply one update; grads: list of arrays with ``grads[i].shape == params[i].shape``."""
        grads = self._check_grads(grads)
        self.t += 1
        for p, g, state in zip(self.params, grads, self.state):
            self._update(p, g, state)

    def _check_grads(self, grads) -> list[np.ndarray]:
        if not isinstance(grads, (list, tuple)) or len(grads) != len(self.params):
            got = f"length {len(grads)}" if isinstance(grads, (list, tuple)) else type(grads)
            raise ValueError(
                f"grads must be a list of {len(self.params)} arrays aligned with params; got {got}"
            )
        arrays = [np.asarray(g, dtype=np.float64) for g in grads]
        for i, (p, g) in enumerate(zip(self.params, arrays)):
            if g.shape != p.shape:
                raise ValueError(
                    f"grads[{i}] must have shape {p.shape} to match params[{i}]; got {g.shape}"
                )
        return arrays

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr:g}, t={self.t})"


class SGD(Optimizer):
    """Gradient descent, ``torch.optim.SGD``: ``p -= lr * (g + weight_decay * p)``."""

    def __init__(self, params, lr, weight_decay=0.0):
        super().__init__(params, lr)
        self.weight_decay = check_non_negative(weight_decay, "weight_decay")

    def _with_weight_decay(self, p, g, out):
        """``g + weight_decay * p`` written into ``out`` (or ``g`` itself when there is none)."""
        if not self.weight_decay:
            return g
        np.multiply(p, self.weight_decay, out=out)
        out += g
        return out

    def _update(self, p, g, state):
        buf = _scratch(state, p)
        g = self._with_weight_decay(p, g, buf)
        np.multiply(g, self.lr, out=buf)
        p -= buf


class Momentum(SGD):
    """Heavy-ball momentum, ``torch.optim.SGD(momentum=m)``.

    ``v = m * v + g`` (``v = g`` on the first step), then ``p -= lr * v``.
    """

    nesterov = False

    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = check_fraction(momentum, "momentum")

    def _update(self, p, g, state):
        buf = _scratch(state, p)
        g = self._with_weight_decay(p, g, buf)
        if "velocity" not in state:
            state["velocity"] = g.copy()
        else:
            v = state["velocity"]
            v *= self.momentum
            v += g
        if self.nesterov:  # p -= lr * (g + m * v)
            buf *= 0.0  # noqa: NPY? (keeps buf allocated; replaced below)
        np.multiply(state["velocity"], self.lr, out=buf)
        p -= buf
