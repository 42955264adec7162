"""Matt Mazur's 2-2-2 walkthrough ("A Step by Step Backpropagation Example", 2015), as he ran it.

Two inputs, two sigmoid hidden units, two sigmoid outputs, one sample and one gradient step
with learning rate 0.5 that moves the eight weights and leaves the two biases alone. The loss
is half the squared error *summed* over the outputs, ``reference_runs.HALF_SSE``:
E = 1/2 (y_1 - out_1)**2 + 1/2 (y_2 - out_2)**2.

Mazur numbers the weights w1..w8. With the row convention of ``Dense`` (``z = a W + b``, W of
shape (n_in, n_out), so W[i, j] connects unit i of a layer to unit j of the next) his numbering
runs down the columns of our matrices:

    W1 = [[w1, w3],      w1, w2 come into hidden unit 1, w3, w4 into hidden unit 2
          [w2, w4]]
    W2 = [[w5, w7],      w5, w6 come into output 1, w7, w8 into output 2
          [w6, w8]]

His diagram gives each layer one bias shared by its units (b1 = 0.35, b2 = 0.60); ``Dense``
holds one bias per unit, equal here, and they stay equal because the step leaves them fixed.
"""

from __future__ import annotations

import numpy as np

from backproplab.layers import Activation, Dense
from backproplab.network import Sequential
from backproplab.studies.stepthrough import PassRecord

X = np.array([0.05, 0.10])  # the inputs i1, i2
Y = np.array([0.01, 0.99])  # the targets of o1, o2
LR = 0.5
W1 = np.array([[0.15, 0.25],
               [0.20, 0.30]])
B1 = np.array([0.35, 0.35])
W2 = np.array([[0.40, 0.50],
               [0.45, 0.55]])
B2 = np.array([0.60, 0.60])

# Mazur's figures exactly as his post prints them, under identifier versions of his names:
# dE_dw5 is his dE_total/dw5, dEo2_douth1 his dE_o2/dout_h1, w1_new his w1+.
PUBLISHED = {
    "out_o1": "0.75136507",
    "out_o2": "0.772928465",
    "E_total": "0.298371109",
    "delta_o1": "0.138498562",
    "dE_dw5": "0.082167041",
    "dEo1_douth1": "0.055399425",
    "dEo2_douth1": "-0.019049119",
    "dE_douth1": "0.036350306",
    "dE_dw1": "0.000438568",
    "w5_new": "0.35891648",
    "w6_new": "0.408666186",
    "w7_new": "0.511301270",
    "w8_new": "0.561370121",
    "w1_new": "0.149780716",
    "w2_new": "0.19956143",
    "w3_new": "0.24975114",
    "w4_new": "0.29950229",
    "E_total_after": "0.291027924",
}


def network() -> Sequential:
    """Mazur's network at its starting parameters: Dense(2, 2), sigmoid, Dense(2, 2), sigmoid.

    W1 (2, 2), b1 (2,), W2 (2, 2), b2 (2,) as in the module docstring; every call returns a
    new network with its own arrays.
    """
    return Sequential([Dense(2, 2, W=W1, b=B1), Activation("sigmoid"),
                       Dense(2, 2, W=W2, b=B2), Activation("sigmoid")])


def _weights(model) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(model, Sequential | PassRecord):
        raise TypeError(f"model must be a Sequential or a PassRecord; got {type(model).__name__}")
    if isinstance(model, PassRecord):
        weights = [model.W[k] for k in range(1, model.n_layers + 1)]
    else:
        weights = [layer.W for layer in model.dense_layers()]
    if [w.shape for w in weights] != [(2, 2), (2, 2)]:
        raise ValueError("model must be a 2-2-2 network: two Dense layers with W of shape (2, 2); "
                         f"got shapes {[w.shape for w in weights]}")
    return weights[0], weights[1]


def weights_by_name(model) -> dict[str, float]:
    """Mazur's names for the weights of a 2-2-2 ``model`` (a Sequential or a PassRecord).

    Returns {"w1": W1[0, 0], "w2": W1[1, 0], "w3": W1[0, 1], "w4": W1[1, 1], "w5": W2[0, 0],
    ..., "w8": W2[1, 1]}: each matrix read down its columns.
    """
    W1_, W2_ = _weights(model)
    values = np.concatenate([W1_.ravel(order="F"), W2_.ravel(order="F")])
    return {f"w{i}": float(v) for i, v in enumerate(values, 1)}


def as_published(before: PassRecord, after: PassRecord) -> dict[str, float]:
    """Our numbers under the keys of :data:`PUBLISHED`.

    ``before`` is the pass at the starting parameters with loss ``HALF_SSE``; ``after`` the pass
    of the same sample after the step (its weights are the new weights, its loss the new E).
    Both must be records of a 2-2-2 network (a[2], delta[2] of shape (2,); W[k] (2, 2)).
    """
    for name, record in (("before", before), ("after", after)):
        if not isinstance(record, PassRecord):
            raise TypeError(f"{name} must be a PassRecord (from record_pass); "
                            f"got {type(record).__name__}")
        _weights(record)
    out, delta2, W2_ = before.a[2], before.delta[2], before.W[2]
    new = weights_by_name(after)
    numbers = {
        "out_o1": out[0], "out_o2": out[1], "E_total": before.loss,
        "delta_o1": delta2[0], "dE_dw5": before.dW[2][0, 0],
        "dEo1_douth1": W2_[0, 0] * delta2[0], "dEo2_douth1": W2_[0, 1] * delta2[1],
        "dE_douth1": before.da[1][0], "dE_dw1": before.dW[1][0, 0],
        **{f"w{i}_new": new[f"w{i}"] for i in (5, 6, 7, 8, 1, 2, 3, 4)},
        "E_total_after": after.loss,
    }
    return {key: float(value) for key, value in numbers.items()}
