"""The public initialization schemes.

Each function validates everything first (fastinit/_validate.py), then draws one stream from
the seed, then writes. ``out`` is filled in place and returned; a shape in its place allocates.
The fan-based schemes are thin calls of :func:`uniform`, :func:`normal` and
:func:`trunc_normal`'s kernels with parameters from the variance rule (docs/schemes.md).
"""

from __future__ import annotations

import functools
import math
from typing import Any, TypeVar, Union, overload

import numpy as np
from numpy.typing import NDArray

from . import _backend as B
from ._device import DeviceArray, as_device_array, cupy_view
from ._dtypes import compute_dtype, dtype_max, dtype_name
from ._fans import calculate_gain, compute_fans
from ._generator import Generator, resolve_seed
from ._shard import resolve_shard
from ._params import (FAR_LIMIT, NORMAL_MAX_RADIUS, IntervalTooNarrow, inward_bounds,
                      nearest_value, trunc_normal_constants, trunc_normal_params)
from ._validate import as_output, check_ndim, choice, real

__all__ = [
    "zeros", "ones", "constant", "uniform", "normal", "trunc_normal", "xavier_uniform",
    "xavier_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform", "lecun_normal",
    "variance_scaling", "orthogonal", "sparse", "eye", "dirac", "random_raw", "glorot_uniform",
    "glorot_normal", "he_uniform", "he_normal",
]

A = TypeVar("A")  # an array filled in place: the same object is returned
# What as_output (fastinit/_validate.py) allocates from: an int or a tuple of ints (NumPy's
# included; not bool, not a list). Any other `out` is an array, filled in place.
ShapeLike = Union[int, np.integer[Any], tuple[Union[int, np.integer[Any]], ...]]
Seed = Union[int, Generator, None]
Loc = Union[dict, None]  # a shard's location: {"first": int, "index_map": list[int]}
DTypeLike = Any

# Keras' correction: the std of a standard normal truncated to [-2, 2].
TRUNCATED_NORMAL_STD = 0.87962566103423978
_MODES = ("fan_in", "fan_out", "fan_avg")
_KAIMING_MODES = ("fan_in", "fan_out")
_DISTRIBUTIONS = ("truncated_normal", "normal", "untruncated_normal", "uniform")
def _resolve(seed: Seed | tuple[int, int]) -> tuple[int, int]:
    """(seed, stream) of an already-drawn pair, or drawn now from `seed`."""
    return seed if isinstance(seed, tuple) else resolve_seed(seed)


_NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                   "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                   "leaky_relu", "selu")


# ---- the kernels' entry points (validated arguments only) -------------------------------------


def _uniform_into(arr: np.ndarray, low: float, high: float, seed: Seed, scheme: str,
                  loc: Loc = None) -> None:
    lo, hi = _uniform_bounds(low, high, arr.dtype, scheme, _signs(low, high))
    s, k = _resolve(seed)
    B.fill(B.SCHEME_UNIFORM, arr, s, k, [lo, hi], **(loc or {}))


def _signs(*values: float) -> tuple[float, ...]:
    """Part of a cache key: 0.0 == -0.0 (same hash), but a signed zero can show in the bits."""
    return tuple(math.copysign(1.0, v) for v in values)


@functools.lru_cache(maxsize=256)
def _uniform_bounds(low: float, high: float, dt: np.dtype, scheme: str,
                    signs: tuple[float, ...] = ()) -> tuple[float, float]:
    m = dtype_max(dt)
    for name, v in (("low", low), ("high", high)):
        if abs(v) > m:
            raise ValueError(f"{scheme}: {name}={v} is outside the {dtype_name(dt)} range "
                             f"[-{m}, {m}]")
    bounds = inward_bounds(low, high, dt)
    if bounds is None:
        raise ValueError(f"{scheme}: no {dtype_name(dt)} value lies in [{low}, {high}]")
    lo, hi = bounds
    ct = compute_dtype(dt).type
    with np.errstate(over="ignore"):
        span = ct(hi) - ct(lo)
    if not np.isfinite(span):
        raise ValueError(f"{scheme}: high - low = {hi - lo} overflows {np.dtype(ct).name}")
    return lo, hi


