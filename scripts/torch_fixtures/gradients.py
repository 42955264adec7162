"""Reference values and gradients from PyTorch (float64) for backproplab's gradient tests.

Run from the repository root:

    python -m scripts.torch_fixtures.gradients

It draws fixed, seeded inputs with NumPy, computes every activation's
derivative, every loss's value and gradient, a Dense layer's gradients and
several small MLPs' parameter gradients with ``torch.autograd``, and writes
inputs and outputs to ``tests/fixtures/torch_gradients.npz``. This file uses
only NumPy and PyTorch, never backproplab, so the reference is independent.
``tests/test_torch_gradients.py`` also reuses ``make_inputs`` and
``torch_reference`` to compare against live PyTorch on fresh inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUTPUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "torch_gradients.npz"
SEED = 20240601

ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "elu": lambda z: F.elu(z, alpha=1.0),
    "identity": lambda z: z,
}

LOSSES = {
    "mse": F.mse_loss,
    "half_mse": lambda pred, target: 0.5 * F.mse_loss(pred, target),
    "mae": F.l1_loss,
    "bce": F.binary_cross_entropy,
    "bce_with_logits": F.binary_cross_entropy_with_logits,
    "softmax_cross_entropy": F.cross_entropy,
}

# case name -> (sizes, hidden activation, output activation, loss)
MLP_CASES = {
    "mlp_relu_ce": ([4, 6, 5, 3], "relu", "identity", "softmax_cross_entropy"),
    "mlp_tanh_bce": ([3, 5, 1], "tanh", "sigmoid", "bce"),
    "mlp_sigmoid_mse": ([2, 4, 2], "sigmoid", "identity", "mse"),
    "mlp_elu_logits": ([3, 6, 4, 1], "elu", "identity", "bce_with_logits"),
    "mlp_leaky_half_mse": ([5, 3, 2], "leaky_relu", "tanh", "half_mse"),
}


def _away_from_zero(rng, shape, low=0.05, high=4.0):
    """Values with |z| in [low, high], random sign: no sample sits on a ReLU kink."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _loss_inputs(rng):
    """Inputs and targets for each loss case (case -> (loss name, input, target))."""
    return {
        "mse": ("mse", rng.standard_normal((5, 3)), rng.standard_normal((5, 3))),
        "half_mse": ("half_mse", rng.standard_normal((4, 2)), rng.standard_normal((4, 2))),
        "mae": ("mae", rng.standard_normal((6, 2)), rng.standard_normal((6, 2))),
        "bce": ("bce", rng.uniform(0.05, 0.95, (6, 1)), rng.integers(0, 2, (6, 1)).astype(float)),
        "bce_with_logits": (
            "bce_with_logits",
            3.0 * rng.standard_normal((6, 2)),
            rng.uniform(0.0, 1.0, (6, 2)),
        ),
        "ce_labels": (
            "softmax_cross_entropy",
            2.0 * rng.standard_normal((7, 4)),
            rng.integers(0, 4, 7),
        ),
        "ce_probs": (
            "softmax_cross_entropy",
            2.0 * rng.standard_normal((5, 3)),
            rng.dirichlet(np.ones(3), 5),
        ),
    }


def _mlp_targets(rng, n, n_out, loss):
    if loss == "softmax_cross_entropy":
        return rng.integers(0, n_out, n)
    if loss in ("bce", "bce_with_logits"):
        return rng.integers(0, 2, (n, n_out)).astype(float)
    return rng.standard_normal((n, n_out))


