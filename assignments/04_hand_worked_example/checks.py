"""What the grader asks of assignment 4, and the answers it expects (see scoring.py).

The assignment is one fixed sample through one fixed 2-2-1 sigmoid network, so there is
nothing to draw at random: every expected value comes from backproplab's network on the
chapter's numbers.
"""

import numpy as np
from scoring import Check, Question

from backproplab.layers import Activation, Dense
from backproplab.network import Sequential

X, Y = np.array([[0.05, 0.10]]), np.array([[0.01]])
ETA = 0.5


def network():
    return Sequential([
        Dense(2, 2, W=[[0.15, 0.20], [0.25, 0.30]], b=[0.35, 0.35]), Activation("sigmoid"),
        Dense(2, 1, W=[[0.40], [0.45]], b=[0.60]), Activation("sigmoid"),
    ])


def questions(rng: np.random.Generator) -> list[Question]:
    model = network()
    h = model.layers[1].forward(model.layers[0].forward(X))[0]
    loss_before = model.loss_and_grads(X, Y, "half_mse")
    y_hat = float(model.forward(X)[0, 0])
    dW1, db1, dW2, db2 = (g.copy() for g in model.grads)
    for param, grad in zip(model.params, model.grads, strict=True):
        param -= ETA * grad
    loss_after = model.loss_and_grads(X, Y, "half_mse")
    return [
        Question("q1_forward_pass", [
            Check("h", "h", None, h, points=1.5),
            Check("y_hat", "y_hat", None, y_hat, points=1.5),
            Check("loss_before", "loss_before", None, loss_before),
        ]),
        Question("q2_output_delta", [
            # dL/dz2 is what backproplab's output layer passes back: the gradient of b2.
            Check("delta_out", "delta_out", None, db2[0], points=2),
            Check("identity_delta", "identity_delta", None, y_hat - Y[0, 0]),
        ]),
        Question("q3_weight_gradients", [
            Check("dW2", "dW2", None, dW2),
            Check("db2", "db2", None, db2),
            Check("dW1", "dW1", None, dW1),
            Check("db1", "db1", None, db1),
        ]),
        Question("q4_update_and_new_loss", [
            Check("loss_after", "loss_after", None, loss_after, points=3),
        ]),
    ]