def _check_normal_range(dt: np.dtype, mean: float, std: float, scheme: str) -> None:
    radius = NORMAL_MAX_RADIUS[compute_dtype(dt).itemsize]
    if abs(mean) + radius * std > dtype_max(dt):
        raise ValueError(f"{scheme}: mean={mean}, std={std} would overflow {dtype_name(dt)} "
                         f"(|mean| + {radius} * std must be <= {dtype_max(dt)})")


def _normal_into(arr: np.ndarray, mean: float, std: float, seed: Seed | tuple[int, int],
                 scheme: str, extra: int = 0, loc: Loc = None) -> None:
    _check_normal_range(arr.dtype, mean, std, scheme)
    s, k = _resolve(seed)
    B.fill(B.SCHEME_NORMAL, arr, s, k, [mean, std], extra=extra, **(loc or {}))


def _trunc_normal_into(arr: np.ndarray, mean: float, std: float, a: float, b: float,
                       seed: Seed, scheme: str, loc: Loc = None) -> None:
    # Everything is checked before the seed is drawn: a call that raises leaves a Generator.
    kind, params = _trunc_plan(mean, std, a, b, arr.dtype, scheme, _signs(mean, a, b))
    s, k = _resolve(seed)
    B.fill(kind, arr, s, k, params, **(loc or {}))


@functools.lru_cache(maxsize=256)
def _trunc_plan(mean: float, std: float, a: float, b: float, dt: np.dtype, scheme: str,
                signs: tuple[float, ...] = ()) -> tuple[int, tuple[float, ...]]:
    """(kernel, parameters) of a truncated normal, or ValueError naming the argument. Cached:
    the parameters are a tuple, so no caller can change the cached value."""
    m = dtype_max(dt)
    for name, v in (("a", a), ("b", b)):
        if math.isfinite(v) and abs(v) > m:
            raise ValueError(f"{scheme}: {name}={v} is outside the {dtype_name(dt)} range "
                             f"[-{m}, {m}]")
    if std > 0:
        reach_lo = min(b, mean) - 40.0 * std if a == -math.inf else a
        reach_hi = max(a, mean) + 40.0 * std if b == math.inf else b
        if max(abs(reach_lo), abs(reach_hi)) > m:
            raise ValueError(f"{scheme}: mean={mean}, std={std} with an infinite bound would "
                             f"overflow {dtype_name(dt)}")
        if (a - mean) / std > FAR_LIMIT or (b - mean) / std < -FAR_LIMIT:
            raise ValueError(f"{scheme}: [a, b] = [{a}, {b}] lies more than {FAR_LIMIT:g} "
                             f"standard deviations from the mean; there the distribution is a "
                             f"point mass at the nearer bound")
    lo = -m if a == -math.inf else a
    hi = m if b == math.inf else b
    bounds = inward_bounds(lo, hi, dt)
    if bounds is None:
        raise ValueError(f"{scheme}: no {dtype_name(dt)} value lies in [a, b] = [{a}, {b}]")
    if std == 0.0:  # a point mass at the mean, clipped to [a, b]
        value = min(max(mean, a), b)
        if abs(value) > m:
            raise ValueError(f"{scheme}: mean={mean} with std=0 is outside the "
                             f"{dtype_name(dt)} range [-{m}, {m}]")
        lo_, hi_ = bounds
        if mean > m:
            value = hi_
        elif mean < -m:
            value = lo_
        else:
            value = min(max(nearest_value(mean, dt), lo_), hi_)
        return B.SCHEME_CONSTANT, (value,)
    try:
        consts = trunc_normal_constants(mean, std, a, b, dt)
    except IntervalTooNarrow as exc:
        raise ValueError(f"{scheme}: {exc}") from None
    return B.SCHEME_TRUNC_NORMAL, tuple(trunc_normal_params(consts))


def _writable_view(arr: Any, scheme: str) -> tuple[Any, Any]:
    """(array to index, its array module): the NumPy array itself, or a CuPy view of a GPU
    array (for the schemes that index or factorize, not only stream)."""
    if isinstance(arr, DeviceArray):
        view = cupy_view(arr, scheme)
        import cupy

        return view, cupy
    return arr, np


def _fill_target(a: Any) -> Any:
    """What B.fill takes for a temporary of the array module: itself, or a DeviceArray."""
    return a if isinstance(a, np.ndarray) else as_device_array(a, "temporary")


def _std(value: Any, name: str) -> float:
    std = real(value, name)
    if std < 0:
        raise ValueError(f"{name} must be >= 0, got {std}")
    return std


