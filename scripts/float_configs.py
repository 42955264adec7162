"""Run a command as a CPU with fewer vector instructions would compute.

The same seed gives the same numbers only on the same kind of CPU: NumPy picks its SIMD loops
and OpenBLAS its matrix kernels by what the processor offers, and the last bits of a result
depend on that choice. The book is checked under these floating-point configurations:

* ``native``: as this machine computes;
* ``no-avx512``: as an x86-64 CPU without AVX-512 computes (many laptops, AMD before Zen 4):
  OpenBLAS's Haswell kernels, and NumPy's loops limited to AVX2/FMA3 (``X86_V3``);
* ``avx-only``: as an older CPU with AVX but no AVX2 computes: OpenBLAS's Sandybridge
  kernels, and NumPy's baseline loops only.

Usage::

    python -m scripts.float_configs run no-avx512 -- pytest --nbval-lax book
    python -m scripts.float_configs show avx-only

``run`` first checks, in a fresh interpreter under the new environment, that NumPy and
OpenBLAS really compute as asked, and fails if they do not. A configuration that this CPU
cannot imitate (an ARM machine, or an x86 CPU without AVX2 for ``no-avx512``) is skipped with a
message: such a machine computes under a configuration of its own already.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class FloatConfig:
    """A floating-point configuration: an OpenBLAS core and the NumPy targets to turn off."""

    name: str
    openblas_core: str | None  # OPENBLAS_CORETYPE, or None to leave OpenBLAS as it is
    numpy_disabled: tuple[str, ...]  # prefixes of NumPy dispatch targets to turn off
    needs: tuple[str, ...]  # NumPy CPU features the imitated CPU has (so this one must have)
    description: str


CONFIGS = {
    config.name: config
    for config in (
        FloatConfig("native", None, (), (), "as this machine computes"),
        FloatConfig("no-avx512", "Haswell", ("X86_V4", "AVX512"), ("AVX2", "FMA3"),
                    "an x86-64 CPU without AVX-512 (OpenBLAS Haswell, NumPy up to X86_V3)"),
        FloatConfig("avx-only", "Sandybridge", ("X86_V3", "X86_V4", "AVX512", "AVX2", "FMA3"),
                    ("AVX",), "an x86-64 CPU with AVX only (OpenBLAS Sandybridge, NumPy baseline)"),
    )
}

PROBE = """
import json
import numpy
from numpy._core import _multiarray_umath as m
from threadpoolctl import threadpool_info
blas = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
print(json.dumps({
    "dispatch": list(m.__cpu_dispatch__),
    "enabled": [t for t in m.__cpu_dispatch__ if m.__cpu_features__.get(t)],
    "features": [f for f, on in m.__cpu_features__.items() if on],
    "openblas": blas[0].get("architecture") if blas else None,
}))
"""


def probe(env: dict[str, str] | None = None) -> dict:
    """What NumPy and OpenBLAS use in a fresh interpreter with environment ``env``."""
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout)


def get_config(name: str) -> FloatConfig:
    if name not in CONFIGS:
        raise ValueError(f"config must be one of {sorted(CONFIGS)}; got {name!r}")
    return CONFIGS[name]


def capabilities() -> dict:
    """:func:`probe` with no NumPy target turned off: what this CPU itself offers."""
    env = dict(os.environ)
    env.pop("NPY_DISABLE_CPU_FEATURES", None)
    return probe(env)


def environment(config: FloatConfig) -> dict[str, str] | None:
    """The environment that imitates ``config`` here, or None if this CPU cannot imitate it.

    It starts from this process's environment, so it also works inside a run that already
    imitates another configuration.
    """
    env = dict(os.environ)
    if config.openblas_core is None:
        return env
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    cpu = capabilities()
    if not all(feature in cpu["features"] for feature in config.needs):
        return None
    off = [t for t in cpu["enabled"] if t.startswith(config.numpy_disabled)]
    env["OPENBLAS_CORETYPE"] = config.openblas_core
    if off:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(off)
    else:
        env.pop("NPY_DISABLE_CPU_FEATURES", None)
    return env


def verify(config: FloatConfig, env: dict[str, str]) -> dict:
    """Probe under ``env`` and raise RuntimeError unless it computes as ``config`` says."""
    seen = probe(env)
    if config.openblas_core is None:
        return seen
    still_on = [t for t in seen["enabled"] if t.startswith(config.numpy_disabled)]
    if still_on:
        raise RuntimeError(f"{config.name}: NumPy still dispatches to {still_on}")
    if seen["openblas"] is None or seen["openblas"].lower() != config.openblas_core.lower():
        raise RuntimeError(f"{config.name}: OpenBLAS runs its {seen['openblas']} kernels, "
                           f"not {config.openblas_core}")
    return seen


def describe(seen: dict) -> str:
    not_found = [t for t in seen["dispatch"] if t not in seen["enabled"]]
    return (f"NumPy dispatch found {seen['enabled']}, not found {not_found}; "
            f"OpenBLAS architecture {seen['openblas']}")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("run", "show"):
        print(__doc__, file=sys.stderr)
        return 2
    config = get_config(argv[1])
    env = environment(config)
    if env is None:
        print(f"[float config {config.name}] skipped: this CPU cannot imitate {config.description}")
        return 0
    seen = verify(config, env)
    print(f"[float config {config.name}] {config.description}: {describe(seen)}", flush=True)
    if argv[0] == "show":
        return 0
    command = argv[2:]
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("run needs a command after the config name", file=sys.stderr)
        return 2
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
