"""What the grader asks of assignment 3, and the answers it expects (see scoring.py)."""

import math

import numpy as np
from scoring import Check, Function, Question

from backproplab import activations, gradcheck, layers
from backproplab.layers import Activation, Dense
from backproplab.network import Sequential


def questions(rng: np.random.Generator) -> list[Question]:
    z = rng.normal(scale=4.0, size=(5, 3))
    z_line = np.linspace(-6, 6, 13).reshape(13, 1)
    X, W, dZ = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    _, cache = layers.dense_forward(X, W, rng.normal(size=3))
    dX, dW, db = layers.dense_backward(dZ, cache)
    one = (np.array([[3.0]]), np.array([[1.0, 2.0]]), np.ones((2, 1)))

    X2, G = rng.normal(size=(7, 2)), rng.normal(size=(7, 3))
    params = {"W1": rng.normal(size=(2, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    model = Sequential([Dense(2, 5, W=params["W1"], b=params["b1"]), Activation("sigmoid"),
                        Dense(5, 3, W=params["W2"], b=params["b2"])])
    model.zero_grad()
    model.forward(X2)
    model.backward(G)
    grads = dict(zip(["W1", "b1", "W2", "b2"], model.grads, strict=True))
    Z1 = X2 @ params["W1"] + params["b1"]
    cache2 = [X2, Z1, activations.sigmoid(Z1)]

    M = rng.normal(size=(6, 6))
    quadratic = Function("quadratic", M + M.T, rng.normal(size=6))
    x_q = rng.normal(size=(2, 3))
    A_q, b_q = quadratic.A, quadratic.b
    cubic = Function("cubic", rng.uniform(0.5, 2.0, size=4), rng.normal(size=4))
    x_c = rng.uniform(-2.0, 2.0, size=4)
    a, b = rng.normal(size=(2, 4, 3))
    return [
        Question("q1_sigmoid_derivative", [
            Check("sigmoid_grad([0])", "sigmoid_grad", (np.array([0.0]),), [0.25], points=0.5),
            Check("sigmoid_grad([-1000, 1000]), both tails", "sigmoid_grad",
                  (np.array([-1000.0, 1000.0]),), [0.0, 0.0], points=0.5),
            Check("sigmoid_grad on a (13, 1) column from -6 to 6", "sigmoid_grad", (z_line,),
                  activations.sigmoid_grad(z_line), points=0.5),
            Check("sigmoid_grad on random (5, 3) logits of scale 4", "sigmoid_grad", (z,),
                  activations.sigmoid_grad(z), points=1.5),
        ]),
        Question("q2_dense_backward", [
            Check(f"{name} of dense_backward([[3]], [[1, 2]], ones((2, 1)))", "dense_backward",
                  one, value, points=0.5, part=(k,))
            for k, (name, value) in enumerate([("dX", [[3.0, 3.0]]), ("dW", [[3.0], [6.0]]),
                                               ("db", [3.0])])
        ] + [
            Check(f"{name} of dense_backward on a random batch, X (6, 4), W (4, 3)",
                  "dense_backward", (dZ, X, W), value, points=0.5, part=(k,))
            for k, (name, value) in enumerate([("dX", dX), ("dW", dW), ("db", db)])
        ]),
        Question("q3_two_layer_backward", [
            Check(f"two_layer_backward(...)['{key}'] on a random 2-5-3 network, batch of 7",
                  "two_layer_backward", (G, cache2, params), grads[key], part=(key,))
            for key in ["W1", "b1", "W2", "b2"]
        ]),
        Question("q4_gradient_check", [
            # Central differences of x**3 are exact up to rounding (about 1e-10 here); forward
            # differences are off by about 3e-6, which the tolerance must catch.
            Check("numerical_gradient(lambda v: sum(v**3), [1, 2])", "numerical_gradient",
                  (Function("cubic", np.ones(2), np.zeros(2)), np.array([1.0, 2.0])),
                  [3.0, 12.0], rtol=0, atol=1e-7, points=0.5),
            Check("numerical_gradient of a random weighted cubic at a random x of shape (4,)",
                  "numerical_gradient", (cubic, x_c),
                  3 * cubic.A * x_c**2 + cubic.b, rtol=0, atol=1e-7, points=0.5),
            # Rounding in f(x +- eps) / (2 eps) is of order 1e-16 |f| / 1e-6: allow 1e-8.
            Check("[numerical_gradient(f, x), x after the call] for a random quadratic f of a "
                  "(2, 3) array x: x must be left unchanged", "numerical_gradient",
                  (quadratic, x_q),
                  [(A_q @ x_q.ravel() + b_q).reshape(2, 3), x_q], rtol=0, atol=1e-8,
                  inputs=True, part=([[0], [2]],)),
            Check("relative_error of two zero arrays", "relative_error",
                  (np.zeros(3), np.zeros(3)), 0.0, points=0.5),
            Check("relative_error([1, 0], [0, 1])", "relative_error",
                  (np.array([1.0, 0.0]), np.array([0.0, 1.0])), math.sqrt(2) / 2, points=0.5),
            Check("relative_error of two random (4, 3) arrays", "relative_error", (a, b),
                  gradcheck.relative_error(a, b)),
        ]),
    ]
