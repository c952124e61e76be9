"""GPU arrays: any object exposing ``__cuda_array_interface__`` (CuPy, PyTorch CUDA tensors,
Numba device arrays) is filled in place on the device by ``fastinit._cuda``, on the array's
stream, with the same bits as the CPU core.

The CUDA module is imported lazily: the package imports without a GPU, and a GPU array given
to a build without ``fastinit._cuda`` (or on a machine without a CUDA device) gets a clear
error. Validation follows the host rules (fastinit/_validate.py).
"""

from __future__ import annotations

import importlib
from typing import Any, Sequence

import numpy as np

from ._dtypes import dtype_code, dtype_name
from ._overlap import check_no_overlap

__all__ = ["DeviceArray", "is_device_array", "as_device_array", "device_fill", "cupy_view"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16))
# __cuda_array_interface__ "stream" values with a fixed meaning (CAI v3).
_LEGACY_DEFAULT_STREAM = 1
_PER_THREAD_DEFAULT_STREAM = 2

_cuda: Any = None


def is_device_array(obj: Any) -> bool:
    return not isinstance(obj, np.ndarray) and hasattr(obj, "__cuda_array_interface__")


class DeviceArray:
    """The validated geometry of a GPU array: what the schemes read (shape, dtype, size, ...)
    and what the kernels need (device pointer, byte strides, CUDA stream)."""

    __slots__ = ("obj", "ptr", "shape", "strides", "dtype", "size", "ndim", "stream")

    def __init__(self, obj: Any, ptr: int, shape: tuple[int, ...], strides: tuple[int, ...],
                 dtype: np.dtype, stream: int) -> None:
        self.obj = obj
        self.ptr = ptr
        self.shape = shape
        self.strides = strides
        self.dtype = dtype
        self.ndim = len(shape)
        size = 1
        for d in shape:
            size *= d
        self.size = size
        self.stream = stream

    def __repr__(self) -> str:
        return (f"DeviceArray(shape={self.shape}, dtype={dtype_name(self.dtype)}, "
                f"strides={self.strides}, stream={self.stream:#x})")


def as_device_array(out: Any, name: str = "out", *, raw: bool = False) -> DeviceArray:
    """Validate a ``__cuda_array_interface__`` object for an in-place fill."""
    try:
        cai = out.__cuda_array_interface__
        shape = tuple(int(d) for d in cai["shape"])
        typestr = cai["typestr"]
        ptr, readonly = cai["data"]
    except Exception as exc:
        raise TypeError(f"{name}: a malformed __cuda_array_interface__ on "
                        f"{type(out).__name__}: {exc}") from exc
    try:
        dt = np.dtype(typestr)
    except TypeError:
        raise TypeError(f"{name}: unsupported GPU dtype {typestr!r}") from None
    if raw:
        if dt.kind != "u" or dt.itemsize != 4:
            raise TypeError(f"{name} must have dtype uint32 for raw words, got {dt.name}")
    elif dt.newbyteorder("=") not in _FLOATS:
        raise TypeError(f"{name} must have a floating dtype (float32, float64 or float16 on a "
                        f"GPU array), got {dtype_name(dt)}")
    if not dt.isnative:
        raise ValueError(f"{name} has non-native byte order ({dt.str})")
    if readonly:
        raise ValueError(f"{name} is read-only")
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
                raise ValueError(f"{name} is a broadcast view (stride 0 in dimension {dim}): "
                                 f"its elements share memory, so it cannot be filled")
        check_no_overlap(shape, strides, dt.itemsize, name)
    stream = cai.get("stream")
    if stream is None:
        stream = 0  # no stream given: the legacy default stream
    _cuda_module()  # no kernels or no device: say so now, before a stream is drawn
    return DeviceArray(out, int(ptr), shape, strides, dt, int(stream))


def _cuda_module() -> Any:
    global _cuda
    if _cuda is None:
        try:
            mod = importlib.import_module(f"{__package__}._cuda")
        except ImportError as exc:
            raise ImportError(
                "fastinit was built without its CUDA kernels (fastinit._cuda), so it cannot "
                "fill a GPU array: reinstall with a CUDA toolkit on the PATH "
                f"(FASTINIT_CUDA=ON pip install .) ({exc})") from exc
        if mod.device_count() == 0:
            raise RuntimeError("fastinit._cuda found no CUDA device (or no driver) for this "
                               "GPU array")
        _cuda = mod
    return _cuda


def device_fill(kind: int, arr: DeviceArray, seed: int, stream: int, params: Sequence[float],
                *, extra: int = 0, first: int = 0) -> None:
    """The GPU counterpart of fastinit._backend.fill."""
    if arr.size == 0:
        return
    cuda_stream = arr.stream
    if cuda_stream == _LEGACY_DEFAULT_STREAM:
        cuda_stream = 0  # cudaStreamLegacy: 0 means the same to the runtime
    elif cuda_stream == _PER_THREAD_DEFAULT_STREAM:
        cuda_stream = 2  # cudaStreamPerThread's handle value
    _cuda_module().fill(kind, dtype_code(arr.dtype), arr.ptr, list(arr.shape), list(arr.strides),
                        seed, stream, extra, first, [float(p) for p in params], cuda_stream)


def cupy_view(arr: DeviceArray, scheme: str) -> Any:
    """A CuPy view of a GPU array, for the schemes that need more than the stream (eye, dirac,
    orthogonal's QR, sparse's ranking)."""
    try:
        import cupy
    except ImportError:
        raise ImportError(f"{scheme} on a GPU array uses CuPy (for its linear algebra and "
                          f"indexing), which is not installed: pip install cupy-cuda12x (or "
                          f"the build for your CUDA), or fill a host array and copy it") from None
    return cupy.asarray(arr.obj)

