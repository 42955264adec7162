"""What the grader asks of assignment 6, and the answers it expects (see scoring.py).

Each step function is probed from a state that backproplab's own optimizer reached after a
random number of steps on random gradients: one step from there must land where backproplab's
next step lands.
"""

import numpy as np
from scoring import Check, Question

from backproplab.optimizers import Adam, Momentum


def momentum_run(rng, shape, lr, momentum, steps):
    """(p, velocity) before the last of `steps` steps, that step's g, and (p, velocity) after."""
    p = rng.normal(size=shape)
    optimizer = Momentum([p], lr=lr, momentum=momentum)
    for _ in range(steps - 1):
        optimizer.step([rng.normal(size=shape)])
    before = (p.copy(), optimizer.state[0].get("velocity", np.zeros(shape)).copy())
    g = rng.normal(size=shape)
    optimizer.step([g])
    return before, g, (p.copy(), optimizer.state[0]["velocity"].copy())


def adam_run(rng, shape, lr, betas, eps, steps):
    """(p, m, v) before step number `steps`, its g, and (p, m, v) after it."""
    p = rng.normal(size=shape)
    optimizer = Adam([p], lr=lr, betas=betas, eps=eps)

    def moments():
        state = optimizer.state[0]
        return (state.get("exp_avg", np.zeros(shape)).copy(),
                state.get("exp_avg_sq", np.zeros(shape)).copy())

    for t in range(1, steps):
        optimizer.step([rng.normal(size=shape) * t])
    before = (p.copy(), *moments())
    g = rng.normal(size=shape) * steps
    optimizer.step([g])
    return before, g, (p.copy(), *moments())


def questions(rng: np.random.Generator) -> list[Question]:
    lr, mu = rng.uniform(0.01, 0.2), rng.uniform(0.5, 0.95)
    (p0, v0), g0, (p1, _) = momentum_run(rng, (3,), lr, mu, 1)
    k = int(rng.integers(3, 9))
    (pk, vk), gk, (pk1, vk1) = momentum_run(rng, (3, 2), lr, mu, k)

    alr, b1, b2, eps = rng.uniform(0.005, 0.05), rng.uniform(0.7, 0.95), 0.99, 1e-6
    g_first = np.array([3.0, -0.02, 500.0, -7.0])
    p_first = rng.normal(size=4)
    first = p_first.copy()
    adam = Adam([first], lr=alr, betas=(b1, b2), eps=eps)
    adam.step([g_first])
    t = int(rng.integers(3, 11))
    (qa, ma, va), ga, (qb, mb, vb) = adam_run(rng, (4, 3), alr, (b1, b2), eps, t)
    adam_args = (qa, ga, ma, va, t, alr, b1, b2, eps)
    return [
        Question("q1_momentum_step", [
            Check("[new_p, p after the call] for momentum_step from zero velocity: the first "
                  "step, p left unchanged", "momentum_step", (p0, g0, v0, lr, mu), [p1, p0],
                  inputs=True, part=([[0, 0], [1]],)),
            Check(f"new_p of momentum_step at step {k} of a random run, (3, 2) arrays",
                  "momentum_step", (pk, gk, vk, lr, mu), pk1, part=(0,)),
            Check(f"new_velocity of momentum_step at step {k} of a random run", "momentum_step",
                  (pk, gk, vk, lr, mu), vk1, part=(1,)),
        ]),
        Question("q2_adam_step", [
            Check("[new_p, m after the call] for adam_step at t = 1 from m = v = 0, gradients "
                  "of very different sizes: m left unchanged", "adam_step",
                  (p_first, g_first, np.zeros(4), np.zeros(4), 1, alr, b1, b2, eps),
                  [first, np.zeros(4)], inputs=True, part=([[0, 0], [3]],)),
            Check(f"new_p of adam_step at step t = {t} of a random run, (4, 3) arrays",
                  "adam_step", adam_args, qb, part=(0,), points=1.5),
            Check(f"new_m of adam_step at step t = {t} of a random run", "adam_step", adam_args,
                  mb, part=(1,), points=0.75),
            Check(f"new_v of adam_step at step t = {t} of a random run", "adam_step", adam_args,
                  vb, part=(2,), points=0.75),
        ]),
        Question("q3_bias_correction", [
            Check("uncorrected_first_step_factor", "uncorrected_first_step_factor", None,
                  (1 - 0.9) / np.sqrt(1 - 0.999), points=3),
        ]),
    ]
