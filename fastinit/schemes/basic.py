"""The basic schemes: constants, uniform, normal, truncated normal, and the raw stream.

Each validates everything first (fastinit._input), plans the fill in float64
(fastinit._random.plans), draws one stream from the seed, then writes (schemes/_common.py).
``out`` is filled in place and returned; a shape in its place allocates.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from .._backends.codes import Scheme
from .._input.arrays import as_output
from .._input.values import real
from .._random.plans import Plan, constant_value, normal_plan, trunc_normal_plan, uniform_plan
from ._common import A, DTypeLike, Seed, ShapeLike, draw, prepare, std_value, write

__all__ = ["constant", "zeros", "ones", "uniform", "normal", "trunc_normal", "random_raw"]


@overload
def constant(out: ShapeLike, value: float, *, dtype: DTypeLike = ...) -> np.ndarray: ...
@overload
def constant(out: A, value: float, *, dtype: DTypeLike = ...) -> A: ...


def constant(out: A, value: float, *, dtype: DTypeLike = None) -> A:
    """Fill `out` with `value`.

    Parameters
    ----------
    out : ndarray or shape
        Writable float32, float64, float16 or bfloat16 array, filled in place (any strides).
        A shape (tuple or int) instead allocates a new array of `dtype`.
    value : float
        Finite, within the dtype's range; rounded to nearest in the output dtype.
    dtype : dtype, optional
        Only with a shape: the new array's dtype (default float32; "bfloat16" accepted).

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Raises
    ------
    TypeError
        `out` is not an array or shape, or has a non-float dtype; `value` is not a real number.
    ValueError
        `out` is read-only, broadcast, unaligned or byte-swapped; `value` is NaN, infinite or
        out of the dtype's range.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.constant(np.empty(3, np.float32), 0.5)
    array([0.5, 0.5, 0.5], dtype=float32)
    """
    arr, ret = as_output(out, dtype)
    write(arr, constant_value(real(value, "value"), arr.dtype), (0, 0))
    return ret


@overload
def zeros(out: ShapeLike, *, dtype: DTypeLike = ...) -> np.ndarray: ...
@overload
def zeros(out: A, *, dtype: DTypeLike = ...) -> A: ...


def zeros(out: A, *, dtype: DTypeLike = None) -> A:
    """Fill `out` with zeros (see :func:`constant` for `out` and `dtype`).

    Examples
    --------
    >>> import fastinit
    >>> fastinit.zeros((2,))
    array([0., 0.], dtype=float32)
    """
    return constant(out, 0.0, dtype=dtype)


@overload
def ones(out: ShapeLike, *, dtype: DTypeLike = ...) -> np.ndarray: ...
@overload
def ones(out: A, *, dtype: DTypeLike = ...) -> A: ...


def ones(out: A, *, dtype: DTypeLike = None) -> A:
    """Fill `out` with ones (see :func:`constant` for `out` and `dtype`).

    Examples
    --------
    >>> import fastinit
    >>> fastinit.ones((2,), dtype="float64")
    array([1., 1.])
    """
    return constant(out, 1.0, dtype=dtype)


# ---- basic distributions -----------------------------------------------------------------------


@overload
def uniform(
    out: ShapeLike,
    low: float = ...,
    high: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def uniform(
    out: A,
    low: float = ...,
    high: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def uniform(
    out: A,
    low: float = 0.0,
    high: float = 1.0,
    *,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
    """Fill `out` with values drawn uniformly from ``[low, high]``.

    Parameters
    ----------
    out : ndarray or shape
        Writable float32, float64, float16 or bfloat16 array, filled in place (any strides),
        or a shape (tuple or int) to allocate a new array of `dtype`.
    low, high : float
        Finite bounds, ``low <= high``, within the dtype's range.
    seed : int, Generator or None
        An int in ``[0, 2**64)`` (stream 0 of that seed), a :class:`Generator` (its next
        stream), or None (the global generator, see :func:`manual_seed`).
    dtype : dtype, optional
        Only with a shape: the new array's dtype (default float32).
    full_shape, index : tuple, optional
        Fill a shard: `out` receives ``full[index]`` of the logical tensor of shape
        `full_shape` (`index`: a tuple of slices and ints, as NumPy's basic indexing),
        bit for bit the values the whole tensor would get; fan-based schemes take their fans
        from `full_shape`. Row, column and general N-d blocks, any steps, any layout of `out`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Raises
    ------
    TypeError
        Wrong kind of `out`, a non-float dtype, a non-real parameter, a bad `seed` type.
    ValueError
        Read-only, broadcast, unaligned or byte-swapped `out`; NaN or infinite bounds;
        ``low > high``; a seed out of range.

    Notes
    -----
    Element ``i`` (C order of the logical array) is ``lo + (hi - lo) * u_i`` with
    ``u_i = (w_i >> 8) * 2**-24`` from the ``i``-th Philox word (53 bits of two words for
    float64), where ``lo``/``hi`` are `low`/`high` rounded inward to the dtype, so every value
    lies in ``[low, high]``. See docs/stream.md.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.uniform(np.empty((2, 3), np.float32), -1.0, 1.0, seed=0)
    >>> bool(((w >= -1) & (w <= 1)).all())
    True
    """
    t = prepare(out, dtype, "uniform", full_shape, index)
    lo, hi = real(low, "low"), real(high, "high")
    if lo > hi:
        raise ValueError(f"uniform: low must be <= high, got low={lo}, high={hi}")
    plan = uniform_plan(lo, hi, t.arr.dtype, "uniform")
    write(t.arr, plan, draw(seed), t.shard)
    return t.ret


@overload
def normal(
    out: ShapeLike,
    mean: float = ...,
    std: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def normal(
    out: A,
    mean: float = ...,
    std: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def normal(
    out: A,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
    """Fill `out` with values drawn from the normal distribution N(mean, std**2).

    Parameters
    ----------
    out : ndarray or shape
        See :func:`uniform`.
    mean : float
        Finite.
    std : float
        Finite, ``>= 0``.
    seed, dtype, full_shape, index
        See :func:`uniform`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Raises
    ------
    TypeError, ValueError
        As :func:`uniform`; also ``std < 0``, or parameters whose values would overflow the
        dtype.

    Notes
    -----
    Box-Muller on two words per pair of elements, with fastinit's own log, sin and cos
    polynomials (docs/stream.md section 5): the same bits on every backend. ``|z| <= 6.67`` for
    float32, ``8.66`` for float64; values are never NaN or infinite.

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.normal((1000,), 0.0, 0.02, seed=1)
    >>> round(float(w.std()), 2)
    0.02
    """
    t = prepare(out, dtype, "normal", full_shape, index)
    plan = normal_plan(real(mean, "mean"), std_value(std, "std"), t.arr.dtype, "normal")
    write(t.arr, plan, draw(seed), t.shard)
    return t.ret


@overload
def trunc_normal(
    out: ShapeLike,
    mean: float = ...,
    std: float = ...,
    a: float = ...,
    b: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def trunc_normal(
    out: A,
    mean: float = ...,
    std: float = ...,
    a: float = ...,
    b: float = ...,
    *,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def trunc_normal(
    out: A,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    *,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
    """Fill `out` with N(mean, std**2) truncated to ``[a, b]``.

    `a` and `b` are absolute bounds, as in :func:`torch.nn.init.trunc_normal_` (not in units of
    `std`).

    Parameters
    ----------
    out : ndarray or shape
        See :func:`uniform`.
    mean : float
        Finite.
    std : float
        Finite, ``>= 0`` (0 gives `mean` clipped to ``[a, b]``).
    a, b : float
        Bounds, ``a < b``; either may be infinite (a one-sided truncation), neither NaN.
    seed, dtype, full_shape, index
        See :func:`uniform`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Raises
    ------
    TypeError, ValueError
        As :func:`uniform`; also ``std < 0``, ``a >= b``, NaN parameters.

    Notes
    -----
    Inverse CDF with one word per element: one bit picks the half of the probability mass next
    to `a` or to `b`, and the rest is measured from that bound, in log space in the tails, so the
    result is exact far into either tail (e.g. ``[8, 9]`` or ``[-40, -39]`` std) and on very
    narrow intervals. Every value lies in ``[a, b]``, finite. See docs/stream.md section 7.

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.trunc_normal((1000,), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> bool(((w >= -0.04) & (w <= 0.04)).all())
    True
    """
    t = prepare(out, dtype, "trunc_normal", full_shape, index)
    mean_ = real(mean, "mean")
    std_ = std_value(std, "std")
    a_ = real(a, "a", allow_inf=True)
    b_ = real(b, "b", allow_inf=True)
    if a_ >= b_:
        raise ValueError(f"trunc_normal: a must be < b, got a={a_}, b={b_}")
    plan = trunc_normal_plan(mean_, std_, a_, b_, t.arr.dtype, "trunc_normal")
    write(t.arr, plan, draw(seed), t.shard)
    return t.ret


@overload
def random_raw(
    out: ShapeLike, *, seed: Seed = ..., full_shape: Any = ..., index: Any = ...
) -> NDArray[np.uint32]: ...
@overload
def random_raw(out: A, *, seed: Seed = ..., full_shape: Any = ..., index: Any = ...) -> A: ...


def random_raw(out: A, *, seed: Seed = None, full_shape: Any = None, index: Any = None) -> A:
    """Fill a uint32 array with the stream's raw Philox words: element ``i`` (C order of the
    logical array) is word ``i`` of the stream. The ground truth of the stream.

    Parameters
    ----------
    out : ndarray or shape
        A writable uint32 array (any strides), or a shape to allocate one.
    seed : int, Generator or None
        See :func:`uniform`.
    full_shape, index : tuple, optional
        A shard of the words of a larger tensor, as in :func:`uniform`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Examples
    --------
    >>> import fastinit
    >>> [hex(w) for w in fastinit.random_raw((4,), seed=0)]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    t = prepare(out, None, "random_raw", full_shape, index, raw=True)
    write(t.arr, Plan(Scheme.RAW, ()), draw(seed), t.shard)
    return t.ret
