"""The backend that writes the stream: the compiled core (``fastinit._core``).

Every public function funnels into :func:`fill`, with arguments already validated.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Sequence

import numpy as np

from ._dtypes import dtype_code

try:
    from . import _core
except ImportError as exc:  # pragma: no cover - exercised by the Numba issue's CI run
    _core = None
    _CORE_ERROR: ImportError | None = exc
else:
    _CORE_ERROR = None

__all__ = ["fill", "set_num_threads", "get_num_threads", "backend_name", "simd_level",
           "SCHEME_RAW", "SCHEME_CONSTANT", "SCHEME_UNIFORM", "SCHEME_NORMAL",
           "SCHEME_TRUNC_NORMAL"]

# Codes shared with csrc/kernels.h (enum class scheme).
SCHEME_RAW, SCHEME_CONSTANT, SCHEME_UNIFORM, SCHEME_NORMAL, SCHEME_TRUNC_NORMAL = range(5)


def _require_core() -> Any:
    if _core is None:
        raise ImportError(f"fastinit's compiled core (fastinit._core) is not available: "
                          f"{_CORE_ERROR}. Reinstall fastinit with a C++17 compiler.")
    return _core


def fill(kind: int, arr: np.ndarray, seed: int, stream: int, params: Sequence[float], *,
         extra: int = 0, first: int = 0) -> None:
    """Write scheme `kind` into `arr` (a validated, writable, aligned, native array)."""
    if arr.size == 0:
        return
    core = _core if _core is not None else _require_core()
    core.fill(kind, dtype_code(arr.dtype), arr, seed, stream, extra, first, params)


def backend_name() -> str:
    return "core" if _core is not None else "none"


def simd_level() -> str:
    return _require_core().simd_level()


def set_num_threads(n: int) -> None:
    """Set the number of threads fastinit's fills use (>= 1).

    Parameters
    ----------
    n : int
        Thread count. The output never depends on it.

    Raises
    ------
    TypeError
        If `n` is not an int.
    ValueError
        If `n` < 1.

    Examples
    --------
    >>> import fastinit
    >>> before = fastinit.get_num_threads()
    >>> fastinit.set_num_threads(1)
    >>> fastinit.get_num_threads()
    1
    >>> fastinit.set_num_threads(before)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    _require_core().set_num_threads(int(n))


def get_num_threads() -> int:
    """The number of threads fills use: set_num_threads's value, FASTINIT_NUM_THREADS, or the
    CPUs this process may run on.

    Returns
    -------
    int
        The thread count (>= 1).

    Examples
    --------
    >>> import fastinit
    >>> fastinit.get_num_threads() >= 1
    True
    """
    return int(_require_core().get_num_threads())


def _apply_env_threads() -> None:
    raw = os.environ.get("FASTINIT_NUM_THREADS")
    if raw is None or _core is None:
        return
    try:
        n = int(raw)
        if n < 1:
            raise ValueError
    except ValueError:
        warnings.warn(f"FASTINIT_NUM_THREADS={raw!r} is not a positive integer; ignored",
                      RuntimeWarning, stacklevel=2)
        return
    _core.set_num_threads(n)


_apply_env_threads()