def _fan(shape: tuple[int, ...], mode: str, in_axis: int, out_axis: int) -> float:
    fan_in, fan_out = compute_fans(shape, in_axis, out_axis)
    if mode == "fan_in":
        return float(fan_in)
    if mode == "fan_out":
        return float(fan_out)
    return (fan_in + fan_out) / 2.0


def _fan_scheme_array(out: Any, dtype: DTypeLike, scheme: str, full_shape: Any = None,
                      index: Any = None) -> tuple[np.ndarray, Any, tuple[int, ...], Loc]:
    """(array, object to return, the shape whose fans count, the shard's location)."""
    arr, ret, loc, shape = _prepare(out, dtype, scheme, full_shape, index)
    if len(shape) < 2:
        raise ValueError(f"{scheme}: {'full_shape' if loc else 'out'} must have at least 2 "
                         f"dimensions to compute fan_in and fan_out, got shape {shape}")
    return arr, ret, shape, loc


def _prepare(out: Any, dtype: DTypeLike, scheme: str, full_shape: Any, index: Any, *,
             raw: bool = False) -> tuple[Any, Any, Loc, tuple[int, ...]]:
    """(array, object to return, shard location or None, the logical tensor's shape)."""
    arr, ret = as_output(out, dtype, raw=raw)
    shard = resolve_shard(arr.shape, full_shape, index, scheme)
    if shard is None:
        return arr, ret, None, tuple(arr.shape)
    loc = {"first": shard.first, "index_map": shard.index_map or None}
    return arr, ret, loc, shard.full_shape


