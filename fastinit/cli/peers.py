"""How each library fills a buffer: the calls `fastinit bench` and benchmarks/ time.

Each helper returns a zero-argument callable that fills one buffer with one scheme, or None
where that library has no equivalent. The peers (NumPy, PyTorch) get the closest call each
library offers; the parameters match those fastinit's calls use.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._input.dtypes import dtype_name

__all__ = ["_matrix_shape", "_fastinit_call", "_numpy_call", "_torch_call"]


def _matrix_shape(size: int) -> tuple[int, int]:
    """A 2-D shape with exactly `size` elements, as square as a divisor allows."""
    cols = 1 << max(0, (size.bit_length() - 1) // 2)
    while size % cols:
        cols //= 2
    return size // cols, cols


def _fastinit_call(scheme: str, buf: np.ndarray) -> Callable[[], Any]:
    import fastinit

    calls: dict[str, Callable[[], Any]] = {
        "constant": lambda: fastinit.constant(buf, 0.5),
        "uniform": lambda: fastinit.uniform(buf, -1.0, 1.0, seed=0),
        # the allocating form: fresh memory, first-touch page faults included
        "uniform_alloc": lambda: fastinit.uniform(buf.shape, -1.0, 1.0, seed=0, dtype=buf.dtype),
        "normal": lambda: fastinit.normal(buf, 0.0, 0.02, seed=0),
        "trunc_normal": lambda: fastinit.trunc_normal(buf, 0.0, 0.02, -0.04, 0.04, seed=0),
        "xavier_uniform": lambda: fastinit.xavier_uniform(buf, seed=0),
        "xavier_normal": lambda: fastinit.xavier_normal(buf, seed=0),
        "kaiming_uniform": lambda: fastinit.kaiming_uniform(buf, seed=0),
        "kaiming_normal": lambda: fastinit.kaiming_normal(buf, seed=0),
        "lecun_uniform": lambda: fastinit.lecun_uniform(buf, seed=0),
        "lecun_normal": lambda: fastinit.lecun_normal(buf, seed=0),
        "variance_scaling": lambda: fastinit.variance_scaling(buf, seed=0),
        "orthogonal": lambda: fastinit.orthogonal(buf, seed=0),
        "sparse": lambda: fastinit.sparse(buf, 0.1, seed=0),
    }
    return calls[scheme]


def _numpy_call(scheme: str, buf: np.ndarray) -> Callable[[], Any] | None:
    """NumPy's closest in-place equivalent, or None where NumPy has none for this dtype."""
    if scheme == "constant":
        return lambda: buf.fill(0.5)
    if buf.dtype not in (np.float32, np.float64):
        return None
    rng = np.random.default_rng(0)
    flat = buf.reshape(-1)
    if scheme in ("uniform", "xavier_uniform", "kaiming_uniform", "lecun_uniform"):
        return lambda: rng.random(out=flat, dtype=buf.dtype)
    if scheme == "uniform_alloc":
        return lambda: rng.random(buf.size, dtype=buf.dtype)
    if scheme in ("normal", "xavier_normal", "kaiming_normal", "lecun_normal"):
        return lambda: rng.standard_normal(out=flat, dtype=buf.dtype)
    return None


def _torch_call(scheme: str, buf: np.ndarray) -> Callable[[], Any] | None:
    """torch.nn.init's equivalent, on a tensor that shares `buf`'s memory (no copy): the same
    pages as fastinit's and NumPy's calls, so page state (first touch, zero pages) is equal."""
    try:
        import torch
    except ImportError:
        return None
    shape, dt = buf.shape, buf.dtype
    tdt = {
        "float32": torch.float32,
        "float64": torch.float64,
        "float16": torch.float16,
        "bfloat16": torch.bfloat16,
    }[dtype_name(dt)]
    if tdt is torch.bfloat16:  # NumPy has no bfloat16: the same bytes through an int16 view
        t = torch.from_numpy(buf.view(np.int16)).view(torch.bfloat16)
    else:
        t = torch.from_numpy(buf)
    init = torch.nn.init
    calls: dict[str, Callable[[], Any]] = {
        "constant": lambda: t.fill_(0.5),
        "uniform": lambda: init.uniform_(t, -1.0, 1.0),
        "uniform_alloc": lambda: torch.empty(shape, dtype=tdt).uniform_(-1.0, 1.0),
        "normal": lambda: init.normal_(t, 0.0, 0.02),
        "trunc_normal": lambda: init.trunc_normal_(t, 0.0, 0.02, -0.04, 0.04),
        "xavier_uniform": lambda: init.xavier_uniform_(t),
        "xavier_normal": lambda: init.xavier_normal_(t),
        "kaiming_uniform": lambda: init.kaiming_uniform_(t),
        "kaiming_normal": lambda: init.kaiming_normal_(t),
        "lecun_uniform": lambda: init.kaiming_uniform_(t, nonlinearity="linear"),
        "lecun_normal": lambda: init.kaiming_normal_(t, nonlinearity="linear"),
        "orthogonal": lambda: init.orthogonal_(t),
        "sparse": lambda: init.sparse_(t, 0.1),
    }
    if scheme == "variance_scaling":
        fan_in = shape[1] * math.prod(shape[2:])
        std = math.sqrt(1.0 / fan_in) / 0.87962566103423978
        return lambda: init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std)
    return calls.get(scheme)
