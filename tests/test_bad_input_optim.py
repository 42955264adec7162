"""Bad input to optimizers, schedules, clipping and surfaces: each raises ValueError or
TypeError with a message that names the offending argument."""

import numpy as np
import pytest

from backproplab.clipping import clip_by_norm, clip_by_value
from backproplab.optimizers import SGD, AdaGrad, Adam, Momentum, Nadam, RMSprop, get_optimizer
from backproplab.schedules import cosine_annealing, exponential_decay, get_schedule, step_decay
from backproplab.studies.surfaces import (
    Quadratic,
    gd_theory,
    get_surface,
    measured_rate,
    momentum_theory,
    run_optimizer,
)


def params():
    return [np.zeros(3), np.zeros((2, 2))]


def set_lr(value):
    SGD(params(), lr=0.1).lr = value


def step_with(grads):
    SGD(params(), lr=0.1).step(grads)


BAD_INPUT = {
    "lr zero": (lambda: SGD(params(), lr=0.0), ValueError, r"lr must be a positive"),
    "lr negative": (lambda: Adam(params(), lr=-1e-3), ValueError, r"lr must be a positive"),
    "lr not a number": (lambda: SGD(params(), lr="0.1"), TypeError, r"lr must be"),
    "lr set to zero later": (lambda: set_lr(0), ValueError, r"lr must be a positive"),
    "lr set to nan later": (lambda: set_lr(float("nan")), ValueError, r"lr must be a positive"),
    "momentum negative": (
        lambda: Momentum(params(), lr=0.1, momentum=-0.1), ValueError, r"momentum must be in",
    ),
    "momentum one": (
        lambda: get_optimizer("nesterov", params(), lr=0.1, momentum=1.0),
        ValueError,
        r"momentum must be in \[0, 1\)",
    ),
    "beta1 one": (lambda: Adam(params(), betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
    "beta2 negative": (lambda: Nadam(params(), betas=(0.9, -0.5)), ValueError, r"betas\[1\]"),
    "betas not a pair": (lambda: Adam(params(), betas=0.9), ValueError, r"betas must be a pair"),
    "eps zero": (lambda: Adam(params(), eps=0.0), ValueError, r"eps must be a positive"),
    "eps negative": (lambda: AdaGrad(params(), eps=-1e-10), ValueError, r"eps must be a positive"),
    "alpha one": (lambda: RMSprop(params(), alpha=1.0), ValueError, r"alpha must be in"),
    "weight decay negative": (
        lambda: SGD(params(), lr=0.1, weight_decay=-0.01), ValueError, r"weight_decay",
    ),
    "bias_correction not bool": (
        lambda: Adam(params(), bias_correction="no"), TypeError, r"bias_correction",
    ),
    "unknown optimizer": (
        lambda: get_optimizer("adamm", params()), ValueError, r"unknown optimizer 'adamm'.*adam",
    ),
    "params a bare array": (lambda: SGD(np.zeros(3), lr=0.1), TypeError, r"params must be a list"),
    "params empty": (lambda: SGD([], lr=0.1), ValueError, r"params must contain"),
    "params float32": (
        lambda: SGD([np.zeros(2), np.zeros(2, np.float32)], lr=0.1), TypeError, r"params\[1\]",
    ),
    "grads wrong length": (
        lambda: step_with([np.zeros(3)]), ValueError, r"grads must be a list of 2 arrays",
    ),
    "grads not a list": (lambda: step_with(np.zeros(3)), ValueError, r"grads must be a list"),
    "grads shape mismatch": (
        lambda: step_with([np.zeros(3), np.zeros(4)]), ValueError, r"grads\[1\] must have shape",
    ),
    "unknown surface": (lambda: get_surface("bowel"), ValueError, r"unknown surface 'bowel'"),
    "unknown surface in run": (
        lambda: run_optimizer("ridge", start=(0, 0)), ValueError, r"unknown surface",
    ),
    "surface of wrong type": (lambda: run_optimizer(42), TypeError, r"surface must be"),
    "start not finite": (
        lambda: run_optimizer("bowl", start=(np.nan, 0.0)), ValueError, r"start must contain",
    ),
    "start wrong shape": (
        lambda: run_optimizer("bowl", start=(1.0, 2.0, 3.0)), ValueError, r"start must have shape",
    ),
    "steps zero": (lambda: run_optimizer("bowl", steps=0), ValueError, r"steps must be"),
    "steps float": (lambda: run_optimizer("bowl", steps=10.5), TypeError, r"steps must be"),
    "run lr zero": (lambda: run_optimizer("bowl", lr=0.0), ValueError, r"lr must be"),
    "unknown optimizer in run": (
        lambda: run_optimizer("bowl", optimizer="newton"), ValueError, r"unknown optimizer",
    ),
    "point wrong shape": (lambda: get_surface("saddle").f([1.0]), ValueError, r"p must have"),
    "grid not 1-D": (
        lambda: get_surface("bowl").value_grid(np.zeros((2, 2)), np.zeros(3)), ValueError, r"xs",
    ),
    "eigenvalue negative": (lambda: Quadratic((1.0, -2.0)), ValueError, r"eigenvalues must"),
    "rotation not a number": (
        lambda: Quadratic((1.0, 2.0), rotation_deg="30"), TypeError, r"rotation_deg",
    ),
    "theory eigenvalue zero": (lambda: gd_theory([0.0, 1.0]), ValueError, r"eigenvalues must"),
    "theory eigenvalues 2-D": (
        lambda: momentum_theory([[1.0, 2.0]]), ValueError, r"eigenvalues must be a 1-D",
    ),
    "rate skip outside [0, 1)": (
        lambda: measured_rate(run_optimizer("bowl", steps=5, lr=0.1), skip=1.0),
        ValueError,
        r"skip must be in",
    ),
    "rate path too short": (
        lambda: measured_rate(run_optimizer("bowl", steps=3, lr=1.0)), ValueError, r"path has",
    ),
    "unknown schedule": (lambda: get_schedule("cosinus", lr0=0.1), ValueError, r"schedule"),
    "schedule lr0 zero": (lambda: step_decay(0.0), ValueError, r"lr0 must be"),
    "schedule every zero": (lambda: step_decay(0.1, every=0), ValueError, r"every must be"),
    "schedule gamma above one": (
        lambda: exponential_decay(0.1, gamma=1.5), ValueError, r"gamma must be",
    ),
    "schedule gamma zero": (lambda: exponential_decay(0.1, gamma=0.0), ValueError, r"gamma"),
    "schedule total_epochs zero": (
        lambda: cosine_annealing(0.1, 0), ValueError, r"total_epochs must be",
    ),
    "schedule lr_min above lr0": (
        lambda: cosine_annealing(0.1, 10, lr_min=0.2), ValueError, r"lr_min must not exceed",
    ),
    "schedule negative epoch": (lambda: step_decay(0.1)(-1), ValueError, r"epoch must be"),
    "schedule float epoch": (lambda: cosine_annealing(0.1, 5)(2.5), TypeError, r"epoch must"),
    "clip max_norm zero": (lambda: clip_by_norm([np.ones(2)], 0.0), ValueError, r"max_norm"),
    "clip value negative": (
        lambda: clip_by_value([np.ones(2)], -1.0), ValueError, r"clip_value",
    ),
    "clip grads not a list": (lambda: clip_by_norm(np.ones(2), 1.0), TypeError, r"grads must"),
}


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_rejected_with_a_message_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
