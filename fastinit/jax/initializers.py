"""The initializers of :mod:`jax.nn.initializers`, filled by fastinit: the Initializer type and
the argument checks they share, the constants and the basic distributions (variance scaling and
orthogonal are in their own modules).

Names, parameters, defaults and meanings are JAX's (checked against jax 0.10's
``jax/_src/nn/initializers.py``); the values are fastinit's stream, exactly those of the NumPy
scheme with the matching parameters and ``seed=fastinit.jax.seed(key)`` (see each factory and
docs/jax.md). Every factory checks its arguments when it is called; the shape-dependent checks
(axes, fans, the dtype's range) run when the initializer is called, before anything is drawn.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Optional, Union

import jax
import numpy as np

from .._input.dtypes import dtype_max, dtype_name, resolve_dtype
from .._input.values import describe, is_int, real
from .._random.plans import (
    Plan,
    constant_value,
    normal_plan,
    trunc_normal_plan,
    uniform_plan,
)
from ..schemes._common import prepare
from ..schemes._common import write as _write_plan
from ._arrays import (
    Write,
    constant_array,
    materialize,
    resolve_jax_dtype,
    resolve_shape,
    resolve_sharding,
)
from ._keys import is_traced, key_words

__all__ = [
    "Initializer",
    "zeros",
    "ones",
    "constant",
    "uniform",
    "normal",
    "truncated_normal",
    "MODES",
    "DISTRIBUTIONS",
]

#: variance_scaling's modes, as JAX.
MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
#: variance_scaling's distributions, as JAX (real dtypes).
DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")

Axes = Union[int, Sequence[int]]
Shape = tuple[int, ...]


class _Fill(NamedTuple):
    """What an initializer writes for one shape and dtype: a stream fill (`write`), or a
    constant (`value`, exact in the dtype). Orthogonal fills are not `shardable`."""

    write: Optional[Write] = None
    value: Any = None
    shardable: bool = True


Build = Callable[[Shape, np.dtype], _Fill]


class Initializer:
    """A JAX initializer filled by fastinit: ``init(key, shape, dtype=None, out_sharding=None)``.

    Made by the factories of :mod:`fastinit.jax` (``zeros`` and ``ones`` are initializers
    themselves, as in JAX); it satisfies ``jax.nn.initializers.Initializer``. Its repr names the
    factory and its arguments, e.g. ``fastinit.jax.normal(stddev=0.02)``.
    """

    def __init__(self, name: str, args: Optional[str], build: Build, dtype: Any = None) -> None:
        if dtype is not None:
            resolve_dtype(dtype, "dtype")  # a TypeError now; float64 is resolved per call
        self._name = name
        self._args = args
        self._build = build
        self._dtype = dtype

    def __repr__(self) -> str:
        args = "" if self._args is None else f"({self._args})"
        return f"fastinit.jax.{self._name}{args}"

    def __call__(
        self, key: Any, shape: Any, dtype: Any = None, out_sharding: Any = None
    ) -> jax.Array:
        """An array of `shape` from `key`.

        Parameters
        ----------
        key : jax.Array
            A typed key (``jax.random.key``) or a legacy ``uint32[2]`` key; traced keys
            (inside ``jax.jit``, ``vmap``, ``eval_shape``) are accepted. The constants ignore
            it, as in JAX.
        shape : int or sequence of int
            The array's shape.
        dtype : dtype, optional
            float32, float64 (needs ``jax_enable_x64``; otherwise float32 with a warning, as
            JAX), float16 or bfloat16. Default: the factory's `dtype`, else JAX's default float
            dtype.
        out_sharding : jax.sharding.NamedSharding or PartitionSpec, optional
            Make a sharded array, each device's shard filled alone (docs/jax.md). A
            PartitionSpec is placed on the mesh of ``jax.set_mesh``.

        Returns
        -------
        jax.Array
            The values of the NumPy scheme the factory names, bit for bit, with
            ``seed=fastinit.jax.seed(key)``.

        Raises
        ------
        TypeError
            A bad key, shape, dtype or out_sharding.
        ValueError
            Axes out of range for `shape`, values beyond the dtype's range, a batch of keys, a
            PartitionSpec without a mesh.
        """
        shape_ = resolve_shape(shape)
        dt = resolve_jax_dtype(self._dtype if dtype is None else dtype)
        fill = self._build(shape_, dt)
        if fill.write is None:  # a constant: the key is not used, as in JAX
            traced = is_traced(key)
            sharding = resolve_sharding(out_sharding, traced)
            return constant_array(fill.value, shape_, dt, sharding, traced)
        words = key_words(key)
        traced = is_traced(words)
        sharding = resolve_sharding(out_sharding, traced)
        if math.prod(shape_) == 0:
            return constant_array(dt.type(0), shape_, dt, sharding, traced)
        return materialize(fill.write, words, shape_, dt, sharding, fill.shardable)


# ---- argument checks ---------------------------------------------------------------------------


def _real(value: Any, name: str, func: str, *, allow_inf: bool = False) -> float:
    """A real scalar (a 0-d NumPy or JAX array too), as float."""
    if isinstance(value, (np.ndarray, jax.Array)) and value.shape == () and not is_traced(value):
        value = value.item()
    try:
        return real(value, name, allow_inf=allow_inf)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{func}: {exc}") from None


def _axes(value: Any, name: str, func: str) -> Union[int, tuple[int, ...]]:
    """An int or a sequence of ints (checked against the shape when called)."""
    if is_int(value):
        return operator.index(value)
    if (
        isinstance(value, Sequence)
        and not isinstance(value, (str, bytes))
        and all(is_int(v) for v in value)
    ):
        return tuple(operator.index(v) for v in value)
    raise TypeError(f"{func}: {name} must be an int or a sequence of ints, got {describe(value)}")


def _label(name: str, args: str) -> str:
    return f"fastinit.jax.{name}({args})"


def _plan_write(plan: Plan, shape: Shape, label: str) -> Write:
    """A fill by fastinit's own pipeline: ``prepare`` (the shard), then the backend."""

    def write(out: np.ndarray, pair: tuple[int, int], index: Any) -> None:
        t = prepare(out, None, label, None if index is None else shape, index)
        _write_plan(t.arr, plan, pair, t.shard)

    return write


