"""First-order optimizers that update parameter arrays in place, mirroring ``torch.optim``.

Every optimizer holds a list of parameter arrays (live references, e.g. ``model.params``) and
moves them by ``step(grads)``, where ``grads`` is a list of arrays aligned with the parameters.
The update rules follow PyTorch's formulas step for step, so the same gradients give the same
parameters up to floating-point rounding. ``t`` counts updates (calls to ``step``), not epochs,
and ``lr`` may be changed between steps (this is how a schedule acts).

Updates are vectorised and in place: intermediate results go into work arrays kept in the
optimizer's state, so a step allocates no new arrays once the state exists.
"""

from __future__ import annotations

import math

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
            "params must be a list of numpy arrays (e.g. model.params); "
            f"got {type(params).__name__}"
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


def _state_array(state: dict, key: str, like: np.ndarray) -> np.ndarray:
    """The array ``state[key]``, created as zeros shaped like ``like`` on first use."""
    if key not in state:
        state[key] = np.zeros_like(like)
    return state[key]


def _add_weight_decay(p, g, weight_decay, out):
    """``g + weight_decay * p`` (the gradient of an extra L2 term) written into ``out``.

    Returns ``g`` itself when ``weight_decay`` is zero; ``g`` is never modified.
    """
    if not weight_decay:
        return g
    np.multiply(p, weight_decay, out=out)
    out += g
    return out


class Optimizer:
    """Base class: holds ``params``, the learning rate ``lr``, the step counter ``t`` and one
    state dict per parameter (``state[i]`` belongs to ``params[i]``).

    params: list of float64 arrays of any shapes, moved in place by ``step``.
    Subclasses implement ``_update(p, g, state)`` for one array ``p`` and its gradient ``g``.
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
        self._apply(self._check_grads(grads))

    def _apply(self, grads) -> None:
        """``step`` without checks: grads are float64 arrays shaped like the params."""
        self.t += 1
        for p, g, state in zip(self.params, grads, self.state, strict=True):
            self._update(p, g, state)

    def _check_grads(self, grads) -> list[np.ndarray]:
        if not isinstance(grads, (list, tuple)) or len(grads) != len(self.params):
            got = f"length {len(grads)}" if isinstance(grads, (list, tuple)) else type(grads)
            raise ValueError(
                f"grads must be a list of {len(self.params)} arrays aligned with params; got {got}"
            )
        arrays = [np.asarray(g, dtype=np.float64) for g in grads]
        for i, (p, g) in enumerate(zip(self.params, arrays, strict=True)):
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

    def _update(self, p, g, state):
        buf = _state_array(state, "scratch", p)
        g = _add_weight_decay(p, g, self.weight_decay, out=buf)
        np.multiply(g, self.lr, out=buf)
        p -= buf


class Momentum(SGD):
    """Heavy-ball momentum, ``torch.optim.SGD(momentum=m)``.

    ``v = m * v + g`` (``v = g`` on the first step), then ``p -= lr * v``. The default
    ``momentum=0.9`` is the customary choice; ``torch.optim.SGD`` itself defaults to 0.
    """

    nesterov = False

    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = check_fraction(momentum, "momentum")

    def _update(self, p, g, state):
        buf = _state_array(state, "scratch", p)
        g = _add_weight_decay(p, g, self.weight_decay, out=buf)
        if "velocity" in state:
            v = state["velocity"]
            v *= self.momentum
            v += g
        else:
            v = state["velocity"] = g.copy()
        if self.nesterov:  # p -= lr * (g + m * v), in two passes
            np.multiply(g, self.lr, out=buf)
            p -= buf
            np.multiply(v, self.lr * self.momentum, out=buf)
        else:
            np.multiply(v, self.lr, out=buf)
        p -= buf


class Nesterov(Momentum):
    """Nesterov momentum, ``torch.optim.SGD(momentum=m, nesterov=True)``.

    ``v = m * v + g``, then ``p -= lr * (g + m * v)``: the step looks ahead along the velocity.
    """

    nesterov = True


def _scaled_step(p, g, mean_square, buf, lr, eps) -> None:
    """``p -= lr * g / (sqrt(mean_square) + eps)`` in place, using ``buf`` as scratch."""
    np.sqrt(mean_square, out=buf)
    buf += eps
    np.divide(g, buf, out=buf)
    buf *= lr
    p -= buf


class AdaGrad(Optimizer):
    """``torch.optim.Adagrad``: ``s += g**2``, then ``p -= lr * g / (sqrt(s) + eps)``."""

    def __init__(self, params, lr=0.01, eps=1e-10):
        super().__init__(params, lr)
        self.eps = check_positive(eps, "eps")

    def _update(self, p, g, state):
        buf = _state_array(state, "scratch", p)
        sum_sq = _state_array(state, "sum_sq", p)
        np.multiply(g, g, out=buf)
        sum_sq += buf
        _scaled_step(p, g, sum_sq, buf, self.lr, self.eps)


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``: ``s = alpha s + (1 - alpha) g**2``, then
    ``p -= lr * g / (sqrt(s) + eps)``."""

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8):
        super().__init__(params, lr)
        self.alpha = check_fraction(alpha, "alpha")
        self.eps = check_positive(eps, "eps")

    def _update(self, p, g, state):
        buf = _state_array(state, "scratch", p)
        square_avg = _state_array(state, "square_avg", p)
        np.multiply(g, g, out=buf)
        buf *= 1.0 - self.alpha
        square_avg *= self.alpha
        square_avg += buf
        _scaled_step(p, g, square_avg, buf, self.lr, self.eps)


