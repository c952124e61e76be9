"""What every scheme does around its own rule: take the output (an array to fill in place, or a
shape to allocate), locate a shard, draw the stream, hand a plan to the backend.

The order is fixed: validate everything (fastinit._input, fastinit._random.plans), then draw
the seed (so a call that raises leaves a Generator where it was), then write.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar, Union

import numpy as np

from .._backends import dispatch as backend
from .._backends.cuda import DeviceArray, cupy_view
from .._input.arrays import as_device_array, as_output
from .._input.shard import Shard, resolve_shard
from .._input.values import real
from .._random.generator import Generator, check_seed, check_stream, resolve_seed
from .._random.plans import Plan

__all__ = [
    "A",
    "ShapeLike",
    "Seed",
    "DTypeLike",
    "Target",
    "prepare",
    "draw",
    "write",
    "std_value",
    "gain_value",
    "array_module",
    "fill_target",
]

A = TypeVar("A")  # an array filled in place: the same object is returned
# What as_output (fastinit/_input/arrays.py) allocates from: an int or a tuple of ints (NumPy's
# included; not bool, not a list). Any other `out` is an array, filled in place.
ShapeLike = Union[int, np.integer[Any], tuple[Union[int, np.integer[Any]], ...]]
Seed = Union[int, Generator, None]
DTypeLike = Any


class Target(NamedTuple):
    """A validated output: the array the backend writes (NumPy or a DeviceArray), the object
    returned to the caller, the logical tensor's shape, and the shard (None: the whole)."""

    arr: Any
    ret: Any
    shape: tuple[int, ...]
    shard: Shard | None


def prepare(
    out: Any,
    dtype: DTypeLike,
    scheme: str,
    full_shape: Any = None,
    index: Any = None,
    *,
    raw: bool = False,
    min_ndim: int = 0,
) -> Target:
    """Validate `out` (or allocate from a shape) and its shard; `min_ndim`: the fewest
    dimensions the logical tensor needs (2 for the fan-based schemes)."""
    arr, ret = as_output(out, dtype, raw=raw)
    shard = resolve_shard(arr.shape, full_shape, index, scheme)
    shape = tuple(arr.shape) if shard is None else shard.full_shape
    if len(shape) < min_ndim:
        raise ValueError(
            f"{scheme}: {'full_shape' if shard else 'out'} must have at least "
            f"{min_ndim} dimensions to compute fan_in and fan_out, got shape "
            f"{shape}"
        )
    return Target(arr, ret, shape, shard)


def write(
    arr: Any, plan: Plan, seed: tuple[int, int], shard: Shard | None = None, *, extra: int = 0
) -> None:
    """Hand `plan` to the backend: `arr` (or its shard) from stream ``seed = (key, stream)``."""
    s, k = seed
    if shard is None:
        backend.fill(plan.kind, arr, s, k, plan.params, extra=extra)
    else:
        backend.fill(
            plan.kind,
            arr,
            s,
            k,
            plan.params,
            extra=extra,
            first=shard.first,
            index_map=shard.index_map or None,
        )


def draw(seed: Seed | tuple[int, int]) -> tuple[int, int]:
    """The (seed, stream) of a call: drawn now from `seed` (see fastinit.Generator), or an
    already-drawn pair (fastinit.torch passes one for a torch.Generator)."""
    if isinstance(seed, tuple):
        if len(seed) != 2:
            raise ValueError(f"seed as a tuple must be a (seed, stream) pair, got {seed!r}")
        return check_seed(seed[0], "seed[0]"), check_stream(seed[1], "seed[1]")
    return resolve_seed(seed)


def std_value(value: Any, name: str) -> float:
    std = real(value, name)
    if std < 0:
        raise ValueError(f"{name} must be >= 0, got {std}")
    return std


def gain_value(gain: Any) -> float:
    g = real(gain, "gain")
    if g < 0:
        raise ValueError(f"gain must be >= 0, got {g}")
    return g


def array_module(arr: Any, scheme: str) -> tuple[Any, Any]:
    """(array to index, its array module): the NumPy array itself, or a CuPy view of a GPU
    array (for the schemes that index or factorize, not only stream)."""
    if isinstance(arr, DeviceArray):
        view = cupy_view(arr, scheme)
        import cupy

        return view, cupy
    return arr, np


def fill_target(a: Any) -> Any:
    """What the backend takes for a temporary of the array module: itself, or a DeviceArray."""
    return a if isinstance(a, np.ndarray) else as_device_array(a, "temporary")