def _zero(dt: np.dtype) -> _Fill:
    return _Fill(value=dt.type(0))


# ---- constants ---------------------------------------------------------------------------------


def _constant(name: str, value: float, args: Optional[str], dtype: Any) -> Initializer:
    def build(shape: Shape, dt: np.dtype) -> _Fill:
        exact = constant_value(value, dt, _label(name, args or "")).params[0]
        return _Fill(value=np.array(exact, dt)[()])

    return Initializer(name, args, build, dtype)


def constant(value: Any, dtype: Any = None) -> Initializer:
    """An initializer of arrays full of `value`, as ``jax.nn.initializers.constant``.

    Parameters
    ----------
    value : float
        A finite real scalar (a 0-d array too), within the dtype's range; rounded once to nearest
        in the dtype: ``fastinit.constant(np.empty(shape, dtype), value)``.
    dtype : dtype, optional
        The initializer's default dtype.

    Returns
    -------
    Initializer

    Raises
    ------
    TypeError
        `value` is not a real scalar (JAX's broadcast of an array `value` is not supported).
    ValueError
        `value` is NaN or infinite (when called: outside the dtype's range).

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> fj.constant(-7)(jax.random.key(0), (2,)).tolist()
    [-7.0, -7.0]
    """
    v = _real(value, "value", "constant")
    return _constant("constant", v, f"value={v!r}", dtype)


zeros = _constant("zeros", 0.0, None, None)
zeros.__doc__ = (
    "``zeros(key, shape, dtype=None, out_sharding=None)``: an array of zeros, as "
    "``jax.nn.initializers.zeros`` (the key is not used)."
)
ones = _constant("ones", 1.0, None, None)
ones.__doc__ = (
    "``ones(key, shape, dtype=None, out_sharding=None)``: an array of ones, as "
    "``jax.nn.initializers.ones`` (the key is not used)."
)


# ---- basic distributions -----------------------------------------------------------------------


def _uniform_high(scale: float, dt: np.dtype) -> float:
    """The upper bound handed to fastinit.uniform so that every value is < `scale`.

    float32/float64: `scale` itself (for ``hi`` a normal number of the dtype, ``hi * u`` with
    ``u <= 1 - 2**-24`` (``2**-53``) rounds below ``hi``). float16/bfloat16 are computed in
    float32 and rounded, which can reach ``hi``: there (and for scales below the smallest
    normal number) the largest value of the dtype below `scale`.
    """
    if scale == 0.0:
        return 0.0
    if dt.itemsize >= 4 and scale >= float(np.finfo(dt).tiny):
        return scale
    x = np.array(scale, np.float64).astype(dt)
    zero = np.array(0, dt)
    while float(x) >= scale:
        x = np.nextafter(x, zero)
    return float(x)