def make_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every input the reference needs, drawn from ``rng``; string entries are 0-d str arrays."""
    data = {
        "activation_z": _away_from_zero(rng, (6, 5)),
        "softmax_z": 3.0 * rng.standard_normal((4, 5)),
    }
    loss_cases = _loss_inputs(rng)
    data["loss_cases"] = np.array(list(loss_cases))
    for case, (loss, prediction, target) in loss_cases.items():
        data[f"loss_{case}_name"] = np.array(loss)
        data[f"loss_{case}_input"] = prediction
        data[f"loss_{case}_target"] = target
    data.update(
        dense_X=rng.standard_normal((5, 4)),
        dense_W=rng.standard_normal((4, 3)),
        dense_b=rng.standard_normal(3),
        dense_dY=rng.standard_normal((5, 3)),
    )
    data["mlp_cases"] = np.array(list(MLP_CASES))
    for case, (sizes, activation, output_activation, loss) in MLP_CASES.items():
        n = 7
        data[f"{case}_sizes"] = np.array(sizes)
        data[f"{case}_activation"] = np.array(activation)
        data[f"{case}_output_activation"] = np.array(output_activation)
        data[f"{case}_loss"] = np.array(loss)
        data[f"{case}_X"] = rng.standard_normal((n, sizes[0]))
        data[f"{case}_y"] = _mlp_targets(rng, n, sizes[-1], loss)
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            data[f"{case}_W{i}"] = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
            data[f"{case}_b{i}"] = 0.1 * rng.standard_normal(n_out)
    return data


def _tensor(array, requires_grad=False):
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def _loss_target(loss, target):
    """Class labels go to torch as int64; everything else as float64."""
    if loss == "softmax_cross_entropy" and target.ndim == 1:
        return torch.tensor(target, dtype=torch.int64)
    return _tensor(target)


def _activation_reference(data):
    out = {}
    for name, fn in ACTIVATIONS.items():
        z = _tensor(data["activation_z"], requires_grad=True)
        value = fn(z)
        value.sum().backward()
        out[f"activation_{name}_value"] = value.detach().numpy()
        out[f"activation_{name}_grad"] = z.grad.numpy()
    z = _tensor(data["softmax_z"])
    out["softmax_value"] = torch.softmax(z, dim=1).numpy()
    out["log_softmax_value"] = torch.log_softmax(z, dim=1).numpy()
    return out


def _loss_reference(data):
    out = {}
    for case in data["loss_cases"]:
        loss = str(data[f"loss_{case}_name"])
        prediction = _tensor(data[f"loss_{case}_input"], requires_grad=True)
        value = LOSSES[loss](prediction, _loss_target(loss, data[f"loss_{case}_target"]))
        value.backward()
        out[f"loss_{case}_value"] = np.array(value.item())
        out[f"loss_{case}_grad"] = prediction.grad.numpy()
    return out


def _dense_reference(data):
    X, W, b = (_tensor(data[f"dense_{key}"], requires_grad=True) for key in "XWb")
    Y = X @ W + b
    Y.backward(_tensor(data["dense_dY"]))
    return {
        "dense_Y": Y.detach().numpy(),
        "dense_dX": X.grad.numpy(),
        "dense_dW": W.grad.numpy(),
        "dense_db": b.grad.numpy(),
    }


def _mlp_reference(data, case):
    n_layers = len(data[f"{case}_sizes"]) - 1
    weights = [_tensor(data[f"{case}_W{i}"], requires_grad=True) for i in range(n_layers)]
    biases = [_tensor(data[f"{case}_b{i}"], requires_grad=True) for i in range(n_layers)]
    hidden = ACTIVATIONS[str(data[f"{case}_activation"])]
    last = ACTIVATIONS[str(data[f"{case}_output_activation"])]
    out = _tensor(data[f"{case}_X"])
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        out = (last if i == n_layers - 1 else hidden)(out @ W + b)
    loss = str(data[f"{case}_loss"])
    value = LOSSES[loss](out, _loss_target(loss, data[f"{case}_y"]))
    value.backward()
    result = {f"{case}_output": out.detach().numpy(), f"{case}_loss_value": np.array(value.item())}
    for i in range(n_layers):
        result[f"{case}_dW{i}"] = weights[i].grad.numpy()
        result[f"{case}_db{i}"] = biases[i].grad.numpy()
    return result


def torch_reference(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``data`` (from ``make_inputs``) plus torch's values and gradients for all of it."""
    result = dict(data)
    result.update(_activation_reference(data))
    result.update(_loss_reference(data))
    result.update(_dense_reference(data))
    for case in data["mlp_cases"]:
        result.update(_mlp_reference(data, str(case)))
    return result


def main():
    """Compute the reference with a fixed seed and write it to ``OUTPUT``."""
    reference = torch_reference(make_inputs(np.random.default_rng(SEED)))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUTPUT, **reference)
    print(f"wrote {len(reference)} arrays to {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
