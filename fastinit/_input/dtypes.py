"""The output dtypes fastinit writes: float32, float64, float16 and bfloat16 (ml_dtypes').

ml_dtypes is imported when bfloat16 is first needed, not with fastinit: its import is most of
``import fastinit``'s time (about 0.85 s of 1.1 s here). A bfloat16 array can only exist once
ml_dtypes is imported, so recognizing one never imports it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

# Also BFLOAT16 and FLOAT_DTYPES, through __getattr__ (they import ml_dtypes).
__all__ = [
    "bfloat16",
    "is_bfloat16",
    "is_float",
    "resolve_dtype",
    "dtype_max",
    "dtype_name",
    "compute_dtype",
]

_F32, _F64, _F16 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)
_BASE_FLOATS = frozenset((_F32, _F64, _F16))
_NAMES = "float32, float64, float16 or bfloat16"
_MAX = {
    _F32: float(np.finfo(np.float32).max),
    _F64: float(np.finfo(np.float64).max),
    _F16: float(np.finfo(np.float16).max),
}
_BFLOAT16_MAX = 3.3895313892515355e38  # (2 - 2**-7) * 2**127, ml_dtypes.finfo(bfloat16).max
_bf16: np.dtype | None = None


def bfloat16() -> np.dtype:
    """ml_dtypes' bfloat16 (imported on first use)."""
    global _bf16
    if _bf16 is None:
        import ml_dtypes

        _bf16 = np.dtype(ml_dtypes.bfloat16)
    return _bf16


def is_bfloat16(dt: np.dtype) -> bool:
    """Whether `dt` is ml_dtypes' bfloat16 (without importing ml_dtypes)."""
    return dt.name == "bfloat16" and "ml_dtypes" in sys.modules and dt == bfloat16()


def is_float(dt: np.dtype) -> bool:
    """One of the dtypes fastinit writes values in (byte order aside)."""
    return dt in _BASE_FLOATS or is_bfloat16(dt)


def __getattr__(name: str) -> Any:  # BFLOAT16, FLOAT_DTYPES: import ml_dtypes when asked for
    if name == "BFLOAT16":
        return bfloat16()
    if name == "FLOAT_DTYPES":
        return (_F32, _F64, _F16, bfloat16())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def dtype_name(dt: np.dtype) -> str:
    return dt.name


def resolve_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """A NumPy dtype, a type or a name ("float32", "bfloat16", ...) to a supported float dtype."""
    if isinstance(dtype, str) and dtype.lower() in ("bfloat16", "bf16"):
        return bfloat16()
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be a NumPy dtype or a dtype name, got {dtype!r}") from exc
    if not is_float(dt.newbyteorder("=")) or not dt.isnative:
        got = dtype_name(dt) if dt.isnative else f"{dt.str!r} (non-native byte order)"
        raise TypeError(f"{name} must be {_NAMES} (native byte order), got {got}")
    return dt


def dtype_max(dt: np.dtype) -> float:
    """Largest finite value of a float dtype."""
    m = _MAX.get(dt)
    return _BFLOAT16_MAX if m is None else m


def compute_dtype(dt: np.dtype) -> np.dtype:
    """float64 for float64 outputs, float32 for float32, float16 and bfloat16 (docs/stream.md)."""
    return _F64 if dt == _F64 else _F32
