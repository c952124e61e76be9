"""fastinit: neural-network weight initialization at memory speed, reproducible bit for bit.

Every scheme fills a NumPy array in place and returns it, or allocates one from a shape::

    import numpy as np, fastinit
    w = np.empty((4096, 4096), np.float32)
    fastinit.xavier_uniform(w, seed=0)
    b = fastinit.kaiming_normal((1024, 1024, 3, 3), dtype="bfloat16", seed=1)

Element ``i`` of the logical (C-order) array depends only on ``(seed, stream, i)``: the same
values for any thread count, memory layout or backend. See docs/stream.md.
"""

from __future__ import annotations

from typing import Any

from ._backends.dispatch import backend_name as _backend_name
from ._backends.dispatch import get_num_threads, set_backend, set_num_threads
from ._backends.dispatch import simd_level as _simd_level
from ._random.fans import calculate_gain, compute_fans
from ._random.generator import Generator, default_generator, manual_seed
from .checkpoint import init_checkpoint
from .schemes import (
    constant,
    dirac,
    eye,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    ones,
    orthogonal,
    random_raw,
    sparse,
    trunc_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
    zeros,
)

__version__ = "0.1.0"

__all__ = [
    "zeros",
    "ones",
    "constant",
    "uniform",
    "normal",
    "trunc_normal",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "variance_scaling",
    "orthogonal",
    "sparse",
    "eye",
    "dirac",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "random_raw",
    "compute_fans",
    "calculate_gain",
    "Generator",
    "manual_seed",
    "default_generator",
    "set_num_threads",
    "get_num_threads",
    "set_backend",
    "info",
    "init_checkpoint",
    "__version__",
]


def info() -> dict[str, Any]:
    """What fastinit is running on.

    Returns
    -------
    dict
        ``version``, ``backend`` (``"core"``: the compiled C++ core; ``"numba"``: the Numba
        backend, see :func:`set_backend`), ``simd`` (the instruction set the core's kernels
        use, or ``"numba"``), ``threads`` (what fills use now) and ``stream_format``.

    Examples
    --------
    >>> import fastinit
    >>> sorted(fastinit.info())
    ['backend', 'simd', 'stream_format', 'threads', 'version']
    """
    return {
        "version": __version__,
        "backend": _backend_name(),
        "simd": _simd_level(),
        "threads": get_num_threads(),
        "stream_format": "philox4x32-10/v1",
    }
