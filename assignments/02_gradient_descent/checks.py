"""What the grader asks of assignment 2, and the answers it expects (see scoring.py)."""

import numpy as np
from scoring import Check, Function, Question

from backproplab import schedules


def descent_path(A, b, theta0, lr, steps):
    """Gradient descent on 0.5 theta.A.theta + b.theta, written out: the path (steps + 1, d)."""
    path = [np.asarray(theta0, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] - lr * (A @ path[-1] + b))
    return np.array(path)


def questions(rng: np.random.Generator) -> list[Question]:
    theta, grad = rng.normal(size=(2, 3, 4))
    lr = rng.uniform(0.01, 1.0)
    M = rng.normal(size=(3, 3))
    A_rand = M @ M.T / 3 + np.eye(3)  # positive definite
    b_rand, theta0 = rng.normal(size=(2, 3))
    lr_rand = 1 / np.linalg.eigvalsh(A_rand).max()  # stable
    A_diag, zero2 = np.diag([1.0, 10.0]), np.zeros(2)
    A_q3 = np.array([[10.0, 8.0], [8.0, 10.0]])
    low, high = np.linalg.eigvalsh(A_q3)[[0, -1]]
    lr0, lr_min = rng.uniform(0.1, 1.0), rng.uniform(0.0, 0.05)
    total = int(rng.integers(5, 30))
    cosine = schedules.cosine_annealing(lr0, total, lr_min=lr_min)
    epochs = [0, int(rng.integers(1, total)), total, total + int(rng.integers(1, 10))]
    return [
        Question("q1_gd_step", [
            Check("gd_step([1, -2], [0.5, 0.5], 0.1)", "gd_step",
                  (np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1), [0.95, -2.05]),
            Check("gd_step on a (2, 1) column with lr = 0.5", "gd_step",
                  (np.array([[1.0], [2.0]]), np.array([[-1.0], [4.0]]), 0.5), [[1.5], [0.0]],
                  points=0.5),
            Check("gd_step on a random (3, 4) theta and gradient", "gd_step",
                  (theta, grad, lr), theta - lr * grad),
            Check("[gd_step(theta, grad, lr), theta after the call] on random (3, 4) arrays: "
                  "theta must be left unchanged", "gd_step", (theta, grad, lr),
                  [theta - lr * grad, theta], points=0.5, inputs=True, part=([[0], [1]],)),
        ]),
        Question("q2_gradient_descent_path", [
            Check("gradient_descent on 0.5 theta.A.theta, A = diag(1, 10), lr = 0.1, 3 steps",
                  "gradient_descent", (Function("gradient", A_diag, zero2), np.ones(2), 0.1, 3),
                  descent_path(A_diag, zero2, np.ones(2), 0.1, 3)),
            Check("gradient_descent on A = diag(1, 10) with lr = 0.25 (diverging), 4 steps",
                  "gradient_descent", (Function("gradient", A_diag, zero2), np.ones(2), 0.25, 4),
                  descent_path(A_diag, zero2, np.ones(2), 0.25, 4), points=0.5),
            Check("gradient_descent on a random 3-d quadratic with a linear term, 6 steps",
                  "gradient_descent",
                  (Function("gradient", A_rand, b_rand), theta0, lr_rand, 6),
                  descent_path(A_rand, b_rand, theta0, lr_rand, 6), points=1.5),
        ]),
        Question("q3_best_step_size", [
            Check("max_stable_lr", "max_stable_lr", None, 2 / high, points=1.5),
            Check("best_lr", "best_lr", None, 2 / (low + high), points=1.5),
            Check("rate", "rate", None, (high / low - 1) / (high / low + 1)),
        ]),
        Question("q4_cosine_schedule", [
            Check("cosine_lr(25, 1.0, 100) with the default lr_min", "cosine_lr",
                  (25, 1.0, 100), (1 + np.cos(np.pi / 4)) / 2, points=0.5),
            Check("cosine_lr halfway, cosine_lr(20, 0.5, 40, 0.1)", "cosine_lr",
                  (20, 0.5, 40, 0.1), 0.3, points=0.5),
        ] + [
            Check(f"cosine_lr at epoch {e} of a random schedule over {total} epochs",
                  "cosine_lr", (e, lr0, total, lr_min), cosine(e), points=0.5)
            for e in epochs
        ]),
    ]
