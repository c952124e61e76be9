"""Lazy Dask arrays of fastinit initializations (the optional ``dask`` extra).

Every scheme of fastinit has a counterpart here that takes a *shape* and returns a lazy
:class:`dask.array.Array`; each block is filled on its own with the sharded API
(``full_shape=shape``, ``index=`` the block's slices, docs/sharding.md), so the computed array
equals the dense fill bit for bit, whatever the chunks, scheduler or number of workers::

    import fastinit.dask as fd
    w = fd.kaiming_normal((65536, 65536), chunks=(8192, 8192), dtype="bfloat16", seed=0)
    w.compute()  # == fastinit.kaiming_normal((65536, 65536), dtype="bfloat16", seed=0)

- ``fastinit.dask.<scheme>(shape, *scheme_args, chunks="auto", dtype="float32", seed=None,
  **scheme_kwargs)``: the scheme's own parameters, positional or keyword, as in the eager API.
  ``random_raw`` has no ``dtype`` (always uint32); ``constant``, ``zeros`` and ``ones`` have
  no ``seed``.
- The seed is resolved once, when the graph is built, into an explicit ``(seed, stream)``
  pair: a :class:`fastinit.Generator` advances exactly once, ``seed=None`` draws one stream
  from the global generator of the building process, and computing the array (any number of
  times, in any process) never touches a generator again. Each block gets a fresh
  ``fastinit.Generator(seed, stream)`` built from the pair.
- Arguments are validated eagerly, with the eager API's own code: building the array runs the
  scheme on a one-element shard of the full tensor (a zero-element one for ``sparse``, whose
  row ranking would otherwise read a whole column), so a bad argument raises the eager API's
  ``TypeError``/``ValueError`` at once. Errors about the shape name ``full_shape`` (the shard
  API's name for it). ``orthogonal`` raises the eager API's ``ValueError``: it cannot be
  sharded.
- Blocks are plain picklable tasks (the scheme's name, its arguments and two integers), so
  ``dask.distributed`` clusters with worker processes work as well as the threaded scheduler.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

try:
    import dask.array as _da
    from dask.base import tokenize as _tokenize
except ImportError as _exc:  # pragma: no cover - exercised only without dask
    raise ImportError(
        "fastinit.dask needs Dask: pip install 'fastinit[dask]' (or pip install 'dask[array]')"
    ) from _exc

from . import schemes as _schemes
from ._input.dtypes import resolve_dtype
from ._input.values import shape as check_shape
from ._random.generator import Generator, resolve_seed

__all__ = [
    "constant",
    "zeros",
    "ones",
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
    "random_raw",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
]

_RAW = np.dtype(np.uint32)


def _fill_block(
    scheme: str,
    args: tuple,
    kwargs: dict,
    pair: tuple[int, int] | None,
    dtype: np.dtype,
    full_shape: tuple[int, ...],
    block_info: dict | None = None,
) -> np.ndarray:
    """One block: ``full[block's slices]`` by the sharded API (runs on the workers)."""
    info = block_info[None]
    index = tuple(slice(a, b) for a, b in info["array-location"])
    out = np.empty(info["chunk-shape"], dtype)
    fn = getattr(_schemes, scheme)
    if pair is None:  # constant, zeros, ones: no stream, nothing to shard
        return fn(out, *args, **kwargs)
    return fn(out, *args, seed=Generator(*pair), full_shape=full_shape, index=index, **kwargs)


def _build(
    scheme: str,
    shape: Any,
    args: tuple,
    kwargs: dict,
    *,
    chunks: Any,
    dtype: Any,
    seed: Any,
    random: bool = True,
) -> _da.Array:
    shape = check_shape(shape, "shape")
    dt = _RAW if scheme == "random_raw" else resolve_dtype(dtype)
    fn = getattr(_schemes, scheme)
    ndim = len(shape)
    if not random:
        fn(np.empty((0,) * ndim, dt), *args, **kwargs)  # validates value (and nothing else)
        pair = None
    else:
        # Validate with the eager code on a tiny shard of the full tensor (seed=0: no
        # generator is touched); only then draw the stream, as the eager API does.
        n = 0 if scheme == "sparse" or 0 in shape else 1
        fn(
            np.empty((n,) * ndim, dt),
            *args,
            seed=0,
            full_shape=shape,
            index=(slice(0, n),) * ndim,
            **kwargs,
        )
        pair = resolve_seed(seed)
    chunks = _da.core.normalize_chunks(chunks, shape, dtype=dt)
    func = functools.partial(_fill_block, scheme, tuple(args), dict(kwargs), pair, dt, shape)
    name = f"fastinit-{scheme}-" + _tokenize(
        scheme, args, kwargs, pair, dt.str, str(dt), shape, chunks
    )
    return _da.map_blocks(func, chunks=chunks, dtype=dt, meta=np.empty((0,) * ndim, dt), name=name)


def _random(scheme: str) -> Callable[..., _da.Array]:
    eager = getattr(_schemes, scheme)

    def wrapper(
        shape: Any,
        *args: Any,
        chunks: Any = "auto",
        dtype: Any = "float32",
        seed: Any = None,
        **kwargs: Any,
    ) -> _da.Array:
        return _build(scheme, shape, args, kwargs, chunks=chunks, dtype=dtype, seed=seed)

    wrapper.__name__ = wrapper.__qualname__ = scheme
    wrapper.__doc__ = (
        f"A lazy Dask array of :func:`fastinit.{scheme}` over `shape`.\n\n"
        f"``{scheme}(shape, *args, chunks='auto', dtype='float32', seed=None, **kwargs)``: "
        f"`args` and `kwargs` are :func:`fastinit.{scheme}`'s parameters; `chunks` as in "
        f":func:`dask.array.map_blocks` (uneven chunks allowed). Computes to exactly the dense "
        f"fill. See the module docstring.\n\n"
        f"The eager function's documentation follows.\n\n{eager.__doc__ or ''}"
    )
    return wrapper


def random_raw(shape: Any, *, chunks: Any = "auto", seed: Any = None) -> _da.Array:
    """A lazy uint32 Dask array of the stream's raw words (:func:`fastinit.random_raw`)."""
    return _build("random_raw", shape, (), {}, chunks=chunks, dtype=None, seed=seed)


def constant(
    shape: Any, value: float, *, chunks: Any = "auto", dtype: Any = "float32"
) -> _da.Array:
    """A lazy Dask array filled with `value` (:func:`fastinit.constant`)."""
    return _build(
        "constant", shape, (value,), {}, chunks=chunks, dtype=dtype, seed=None, random=False
    )


def zeros(shape: Any, *, chunks: Any = "auto", dtype: Any = "float32") -> _da.Array:
    """A lazy Dask array of zeros (:func:`fastinit.zeros`)."""
    return constant(shape, 0.0, chunks=chunks, dtype=dtype)


def ones(shape: Any, *, chunks: Any = "auto", dtype: Any = "float32") -> _da.Array:
    """A lazy Dask array of ones (:func:`fastinit.ones`)."""
    return constant(shape, 1.0, chunks=chunks, dtype=dtype)


uniform = _random("uniform")
normal = _random("normal")
trunc_normal = _random("trunc_normal")
xavier_uniform = _random("xavier_uniform")
xavier_normal = _random("xavier_normal")
kaiming_uniform = _random("kaiming_uniform")
kaiming_normal = _random("kaiming_normal")
lecun_uniform = _random("lecun_uniform")
lecun_normal = _random("lecun_normal")
variance_scaling = _random("variance_scaling")
orthogonal = _random("orthogonal")  # raises: cannot be sharded (the eager API's ValueError)
sparse = _random("sparse")
glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
he_uniform = kaiming_uniform
he_normal = kaiming_normal