# ---- constants ---------------------------------------------------------------------------------


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
    v = real(value, "value")
    m = dtype_max(arr.dtype)
    if abs(v) > m:
        raise ValueError(f"constant: value={v} is outside the {dtype_name(arr.dtype)} range "
                         f"[-{m}, {m}]")
    B.fill(B.SCHEME_CONSTANT, arr, 0, 0, [nearest_value(v, arr.dtype)])
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
def uniform(out: ShapeLike, low: float = ..., high: float = ..., *, seed: Seed = ...,
            dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> np.ndarray: ...
@overload
def uniform(out: A, low: float = ..., high: float = ..., *, seed: Seed = ...,
            dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> A: ...


def uniform(out: A, low: float = 0.0, high: float = 1.0, *, seed: Seed = None,
            dtype: DTypeLike = None, full_shape: Any = None, index: Any = None) -> A:
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
    arr, ret, loc, _ = _prepare(out, dtype, "uniform", full_shape, index)
    lo, hi = real(low, "low"), real(high, "high")
    if lo > hi:
        raise ValueError(f"uniform: low must be <= high, got low={lo}, high={hi}")
    _uniform_into(arr, lo, hi, seed, "uniform", loc)
    return ret


@overload
def normal(out: ShapeLike, mean: float = ..., std: float = ..., *, seed: Seed = ...,
           dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> np.ndarray: ...
@overload
def normal(out: A, mean: float = ..., std: float = ..., *, seed: Seed = ..., dtype: DTypeLike = ...,
           full_shape: Any = ..., index: Any = ...) -> A: ...


def normal(out: A, mean: float = 0.0, std: float = 1.0, *, seed: Seed = None,
           dtype: DTypeLike = None, full_shape: Any = None, index: Any = None) -> A:
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
    arr, ret, loc, _ = _prepare(out, dtype, "normal", full_shape, index)
    _normal_into(arr, real(mean, "mean"), _std(std, "std"), seed, "normal", loc=loc)
    return ret


@overload
def trunc_normal(out: ShapeLike, mean: float = ..., std: float = ..., a: float = ...,
                 b: float = ..., *, seed: Seed = ..., dtype: DTypeLike = ..., full_shape: Any = ...,
                 index: Any = ...) -> np.ndarray: ...
@overload
def trunc_normal(out: A, mean: float = ..., std: float = ..., a: float = ..., b: float = ..., *,
                 seed: Seed = ..., dtype: DTypeLike = ..., full_shape: Any = ...,
                 index: Any = ...) -> A: ...


def trunc_normal(out: A, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                 *, seed: Seed = None, dtype: DTypeLike = None, full_shape: Any = None, index: Any = None) -> A:
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
    arr, ret, loc, _ = _prepare(out, dtype, "trunc_normal", full_shape, index)
    mean_ = real(mean, "mean")
    std_ = _std(std, "std")
    a_ = real(a, "a", allow_inf=True)
    b_ = real(b, "b", allow_inf=True)
    if a_ >= b_:
        raise ValueError(f"trunc_normal: a must be < b, got a={a_}, b={b_}")
    _trunc_normal_into(arr, mean_, std_, a_, b_, seed, "trunc_normal", loc)
    return ret


# ---- variance-scaling family -------------------------------------------------------------------


@overload
def variance_scaling(out: ShapeLike, scale: float = ..., mode: str = ..., distribution: str = ...,
                     *, in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                     dtype: DTypeLike = ..., full_shape: Any = ...,
                     index: Any = ...) -> np.ndarray: ...
@overload
def variance_scaling(out: A, scale: float = ..., mode: str = ..., distribution: str = ..., *,
                     in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                     dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> A: ...


def variance_scaling(out: A, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal", *, in_axis: int = 1,
                     out_axis: int = 0, seed: Seed = None, dtype: DTypeLike = None,
                     full_shape: Any = None, index: Any = None) -> A:
    """Keras/JAX variance scaling: variance ``scale / n`` with ``n`` the fan of `mode`.

    Parameters
    ----------
    out : ndarray or shape
        At least 2-D. See :func:`uniform`.
    scale : float
        ``> 0``.
    mode : {"fan_in", "fan_out", "fan_avg"}
        Which fan is ``n``; ``fan_avg`` is ``(fan_in + fan_out) / 2``.
    distribution : {"truncated_normal", "normal", "uniform"}
        ``truncated_normal``: N(0, s**2) cut at ``±2 s`` with ``s = sqrt(scale / n) /
        0.87962566103423978`` (so the variance is ``scale / n``); ``normal`` (alias
        ``untruncated_normal``): N(0, scale / n); ``uniform``: U(-l, l), ``l = sqrt(3 scale / n)``.
    in_axis, out_axis : int
        The axes of the fans (JAX's meaning). The default is PyTorch's layout
        ``(out, in, *receptive)``; ``in_axis=-2, out_axis=-1`` is Keras/JAX's.
    seed, dtype, full_shape, index
        See :func:`uniform`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Raises
    ------
    TypeError, ValueError
        As :func:`uniform`; also fewer than 2 dimensions, an unknown `mode` or
        `distribution`, ``scale <= 0``, bad axes.

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.variance_scaling((256, 128), 2.0, "fan_in", "normal", seed=0)
    >>> abs(float(w.var()) * 128 / 2.0 - 1) < 0.05
    True
    """
    arr, ret, shape, loc = _fan_scheme_array(out, dtype, "variance_scaling", full_shape, index)
    s = real(scale, "scale")
    if s <= 0:
        raise ValueError(f"variance_scaling: scale must be > 0, got {s}")
    mode_ = choice(mode, "mode", _MODES, lower=True)
    dist = choice(distribution, "distribution", _DISTRIBUTIONS)
    fan = _fan(shape, mode_, in_axis, out_axis)
    _variance_scaling_into(arr, s, fan, dist, seed, "variance_scaling", loc, f"scale={s}")
    return ret


def _variance_scaling_into(arr: np.ndarray, scale: float, fan: float, dist: str, seed: Seed,
                           scheme: str, loc: Loc = None, what: str = "scale=1.0") -> None:
    """`what` names the caller's parameter behind `scale` ("gain=2.0"), for the range error."""
    if arr.size == 0:
        resolve_seed(seed)
        return
    variance = scale / fan
    # The largest magnitude the fill can reach must fit the dtype; say so in the caller's terms.
    ct = compute_dtype(arr.dtype)
    if dist == "truncated_normal":
        reach = 2.0 * math.sqrt(variance) / TRUNCATED_NORMAL_STD
    elif dist == "uniform":
        reach = math.sqrt(3.0 * variance)
    else:
        reach = NORMAL_MAX_RADIUS[ct.itemsize] * math.sqrt(variance)
    m = dtype_max(arr.dtype)
    if not reach <= m:
        raise ValueError(f"{scheme}: {what} is too large for {dtype_name(arr.dtype)}: the values "
                         f"could reach {reach:.6g}, beyond its largest value {m}")
    if dist == "uniform" and not 2.0 * reach <= dtype_max(ct):
        raise ValueError(f"{scheme}: {what} is too large for {dtype_name(arr.dtype)}: the span "
                         f"of U(-{reach:.6g}, {reach:.6g}) overflows {dtype_name(ct)}")
    if dist == "truncated_normal":
        std = math.sqrt(variance) / TRUNCATED_NORMAL_STD
        _trunc_normal_into(arr, 0.0, std, -2.0 * std, 2.0 * std, seed, scheme, loc)
    elif dist in ("normal", "untruncated_normal"):
        _normal_into(arr, 0.0, math.sqrt(variance), seed, scheme, loc=loc)
    else:
        limit = math.sqrt(3.0 * variance)
        _uniform_into(arr, -limit, limit, seed, scheme, loc)


@overload
def xavier_uniform(out: ShapeLike, gain: float = ..., *, in_axis: int = ..., out_axis: int = ...,
                   seed: Seed = ..., dtype: DTypeLike = ..., full_shape: Any = ...,
                   index: Any = ...) -> np.ndarray: ...
@overload
def xavier_uniform(out: A, gain: float = ..., *, in_axis: int = ..., out_axis: int = ...,
                   seed: Seed = ..., dtype: DTypeLike = ..., full_shape: Any = ...,
                   index: Any = ...) -> A: ...


def xavier_uniform(out: A, gain: float = 1.0, *, in_axis: int = 1, out_axis: int = 0,
                   seed: Seed = None, dtype: DTypeLike = None,
                   full_shape: Any = None, index: Any = None) -> A:
    """Xavier/Glorot uniform: U(-l, l) with ``l = gain * sqrt(6 / (fan_in + fan_out))``.

    As :func:`torch.nn.init.xavier_uniform_`.

    Parameters
    ----------
    out : ndarray or shape
        At least 2-D. See :func:`uniform`.
    gain : float
        Finite and ``>= 0`` (see :func:`calculate_gain`).
    in_axis, out_axis, seed, dtype, full_shape, index
        See :func:`variance_scaling`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Raises
    ------
    TypeError, ValueError
        As :func:`variance_scaling`; a ValueError names `gain` if the values would not fit
        the dtype.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.xavier_uniform(np.empty((64, 32), np.float32), seed=0)
    >>> bool(np.abs(w).max() <= (6 / 96) ** 0.5)
    True
    """
    arr, ret, shape, loc = _fan_scheme_array(out, dtype, "xavier_uniform", full_shape, index)
    g = _gain(gain)
    fan = _fan(shape, "fan_avg", in_axis, out_axis)
    _variance_scaling_into(arr, g * g, fan, "uniform", seed, "xavier_uniform", loc, f"gain={g}")
    return ret


@overload
def xavier_normal(out: ShapeLike, gain: float = ..., *, in_axis: int = ..., out_axis: int = ...,
                  seed: Seed = ..., dtype: DTypeLike = ..., full_shape: Any = ...,
                  index: Any = ...) -> np.ndarray: ...
@overload
def xavier_normal(out: A, gain: float = ..., *, in_axis: int = ..., out_axis: int = ...,
                  seed: Seed = ..., dtype: DTypeLike = ..., full_shape: Any = ...,
                  index: Any = ...) -> A: ...


def xavier_normal(out: A, gain: float = 1.0, *, in_axis: int = 1, out_axis: int = 0,
                  seed: Seed = None, dtype: DTypeLike = None,
                   full_shape: Any = None, index: Any = None) -> A:
    """Xavier/Glorot normal: N(0, s**2), ``s = gain * sqrt(2 / (fan_in + fan_out))``, untruncated.

    As :func:`torch.nn.init.xavier_normal_`.

    Parameters
    ----------
    out, gain, in_axis, out_axis, seed, dtype, full_shape, index
        See :func:`xavier_uniform`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.xavier_normal((512, 512), seed=0)
    >>> abs(float(w.std()) / (2 / 1024) ** 0.5 - 1) < 0.01
    True
    """
    arr, ret, shape, loc = _fan_scheme_array(out, dtype, "xavier_normal", full_shape, index)
    g = _gain(gain)
    fan = _fan(shape, "fan_avg", in_axis, out_axis)
    _variance_scaling_into(arr, g * g, fan, "normal", seed, "xavier_normal", loc, f"gain={g}")
    return ret


def _gain(gain: Any) -> float:
    g = real(gain, "gain")
    if g < 0:
        raise ValueError(f"gain must be >= 0, got {g}")
    return g


def _kaiming(out: Any, a: float | None, mode: str, nonlinearity: str, in_axis: int, out_axis: int,
             seed: Seed, dtype: DTypeLike, dist: str, scheme: str, full_shape: Any = None,
             index: Any = None) -> Any:
    arr, ret, shape, loc = _fan_scheme_array(out, dtype, scheme, full_shape, index)
    slope = None if a is None else real(a, "a")
    mode_ = choice(mode, "mode", _KAIMING_MODES, lower=True)
    nl = choice(nonlinearity, "nonlinearity", _NONLINEARITIES)
    gain = calculate_gain(nl, slope)
    fan = _fan(shape, mode_, in_axis, out_axis)
    _variance_scaling_into(arr, gain * gain, fan, dist, seed, scheme, loc, f"gain={gain}")
    return ret


@overload
def kaiming_uniform(out: ShapeLike, a: float | None = ..., mode: str = ..., nonlinearity: str = ...,
                    *, in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                    dtype: DTypeLike = ..., full_shape: Any = ...,
                    index: Any = ...) -> np.ndarray: ...
@overload
def kaiming_uniform(out: A, a: float | None = ..., mode: str = ..., nonlinearity: str = ..., *,
                    in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                    dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> A: ...


def kaiming_uniform(out: A, a: float | None = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", *, in_axis: int = 1, out_axis: int = 0,
                    seed: Seed = None, dtype: DTypeLike = None,
                    full_shape: Any = None, index: Any = None) -> A:
    """He/Kaiming uniform: U(-l, l), ``l = gain * sqrt(3 / fan)``, ``gain =
    calculate_gain(nonlinearity, a)``.

    As :func:`torch.nn.init.kaiming_uniform_`.

    Parameters
    ----------
    out : ndarray or shape
        At least 2-D. See :func:`uniform`.
    a : float or None
        The negative slope of ``leaky_relu`` (None: 0.01, as PyTorch); unused by the other
        nonlinearities.
    mode : {"fan_in", "fan_out"}
        Which fan is ``fan`` (any case, as PyTorch).
    nonlinearity : str
        A :func:`calculate_gain` name; the default is PyTorch's ``"leaky_relu"``.
    in_axis, out_axis, seed, dtype, full_shape, index
        See :func:`variance_scaling`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.kaiming_uniform((128, 64), nonlinearity="relu", seed=0)
    >>> bool(abs(w).max() <= (6 / 64) ** 0.5)
    True
    """
    return _kaiming(out, a, mode, nonlinearity, in_axis, out_axis, seed, dtype, "uniform",
                    "kaiming_uniform", full_shape, index)


@overload
def kaiming_normal(out: ShapeLike, a: float | None = ..., mode: str = ..., nonlinearity: str = ...,
                   *, in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                   dtype: DTypeLike = ..., full_shape: Any = ...,
                   index: Any = ...) -> np.ndarray: ...
@overload
def kaiming_normal(out: A, a: float | None = ..., mode: str = ..., nonlinearity: str = ..., *,
                   in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                   dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> A: ...


def kaiming_normal(out: A, a: float | None = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu", *, in_axis: int = 1, out_axis: int = 0,
                   seed: Seed = None, dtype: DTypeLike = None,
                    full_shape: Any = None, index: Any = None) -> A:
    """He/Kaiming normal: N(0, s**2), ``s = gain / sqrt(fan)``, untruncated.

    As :func:`torch.nn.init.kaiming_normal_`.

    Parameters
    ----------
    out, a, mode, nonlinearity, in_axis, out_axis, seed, dtype, full_shape, index
        See :func:`kaiming_uniform`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.kaiming_normal((256, 256), mode="fan_out", nonlinearity="relu", seed=0)
    >>> abs(float(w.std()) / (2 / 256) ** 0.5 - 1) < 0.02
    True
    """
    return _kaiming(out, a, mode, nonlinearity, in_axis, out_axis, seed, dtype, "normal",
                    "kaiming_normal", full_shape, index)


@overload
def lecun_uniform(out: ShapeLike, *, in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                  dtype: DTypeLike = ..., full_shape: Any = ...,
                  index: Any = ...) -> np.ndarray: ...
@overload
def lecun_uniform(out: A, *, in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                  dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> A: ...


def lecun_uniform(out: A, *, in_axis: int = 1, out_axis: int = 0, seed: Seed = None,
                  dtype: DTypeLike = None, full_shape: Any = None, index: Any = None) -> A:
    """LeCun uniform: U(-l, l), ``l = sqrt(3 / fan_in)`` (variance ``1 / fan_in``).

    Parameters
    ----------
    out : ndarray or shape
        At least 2-D. See :func:`uniform`.
    in_axis, out_axis, seed, dtype, full_shape, index
        See :func:`variance_scaling`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.lecun_uniform((64, 48), seed=0)
    >>> bool(abs(w).max() <= (3 / 48) ** 0.5)
    True
    """
    arr, ret, shape, loc = _fan_scheme_array(out, dtype, "lecun_uniform", full_shape, index)
    fan = _fan(shape, "fan_in", in_axis, out_axis)
    _variance_scaling_into(arr, 1.0, fan, "uniform", seed, "lecun_uniform", loc)
    return ret


@overload
def lecun_normal(out: ShapeLike, *, in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                 dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> np.ndarray: ...
@overload
def lecun_normal(out: A, *, in_axis: int = ..., out_axis: int = ..., seed: Seed = ...,
                 dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> A: ...


def lecun_normal(out: A, *, in_axis: int = 1, out_axis: int = 0, seed: Seed = None,
                 dtype: DTypeLike = None, full_shape: Any = None, index: Any = None) -> A:
    """LeCun normal: N(0, 1 / fan_in), untruncated (as the PyTorch-style normal variants; JAX's
    ``lecun_normal`` is truncated: use ``variance_scaling(out, 1.0, "fan_in")`` for that).

    Parameters
    ----------
    out : ndarray or shape
        At least 2-D. See :func:`uniform`.
    in_axis, out_axis, seed, dtype, full_shape, index
        See :func:`variance_scaling`.

    Returns
    -------
    ndarray
        `out` itself (or the new array).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.lecun_normal((256, 400), seed=0)
    >>> abs(float(w.var()) * 400 - 1) < 0.05
    True
    """
    arr, ret, shape, loc = _fan_scheme_array(out, dtype, "lecun_normal", full_shape, index)
    fan = _fan(shape, "fan_in", in_axis, out_axis)
    _variance_scaling_into(arr, 1.0, fan, "normal", seed, "lecun_normal", loc)
    return ret


# ---- structured schemes ------------------------------------------------------------------------


@overload
def orthogonal(out: ShapeLike, gain: float = ..., *, seed: Seed = ..., dtype: DTypeLike = ...,
               full_shape: Any = ..., index: Any = ...) -> np.ndarray: ...
@overload
def orthogonal(out: A, gain: float = ..., *, seed: Seed = ..., dtype: DTypeLike = ...,
               full_shape: Any = ..., index: Any = ...) -> A: ...


def orthogonal(out: A, gain: float = 1.0, *, seed: Seed = None, dtype: DTypeLike = None,
               full_shape: Any = None, index: Any = None) -> A:
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
        raise ValueError("orthogonal cannot fill a shard (full_shape=, index=): every value "
                         "depends on the whole matrix through its QR decomposition; fill the "
                         "whole matrix and slice it")
    arr, ret, _, shape = _prepare(out, dtype, "orthogonal", None, None)
    if len(shape) < 2:
        raise ValueError(f"orthogonal: out must have at least 2 dimensions (rows, then the "
                         f"trailing ones flattened into columns), got shape {shape}")
    g = real(gain, "gain")
    if abs(g) > dtype_max(arr.dtype):
        raise ValueError(f"orthogonal: gain={g} would overflow {dtype_name(arr.dtype)} "
                         f"(|gain| must be <= {dtype_max(arr.dtype)})")
    s, k = resolve_seed(seed)
    if arr.size == 0:
        return ret
    rows = arr.shape[0]
    cols = arr.size // rows
    target, xp = _writable_view(arr, "orthogonal")
    flat = xp.empty((rows, cols), xp.float64)
    B.fill(B.SCHEME_NORMAL, _fill_target(flat), s, k, [0.0, 1.0])
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
def sparse(out: ShapeLike, sparsity: float, std: float = ..., *, seed: Seed = ...,
           dtype: DTypeLike = ..., full_shape: Any = ..., index: Any = ...) -> np.ndarray: ...
@overload
def sparse(out: A, sparsity: float, std: float = ..., *, seed: Seed = ..., dtype: DTypeLike = ...,
           full_shape: Any = ..., index: Any = ...) -> A: ...


def sparse(out: A, sparsity: float, std: float = 0.01, *, seed: Seed = None,
           dtype: DTypeLike = None, full_shape: Any = None, index: Any = None) -> A:
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
    arr, ret, loc, shape = _prepare(out, dtype, "sparse", full_shape, index)
    if len(shape) != 2:
        what = "full_shape" if loc else "out"
        raise ValueError(f"sparse: {what} must be 2-D, got {len(shape)}-D shape {shape}")
    sp = real(sparsity, "sparsity")
    if not 0.0 <= sp <= 1.0:
        raise ValueError(f"sparse: sparsity must be in [0, 1], got {sp}")
    std_ = _std(std, "std")
    _check_normal_range(arr.dtype, 0.0, std_, "sparse")
    shard = resolve_shard(arr.shape, full_shape, index, "sparse") if loc else None
    if shard is not None and isinstance(arr, DeviceArray):
        raise NotImplementedError("sparse: sharded fills of GPU arrays are not supported yet")
    seed_pair = resolve_seed(seed)
    if arr.size == 0:
        return ret
    _normal_into(arr, 0.0, std_, seed_pair, "sparse", loc=loc)
    rows = shape[0]
    n_zeros = math.ceil(sp * rows)
    if not n_zeros:
        return ret
    target, xp = _writable_view(arr, "sparse")
    if shard is None:
        cols = shape[1]
        keys = xp.empty((rows, cols), xp.uint32)
        B.fill(B.SCHEME_RAW, _fill_target(keys), seed_pair[0], seed_pair[1], [], extra=1)
        zero_rows = xp.argsort(keys, axis=0, kind="stable")[:n_zeros]
        target[zero_rows, xp.arange(cols)[None, :]] = 0
        return ret
    # A shard: each of its columns is ranked over all the rows of the full matrix.
    r0, r1, rstep = shard.rows
    c0, c1, cstep = shard.cols
    col_ids = np.arange(c0, c1, cstep)
    keys = np.empty((rows, len(col_ids)), np.uint32)
    B.fill(B.SCHEME_RAW, keys, seed_pair[0], seed_pair[1], [], extra=1,
           first=int(c0), index_map=[shape[1], int(cstep)])
    zero_rows = np.argsort(keys, axis=0, kind="stable")[:n_zeros]  # full row indices
    row_ids = np.arange(r0, r1, rstep)
    in_rows = np.isin(zero_rows, row_ids)
    mask = np.zeros((len(row_ids), len(col_ids)), bool)
    mask[((zero_rows - r0) // rstep)[in_rows], np.nonzero(in_rows)[1]] = True
    target[mask.reshape(arr.shape)] = 0  # an int index drops a length-1 dimension
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
    B.fill(B.SCHEME_CONSTANT, arr, 0, 0, [0.0])
    n = min(arr.shape)
    if n:
        target, xp = _writable_view(arr, "eye")
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
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"groups must be an int, got {type(groups).__name__}")
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    if arr.shape[0] % groups != 0:
        raise ValueError(f"dirac: groups={groups} must divide dimension 0 of out "
                         f"(shape {arr.shape})")
    B.fill(B.SCHEME_CONSTANT, arr, 0, 0, [0.0])
    if arr.size == 0:
        return ret
    per_group = arr.shape[0] // groups
    n = min(per_group, arr.shape[1])
    centre = tuple(d // 2 for d in arr.shape[2:])
    target, xp = _writable_view(arr, "dirac")
    d = xp.arange(n)
    for g in range(int(groups)):
        target[(g * per_group + d, d) + centre] = 1
    return ret


@overload
def random_raw(out: ShapeLike, *, seed: Seed = ..., full_shape: Any = ...,
               index: Any = ...) -> NDArray[np.uint32]: ...
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
    arr, ret, loc, _ = _prepare(out, None, "random_raw", full_shape, index, raw=True)
    s, k = resolve_seed(seed)
    B.fill(B.SCHEME_RAW, arr, s, k, [], **(loc or {}))
    return ret


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
he_uniform = kaiming_uniform
he_normal = kaiming_normal
