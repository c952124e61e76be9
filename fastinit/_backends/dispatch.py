"""The backend that writes the stream: the compiled core (``fastinit._core``) or, when it is
missing or asked for, the Numba backend (``fastinit._backends.numba``). Both give the same bits.

Every public function funnels into :func:`fill`, with arguments already validated.

Selection (docs/backends.md): ``FASTINIT_BACKEND=core|numba`` or :func:`set_backend` choose
explicitly; otherwise the core when it imports, else Numba with one ``RuntimeWarning``.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from .._input.values import integer
from .codes import Scheme, dtype_code
from .cuda import DeviceArray, device_fill

try:  # import_module, not "from . import": its error says why (no "circular import" guess)
    _core: Any = importlib.import_module("fastinit._core")
except ImportError as exc:  # exercised by .ci/run's no-core pass (.ci/nocore/sitecustomize.py)
    _core = None
    _CORE_ERROR: ImportError | None = exc
else:
    _CORE_ERROR = None

__all__ = [
    "fill",
    "set_num_threads",
    "get_num_threads",
    "backend_name",
    "simd_level",
    "set_backend",
    "BACKENDS",
]

BACKENDS = ("core", "numba")

_numba: ModuleType | None = None  # fastinit._backends.numba, imported on first use
_active = "none"  # "core", "numba" or "none" (neither is installed)
MAX_THREADS = 1024  # set_num_threads and FASTINIT_NUM_THREADS accept 1 .. this
_threads: int | None = None  # set_num_threads's value, kept here for the Numba backend


def _load_numba() -> ModuleType:
    global _numba
    if _numba is None:
        try:
            from . import numba as mod
        except ImportError as exc:
            raise ImportError(
                f"fastinit backend 'numba' is not available: {exc}. Install it "
                f"with: pip install 'fastinit[numba]'"
            ) from exc
        _numba = mod
    return _numba


def _core_unavailable() -> ImportError:
    return ImportError(
        f"fastinit backend 'core' (the compiled fastinit._core) is not "
        f"available: {_CORE_ERROR}. Reinstall fastinit with a C++17 compiler, "
        f"or use the Numba backend (pip install 'fastinit[numba]')."
    )


def _require_core() -> Any:
    if _core is None:
        raise _core_unavailable()
    return _core


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"backend must be a str ('core' or 'numba'), got {type(name).__name__}")
    key = name.strip().lower()
    if key not in BACKENDS:
        raise ValueError(f"unknown fastinit backend {name!r}; choose 'core' or 'numba'")
    return key


def set_backend(name: str) -> None:
    """Choose the backend that writes the values: ``"core"`` or ``"numba"``.

    Both give the same bits (docs/stream.md); they differ in speed and in what they need. The
    default is the compiled core when it is installed, else Numba (with a warning); the
    environment variable ``FASTINIT_BACKEND`` (``core`` or ``numba``) sets it at import.

    Parameters
    ----------
    name : str
        ``"core"``: the compiled C++ core (``fastinit._core``). ``"numba"``: the Numba backend
        (``pip install 'fastinit[numba]'``); its first fill of each kind compiles (seconds),
        and the compiled code is cached on disk for later processes.

    Raises
    ------
    ValueError
        If `name` is not ``"core"`` or ``"numba"``.
    ImportError
        If the chosen backend is not installed (the message names it).

    Examples
    --------
    >>> import fastinit
    >>> before = fastinit.info()["backend"]
    >>> fastinit.set_backend("core")  # doctest: +SKIP
    >>> fastinit.info()["backend"]  # doctest: +SKIP
    'core'
    >>> fastinit.set_backend("torch")
    Traceback (most recent call last):
    ...
    ValueError: unknown fastinit backend 'torch'; choose 'core' or 'numba'
    >>> fastinit.set_backend(before)
    """
    global _active
    key = _check_name(name)
    if key == "core":
        _require_core()
    else:
        _load_numba()
    _active = key


def _select_at_import() -> None:
    global _active
    env = os.environ.get("FASTINIT_BACKEND", "").strip()
    if env and env.lower() != "auto":
        try:
            key = _check_name(env)
        except ValueError:
            raise ValueError(
                f"FASTINIT_BACKEND={env!r}: unknown fastinit backend; choose "
                f"'core' or 'numba' (or unset it)"
            ) from None
        set_backend(key)
        return
    if _core is not None:
        _active = "core"
        return
    try:
        _load_numba()
    except ImportError:
        _active = "none"  # fastinit still imports; a fill raises and says what to install
        return
    _active = "numba"
    warnings.warn(
        f"fastinit: the compiled core is unavailable ({_CORE_ERROR}); using the "
        f"Numba backend (same values, slower; first calls compile)",
        RuntimeWarning,
        stacklevel=2,
    )


def fill(
    kind: Scheme,
    arr: np.ndarray,
    seed: int,
    stream: int,
    params: Sequence[float],
    *,
    extra: int = 0,
    first: int = 0,
    index_map: Sequence[int] | None = None,
) -> None:
    """Write scheme `kind` into `arr` (a validated, writable, aligned, native array, or a
    validated GPU array: fastinit._backends.cuda.DeviceArray, written by fastinit._cuda).

    `index_map` (fastinit/_input/shard.py): element (j_0, ..., j_k) of `arr` is stream element
    ``first + sum_d j_d * index_map[d]``; None: element e is ``first + e``.
    """
    if arr.size == 0:
        return
    if type(arr) is DeviceArray:  # fastinit._cuda, shards included (the same index map)
        device_fill(kind, arr, seed, stream, params, extra=extra, first=first, index_map=index_map)
        return
    if index_map is not None and arr.ndim == 0:  # one element: a 1-element view of it
        arr, index_map = arr.reshape(1), [1]
    if _active == "core":
        _core.fill(
            kind,
            dtype_code(arr.dtype),
            arr,
            seed,
            stream,
            extra,
            first,
            params,
            list(index_map) if index_map is not None else [],
        )
    elif _active == "numba":

        def run(view: np.ndarray, start: int) -> None:
            _numba.fill(
                kind,
                view,
                seed,
                stream,
                params,
                extra=extra,
                first=start,
                threads=get_num_threads(),
            )

        if index_map is None:
            run(arr, first)
        else:
            fill_by_runs(run, arr, first, list(index_map))
    else:
        raise ImportError(
            f"fastinit has no backend: the compiled core (fastinit._core) is "
            f"not available ({_CORE_ERROR}) and Numba is not installed. "
            f"Reinstall fastinit with a C++17 compiler, or pip install "
            f"'fastinit[numba]'."
        )


def backend_name() -> str:
    """The backend in use: ``"core"``, ``"numba"`` or ``"none"`` (neither is installed)."""
    return _active


def simd_level() -> str:
    """The core's instruction set (``"avx512"``, ``"avx2"``, ``"scalar"``), ``"numba"`` or
    ``"none"``."""
    if _active == "core":
        return str(_core.simd_level())
    return _active


def _default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


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
        If `n` is not in [1, 1024] (MAX_THREADS).

    Examples
    --------
    >>> import fastinit
    >>> before = fastinit.get_num_threads()
    >>> fastinit.set_num_threads(1)
    >>> fastinit.get_num_threads()
    1
    >>> fastinit.set_num_threads(before)
    """
    n = integer(n, "n", minimum=1, maximum=MAX_THREADS)
    global _threads
    if _core is not None:
        _core.set_num_threads(int(n))
    _threads = int(n)


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
    if _core is not None:
        return int(_core.get_num_threads())
    return _threads if _threads is not None else _default_threads()


def _apply_env_threads() -> None:
    global _threads
    raw = os.environ.get("FASTINIT_NUM_THREADS")
    if raw is None:
        return
    try:
        n = int(raw)
        if not 1 <= n <= MAX_THREADS:
            raise ValueError
    except ValueError:
        warnings.warn(
            f"FASTINIT_NUM_THREADS={raw!r} is not an integer in [1, {MAX_THREADS}]; ignored",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    if _core is not None:
        _core.set_num_threads(n)
    _threads = n


_apply_env_threads()
_select_at_import()


def fill_by_runs(
    fill_run: Callable[[np.ndarray, int], None], arr: np.ndarray, first: int, index_map: list[int]
) -> None:
    """For a backend without an index map (Numba): one fill per run of consecutive stream
    elements: a row along the last axis when its step is 1, single elements otherwise."""
    step = index_map[-1]
    for idx in np.ndindex(*arr.shape[:-1]):
        row = arr[idx]
        base = first + sum(i * m for i, m in zip(idx, index_map))
        if step == 1:
            fill_run(row, base)
        else:
            for j in range(row.shape[0]):
                fill_run(row[j : j + 1], base + j * step)