class Adam(Optimizer):
    """``torch.optim.Adam``; ``weight_decay`` adds ``weight_decay * p`` to the gradient (L2).

    ``m = b1 m + (1 - b1) g`` and ``v = b2 v + (1 - b2) g**2``; with bias correction
    ``p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)``, so the first step is
    ``lr * g / (|g| + eps)``. With ``bias_correction=False`` the update is
    ``p -= lr * m / (sqrt(v) + eps)``: m and v start at zero, so under a steady gradient the
    step at update t is off by the factor (1 - b1**t) / sqrt(1 - b2**t). With the default
    betas that is (1 - b1) / sqrt(1 - b2) = 3.2 at t = 1 only; it peaks at 6.6 at t = 12 and
    stays above 2 until t = 287, then falls towards 1 from above (1.26 at t = 1,000).
    """

    def __init__(
        self,
        params,
        lr=0.001,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        bias_correction=True,
    ):
        super().__init__(params, lr)
        self.betas = _check_betas(betas)
        self.eps = check_positive(eps, "eps")
        self.weight_decay = check_non_negative(weight_decay, "weight_decay")
        if not isinstance(bias_correction, bool):
            raise TypeError(f"bias_correction must be True or False; got {bias_correction!r}")
        self.bias_correction = bias_correction

    def _update(self, p, g, state):
        g = _add_weight_decay(p, g, self.weight_decay, out=_state_array(state, "l2_grad", p))
        self._adam_step(p, g, state)

    def _update_moments(self, g, state, buf):
        """Update and return the running averages (m, v) of g and g**2; ``buf`` is scratch."""
        beta1, beta2 = self.betas
        m = _state_array(state, "exp_avg", g)
        v = _state_array(state, "exp_avg_sq", g)
        np.multiply(g, 1.0 - beta1, out=buf)
        m *= beta1
        m += buf
        np.multiply(g, g, out=buf)
        buf *= 1.0 - beta2
        v *= beta2
        v += buf
        return m, v

    def _adam_step(self, p, g, state):
        beta1, beta2 = self.betas
        buf = _state_array(state, "scratch", p)
        m, v = self._update_moments(g, state, buf)
        step_size = self.lr
        np.sqrt(v, out=buf)
        if self.bias_correction:
            step_size /= 1.0 - beta1**self.t
            buf /= math.sqrt(1.0 - beta2**self.t)
        buf += self.eps
        np.divide(m, buf, out=buf)
        buf *= step_size
        p -= buf


class AdamW(Adam):
    """``torch.optim.AdamW``: decoupled weight decay ``p *= 1 - lr * weight_decay``, then Adam.

    As in PyTorch the decay per step is ``lr * weight_decay``, so it follows ``lr`` when a
    schedule changes it. Loshchilov & Hutter's AdamW decays by ``eta_t * weight_decay``, where
    eta_t is the schedule multiplier alone (1 at a constant learning rate), not by
    ``lr * weight_decay``: their lambda equals this class's ``lr * weight_decay`` / eta_t.
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps, weight_decay)

    def _update(self, p, g, state):
        p *= 1.0 - self.lr * self.weight_decay
        self._adam_step(p, g, state)


class Nadam(Adam):
    """``torch.optim.NAdam``: Adam with a Nesterov look-ahead on the first moment.

    The momentum coefficient warms up as ``mu_t = b1 * (1 - 0.5 * 0.96**(t * momentum_decay))``:
    with the defaults 0.45 at t = 1, 0.52 at t = 1,000 and 0.81 at t = 10,000, so for the first
    hundreds of updates Nadam runs at about half of ``b1``;
    ``weight_decay`` is an L2 term added to the gradient, as in Adam.
    """

    def __init__(
        self,
        params,
        lr=0.002,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
    ):
        super().__init__(params, lr, betas, eps, weight_decay)
        self.momentum_decay = check_non_negative(momentum_decay, "momentum_decay")

    def _mu(self, t: int) -> float:
        return self.betas[0] * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _update(self, p, g, state):
        g = _add_weight_decay(p, g, self.weight_decay, out=_state_array(state, "l2_grad", p))
        buf = _state_array(state, "scratch", p)
        denom = _state_array(state, "denom", p)
        mu, mu_next = self._mu(self.t), self._mu(self.t + 1)
        mu_product = state["mu_product"] = state.get("mu_product", 1.0) * mu
        m, v = self._update_moments(g, state, buf)
        np.divide(v, 1.0 - self.betas[1] ** self.t, out=denom)
        np.sqrt(denom, out=denom)
        denom += self.eps
        np.divide(g, denom, out=buf)
        buf *= self.lr * (1.0 - mu) / (1.0 - mu_product)
        p -= buf
        np.divide(m, denom, out=buf)
        buf *= self.lr * mu_next / (1.0 - mu_product * mu_next)
        p -= buf


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "nadam": Nadam,
}


def get_optimizer(name, params, **kwargs) -> Optimizer:
    """Build an optimizer over ``params`` (list of float64 arrays, updated in place).

    name: a key of ``OPTIMIZERS`` (case-insensitive) or an ``Optimizer`` subclass;
    kwargs go to its constructor (lr, momentum, betas, ...).
    """
    if isinstance(name, type) and issubclass(name, Optimizer):
        return name(params, **kwargs)
    if isinstance(name, str):
        name = name.lower()
    check_choice(name, "optimizer", OPTIMIZERS)
    return OPTIMIZERS[name](params, **kwargs)
