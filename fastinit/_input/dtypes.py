"""The output dtypes fastinit writes, and how each maps to the core's codes."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

__all__ = ["BFLOAT16", "FLOAT_DTYPES", "resolve_dtype", "dtype_max", "dtype_name", "compute_dtype"]

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16), BFLOAT16)
_NAMES = "float32, float64, float16 or bfloat16"


def dtype_name(dt: np.dtype) -> str:
    return "bfloat16" if dt == BFLOAT16 else dt.name


def resolve_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """A NumPy dtype, a type or a name ("float32", "bfloat16", ...) to a supported float dtype."""
    if isinstance(dtype, str) and dtype.lower() in ("bfloat16", "bf16"):
        return BFLOAT16
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be a NumPy dtype or a dtype name, got {dtype!r}") from exc
    if dt.newbyteorder("=") not in FLOAT_DTYPES or not dt.isnative:
        got = dtype_name(dt) if dt.isnative else f"{dt.str!r} (non-native byte order)"
        raise TypeError(f"{name} must be {_NAMES} (native byte order), got {got}")
    return dt


_MAX = {dt: float(ml_dtypes.finfo(dt).max) for dt in FLOAT_DTYPES}


def dtype_max(dt: np.dtype) -> float:
    """Largest finite value of a float dtype."""
    return _MAX[dt]


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def compute_dtype(dt: np.dtype) -> np.dtype:
    """float64 for float64 outputs, float32 for float32, float16 and bfloat16 (docs/stream.md)."""
    return _F64 if dt == _F64 else _F32
