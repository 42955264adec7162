"""Optimizers against PyTorch (a stored fixture and, when torch is installed, live runs) and
against update rules derived by hand."""

import json
from pathlib import Path

import numpy as np
import pytest

from backproplab.clipping import clip_by_norm, clip_by_value, global_norm
from backproplab.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    AdamW,
    Momentum,
    Nesterov,
    Optimizer,
    get_optimizer,
)

FIXTURE = Path(__file__).parent / "fixtures" / "torch_optimizers.npz"
STEPS = 20


def quartic_grad(p, d, c, quartic):
    """Gradient of 0.5 * sum(d p^2) + quartic * sum(p^4) + sum(c p), written out by hand."""
    return d * p + 4.0 * quartic * p**3 + c


def as_kwargs(raw):
    """JSON has no tuples: turn the stored betas list back into a pair."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


with np.load(FIXTURE) as _data:
    TORCH_RUNS = {key: _data[key] for key in _data.files}
FIXTURE_CONFIGS = json.loads(str(TORCH_RUNS["configs"]))


@pytest.mark.parametrize(
    "k", range(len(FIXTURE_CONFIGS)), ids=[c["name"] for c in FIXTURE_CONFIGS]
)
def test_twenty_steps_match_torch_fixture(k):
    config = FIXTURE_CONFIGS[k]
    params = [TORCH_RUNS["init_0"].copy(), TORCH_RUNS["init_1"].copy()]
    opt = get_optimizer(config["name"], params, **as_kwargs(config["kwargs"]))
    for step in range(STEPS):
        grads = [
            quartic_grad(p, TORCH_RUNS[f"d_{j}"], TORCH_RUNS[f"c_{j}"], TORCH_RUNS["quartic"])
            for j, p in enumerate(params)
        ]
        opt.step(grads)
        for j, p in enumerate(params):
            expected = TORCH_RUNS[f"snapshots_{k}_{j}"][step]
            message = f"{config} step {step + 1} params[{j}]"
            np.testing.assert_allclose(p, expected, rtol=0, atol=1e-10, err_msg=message)


def test_fixture_covers_every_optimizer_and_moves_the_parameters():
    assert {c["name"] for c in FIXTURE_CONFIGS} == set(OPTIMIZERS)
    names = [(c["name"], c["kwargs"].get("weight_decay", 0)) for c in FIXTURE_CONFIGS]
    assert ("adam", 0) in names and ("adamw", 0.1) in names
    for k in range(len(FIXTURE_CONFIGS)):
        assert np.abs(TORCH_RUNS[f"snapshots_{k}_0"][-1] - TORCH_RUNS["init_0"]).max() > 1e-2


def random_hyperparameters(name, rng):
    kwargs = {"lr": float(10 ** rng.uniform(-3, -0.7))}
    decay = float(rng.choice([0.0, rng.uniform(0.0, 0.1)]))
    if name in ("sgd", "momentum", "nesterov"):
        kwargs["weight_decay"] = decay
    if name in ("momentum", "nesterov"):
        kwargs["momentum"] = float(rng.uniform(0.0, 0.99))
    if name in ("adagrad", "rmsprop", "adam", "adamw", "nadam"):
        kwargs["eps"] = float(10 ** rng.uniform(-10, -5))
    if name == "rmsprop":
        kwargs["alpha"] = float(rng.uniform(0.8, 0.999))
    if name in ("adam", "adamw", "nadam"):
        kwargs["betas"] = (float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999)))
        kwargs["weight_decay"] = decay
    if name == "nadam":
        kwargs["momentum_decay"] = float(rng.uniform(0.0, 0.01))
    return kwargs


def torch_twin(torch, name, params, kwargs):
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(params, nesterov=name == "nesterov", **kwargs)
    classes = {
        "sgd": torch.optim.SGD,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "nadam": torch.optim.NAdam,
    }
    return classes[name](params, **kwargs)


@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch keeps scalar optimizer state in this dtype
    yield torch
    torch.set_default_dtype(previous)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_twenty_steps_match_live_torch(torch64, name, seed):
    torch = torch64
    rng = np.random.default_rng(seed)
    kwargs = random_hyperparameters(name, rng)
    shapes = [(4,), (3, 2)]
    start = [rng.normal(size=s) for s in shapes]
    d = [rng.uniform(0.1, 5.0, size=s) for s in shapes]
    c = [rng.normal(size=s) for s in shapes]
    ours = [x.copy() for x in start]
    theirs = [torch.tensor(x, requires_grad=True) for x in start]
    opt = get_optimizer(name, ours, **kwargs)
    twin = torch_twin(torch, name, theirs, kwargs)
    for _ in range(STEPS):
        opt.step([quartic_grad(p, dj, cj, 0.05) for p, dj, cj in zip(ours, d, c, strict=True)])
        for p, dj, cj in zip(theirs, d, c, strict=True):
            p.grad = torch.from_numpy(quartic_grad(p.detach().numpy(), dj, cj, 0.05))
        twin.step()
        for p, q in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(p, q.detach().numpy(), rtol=0, atol=1e-10)


def test_adam_first_step_with_and_without_bias_correction():
    # Step 1 from m = v = 0: m = (1 - b1) g, v = (1 - b2) g^2.
    # Corrected: m_hat = g, v_hat = g^2, so the step is lr * g / (|g| + eps) ~ lr * sign(g).
    # Uncorrected: lr * (1 - b1) g / (sqrt(1 - b2) |g| + eps).
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    g = np.array([0.5, -2.0, 1e-3, 0.0])
    corrected, raw = np.zeros(4), np.zeros(4)
    Adam([corrected], lr=lr, betas=(b1, b2), eps=eps).step([g])
    Adam([raw], lr=lr, betas=(b1, b2), eps=eps, bias_correction=False).step([g])
    np.testing.assert_allclose(corrected, -lr * g / (np.abs(g) + eps), rtol=1e-12, atol=0)
    np.testing.assert_allclose(corrected[:3], -lr * np.sign(g[:3]), rtol=1e-5)
    expected_raw = -lr * (1 - b1) * g / (np.sqrt(1 - b2) * np.abs(g) + eps)
    np.testing.assert_allclose(raw, expected_raw, rtol=1e-12, atol=0)
    ratio = (1 - b1) / np.sqrt(1 - b2)  # ~3.16 with the default betas
    np.testing.assert_allclose(raw[:2] / corrected[:2], ratio, rtol=1e-6)  # |g| >> eps


def test_adam_step_counter_counts_updates():
    # With a constant gradient, m_t = (1 - b1^t) g and v_t = (1 - b2^t) g^2, so the corrected
    # step is lr * g / (|g| + eps) at every update t; this holds only if t counts updates.
    lr, eps, g = 0.05, 1e-8, np.array([3.0, -0.25])
    p = np.zeros(2)
    opt = Adam([p], lr=lr, eps=eps)
    for t in range(1, 13):  # e.g. 3 epochs of 4 mini-batches
        before = p.copy()
        opt.step([g])
        assert opt.t == t
        np.testing.assert_allclose(p - before, -lr * g / (np.abs(g) + eps), rtol=1e-10)


def test_lr_change_between_steps_takes_effect():
    p = np.array([1.0, -1.0])
    opt = SGD([p], lr=0.1)
    opt.step([np.array([2.0, 4.0])])  # p = (1 - 0.2, -1 - 0.4)
    opt.lr = 0.01
    opt.step([np.array([2.0, 4.0])])  # p = (0.8 - 0.02, -1.4 - 0.04)
    np.testing.assert_allclose(p, [0.78, -1.44], rtol=1e-14)
    assert opt.t == 2 and opt.lr == 0.01


def test_momentum_and_nesterov_by_hand():
    # g = 1 each step, m = 0.5, lr = 0.1.
    # heavy ball: v = 1, 1.5, 1.75 -> p = -0.1, -0.25, -0.425
    # Nesterov:   v = 1, 1.5, 1.75 -> steps g + m v = 1.5, 1.75, 1.875 -> p = -0.15, -0.325, -0.5125
    heavy, nesterov = np.zeros(1), np.zeros(1)
    heavy_opt = Momentum([heavy], lr=0.1, momentum=0.5)
    nesterov_opt = Nesterov([nesterov], lr=0.1, momentum=0.5)
    for expected_heavy, expected_nesterov in [(-0.1, -0.15), (-0.25, -0.325), (-0.425, -0.5125)]:
        heavy_opt.step([np.ones(1)])
        nesterov_opt.step([np.ones(1)])
        np.testing.assert_allclose(heavy, expected_heavy, rtol=1e-14)
        np.testing.assert_allclose(nesterov, expected_nesterov, rtol=1e-14)


def test_adamw_decays_weights_without_touching_the_moments():
    # With g = 0 the Adam part is 0 / (0 + eps) = 0, leaving p *= 1 - lr * wd each step.
    p = np.array([2.0, -4.0])
    opt = AdamW([p], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        opt.step([np.zeros(2)])
    np.testing.assert_allclose(p, np.array([2.0, -4.0]) * 0.95**3, rtol=1e-14)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_updates_in_place_and_leaves_grads_alone(name):
    params = [np.ones((2, 3)), np.full(4, -0.5)]
    ids = [id(p) for p in params]
    grads = [np.full((2, 3), 0.3), np.linspace(-1, 1, 4)]
    saved = [g.copy() for g in grads]
    has_decay = name not in ("adagrad", "rmsprop")
    kwargs = {"lr": 0.1, "weight_decay": 0.1} if has_decay else {}
    opt = get_optimizer(name, params, **kwargs)
    opt.step(grads)
    opt.step(grads)
    assert [id(p) for p in opt.params] == ids
    assert not np.allclose(params[0], 1.0)
    for g, s in zip(grads, saved, strict=True):
        np.testing.assert_array_equal(g, s)


def test_get_optimizer_accepts_names_in_any_case_and_classes():
    p = [np.zeros(2)]
    assert type(get_optimizer("Adam", p)) is Adam
    assert type(get_optimizer(Nesterov, p, lr=0.1)) is Nesterov
    assert isinstance(get_optimizer("sgd", p, lr=0.1), Optimizer)
    assert "lr=0.1" in repr(get_optimizer("sgd", p, lr=0.1))


# Gradient clipping --------------------------------------------------------------------------


def test_clip_by_norm_scales_all_gradients_by_one_global_factor():
    grads = [np.array([3.0, 4.0]), np.array([[12.0, 0.0], [0.0, 0.0]])]  # norm sqrt(169) = 13
    saved = [g.copy() for g in grads]
    assert global_norm(grads) == pytest.approx(13.0, rel=1e-15)
    clipped = clip_by_norm(grads, max_norm=6.5)
    scale = 6.5 / (13.0 + 1e-6)  # torch adds 1e-6 to the norm
    for c, g in zip(clipped, saved, strict=True):
        np.testing.assert_allclose(c, g * scale, rtol=1e-15)
    assert global_norm(clipped) == pytest.approx(6.5, rel=1e-6)
    for c, g, s in zip(clipped, grads, saved, strict=True):
        assert c is not g
        np.testing.assert_array_equal(g, s)


def test_clip_by_norm_leaves_small_gradients_unchanged():
    grads = [np.array([0.3, -0.4]), np.array([1.2])]  # norm 1.3
    clipped = clip_by_norm(grads, max_norm=2.0)
    for c, g in zip(clipped, grads, strict=True):
        assert c is not g
        np.testing.assert_array_equal(c, g)


def test_clip_by_value_is_elementwise_and_copies():
    grads = [np.array([-3.0, -0.5, 0.0, 0.7, 9.0]), np.array([[2.0], [-1.0]])]
    saved = [g.copy() for g in grads]
    clipped = clip_by_value(grads, 1.0)
    np.testing.assert_array_equal(clipped[0], [-1.0, -0.5, 0.0, 0.7, 1.0])
    np.testing.assert_array_equal(clipped[1], [[1.0], [-1.0]])
    for g, s in zip(grads, saved, strict=True):
        np.testing.assert_array_equal(g, s)


@pytest.mark.parametrize("seed", range(4))
def test_clipping_matches_torch(torch64, seed):
    torch = torch64
    rng = np.random.default_rng(seed)
    grads = [rng.normal(scale=rng.uniform(0.1, 3), size=s) for s in [(5,), (3, 4), (2,)]]
    max_norm, clip_value = float(rng.uniform(0.5, 6)), float(rng.uniform(0.2, 2))

    def torch_params():
        params = [torch.zeros(g.shape, requires_grad=True) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.tensor(g)
        return params

    by_norm, by_value = torch_params(), torch_params()
    torch.nn.utils.clip_grad_norm_(by_norm, max_norm)
    torch.nn.utils.clip_grad_value_(by_value, clip_value)
    pairs = [
        (clip_by_norm(grads, max_norm), by_norm),
        (clip_by_value(grads, clip_value), by_value),
    ]
    for ours, theirs in pairs:
        for c, p in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(c, p.grad.numpy(), rtol=1e-14, atol=0)
