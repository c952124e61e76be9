"""JAX's orthogonal and delta_orthogonal: the whole matrix from fastinit's normal stream
(QR), then every device's slice (docs/jax.md)."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .. import schemes as _schemes
from .._input.dtypes import dtype_max, dtype_name
from .._input.values import axis, describe, is_int
from .._random.generator import Generator
from ._arrays import (
    Write,
)
from .initializers import (
    Initializer,
    Shape,
    _Fill,
    _label,
    _real,
)

__all__ = [
    "orthogonal",
    "delta_orthogonal",
]


# ---- orthogonal --------------------------------------------------------------------------------


def _orthogonal_write(scale: float, column: int, shape: Shape) -> Write:
    """JAX's layout over fastinit.orthogonal: the (rows, columns) matrix with ``columns =
    shape[column]``, reshaped to the other dimensions and moved into place."""
    n_cols = shape[column]
    rest = shape[:column] + shape[column + 1 :]

    def write(out: np.ndarray, pair: tuple[int, int], index: Any) -> None:
        matrix = np.empty((math.prod(rest), n_cols), out.dtype)
        q = _schemes.orthogonal(matrix, scale, seed=Generator(*pair))
        out[...] = np.moveaxis(q.reshape(rest + (n_cols,)), -1, column)

    return write


def _orthogonal_parts(name: str, scale: Any, column_axis: Any) -> tuple[float, int]:
    s = _real(scale, "scale", name)
    if not is_int(column_axis):
        raise TypeError(f"{name}: column_axis must be an int, got {describe(column_axis)}")
    return s, operator.index(column_axis)


def _check_scale(label: str, s: float, dt: np.dtype) -> None:
    if abs(s) > dtype_max(dt):
        raise ValueError(
            f"{label}: scale={s} would overflow {dtype_name(dt)} (|scale| must be "
            f"<= {dtype_max(dt)})"
        )


def orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """A (semi-)orthogonal matrix, as ``jax.nn.initializers.orthogonal``: the dimension
    `column_axis` holds the columns, every other dimension is flattened into rows; the rows or
    the columns (whichever are fewer) are orthonormal, times `scale`.

    The values are ``np.moveaxis(q.reshape(rest + (cols,)), -1, column_axis)`` with
    ``q = fastinit.orthogonal(np.empty((rows, cols), dtype), scale, seed=seed(key))``,
    ``cols = shape[column_axis]``, ``rest`` the other dimensions and ``rows = prod(rest)``:
    a float64 QR of fastinit's normal stream (LAPACK's QR: bit equality across machines holds
    for one LAPACK build). It cannot be filled shard by shard (every value depends on the whole
    matrix): with ``out_sharding`` the whole array is computed and each device gets its part.

    Parameters
    ----------
    scale : float
        Finite (any sign).
    column_axis : int
        The dimension of the columns (negative counts from the end).
    dtype : dtype, optional
        The initializer's default dtype.

    Returns
    -------
    Initializer

    Raises
    ------
    TypeError, ValueError
        A non-real or non-finite `scale`, a non-int `column_axis`; when called, fewer than 2
        dimensions, `column_axis` out of range, ``|scale|`` beyond the dtype's range.

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax as fj
    >>> q = np.asarray(fj.orthogonal()(jax.random.key(0), (3, 5)))
    >>> bool(np.allclose(q @ q.T, np.eye(3), atol=1e-6))
    True
    """
    s, col = _orthogonal_parts("orthogonal", scale, column_axis)
    args = f"scale={s!r}, column_axis={col}"
    label = _label("orthogonal", args)

    def build(shape: Shape, dt: np.dtype) -> _Fill:
        if len(shape) < 2:
            raise ValueError(f"{label}: shape must have at least 2 dimensions, got {shape}")
        try:
            c = axis(col, len(shape), "column_axis", shape)
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
        _check_scale(label, s, dt)
        return _Fill(_orthogonal_write(s, c, shape), shardable=False)

    return Initializer("orthogonal", args, build, dtype)


def delta_orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """A delta-orthogonal convolution kernel, as ``jax.nn.initializers.delta_orthogonal``:
    zeros, with ``orthogonal(scale, column_axis)(key, shape[-2:])`` at the centre of the
    spatial dimensions (index ``(k - 1) // 2`` in each).

    Parameters
    ----------
    scale, column_axis, dtype
        As :func:`orthogonal` (`column_axis` counts in the last two dimensions).

    Returns
    -------
    Initializer

    Raises
    ------
    TypeError, ValueError
        As :func:`orthogonal`; when called, a shape that is not 3-, 4- or 5-D, or whose last
        dimension is smaller than the one before it (JAX's rule).

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> w = fj.delta_orthogonal()(jax.random.key(0), (3, 4, 4))
    >>> float(abs(w[0]).max()), float(abs(w[2]).max())
    (0.0, 0.0)
    """
    s, col = _orthogonal_parts("delta_orthogonal", scale, column_axis)
    args = f"scale={s!r}, column_axis={col}"
    label = _label("delta_orthogonal", args)

    def build(shape: Shape, dt: np.dtype) -> _Fill:
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"{label}: shape must be 3-, 4- or 5-D, got {shape}")
        if shape[-1] < shape[-2]:
            raise ValueError(
                f"{label}: shape[-1] (fan_out) must be >= shape[-2] (fan_in), got shape {shape}"
            )
        try:
            c = axis(col, 2, "column_axis", shape[-2:])
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
        _check_scale(label, s, dt)
        matrix = _orthogonal_write(s, c, shape[-2:])
        centre = tuple((k - 1) // 2 for k in shape[:-2])

        def write(out: np.ndarray, pair: tuple[int, int], index: Any) -> None:
            out[...] = 0
            matrix(out[centre], pair, None)

        return _Fill(write, shardable=False)

    return Initializer("delta_orthogonal", args, build, dtype)
