"""The floating-point configurations that `make test` runs the notebooks under really compute
as the CPUs they imitate, and really change the last bits of a result."""

import subprocess
import sys

import pytest
from scripts.float_configs import CONFIGS, environment, get_config, probe, verify

FORCED = sorted(name for name in CONFIGS if name != "native")

# The last bits of these depend on the SIMD loop (exp, log, expm1, tanh) or the BLAS kernel (@).
FINGERPRINT = """
import hashlib, numpy as np
x = np.random.default_rng(0).uniform(-5, 5, 100_000)
A = np.random.default_rng(1).standard_normal((64, 64))
for v in (np.exp(x), np.log(np.abs(x)), np.expm1(x), np.tanh(x), A @ A):
    print(hashlib.sha1(v.tobytes()).hexdigest())
"""


@pytest.fixture(scope="module")
def machine():
    return probe()


def fingerprint(env):
    out = subprocess.run([sys.executable, "-c", FINGERPRINT], env=env, capture_output=True,
                         text=True, check=True).stdout
    return out.split()


def forced_environment(name):
    env = environment(get_config(name))
    if env is None:
        pytest.skip(f"this CPU cannot imitate {get_config(name).description}")
    return env


@pytest.mark.parametrize("name", FORCED)
def test_a_forced_config_computes_as_it_says(name, machine):
    config = get_config(name)
    seen = verify(config, forced_environment(name))
    assert seen["openblas"].lower() == config.openblas_core.lower()
    assert not [t for t in seen["enabled"] if t.startswith(config.numpy_disabled)]
    assert set(seen["enabled"]) <= set(machine["enabled"])  # it only takes features away


@pytest.mark.parametrize("name", FORCED)
def test_a_forced_config_changes_the_last_bits(name, machine):
    config = get_config(name)
    env = forced_environment(name)
    takes_away = [t for t in machine["enabled"] if t.startswith(config.numpy_disabled)]
    if not takes_away and (machine["openblas"] or "").lower() == config.openblas_core.lower():
        pytest.skip(f"this CPU already computes as {name}")
    assert fingerprint(env) != fingerprint(None)


def test_verify_catches_an_environment_that_does_not_imitate(machine):
    config = get_config("no-avx512")
    if not any(t.startswith(config.numpy_disabled) for t in machine["enabled"]):
        pytest.skip("this CPU has no AVX-512 to take away")
    env = forced_environment("no-avx512")
    del env["NPY_DISABLE_CPU_FEATURES"]
    with pytest.raises(RuntimeError, match="still dispatches"):
        verify(config, env)


def test_a_config_can_be_set_up_inside_a_run_that_imitates_another(machine, monkeypatch):
    # `make test` run as a CPU without AVX-512 still runs its own float checks.
    outer = forced_environment("no-avx512")
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", outer.get("NPY_DISABLE_CPU_FEATURES", ""))
    monkeypatch.setenv("OPENBLAS_CORETYPE", outer["OPENBLAS_CORETYPE"])
    for name in FORCED:
        verify(get_config(name), forced_environment(name))


def test_an_unknown_config_is_rejected_by_name():
    with pytest.raises(ValueError, match="config must be one of"):
        get_config("sse2")