def uniform(scale: Any = 1e-2, dtype: Any = None) -> Initializer:
    """Uniform on ``[0, scale)``, as ``jax.nn.initializers.uniform``.

    The values of ``fastinit.uniform(np.empty(shape, dtype), 0.0, scale, seed=seed(key))`` for
    float32 and float64; for float16 and bfloat16, ``fastinit.uniform(..., 0.0, high)`` with
    ``high`` the largest value of the dtype below `scale` (fastinit computes those in float32 and
    rounds, which could reach `scale` itself), so every value is in ``[0, scale)``.

    Parameters
    ----------
    scale : float
        The upper bound, finite, ``>= 0`` (0 gives zeros).
    dtype : dtype, optional
        The initializer's default dtype.

    Returns
    -------
    Initializer

    Raises
    ------
    TypeError, ValueError
        `scale` is not a real scalar, is NaN, infinite or negative; when called, `scale` beyond
        the dtype's largest value.

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> x = fj.uniform(10.0)(jax.random.key(0), (1000,))
    >>> bool((x >= 0).all() and (x < 10).all())
    True
    """
    s = _real(scale, "scale", "uniform")
    if s < 0:
        raise ValueError(f"uniform: scale must be >= 0, got {s}")
    args = f"scale={s!r}"

    def build(shape: Shape, dt: np.dtype) -> _Fill:
        if s > dtype_max(dt):
            raise ValueError(
                f"{_label('uniform', args)}: scale={s} is beyond the largest "
                f"{dtype_name(dt)} value {dtype_max(dt)}"
            )
        label = _label("uniform", args)
        plan = uniform_plan(0.0, _uniform_high(s, dt), dt, label)
        return _Fill(_plan_write(plan, shape, label))

    return Initializer("uniform", args, build, dtype)


def normal(stddev: Any = 1e-2, dtype: Any = None) -> Initializer:
    """N(0, stddev**2), as ``jax.nn.initializers.normal``.

    The values of ``fastinit.normal(np.empty(shape, dtype), 0.0, stddev, seed=seed(key))``.

    Parameters
    ----------
    stddev : float
        Finite, ``>= 0``.
    dtype : dtype, optional
        The initializer's default dtype.

    Returns
    -------
    Initializer

    Raises
    ------
    TypeError, ValueError
        `stddev` is not a real scalar, is NaN, infinite or negative; when called, a `stddev`
        whose values could overflow the dtype.

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> x = fj.normal(0.02)(jax.random.key(0), (4096,))
    >>> round(float(x.std()), 2)
    0.02
    """
    s = _real(stddev, "stddev", "normal")
    if s < 0:
        raise ValueError(f"normal: stddev must be >= 0, got {s}")
    args = f"stddev={s!r}"

    def build(shape: Shape, dt: np.dtype) -> _Fill:
        label = _label("normal", args)
        return _Fill(_plan_write(normal_plan(0.0, s, dt, label), shape, label))

    return Initializer("normal", args, build, dtype)


def truncated_normal(
    stddev: Any = 1e-2, dtype: Any = None, lower: Any = -2.0, upper: Any = 2.0
) -> Initializer:
    """N(0, stddev**2) truncated to ``[lower * stddev, upper * stddev]``, as
    ``jax.nn.initializers.truncated_normal`` (bounds in units of `stddev`; `stddev` is the
    untruncated distribution's, with no variance correction).

    The values of ``fastinit.trunc_normal(np.empty(shape, dtype), 0.0, stddev, lower * stddev,
    upper * stddev, seed=seed(key))`` (fastinit takes absolute bounds); ``stddev = 0`` gives
    zeros.

    Parameters
    ----------
    stddev : float
        Finite, ``>= 0``.
    dtype : dtype, optional
        The initializer's default dtype (JAX's order: second).
    lower, upper : float
        Bounds in units of `stddev`, ``lower < upper``; either may be infinite, neither NaN.

    Returns
    -------
    Initializer

    Raises
    ------
    TypeError, ValueError
        Non-real or NaN arguments, ``stddev < 0``, ``lower >= upper``; when called, bounds
        outside the dtype's range or an interval whose probability is 0 in float64.

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> x = fj.truncated_normal(1.0, lower=-1.0, upper=0.5)(jax.random.key(0), (1000,))
    >>> bool((x >= -1).all() and (x <= 0.5).all())
    True
    """
    s = _real(stddev, "stddev", "truncated_normal")
    lo = _real(lower, "lower", "truncated_normal", allow_inf=True)
    hi = _real(upper, "upper", "truncated_normal", allow_inf=True)
    if s < 0:
        raise ValueError(f"truncated_normal: stddev must be >= 0, got {s}")
    if not lo < hi:
        raise ValueError(f"truncated_normal: lower must be < upper, got lower={lo}, upper={hi}")
    args = f"stddev={s!r}, lower={lo!r}, upper={hi!r}"

    def build(shape: Shape, dt: np.dtype) -> _Fill:
        if s == 0.0:
            return _zero(dt)
        label = _label("truncated_normal", args)
        plan = trunc_normal_plan(0.0, s, lo * s, hi * s, dt, label)
        return _Fill(_plan_write(plan, shape, label))

    return Initializer("truncated_normal", args, build, dtype)
