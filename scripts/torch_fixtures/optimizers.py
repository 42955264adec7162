"""Record 20 steps of each ``torch.optim`` optimizer as a fixture for tests/test_optimizers.py.

Run from the repository root with ``python -m scripts.torch_fixtures.optimizers``. The
parameters are two fixed float64 tensors, shapes (3,) and (2, 2). The gradient at every step
is that of the fixed function

    f(p) = sum_i [ 0.5 * sum(d_i * p_i**2) + quartic * sum(p_i**4) + sum(c_i * p_i) ],

computed by torch autograd, so the gradient sequence depends on the parameters and any
difference in an update rule shows up in the later steps. Hyper-parameters are written in
backproplab's vocabulary (name and keyword arguments of ``get_optimizer``). Torch's default
dtype is set to float64 because torch keeps scalar optimizer state (the step count, NAdam's
running momentum product) in the default dtype, which is float32 otherwise.

Output: tests/fixtures/torch_optimizers.npz with
``init_{j}``, ``d_{j}``, ``c_{j}`` (j = 0, 1), ``quartic``, ``configs`` (a JSON string: list of
{"name", "kwargs"}) and ``snapshots_{k}_{j}`` of shape (20, *shape_j): the parameters after
each of the 20 steps of configuration k.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

STEPS = 20
OUTPUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "torch_optimizers.npz"

INITIAL = [np.array([0.8, -1.3, 0.25]), np.array([[-0.6, 1.1], [1.7, -0.05]])]
CURVATURE = [np.array([2.0, 0.5, 4.0]), np.array([[1.0, 3.0], [0.25, 6.0]])]
LINEAR = [np.array([0.3, -0.2, 0.0]), np.array([[-0.4, 0.1], [0.05, 0.5]])]
QUARTIC = 0.1

CONFIGS = [
    {"name": "sgd", "kwargs": {"lr": 0.1}},
    {"name": "sgd", "kwargs": {"lr": 0.05, "weight_decay": 0.01}},
    {"name": "momentum", "kwargs": {"lr": 0.05, "momentum": 0.9}},
    {"name": "momentum", "kwargs": {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.02}},
    {"name": "nesterov", "kwargs": {"lr": 0.05, "momentum": 0.9}},
    {"name": "nesterov", "kwargs": {"lr": 0.02, "momentum": 0.99, "weight_decay": 0.05}},
    {"name": "adagrad", "kwargs": {"lr": 0.1}},
    {"name": "adagrad", "kwargs": {"lr": 0.5, "eps": 1e-6}},
    {"name": "rmsprop", "kwargs": {"lr": 0.01}},
    {"name": "rmsprop", "kwargs": {"lr": 0.005, "alpha": 0.9, "eps": 1e-6}},
    {"name": "adam", "kwargs": {"lr": 0.01}},
    {"name": "adam", "kwargs": {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6}},
    {"name": "adam", "kwargs": {"lr": 0.02, "weight_decay": 0.1}},
    {"name": "adamw", "kwargs": {"lr": 0.01}},
    {"name": "adamw", "kwargs": {"lr": 0.05, "betas": [0.85, 0.995], "weight_decay": 0.1}},
    {"name": "nadam", "kwargs": {"lr": 0.01}},
    {"name": "nadam", "kwargs": {"lr": 0.02, "betas": [0.8, 0.99], "momentum_decay": 0.01}},
]


def torch_optimizer(name: str, params: list, kwargs: dict) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer that backproplab's ``get_optimizer(name, ...)`` mirrors."""
    kwargs = dict(kwargs)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if name in ("momentum", "nesterov"):
        kwargs.setdefault("momentum", 0.9)
        return torch.optim.SGD(params, nesterov=name == "nesterov", **kwargs)
    factories = {
        "sgd": torch.optim.SGD,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "nadam": torch.optim.NAdam,
    }
    return factories[name](params, **kwargs)


def objective(params: list) -> torch.Tensor:
    """The fixed quadratic + quartic function whose gradients drive every run."""
    total = torch.zeros((), dtype=torch.float64)
    for p, d, c in zip(params, CURVATURE, LINEAR, strict=True):
        d, c = torch.from_numpy(d), torch.from_numpy(c)
        total = total + 0.5 * (d * p**2).sum() + QUARTIC * (p**4).sum() + (c * p).sum()
    return total


def record(config: dict) -> list[np.ndarray]:
    """Run one configuration for STEPS steps; return one (STEPS, *shape) array per parameter."""
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in INITIAL]
    optimizer = torch_optimizer(config["name"], params, config["kwargs"])
    snapshots = [np.empty((STEPS, *x.shape)) for x in INITIAL]
    for step in range(STEPS):
        optimizer.zero_grad()
        objective(params).backward()
        optimizer.step()
        for snapshot, p in zip(snapshots, params, strict=True):
            snapshot[step] = p.detach().numpy()
    return snapshots


def main() -> Path:
    """Write the fixture file and return its path."""
    torch.set_default_dtype(torch.float64)
    arrays = {"quartic": np.array(QUARTIC), "configs": np.array(json.dumps(CONFIGS))}
    for j, (x, d, c) in enumerate(zip(INITIAL, CURVATURE, LINEAR, strict=True)):
        arrays.update({f"init_{j}": x, f"d_{j}": d, f"c_{j}": c})
    for k, config in enumerate(CONFIGS):
        for j, snapshot in enumerate(record(config)):
            arrays[f"snapshots_{k}_{j}"] = snapshot
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUTPUT, **arrays)
    print(f"wrote {len(CONFIGS)} optimizer runs of {STEPS} steps to {OUTPUT}")
    return OUTPUT


if __name__ == "__main__":
    main()
