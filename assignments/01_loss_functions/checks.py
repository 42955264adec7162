"""What the grader asks of assignment 1, and the answers it expects (see scoring.py)."""

import math

import numpy as np
from scoring import Check, Question

from backproplab import losses


def questions(rng: np.random.Generator) -> list[Question]:
    y_pred, y_true = rng.normal(size=(2, 4, 3))
    p = rng.uniform(0.05, 0.95, size=(5, 2))
    y = rng.uniform(0, 1, size=(5, 2))
    z = rng.normal(scale=20.0, size=(6, 1))
    y_z = rng.uniform(0, 1, size=(6, 1))
    s = 1 / (1 + math.exp(-2.0))
    return [
        Question("q1_mse_gradient", [
            Check("mse_grad on a (2, 1) example", "mse_grad",
                  (np.array([[0.5], [2.0]]), np.array([[1.0], [1.0]])), [[-0.5], [1.0]]),
            Check("mse_grad on a random (4, 3) batch", "mse_grad", (y_pred, y_true),
                  losses.mse_grad(y_pred, y_true), points=2),
        ]),
        Question("q2_bce_gradient", [
            Check("bce_grad at p = [0.8, 0.4], y = [1, 0]", "bce_grad",
                  (np.array([0.8, 0.4]), np.array([1.0, 0.0])), [-0.625, 0.4 / 0.24 / 2]),
            Check("bce_grad on a random (5, 2) batch", "bce_grad", (p, y),
                  losses.binary_cross_entropy_grad(p, y), points=2),
        ]),
        Question("q3_stable_bce_with_logits", [
            Check("bce_with_logits(0, 1) = log 2", "bce_with_logits",
                  (np.array([0.0]), np.array([1.0])), math.log(2), points=0.5),
            Check("bce_with_logits at z = -1000 and 1000, confidently wrong", "bce_with_logits",
                  (np.array([-1000.0, 1000.0]), np.array([1.0, 0.0])), 1000.0),
            Check("bce_with_logits(800, 1), confidently right", "bce_with_logits",
                  (np.array([800.0]), np.array([1.0])), 0.0, points=0.5),
            Check("bce_with_logits on random logits of scale 20", "bce_with_logits", (z, y_z),
                  losses.binary_cross_entropy_with_logits(z, y_z)),
        ]),
        Question("q4_logit_identity", [
            Check("bce_with_logits_grad at z = [1000, -1000], y = [0, 0]",
                  "bce_with_logits_grad", (np.array([1000.0, -1000.0]), np.array([0.0, 0.0])),
                  [0.5, 0.0]),
            Check("bce_with_logits_grad on random logits of scale 20", "bce_with_logits_grad",
                  (z, y_z), losses.binary_cross_entropy_with_logits_grad(z, y_z), points=2),
        ]),
        Question("q5_sigmoid_mse_gradient", [
            Check("dL_dz_mse", "dL_dz_mse", None, 2 * s * s * (1 - s), points=1.5, rtol=1e-6),
            Check("dL_dz_bce", "dL_dz_bce", None, s, points=1.5, rtol=1e-6),
        ]),
    ]
