"""What the measurements ran on: processor, load, BLAS kernel and thread counts.

PyTorch is given the same number of threads as NumPy's BLAS, so neither library gets more
of the machine. OpenMP threads that spin while they wait fight every other process on a
busy machine (PyTorch's step time grows several-fold at a load of 4 on 2 cores), so unless
the caller set ``OMP_WAIT_POLICY`` it is set to PASSIVE before PyTorch loads: the setting
that favours PyTorch here.
"""

from __future__ import annotations

import os
import platform
import sys

import numpy as np
from threadpoolctl import threadpool_info

OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _owner(filepath: str) -> str:
    """The package a shared library ships in, e.g. "numpy" for numpy.libs/libscipy_openblas."""
    for package in ("numpy", "scipy", "torch"):
        if f"/{package}" in filepath:
            return package
    return filepath


def blas_libraries() -> list[dict]:
    """threadpoolctl's description of every BLAS library loaded in this process, NumPy's first
    (SciPy, loaded by scikit-learn's data sets, brings its own)."""
    keys = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    found = [
        {"package": _owner(info.get("filepath", "")), **{key: info.get(key) for key in keys}}
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]
    return sorted(found, key=lambda library: library["package"] != "numpy")


def numpy_blas_threads() -> int:
    """The number of threads NumPy's BLAS uses (the processor count if it cannot be read)."""
    for info in threadpool_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return int(info["num_threads"])
    return os.cpu_count() or 1


def import_torch(threads: int):
    """Import PyTorch with ``threads`` intra-op threads and a passive OpenMP wait policy."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(threads)
    return torch


def _processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(torch=None) -> dict:
    """A JSON-ready description of the machine and of both libraries' threading."""
    info = {
        "processor": _processor(),
        "cores": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numpy_blas": blas_libraries(),
        "environment": {
            name: os.environ.get(name)
            for name in (*OPENBLAS_VARIABLES, "OMP_WAIT_POLICY", "OMP_NUM_THREADS")
        },
    }
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["torch_blas"] = "MKL" if torch.backends.mkl.is_available() else "other"
    return info
