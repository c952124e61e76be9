"""The structured schemes: orthogonal (a QR of the normal stream), sparse (the normal stream
with zeros ranked by a second stream), and the deterministic eye and dirac.
"""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np

from .._backends.codes import Scheme
from .._input.arrays import as_output, check_ndim
from .._input.dtypes import dtype_max, dtype_name
from .._input.shard import Shard
from .._input.values import integer, real
from .._random.plans import Plan, normal_plan
from ._common import (
    A,
    DTypeLike,
    Seed,
    ShapeLike,
    array_module,
    draw,
    fill_target,
    prepare,
    std_value,
    write,
)

__all__ = ["orthogonal", "sparse", "eye", "dirac"]

_ZERO = Plan(Scheme.CONSTANT, (0.0,))
_RANK_KEYS = Plan(Scheme.RAW, ())  # sparse's ranking keys: the raw stream with extra = 1


@overload
def orthogonal(
    out: ShapeLike,
    gain: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def orthogonal(
    out: A,
    gain: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def orthogonal(
    out: A,
    gain: float = 1.0,
    *,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
    """A (semi-)orthogonal matrix, as :func:`torch.nn.init.orthogonal_`.

    `out` (at least 2-D) is viewed as ``(rows, cols) = (shape[0], prod(shape[1:]))``. A float64
    N(0, 1) draw of that matrix (the stream of :func:`normal`) is QR-decomposed (its transpose
    when ``rows < cols``), ``Q`` is multiplied by the signs of ``diag(R)`` so the result is
    uniformly (Haar) distributed, scaled by `gain` (any finite float) and rounded to the dtype.
    Needs ``rows * cols`` float64 temporaries.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> q = fastinit.orthogonal((4, 8), seed=0, dtype="float64")
    >>> bool(np.allclose(q @ q.T, np.eye(4)))
    True
    """
    if full_shape is not None or index is not None:
        raise ValueError(
            "orthogonal cannot fill a shard (full_shape=, index=): every value "
            "depends on the whole matrix through its QR decomposition; fill the "
            "whole matrix and slice it"
        )
    arr, ret, shape, _ = prepare(out, dtype, "orthogonal")
    if len(shape) < 2:
        raise ValueError(
            f"orthogonal: out must have at least 2 dimensions (rows, then the "
            f"trailing ones flattened into columns), got shape {shape}"
        )
    g = real(gain, "gain")
    if abs(g) > dtype_max(arr.dtype):
        raise ValueError(
            f"orthogonal: gain={g} would overflow {dtype_name(arr.dtype)} "
            f"(|gain| must be <= {dtype_max(arr.dtype)})"
        )
    seed_pair = draw(seed)
    if arr.size == 0:
        return ret
    rows = arr.shape[0]
    cols = arr.size // rows
    target, xp = array_module(arr, "orthogonal")
    flat = xp.empty((rows, cols), xp.float64)
    write(fill_target(flat), Plan(Scheme.NORMAL, (0.0, 1.0)), seed_pair)
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q *= xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    q *= g
    target[...] = q.reshape(arr.shape)
    return ret


@overload
def sparse(
    out: ShapeLike,
    sparsity: float,
    std: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def sparse(
    out: A,
    sparsity: float,
    std: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def sparse(
    out: A,
    sparsity: float,
    std: float = 0.01,
    *,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
    """A sparse 2-D matrix, as :func:`torch.nn.init.sparse_`: N(0, std**2) values with
    ``ceil(sparsity * rows)`` zeros in every column.

    The zero rows of each column are a uniformly random subset, chosen by ranking keys drawn
    from the same stream with ``extra = 1`` (docs/stream.md section 8).

    Parameters
    ----------
    out : ndarray or shape
        2-D. See :func:`uniform`.
    sparsity : float
        Fraction of zeros per column, in ``[0, 1]``.
    std : float
        ``>= 0``.
    seed, dtype, full_shape, index
        See :func:`uniform`.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.sparse((10, 4), 0.3, seed=0)
    >>> (w == 0).sum(axis=0).tolist()
    [3, 3, 3, 3]
    """
    arr, ret, shape, shard = prepare(out, dtype, "sparse", full_shape, index)
    if len(shape) != 2:
        what = "full_shape" if shard else "out"
        raise ValueError(f"sparse: {what} must be 2-D, got {len(shape)}-D shape {shape}")
    sp = real(sparsity, "sparsity")
    if not 0.0 <= sp <= 1.0:
        raise ValueError(f"sparse: sparsity must be in [0, 1], got {sp}")
    plan = normal_plan(0.0, std_value(std, "std"), arr.dtype, "sparse")
    rows = shape[0]
    n_zeros = math.ceil(sp * rows)
    # The array module first: a GPU array it cannot index fails before anything is written.
    target, xp = array_module(arr, "sparse") if n_zeros and arr.size else (arr, np)
    seed_pair = draw(seed)
    if arr.size == 0:
        return ret
    write(arr, plan, seed_pair, shard)
    if not n_zeros:
        return ret
    if shard is None:
        cols = shape[1]
        keys = xp.empty((rows, cols), xp.uint32)
        write(fill_target(keys), _RANK_KEYS, seed_pair, extra=1)
        zero_rows = xp.argsort(keys, axis=0, kind="stable")[:n_zeros]
        target[zero_rows, xp.arange(cols)[None, :]] = 0
        return ret
    # A shard: each of its columns is ranked over all the rows of the full matrix.
    r0, r1, rstep = shard.rows
    c0, c1, cstep = shard.cols
    col_ids = np.arange(c0, c1, cstep)
    keys = np.empty((rows, len(col_ids)), np.uint32)
    columns = Shard(shape, int(c0), [shape[1], int(cstep)])
    write(keys, _RANK_KEYS, seed_pair, columns, extra=1)
    zero_rows = np.argsort(keys, axis=0, kind="stable")[:n_zeros]  # full row indices
    row_ids = np.arange(r0, r1, rstep)
    in_rows = np.isin(zero_rows, row_ids)
    mask = np.zeros((len(row_ids), len(col_ids)), bool)
    mask[((zero_rows - r0) // rstep)[in_rows], np.nonzero(in_rows)[1]] = True
    target[xp.asarray(mask.reshape(arr.shape))] = 0  # an int index drops a length-1 dimension
    return ret


@overload
def eye(out: ShapeLike, *, dtype: DTypeLike = ...) -> np.ndarray: ...
@overload
def eye(out: A, *, dtype: DTypeLike = ...) -> A: ...


def eye(out: A, *, dtype: DTypeLike = None) -> A:
    """The identity matrix (ones on the main diagonal of a 2-D `out`, zeros elsewhere), as
    :func:`torch.nn.init.eye_`; non-square shapes are allowed.

    Parameters
    ----------
    out : ndarray or shape
        2-D. See :func:`constant`.
    dtype : dtype, optional
        Only with a shape: the new array's dtype (default float32).

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Examples
    --------
    >>> import fastinit
    >>> fastinit.eye((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    arr, ret = as_output(out, dtype)
    check_ndim(arr, "eye", allowed=(2,))
    n = min(arr.shape)
    target, xp = array_module(arr, "eye") if n else (arr, np)  # before anything is written
    write(arr, _ZERO, (0, 0))
    if n:
        target[xp.arange(n), xp.arange(n)] = 1
    return ret


@overload
def dirac(out: ShapeLike, groups: int = ..., *, dtype: DTypeLike = ...) -> np.ndarray: ...
@overload
def dirac(out: A, groups: int = ..., *, dtype: DTypeLike = ...) -> A: ...


def dirac(out: A, groups: int = 1, *, dtype: DTypeLike = None) -> A:
    """The Dirac delta (identity) for a convolution weight, as :func:`torch.nn.init.dirac_`.

    `out` is 3-, 4- or 5-D ``(out_channels, in_channels, *kernel)``; `groups` (an int >= 1)
    must divide ``out_channels``. Each group's first ``min(out_channels // groups,
    in_channels)`` channels get a 1 at the kernel centre (``k // 2`` in each dimension).

    Parameters
    ----------
    out : ndarray or shape
        3-, 4- or 5-D. See :func:`constant`.
    groups : int
        Number of groups, >= 1, dividing ``out.shape[0]``.
    dtype : dtype, optional
        Only with a shape: the new array's dtype (default float32).

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.dirac((2, 2, 3))
    >>> w[:, :, 1].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    arr, ret = as_output(out, dtype)
    check_ndim(arr, "dirac", allowed=(3, 4, 5))
    groups = integer(groups, "groups", minimum=1)
    if arr.shape[0] % groups != 0:
        raise ValueError(
            f"dirac: groups={groups} must divide dimension 0 of out (shape {arr.shape})"
        )
    target, xp = array_module(arr, "dirac") if arr.size else (arr, np)  # before writing
    write(arr, _ZERO, (0, 0))
    if arr.size == 0:
        return ret
    per_group = arr.shape[0] // groups
    n = min(per_group, arr.shape[1])
    centre = tuple(d // 2 for d in arr.shape[2:])
    d = xp.arange(n)
    for g in range(int(groups)):
        target[(g * per_group + d, d) + centre] = 1
    return ret
