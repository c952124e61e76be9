"""From a host fill to a ``jax.Array``: eagerly (one fill, handed to JAX without a copy on the
CPU), shard by shard (``jax.make_array_from_callback``), or inside a transformation
(``jax.pure_callback``).

A *fill* is ``write(out, pair, index)``: it writes ``full[index]`` of the logical tensor (the
whole of it when `index` is None) into the NumPy array `out`, from the fastinit stream
``pair = (seed, stream)``.
"""

from __future__ import annotations

import functools
import math
import operator
import warnings
from collections.abc import Callable
from typing import Any, Optional

import jax
import numpy as np

from .._input.dtypes import resolve_dtype
from .._input.values import describe, dims, is_int
from ._keys import is_traced, seed_of_words

__all__ = [
    "Write",
    "resolve_shape",
    "resolve_jax_dtype",
    "resolve_sharding",
    "empty",
    "materialize",
    "constant_array",
]

Index = tuple[slice, ...]
Write = Callable[[np.ndarray, tuple[int, int], Optional[Index]], None]

# XLA's CPU client aliases a host buffer (no copy) when it is aligned to 64 bytes.
_ALIGN = 64
_F64 = np.dtype(np.float64)


def resolve_shape(shape: Any) -> tuple[int, ...]:
    """A shape as JAX takes it: an int or a sequence of non-negative ints."""
    if is_int(shape):
        shape = (operator.index(shape),)
    out = dims(shape, "shape")
    if math.prod(out) >= 2**63:
        raise ValueError(f"shape {out} has more than 2**63 - 1 elements")
    return out


def default_float() -> np.dtype:
    """JAX's default float dtype: float32, or float64 with ``jax_enable_x64``."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def resolve_jax_dtype(dtype: Any) -> np.dtype:
    """float32, float64, float16 or bfloat16 (None: JAX's default float dtype).

    float64 without ``jax_enable_x64`` becomes float32 with a UserWarning, as JAX's own
    initializers do.
    """
    if dtype is None:
        return default_float()
    dt = resolve_dtype(dtype, "dtype")
    if dt == _F64 and default_float() != _F64:
        warnings.warn(
            "fastinit.jax: dtype float64 is not available with jax_enable_x64 off; "
            "the array is float32 (as JAX's initializers do). Set jax_enable_x64 "
            "(or JAX_ENABLE_X64=1) for float64",
            UserWarning,
            stacklevel=3,
        )
        return np.dtype(np.float32)
    return dt


def resolve_sharding(out_sharding: Any, traced: bool) -> Any:
    """A ``jax.sharding.Sharding``, or None. A PartitionSpec is placed on the mesh of
    ``jax.set_mesh``; inside a transformation (`traced`) it stays a PartitionSpec of the
    abstract mesh."""
    if out_sharding is None or isinstance(out_sharding, jax.sharding.Sharding):
        return out_sharding
    if isinstance(out_sharding, jax.sharding.PartitionSpec):
        if traced:
            if not jax.sharding.get_abstract_mesh().empty:
                return out_sharding
        else:
            mesh = jax.sharding.get_mesh()
            if not mesh.empty:
                return jax.sharding.NamedSharding(mesh, out_sharding)
        raise ValueError(
            "out_sharding: a PartitionSpec needs a mesh (call the initializer "
            "under `with jax.set_mesh(mesh):`), or pass a NamedSharding"
        )
    raise TypeError(
        f"out_sharding must be a jax.sharding.NamedSharding (or another "
        f"jax.sharding.Sharding), a PartitionSpec under jax.set_mesh, or None; got "
        f"{describe(out_sharding)}"
    )


def empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialized C-contiguous array whose data is 64-byte aligned (so that JAX's CPU
    client can take it without copying)."""
    nbytes = math.prod(shape) * dtype.itemsize
    buf = np.empty(nbytes + _ALIGN, np.uint8)
    start = -buf.ctypes.data % _ALIGN
    return buf[start : start + nbytes].view(dtype).reshape(shape)


def _host(write: Write, shape: tuple[int, ...], dtype: np.dtype, words: np.ndarray) -> np.ndarray:
    """The callback of a traced call: the whole array, from the key data."""
    out = empty(shape, dtype)
    write(out, (seed_of_words(words), 0), None)
    return out


def _constrain(x: Any, sharding: Any) -> Any:
    """`x` with `sharding` inside a transformation: ``jax.device_put`` on a mesh with explicit
    axes, a sharding constraint on a mesh of auto axes (a PartitionSpec: the abstract mesh of
    ``jax.set_mesh``)."""
    mesh: Any
    if isinstance(sharding, jax.sharding.PartitionSpec):
        mesh = jax.sharding.get_abstract_mesh()
    else:
        mesh = getattr(sharding, "mesh", None)
    types = getattr(mesh, "axis_types", ())
    if any(t == jax.sharding.AxisType.Explicit for t in types):
        return jax.device_put(x, sharding)
    return jax.lax.with_sharding_constraint(x, sharding)


def _normalize(index: Any, shape: tuple[int, ...]) -> Index:
    """make_array_from_callback's index as explicit slices."""
    return tuple(slice(*s.indices(n)) for s, n in zip(index, shape))


def materialize(
    write: Write,
    words: Any,
    shape: tuple[int, ...],
    dtype: np.dtype,
    sharding: Any,
    shardable: bool,
) -> jax.Array:
    """The ``jax.Array`` of a fill from the key data `words` (concrete or traced).

    * traced `words`: ``jax.pure_callback`` computes the whole array on the host (the same
      values), then `sharding` is applied as a sharding constraint;
    * no `sharding`: one fill into an aligned buffer, handed to ``jax.device_put``;
    * a `sharding`: ``jax.make_array_from_callback``, each shard filled alone with
      ``full_shape``/``index`` from one ``(seed, stream)`` pair (`shardable`), or cut from
      the whole array (not `shardable`: orthogonal).
    """
    if is_traced(words):
        out = jax.pure_callback(
            functools.partial(_host, write, shape, dtype),
            jax.ShapeDtypeStruct(shape, dtype),
            words,
            vmap_method="sequential",
        )
        return out if sharding is None else _constrain(out, sharding)
    pair = (seed_of_words(words), 0)
    if sharding is None:
        out = empty(shape, dtype)
        write(out, pair, None)
        return jax.device_put(out, may_alias=True)
    if shardable:

        def shard(index: Any) -> np.ndarray:
            idx = _normalize(index, shape)
            part = empty(tuple(len(range(s.start, s.stop, s.step)) for s in idx), dtype)
            write(part, pair, idx)
            return part
    else:
        whole = empty(shape, dtype)
        write(whole, pair, None)

        def shard(index: Any) -> np.ndarray:
            part = whole[_normalize(index, shape)]
            out = empty(part.shape, dtype)
            out[...] = part
            return out

    return jax.make_array_from_callback(shape, sharding, shard, dtype=dtype)


def constant_array(
    value: Any, shape: tuple[int, ...], dtype: np.dtype, sharding: Any, traced: bool
) -> jax.Array:
    """An array of `value` (exact in `dtype`) with `sharding` (None: JAX's default device);
    `traced`: inside a transformation."""
    import jax.numpy as jnp

    if sharding is None or not (traced or isinstance(sharding, jax.sharding.PartitionSpec)):
        return jnp.full(shape, value, dtype=dtype, device=sharding)
    return _constrain(jnp.full(shape, value, dtype=dtype), sharding)
