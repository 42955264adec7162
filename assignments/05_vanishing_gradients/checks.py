"""What the grader asks of assignment 5, and the answers it expects (see scoring.py)."""

import numpy as np
from scoring import Check, Question

from backproplab import clipping


def clipped(grads, max_norm):
    """The exact rescaling the question asks for (backproplab's clip_by_norm, like torch's,
    adds 1e-6 to the norm; the question does not)."""
    scale = min(1.0, max_norm / clipping.global_norm(grads))
    return [g * scale for g in grads]


def questions(rng: np.random.Generator) -> list[Question]:
    layers = 1
    while 0.25**layers >= 1e-6:
        layers += 1
    shapes = [(3, 4), (4,), (4, 1)]
    several = [rng.normal(size=s) for s in shapes]
    grads = [rng.normal(size=(4, 3)) * 5, rng.normal(size=3)]
    norm = clipping.global_norm(grads)
    below, near, above = (norm * rng.uniform(*r) for r in [(0.05, 0.5), (0.5, 0.95), (1.5, 10)])
    # rtol 1e-5 as in the master's test: a solution that adds torch's 1e-6 to the norm before
    # dividing is also right.
    tolerance = {"rtol": 1e-5}
    return [
        Question("q1_vanishing_bound", [
            Check("bound_10_layers", "bound_10_layers", None, 0.25**10, points=1.5),
            Check("layers_to_one_millionth", "layers_to_one_millionth", None, layers,
                  points=1.5),
        ]),
        Question("q2_global_norm", [
            Check("global_norm([array([3, 4])])", "global_norm", ([np.array([3.0, 4.0])],), 5.0,
                  points=0.5),
            Check("global_norm([ones((2, 3)), ones(4)])", "global_norm",
                  ([np.ones((2, 3)), np.ones(4)],), np.sqrt(10), points=0.5),
            Check("global_norm of three random arrays of shapes (3, 4), (4,), (4, 1)",
                  "global_norm", (several,), clipping.global_norm(several), points=1.5),
            Check("global_norm([zeros((2, 2))])", "global_norm", ([np.zeros((2, 2))],), 0.0,
                  points=0.5),
        ]),
        Question("q3_clip_by_norm", [
            Check("clip_by_norm([array([0.3, -0.4])], 1.0)[0], inside the ball", "clip_by_norm",
                  ([np.array([0.3, -0.4])], 1.0), [0.3, -0.4], points=0.5, part=(0,)),
            Check("clip_by_norm([array([3, 4])], 1.0)[0]", "clip_by_norm",
                  ([np.array([3.0, 4.0])], 1.0), [0.6, 0.8], points=0.5, part=(0,)),
            Check("len(clip_by_norm(grads, max_norm)) for two random arrays", "clip_by_norm",
                  (grads, below), 2, points=0.25, length=True),
            Check("[clip_by_norm(grads, max_norm)[0], grads[0] after the call] for random "
                  "(4, 3) and (3,) arrays, max_norm well below their norm: grads must be left "
                  "unchanged", "clip_by_norm", (grads, below), [clipped(grads, below)[0], grads[0]],
                  points=0.75, inputs=True, part=([[0, 0], [1, 0]],), **tolerance),
            Check("clip_by_norm(grads, max_norm)[1], random arrays, max_norm well below their "
                  "norm", "clip_by_norm", (grads, below), clipped(grads, below)[1], points=0.5,
                  part=(1,), **tolerance),
        ] + [
            Check(f"clip_by_norm(grads, max_norm)[{k}], random arrays, max_norm {where}",
                  "clip_by_norm", (grads, max_norm), clipped(grads, max_norm)[k], points=points,
                  part=(k,), **tolerance)
            for max_norm, where, points in [(near, "just below their norm", 0.5),
                                            (above, "above their norm", 0.25)]
            for k in (0, 1)
        ]),
    ]
