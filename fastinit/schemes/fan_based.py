"""The fan-based schemes: variance scaling (Keras/JAX) and its one-line relatives, Xavier/Glorot,
Kaiming/He and LeCun (docs/schemes.md).

Each is ``variance = scale / fan`` for some scale, fan and distribution: the fans come from
fastinit._random.fans (the only fan code), the plan from fastinit._random.plans.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np

from .._input.values import choice, real
from .._random.fans import FAN_MODES, KAIMING_MODES, NONLINEARITIES, calculate_gain, fan
from .._random.plans import variance_scaling_plan
from ._common import A, DTypeLike, Seed, ShapeLike, Target, draw, gain_value, prepare, write

__all__ = [
    "variance_scaling",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "DISTRIBUTIONS",
]

#: variance_scaling's distributions (``untruncated_normal`` is Keras' name for ``normal``).
DISTRIBUTIONS = ("truncated_normal", "normal", "untruncated_normal", "uniform")


# ---- variance-scaling family -------------------------------------------------------------------


@overload
def variance_scaling(
    out: ShapeLike,
    scale: float = ...,
    mode: str = ...,
    distribution: str = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def variance_scaling(
    out: A,
    scale: float = ...,
    mode: str = ...,
    distribution: str = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def variance_scaling(
    out: A,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    *,
    in_axis: int = 1,
    out_axis: int = 0,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
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
    t = prepare(out, dtype, "variance_scaling", full_shape, index, min_ndim=2)
    s = real(scale, "scale")
    if s <= 0:
        raise ValueError(f"variance_scaling: scale must be > 0, got {s}")
    mode_ = choice(mode, "mode", FAN_MODES, lower=True)
    dist = choice(distribution, "distribution", DISTRIBUTIONS)
    n = fan(t.shape, mode_, in_axis, out_axis)
    _scaled(t, s, n, dist, seed, "variance_scaling", f"scale={s}")
    return t.ret


def _scaled(
    t: Target, scale: float, n: float, dist: str, seed: Seed, scheme: str, what: str = "scale=1.0"
) -> None:
    """Fill `t` with variance ``scale / n`` as `dist` (the one body of every scheme here)."""
    if t.arr.size == 0:
        draw(seed)
        return
    plan = variance_scaling_plan(scale, n, dist, t.arr.dtype, scheme, what)
    write(t.arr, plan, draw(seed), t.shard)


@overload
def xavier_uniform(
    out: ShapeLike,
    gain: float = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def xavier_uniform(
    out: A,
    gain: float = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def xavier_uniform(
    out: A,
    gain: float = 1.0,
    *,
    in_axis: int = 1,
    out_axis: int = 0,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
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
    t = prepare(out, dtype, "xavier_uniform", full_shape, index, min_ndim=2)
    g = gain_value(gain)
    n = fan(t.shape, "fan_avg", in_axis, out_axis)
    _scaled(t, g * g, n, "uniform", seed, "xavier_uniform", f"gain={g}")
    return t.ret


@overload
def xavier_normal(
    out: ShapeLike,
    gain: float = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def xavier_normal(
    out: A,
    gain: float = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def xavier_normal(
    out: A,
    gain: float = 1.0,
    *,
    in_axis: int = 1,
    out_axis: int = 0,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
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
    t = prepare(out, dtype, "xavier_normal", full_shape, index, min_ndim=2)
    g = gain_value(gain)
    n = fan(t.shape, "fan_avg", in_axis, out_axis)
    _scaled(t, g * g, n, "normal", seed, "xavier_normal", f"gain={g}")
    return t.ret


def _kaiming(
    out: Any,
    a: float | None,
    mode: str,
    nonlinearity: str,
    in_axis: int,
    out_axis: int,
    seed: Seed,
    dtype: DTypeLike,
    dist: str,
    scheme: str,
    full_shape: Any = None,
    index: Any = None,
) -> Any:
    t = prepare(out, dtype, scheme, full_shape, index, min_ndim=2)
    slope = None if a is None else real(a, "a")
    mode_ = choice(mode, "mode", KAIMING_MODES, lower=True)
    nl = choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    gain = calculate_gain(nl, slope)
    n = fan(t.shape, mode_, in_axis, out_axis)
    _scaled(t, gain * gain, n, dist, seed, scheme, f"gain={gain}")
    return t.ret


@overload
def kaiming_uniform(
    out: ShapeLike,
    a: float | None = ...,
    mode: str = ...,
    nonlinearity: str = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def kaiming_uniform(
    out: A,
    a: float | None = ...,
    mode: str = ...,
    nonlinearity: str = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def kaiming_uniform(
    out: A,
    a: float | None = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    in_axis: int = 1,
    out_axis: int = 0,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
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
    return _kaiming(
        out,
        a,
        mode,
        nonlinearity,
        in_axis,
        out_axis,
        seed,
        dtype,
        "uniform",
        "kaiming_uniform",
        full_shape,
        index,
    )


@overload
def kaiming_normal(
    out: ShapeLike,
    a: float | None = ...,
    mode: str = ...,
    nonlinearity: str = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def kaiming_normal(
    out: A,
    a: float | None = ...,
    mode: str = ...,
    nonlinearity: str = ...,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def kaiming_normal(
    out: A,
    a: float | None = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    in_axis: int = 1,
    out_axis: int = 0,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
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
    return _kaiming(
        out,
        a,
        mode,
        nonlinearity,
        in_axis,
        out_axis,
        seed,
        dtype,
        "normal",
        "kaiming_normal",
        full_shape,
        index,
    )


@overload
def lecun_uniform(
    out: ShapeLike,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def lecun_uniform(
    out: A,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def lecun_uniform(
    out: A,
    *,
    in_axis: int = 1,
    out_axis: int = 0,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
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
    t = prepare(out, dtype, "lecun_uniform", full_shape, index, min_ndim=2)
    n = fan(t.shape, "fan_in", in_axis, out_axis)
    _scaled(t, 1.0, n, "uniform", seed, "lecun_uniform")
    return t.ret


@overload
def lecun_normal(
    out: ShapeLike,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> np.ndarray: ...
@overload
def lecun_normal(
    out: A,
    *,
    in_axis: int = ...,
    out_axis: int = ...,
    seed: Seed = ...,
    dtype: DTypeLike = ...,
    full_shape: Any = ...,
    index: Any = ...,
) -> A: ...


def lecun_normal(
    out: A,
    *,
    in_axis: int = 1,
    out_axis: int = 0,
    seed: Seed = None,
    dtype: DTypeLike = None,
    full_shape: Any = None,
    index: Any = None,
) -> A:
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
    t = prepare(out, dtype, "lecun_normal", full_shape, index, min_ndim=2)
    n = fan(t.shape, "fan_in", in_axis, out_axis)
    _scaled(t, 1.0, n, "normal", seed, "lecun_normal")
    return t.ret


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
he_uniform = kaiming_uniform
he_normal = kaiming_normal
