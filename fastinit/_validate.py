"""Validation of every user input, in one place, before anything is written.

Kernels trust what they get from here. Errors name the argument and the rule: ``TypeError`` for
the wrong kind of object or dtype, ``ValueError`` for everything else.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import numpy as np

from ._device import as_device_array, is_device_array
from ._overlap import check_no_overlap, may_overlap
from ._dtypes import BFLOAT16, FLOAT_DTYPES, dtype_name, resolve_dtype

__all__ = ["as_output", "real", "choice", "check_ndim", "check_shape"]

_FLOAT_NAMES = "float32, float64, float16 or bfloat16"


def _describe(obj: Any) -> str:
    return type(obj).__name__


def _view_writable(out: Any, name: str) -> np.ndarray:
    """A NumPy view of out's memory; never a copy."""
    if isinstance(out, np.ndarray):
        return out
    has_interface = hasattr(out, "__array_interface__")
    if not has_interface:
        try:
            memoryview(out)
        except TypeError:
            raise TypeError(
                f"{name} must be a NumPy array, an object exposing __array_interface__, "
                f"__cuda_array_interface__ or the buffer protocol, or a shape (tuple or int); "
                f"got {_describe(out)}") from None
    try:
        arr = np.asarray(out)
    except Exception as exc:  # an exotic buffer format NumPy cannot view
        raise TypeError(f"{name}: NumPy cannot view this {_describe(out)}: {exc}") from exc
    if arr.base is None and arr.size > 0:
        raise TypeError(f"{name}: NumPy could only copy this {_describe(out)}, not view it; "
                        f"fastinit fills arrays in place")
    return arr


_NATIVE_FLOATS = frozenset(FLOAT_DTYPES)


def check_array(arr: np.ndarray, name: str, *, raw: bool = False) -> None:
    dt = arr.dtype
    flags = arr.flags
    if (not raw and dt in _NATIVE_FLOATS and dt.isnative and flags.writeable and flags.aligned
            and 0 not in arr.strides
            and (flags.forc or not may_overlap(arr.shape, arr.strides, dt.itemsize))):
        return  # the common case, checked fast
    if raw:
        if dt.kind != "u" or dt.itemsize != 4:
            raise TypeError(f"{name} must have dtype uint32 for raw words, got {dtype_name(dt)}")
    else:
        if dt.kind in "biuc" or dt.kind == "O" or dt.newbyteorder("=") not in FLOAT_DTYPES:
            raise TypeError(f"{name} must have a floating dtype ({_FLOAT_NAMES}), "
                            f"got {dtype_name(dt)}")
    if not dt.isnative:
        raise ValueError(f"{name} has non-native byte order ({dt.str}); fastinit writes native "
                         f"byte order only: use out.view(out.dtype.newbyteorder()) on a "
                         f"byte-swapped copy, or a native array")
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not arr.flags.aligned:
        raise ValueError(f"{name} is not aligned to its itemsize ({dt.itemsize} bytes)")
    for dim, (n, s) in enumerate(zip(arr.shape, arr.strides)):
        if n > 1 and s == 0 and arr.size > 0:
            raise ValueError(f"{name} is a broadcast view (stride 0 in dimension {dim}): its "
                             f"elements share memory, so it cannot be filled")
    if not flags.forc:
        check_no_overlap(arr.shape, arr.strides, dt.itemsize, name)


def as_output(out: Any, dtype: Any, name: str = "out", *,
              raw: bool = False) -> tuple[np.ndarray, Any]:
    """(array to fill, object to return) for an in-place ``out`` or an allocating shape."""
    if type(out) is np.ndarray and dtype is None:
        check_array(out, name, raw=raw)
        return out, out
    if is_device_array(out):  # a GPU array: filled in place by fastinit._cuda
        if dtype is not None:
            raise TypeError(f"dtype= is only for the allocating form (a shape in place of "
                            f"{name}); {name} already has a dtype")
        return as_device_array(out, name, raw=raw), out
    if isinstance(out, (tuple, int, np.integer)) and not isinstance(out, bool):
        shape = check_shape(out, name)
        if raw:
            dt = np.dtype(np.uint32) if dtype is None else np.dtype(dtype)
            if dt != np.dtype(np.uint32):
                raise TypeError(f"dtype must be uint32 for raw words, got {dtype_name(dt)}")
        else:
            dt = np.dtype(np.float32) if dtype is None else resolve_dtype(dtype)
        try:
            arr = np.empty(shape, dtype=dt)
        except (MemoryError, ValueError) as exc:
            raise MemoryError(f"{name}: cannot allocate an array of shape {shape} and dtype "
                              f"{dtype_name(dt)}: {exc}") from exc
        return arr, arr
    if dtype is not None:
        raise TypeError(f"dtype= is only for the allocating form (a shape in place of {name}); "
                        f"{name} already has a dtype")
    arr = _view_writable(out, name)
    check_array(arr, name, raw=raw)
    return arr, out


def check_shape(shape: Any, name: str = "shape") -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, tuple):
        raise TypeError(f"{name} must be a tuple of ints or an int, got {_describe(shape)}")
    dims = []
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{name} must contain only ints, got {d!r}")
        if d < 0:
            raise ValueError(f"{name} must not contain negative dimensions, got {shape}")
        dims.append(operator.index(d))
    size = 1
    for d in dims:
        size *= d
    if size >= 2**63:
        raise ValueError(f"{name} {tuple(dims)} has {size} elements, more than 2**63 - 1")
    return tuple(dims)


def real(value: Any, name: str, *, allow_inf: bool = False) -> float:
    """A real number (not bool, not complex) as float; NaN never, infinity only if allowed."""
    if type(value) is float and value - value == 0.0:  # finite: the common case, fast
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got an integer too large for a float") from None
    if math.isnan(x):
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(x) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {x}")
    return x


def choice(value: Any, name: str, allowed: tuple[str, ...], *, lower: bool = False) -> str:
    """`value` if it is one of `allowed` (compared lowercased when `lower`, as PyTorch's mode)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {', '.join(map(repr, allowed))}; "
                        f"got {_describe(value)}")
    key = value.lower() if lower else value
    if key not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return key


def check_ndim(arr: np.ndarray, scheme: str, allowed: tuple[int, ...] | None = None,
               minimum: int | None = None, name: str = "out") -> None:
    nd = arr.ndim
    if minimum is not None and nd < minimum:
        raise ValueError(f"{scheme}: {name} must have at least {minimum} dimensions to compute "
                         f"fan_in and fan_out, got shape {arr.shape}")
    if allowed is not None and nd not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{scheme}: {name} must be {want}, got {nd}-D shape {arr.shape}")


def is_bfloat16(dt: np.dtype) -> bool:
    return dt == BFLOAT16
