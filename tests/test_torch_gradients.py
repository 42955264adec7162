"""backproplab against PyTorch (float64): stored reference values, and live torch when installed.

The reference file is written by ``python -m scripts.torch_fixtures.gradients``,
which uses only NumPy and PyTorch.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from backproplab.activations import get_activation
from backproplab.gradcheck import relative_error
from backproplab.layers import Activation, Dense, dense_backward, dense_forward
from backproplab.losses import LOSSES, get_loss, log_softmax, softmax
from backproplab.network import Sequential

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "torch_gradients.npz"
SCRIPT = ROOT / "scripts" / "torch_fixtures" / "gradients.py"
TOLERANCE = 1e-10


def assert_matches(ours, theirs, what):
    error = relative_error(ours, theirs)
    assert error < TOLERANCE, f"{what}: relative error {error:.2e} against torch"


def check_activations(ref):
    z = ref["activation_z"]
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "identity"):
        fn, grad_fn = get_activation(name)
        assert_matches(fn(z), ref[f"activation_{name}_value"], f"{name} value")
        assert_matches(grad_fn(z), ref[f"activation_{name}_grad"], f"{name} derivative")
    assert_matches(softmax(ref["softmax_z"]), ref["softmax_value"], "softmax")
    assert_matches(log_softmax(ref["softmax_z"]), ref["log_softmax_value"], "log_softmax")


def check_losses(ref):
    for case in ref["loss_cases"]:
        loss = get_loss(str(ref[f"loss_{case}_name"]))
        prediction, target = ref[f"loss_{case}_input"], ref[f"loss_{case}_target"]
        assert_matches(loss.value(prediction, target), ref[f"loss_{case}_value"], f"{case} value")
        assert_matches(loss.grad(prediction, target), ref[f"loss_{case}_grad"], f"{case} grad")


def check_dense(ref):
    X, W, b, dY = (ref[f"dense_{key}"] for key in ("X", "W", "b", "dY"))
    layer = Dense(*W.shape, W=W, b=b)
    assert_matches(layer.forward(X), ref["dense_Y"], "Dense output")
    assert_matches(layer.backward(dY), ref["dense_dX"], "Dense dX")
    assert_matches(layer.grads["W"], ref["dense_dW"], "Dense dW")
    assert_matches(layer.grads["b"], ref["dense_db"], "Dense db")
    Z, cache = dense_forward(X, W, b)
    assert_matches(Z, ref["dense_Y"], "dense_forward")
    for ours, key in zip(dense_backward(dY, cache), ("dX", "dW", "db"), strict=True):
        assert_matches(ours, ref[f"dense_{key}"], f"dense_backward {key}")


def build_network(ref, case):
    """The case's MLP assembled from explicit Dense weights and Activation layers."""
    n_layers = len(ref[f"{case}_sizes"]) - 1
    layers = []
    for i in range(n_layers):
        W, b = ref[f"{case}_W{i}"], ref[f"{case}_b{i}"]
        layers.append(Dense(*W.shape, W=W, b=b))
        kind = "output_activation" if i == n_layers - 1 else "activation"
        layers.append(Activation(str(ref[f"{case}_{kind}"])))
    return Sequential(layers)


def check_networks(ref):
    for case in map(str, ref["mlp_cases"]):
        model = build_network(ref, case)
        X, y = ref[f"{case}_X"], ref[f"{case}_y"]
        loss_value = model.loss_and_grads(X, y, str(ref[f"{case}_loss"]))
        assert_matches(model.forward(X), ref[f"{case}_output"], f"{case} output")
        assert_matches(loss_value, ref[f"{case}_loss_value"], f"{case} loss")
        for dense_index, layer in enumerate(model.dense_layers()):
            assert_matches(layer.grads["W"], ref[f"{case}_dW{dense_index}"], f"{case} dW")
            assert_matches(layer.grads["b"], ref[f"{case}_db{dense_index}"], f"{case} db")


CHECKS = [check_activations, check_losses, check_dense, check_networks]


@pytest.fixture(scope="module")
def stored():
    with np.load(FIXTURE, allow_pickle=False) as data:
        return dict(data)


def test_fixture_covers_every_activation_loss_and_several_networks(stored):
    loss_names = {str(stored[f"loss_{case}_name"]) for case in stored["loss_cases"]}
    assert loss_names == set(LOSSES)
    assert len(stored["mlp_cases"]) >= 4
    assert np.min(np.abs(stored["activation_z"])) > 1e-3


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_against_stored_torch_reference(stored, check):
    check(stored)


def load_fixture_script():
    spec = importlib.util.spec_from_file_location("torch_fixture_gradients", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_against_live_torch_on_fresh_inputs(seed):
    pytest.importorskip("torch")
    script = load_fixture_script()
    reference = script.torch_reference(script.make_inputs(np.random.default_rng(seed)))
    for check in CHECKS:
        check(reference)


def test_comparison_detects_a_wrong_gradient(stored):
    tampered = dict(stored)
    tampered["dense_dW"] = stored["dense_dW"] * (1 + 1e-8)
    with pytest.raises(AssertionError, match="Dense dW"):
        check_dense(tampered)
