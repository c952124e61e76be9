"""GPU arrays: any object exposing ``__cuda_array_interface__`` (CuPy, PyTorch CUDA tensors,
Numba device arrays) is filled in place on the device by ``fastinit._cuda``, on the array's
stream, with the same bits as the CPU core.

The CUDA module is imported lazily: the package imports without a GPU, and a GPU array given
to a build without ``fastinit._cuda`` (or on a machine without a CUDA device) gets a clear
error. Validation (fastinit/_input/arrays.py, as_device_array) follows the host rules.

bfloat16: the interface has no type string for it (PyTorch exports none, or ``<V2``), so a
bfloat16 GPU array arrives as a :class:`DeviceView`: the memory of a 2-byte integer view of it
with the element type declared, and the kernels are told to write bfloat16.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from .codes import Scheme, dtype_code

__all__ = ["DeviceArray", "DeviceView", "cuda_module", "device_fill", "cupy_view"]

# __cuda_array_interface__ "stream" values with a fixed meaning (CAI v3).
_LEGACY_DEFAULT_STREAM = 1
_PER_THREAD_DEFAULT_STREAM = 2

_cuda: Any = None


class DeviceArray:
    """The validated geometry of a GPU array: what the schemes read (shape, dtype, size, ...)
    and what the kernels need (device pointer, byte strides, CUDA stream)."""

    __slots__ = ("obj", "ptr", "shape", "strides", "dtype", "size", "ndim", "stream")

    def __init__(
        self,
        obj: Any,
        ptr: int,
        shape: tuple[int, ...],
        strides: tuple[int, ...],
        dtype: np.dtype,
        stream: int,
    ) -> None:
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
        return (
            f"DeviceArray(shape={self.shape}, dtype={self.dtype.name}, "
            f"strides={self.strides}, stream={self.stream:#x})"
        )


def cuda_module() -> Any:
    global _cuda
    if _cuda is None:
        try:
            mod = importlib.import_module("fastinit._cuda")
        except ImportError as exc:
            raise ImportError(
                "fastinit was built without its CUDA kernels (fastinit._cuda), so it cannot "
                "fill a GPU array: reinstall with a CUDA toolkit on the PATH "
                f"(FASTINIT_CUDA=ON pip install .) ({exc})"
            ) from exc
        if mod.device_count() == 0:
            raise RuntimeError(
                "fastinit._cuda found no CUDA device (or no driver) for this GPU array"
            )
        _cuda = mod
    return _cuda


class DeviceView:
    """A GPU array whose element type ``__cuda_array_interface__`` cannot name (bfloat16): the
    interface of `base`, a view of the same memory with a 2-byte integer type (a torch tensor's
    ``view(torch.int16)``), and the element type to write, `dtype`. Indexing returns a view of
    ``base[key]`` (fastinit.torch fills a DTensor's local tensor block by block)."""

    __slots__ = ("base", "dtype")

    def __init__(self, base: Any, dtype: Any) -> None:
        self.base = base
        self.dtype = np.dtype(dtype)

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        return self.base.__cuda_array_interface__

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.base.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, key: Any) -> DeviceView:
        return DeviceView(self.base[key], self.dtype)

    def __repr__(self) -> str:
        return f"DeviceView({self.dtype.name}, shape={self.shape})"


def device_fill(
    kind: Scheme,
    arr: DeviceArray,
    seed: int,
    stream: int,
    params: Sequence[float],
    *,
    extra: int = 0,
    first: int = 0,
    index_map: Sequence[int] | None = None,
) -> None:
    """The GPU counterpart of fastinit._backends.dispatch.fill, `index_map` (a shard) included:
    the kernels follow the CPU core's rule, element (j_0, ..., j_k) of `arr` is stream element
    ``first + sum_d j_d * index_map[d]``."""
    if arr.size == 0:
        return
    cuda_stream = arr.stream
    if cuda_stream == _LEGACY_DEFAULT_STREAM:
        cuda_stream = 0  # cudaStreamLegacy: 0 means the same to the runtime
    elif cuda_stream == _PER_THREAD_DEFAULT_STREAM:
        cuda_stream = 2  # cudaStreamPerThread's handle value
    shape, strides = list(arr.shape), list(arr.strides)
    imap = [int(m) for m in index_map] if index_map is not None else []
    if not shape:  # a 0-d array: its one element, as a 1-element view
        shape, strides = [1], [arr.dtype.itemsize]
        imap = [1] if index_map is not None else []
    cuda_module().fill(
        kind,
        dtype_code(arr.dtype),
        arr.ptr,
        shape,
        strides,
        seed,
        stream,
        extra,
        first,
        [float(p) for p in params],
        imap,
        cuda_stream,
    )


def cupy_view(arr: DeviceArray, scheme: str) -> Any:
    """A CuPy view of a GPU array, for the schemes that need more than the stream (eye, dirac,
    orthogonal's QR, sparse's ranking)."""
    if arr.dtype.name == "bfloat16":
        raise TypeError(
            f"{scheme} cannot fill a bfloat16 GPU array: it indexes the array with "
            f"CuPy, which has no bfloat16; fill a float32 array and convert"
        )
    try:
        import cupy
    except ImportError:
        raise ImportError(
            f"{scheme} on a GPU array uses CuPy (for its linear algebra and "
            f"indexing), which is not installed: pip install cupy-cuda12x (or "
            f"the build for your CUDA), or fill a host array and copy it"
        ) from None
    return cupy.asarray(arr.obj)
