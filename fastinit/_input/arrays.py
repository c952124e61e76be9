"""Validation of every user input, in one place, before anything is written.

Kernels trust what they get from here. Errors name the argument and the rule: ``TypeError`` for
the wrong kind of object or dtype, ``ValueError`` for everything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backends.cuda import DeviceArray, DeviceView, cuda_module
from .dtypes import bfloat16, dtype_name, is_bfloat16, is_float, resolve_dtype
from .overlap import check_no_overlap, may_overlap
from .values import describe, is_int
from .values import shape as check_shape

__all__ = ["as_output", "check_array", "check_ndim", "is_device_array", "as_device_array"]

_FLOAT_NAMES = "float32, float64, float16 or bfloat16"


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
                f"got {describe(out)}"
            ) from None
    try:
        arr = np.asarray(out)
    except Exception as exc:  # an exotic buffer format NumPy cannot view
        raise TypeError(f"{name}: NumPy cannot view this {describe(out)}: {exc}") from exc
    if arr.base is None and arr.size > 0:
        raise TypeError(
            f"{name}: NumPy could only copy this {describe(out)}, not view it; "
            f"fastinit fills arrays in place"
        )
    return arr


_NATIVE_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)))


def check_array(arr: np.ndarray, name: str, *, raw: bool = False) -> None:
    dt = arr.dtype
    flags = arr.flags
    if (
        not raw
        and (dt in _NATIVE_FLOATS or is_bfloat16(dt))
        and dt.isnative
        and flags.writeable
        and flags.aligned
        and 0 not in arr.strides
        and (flags.forc or not may_overlap(arr.shape, arr.strides, dt.itemsize))
    ):
        return  # the common case, checked fast
    if raw:
        if dt.kind != "u" or dt.itemsize != 4:
            raise TypeError(f"{name} must have dtype uint32 for raw words, got {dtype_name(dt)}")
    else:
        if dt.kind in "biuc" or dt.kind == "O" or not is_float(dt.newbyteorder("=")):
            raise TypeError(
                f"{name} must have a floating dtype ({_FLOAT_NAMES}), got {dtype_name(dt)}"
            )
    if not dt.isnative:
        raise ValueError(
            f"{name} has non-native byte order ({dt.str}); fastinit writes native "
            f"byte order only: use out.view(out.dtype.newbyteorder()) on a "
            f"byte-swapped copy, or a native array"
        )
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not arr.flags.aligned:
        raise ValueError(f"{name} is not aligned to its itemsize ({dt.itemsize} bytes)")
    for dim, (n, s) in enumerate(zip(arr.shape, arr.strides)):
        if n > 1 and s == 0 and arr.size > 0:
            raise ValueError(
                f"{name} is a broadcast view (stride 0 in dimension {dim}): its "
                f"elements share memory, so it cannot be filled"
            )
    if not flags.forc:
        check_no_overlap(arr.shape, arr.strides, dt.itemsize, name)


def as_output(
    out: Any, dtype: Any, name: str = "out", *, raw: bool = False
) -> tuple[np.ndarray, Any]:
    """(array to fill, object to return) for an in-place ``out`` or an allocating shape."""
    if type(out) is np.ndarray and dtype is None:
        check_array(out, name, raw=raw)
        return out, out
    if is_device_array(out):  # a GPU array: filled in place by fastinit._cuda
        if dtype is not None:
            raise TypeError(
                f"dtype= is only for the allocating form (a shape in place of "
                f"{name}); {name} already has a dtype"
            )
        return as_device_array(out, name, raw=raw), out
    if isinstance(out, tuple) or (is_int(out) and not isinstance(out, np.ndarray)):
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
            raise MemoryError(
                f"{name}: cannot allocate an array of shape {shape} and dtype "
                f"{dtype_name(dt)}: {exc}"
            ) from exc
        return arr, arr
    if dtype is not None:
        raise TypeError(
            f"dtype= is only for the allocating form (a shape in place of {name}); "
            f"{name} already has a dtype"
        )
    arr = _view_writable(out, name)
    check_array(arr, name, raw=raw)
    return arr, out


def check_ndim(arr: Any, scheme: str, allowed: tuple[int, ...], name: str = "out") -> None:
    """ValueError unless `arr` has one of the `allowed` numbers of dimensions."""
    nd = arr.ndim
    if nd not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{scheme}: {name} must be {want}, got {nd}-D shape {arr.shape}")


# ---- GPU arrays (__cuda_array_interface__), filled by fastinit._cuda -------------------------

_GPU_MAX_DIMS = 32  # fastinit._cuda's limit (csrc/cuda/grid.h, kMaxDims)


def is_device_array(obj: Any) -> bool:
    if isinstance(obj, np.ndarray):
        return False
    try:
        return hasattr(obj, "__cuda_array_interface__")
    except Exception:  # it has one, which raised (torch: a dtype it cannot export): say why
        return True


def _torch_bfloat16(obj: Any) -> bool:
    return str(getattr(obj, "dtype", "")) == "torch.bfloat16"


def _declared_dtype(out: Any, typestr: Any, name: str) -> np.dtype | None:
    """The element type of a GPU array whose interface cannot name it (bfloat16): a
    DeviceView's (over a 2-byte integer interface), or a torch bfloat16 tensor's ('<V2', as
    recent PyTorch exports it). None for any other array: its type string says."""
    if isinstance(out, DeviceView):
        try:
            base = np.dtype(typestr)
        except TypeError:
            raise TypeError(f"{name}: unsupported GPU dtype {typestr!r}") from None
        if not is_bfloat16(out.dtype) or base.kind not in "iu" or base.itemsize != 2:
            raise TypeError(
                f"{name}: a DeviceView declares bfloat16 over a 2-byte integer "
                f"interface, got {dtype_name(out.dtype)} over {typestr!r}"
            )
        if not base.isnative:
            raise ValueError(f"{name} has non-native byte order ({base.str})")
        return bfloat16()
    if typestr == "<V2" and _torch_bfloat16(out):
        return bfloat16()
    return None


def as_device_array(out: Any, name: str = "out", *, raw: bool = False) -> DeviceArray:
    """Validate a ``__cuda_array_interface__`` object for an in-place fill."""
    try:
        cai = out.__cuda_array_interface__
        shape = tuple(int(d) for d in cai["shape"])
        typestr = cai["typestr"]
        ptr, readonly = cai["data"]
    except Exception as exc:
        hint = ""
        if _torch_bfloat16(out):
            hint = (
                "; this PyTorch exports no bfloat16 through __cuda_array_interface__: fill "
                "the tensor with fastinit.torch's functions (fastinit.torch.normal_, ...), "
                "which write bfloat16 on the GPU"
            )
        raise TypeError(
            f"{name}: a malformed __cuda_array_interface__ on {type(out).__name__}: {exc}{hint}"
        ) from exc
    dt = _declared_dtype(out, typestr, name)
    if dt is None:
        try:
            dt = np.dtype(typestr)
        except TypeError:
            raise TypeError(f"{name}: unsupported GPU dtype {typestr!r}") from None
    if raw:
        if dt.kind != "u" or dt.itemsize != 4:
            raise TypeError(f"{name} must have dtype uint32 for raw words, got {dt.name}")
    elif not is_float(dt.newbyteorder("=")):  # bfloat16 only where declared (_declared_dtype)
        raise TypeError(
            f"{name} must have a floating dtype (float32, float64, float16, or "
            f"bfloat16 through fastinit.torch, on a GPU array), got "
            f"{dtype_name(dt)}"
        )
    if not dt.isnative:
        raise ValueError(f"{name} has non-native byte order ({dt.str})")
    if readonly:
        raise ValueError(f"{name} is read-only")
    if len(shape) > _GPU_MAX_DIMS:
        raise ValueError(
            f"{name} has {len(shape)} dimensions; fastinit fills GPU arrays of at "
            f"most {_GPU_MAX_DIMS}"
        )
    strides_raw = cai.get("strides")
    if strides_raw is None:
        strides_list, step = [], dt.itemsize
        for d in reversed(shape):
            strides_list.append(step)
            step *= d
        strides = tuple(reversed(strides_list))
    else:
        strides = tuple(int(s) for s in strides_raw)
    size = 1
    for d in shape:
        size *= d
    if size > 0:
        if ptr % dt.itemsize or any(s % dt.itemsize for s in strides):
            raise ValueError(f"{name} is not aligned to its itemsize ({dt.itemsize} bytes)")
        for dim, (n, s) in enumerate(zip(shape, strides)):
            if n > 1 and s == 0:
                raise ValueError(
                    f"{name} is a broadcast view (stride 0 in dimension {dim}): "
                    f"its elements share memory, so it cannot be filled"
                )
        check_no_overlap(shape, strides, dt.itemsize, name)
    stream = cai.get("stream")
    if stream is None:
        stream = 0  # no stream given: the legacy default stream
    cuda_module()  # no kernels or no device: say so now, before a stream is drawn
    return DeviceArray(out, int(ptr), shape, strides, dt, int(stream))
