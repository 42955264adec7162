"""The scalar engine against the vectorised network: why frameworks work on arrays.

Both compute the same thing, the mean squared error of a small tanh network over a data
set and its gradient with respect to every weight and bias, from the same weights: once
with a graph of one ``Value`` per number (``backproplab.autograd.scalar_network``) and once
with ``Sequential.loss_and_grads``. The run checks that the gradients agree before it
reports the speed-up.
"""

from __future__ import annotations

import numpy as np

from backproplab.autograd import Value, scalar_network
from backproplab.data import make_moons, xor
from backproplab.network import MLP

from .report import figure
from .timing import Comparison, interleaved


def _moons():
    X, y = make_moons(200, noise=0.1, seed=0)
    return X, y[:, None].astype(np.float64)


# key, title, layer sizes, data, gradient evaluations per timed run (scalar, vectorised)
CASES = (
    ("xor", "XOR 2-4-1, 4 samples", (2, 4, 1), xor, (20, 1000)),
    ("moons", "moons 2-16-16-1, 200 samples", (2, 16, 16, 1), _moons, (1, 200)),
)


def scalar_gradient(net, X, y) -> None:
    """Forward every sample through the Value graph, then backward from the mean loss."""
    net.zero_grad()
    squared_errors = [(net(x)[0] - target) ** 2 for x, target in zip(X, y[:, 0], strict=True)]
    loss = sum(squared_errors, Value(0.0)) / len(X)
    loss.backward()


def _largest_gradient_difference(net, model) -> float:
    dense = model.dense_layers()
    pairs = [(a, d.grads["W"]) for a, d in zip(net.weight_grads(), dense, strict=True)]
    pairs += [(a, d.grads["b"]) for a, d in zip(net.bias_grads(), dense, strict=True)]
    return max(float(np.max(np.abs(a - b))) for a, b in pairs)


def _repeated(function, calls: int):
    def run():
        for _ in range(calls):
            function()

    return lambda: run


def speedup(key, title, sizes, data, calls, rounds: int) -> dict:
    X, y = data()
    model = MLP(list(sizes), activation="tanh", seed=0)
    dense = model.dense_layers()
    net = scalar_network(
        [d.W for d in dense], [d.b for d in dense], ["tanh"] * (len(dense) - 1) + ["identity"]
    )
    calls = dict(zip(("scalar", "vectorised"), calls, strict=True))
    runs = interleaved(
        {
            "scalar": _repeated(lambda: scalar_gradient(net, X, y), calls["scalar"]),
            "vectorised": _repeated(lambda: model.loss_and_grads(X, y, "mse"),
                                    calls["vectorised"]),
        },
        rounds=rounds,
    )
    comparison = Comparison(  # seconds per gradient evaluation
        {name: [s / calls[name] for s in seconds] for name, seconds in runs.seconds.items()}
    )
    details = comparison.summary("scalar", "vectorised")
    details["max_abs_gradient_difference"] = _largest_gradient_difference(net, model)
    details["parameters"] = model.num_params
    return figure(
        f"scalar_speedup_{key}",
        f"speed-up of the vectorised network over the scalar engine: {title}",
        details["ratio"], "×", details=details,
    )


def run(quick: bool = False) -> list[dict]:
    return [speedup(*case, rounds=2 if quick else 5) for case in CASES]
