"""JAX's variance scaling and its presets (glorot, lecun, he and the xavier/kaiming
aliases), with JAX's fans: ``in_axis``, ``out_axis`` and ``batch_axis`` (docs/jax.md)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Union

import numpy as np

from .._input.values import axis, choice
from .._random.fans import fan_of, fans_of_axes
from .._random.plans import (
    variance_scaling_plan,
)
from .initializers import (
    DISTRIBUTIONS,
    MODES,
    Axes,
    Initializer,
    Shape,
    _axes,
    _Fill,
    _label,
    _plan_write,
    _real,
    _zero,
)

__all__ = [
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "lecun_uniform",
    "lecun_normal",
    "he_uniform",
    "he_normal",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "fans",
]


# ---- variance scaling --------------------------------------------------------------------------


def _positions(
    spec: Union[int, tuple[int, ...]], name: str, shape: Shape, func: str
) -> tuple[int, ...]:
    """The dimensions `spec` names in `shape` (negative counting from the end)."""
    items = (
        [(name, spec)]
        if isinstance(spec, int)
        else [(f"{name}[{i}]", a) for i, a in enumerate(spec)]
    )
    try:
        return tuple(axis(a, len(shape), n, shape) for n, a in items)
    except ValueError as exc:
        raise ValueError(f"{func}: {exc}") from None


def fans(
    shape: Shape,
    in_axis: Axes = -2,
    out_axis: Axes = -1,
    batch_axis: Axes = (),
    func: str = "variance_scaling",
) -> tuple[int, int]:
    """``(fan_in, fan_out)`` as JAX computes them: ``in_size * receptive`` and ``out_size *
    receptive``, where ``in_size``/``out_size`` are the products of the dimensions `in_axis` /
    `out_axis` name (an int or a sequence of ints each), and ``receptive`` the product of the
    dimensions no axis names (`batch_axis`' are left out of both). Exact ints.

    Raises
    ------
    TypeError
        An axis is not an int or a sequence of ints.
    ValueError
        An axis out of range for `shape`, or a dimension named twice.
    """
    owner: dict[int, str] = {}
    positions = []
    for name, spec in (("in_axis", in_axis), ("out_axis", out_axis), ("batch_axis", batch_axis)):
        dims_ = _positions(_axes(spec, name, func), name, shape, func)
        positions.append(dims_)
        for d in dims_:
            if d in owner:
                raise ValueError(
                    f"{func}: {owner[d]} and {name} both name dimension {d} of "
                    f"shape {shape}; in_axis, out_axis and batch_axis must name "
                    f"distinct dimensions"
                )
            owner[d] = name
    return fans_of_axes(shape, *positions)


def _fan(fan_in: int, fan_out: int, mode: str) -> float:
    """The denominator of the variance: fastinit's fan rule (fastinit/_random/fans.py)."""
    return fan_of(fan_in, fan_out, mode)


def _scaling(
    name: str,
    args: str,
    scale: float,
    mode: str,
    distribution: str,
    in_axis: Any,
    out_axis: Any,
    batch_axis: Any,
    dtype: Any,
) -> Initializer:
    axes = (
        _axes(in_axis, "in_axis", name),
        _axes(out_axis, "out_axis", name),
        _axes(batch_axis, "batch_axis", name),
    )
    label = _label(name, args)

    def build(shape: Shape, dt: np.dtype) -> _Fill:
        fan_in, fan_out = fans(shape, *axes, func=label)
        if math.prod(shape) == 0:
            return _zero(dt)
        n = _fan(fan_in, fan_out, mode)
        plan = variance_scaling_plan(scale, n, distribution, dt, label, f"scale={scale}")
        return _Fill(_plan_write(plan, shape, label))

    return Initializer(name, args, build, dtype)


def variance_scaling(
    scale: Any,
    mode: str,
    distribution: str,
    in_axis: Axes = -2,
    out_axis: Axes = -1,
    batch_axis: Axes = (),
    dtype: Any = None,
) -> Initializer:
    """Variance ``scale / n``, as ``jax.nn.initializers.variance_scaling``.

    ``n`` is the fan of `mode`, computed as JAX does (:func:`fans`). With int axes and no
    `batch_axis` the values are those of ``fastinit.variance_scaling(np.empty(shape, dtype),
    scale, mode, distribution, in_axis=in_axis, out_axis=out_axis, seed=seed(key))``; in
    general, of the same plan with JAX's ``n``: ``truncated_normal``:
    ``fastinit.trunc_normal(out, 0, s, -2 s, 2 s)`` with ``s = sqrt(scale / n) /
    0.87962566103423978``; ``normal``: ``fastinit.normal(out, 0, sqrt(scale / n))``;
    ``uniform``: ``fastinit.uniform(out, -l, l)`` with ``l = sqrt(3 scale / n)``.

    Parameters
    ----------
    scale : float
        ``> 0``.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
        ``n``: the fan in, the fan out, their mean, or their geometric mean.
    distribution : {"truncated_normal", "normal", "uniform"}
        ``truncated_normal`` is cut at 2 standard deviations and corrected so the variance is
        ``scale / n``.
    in_axis, out_axis : int or sequence of int
        The input and output dimensions (JAX's defaults: the last two).
    batch_axis : int or sequence of int
        Dimensions left out of the fans.
    dtype : dtype, optional
        The initializer's default dtype.

    Returns
    -------
    Initializer

    Raises
    ------
    TypeError, ValueError
        A non-real or non-positive `scale`, an unknown `mode` or `distribution`, axes that are
        not ints (now); when called, axes out of range or naming one dimension twice, or values
        beyond the dtype's range.

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> init = fj.variance_scaling(2.0, "fan_in", "normal")
    >>> x = init(jax.random.key(0), (256, 128))
    >>> abs(float(x.var()) * 256 / 2.0 - 1) < 0.05
    True
    """
    s = _real(scale, "scale", "variance_scaling")
    if not s > 0:
        raise ValueError(f"variance_scaling: scale must be > 0, got {s}")
    try:
        m = choice(mode, "mode", MODES)
        d = choice(distribution, "distribution", DISTRIBUTIONS)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"variance_scaling: {exc}") from None
    args = (
        f"scale={s!r}, mode={m!r}, distribution={d!r}, in_axis={in_axis!r}, "
        f"out_axis={out_axis!r}, batch_axis={batch_axis!r}"
    )
    return _scaling("variance_scaling", args, s, m, d, in_axis, out_axis, batch_axis, dtype)


def _preset(
    name: str, scale: float, mode: str, distribution: str, doc: str
) -> Callable[..., Initializer]:
    def factory(
        in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (), dtype: Any = None
    ) -> Initializer:
        args = f"in_axis={in_axis!r}, out_axis={out_axis!r}, batch_axis={batch_axis!r}"
        return _scaling(name, args, scale, mode, distribution, in_axis, out_axis, batch_axis, dtype)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = (
        f"{doc}, as ``jax.nn.initializers.{name}``: ``variance_scaling({scale}, {mode!r}, "
        f"{distribution!r}, in_axis, out_axis, batch_axis, dtype)``.\n\n"
        f"With int axes and no `batch_axis` the values are those of "
        f"``fastinit.variance_scaling(np.empty(shape, dtype), {scale}, {mode!r}, "
        f"{distribution!r}, in_axis=in_axis, out_axis=out_axis, seed=seed(key))``"
        + (
            " (``fastinit.xavier_uniform(..., in_axis=-2, out_axis=-1, ...)`` with the defaults)"
            if name == "glorot_uniform"
            else ""
        )
        + ". See :func:`variance_scaling` for the parameters and errors.\n"
    )
    return factory


glorot_uniform = _preset(
    "glorot_uniform",
    1.0,
    "fan_avg",
    "uniform",
    "Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out))",
)
glorot_normal = _preset(
    "glorot_normal",
    1.0,
    "fan_avg",
    "truncated_normal",
    "Glorot (Xavier) normal, truncated at 2 std, variance 2 / (fan_in + fan_out)",
)
lecun_uniform = _preset(
    "lecun_uniform", 1.0, "fan_in", "uniform", "LeCun uniform: U(-l, l), l = sqrt(3 / fan_in)"
)
lecun_normal = _preset(
    "lecun_normal",
    1.0,
    "fan_in",
    "truncated_normal",
    "LeCun normal, truncated at 2 std, variance 1 / fan_in",
)
he_uniform = _preset(
    "he_uniform", 2.0, "fan_in", "uniform", "He (Kaiming) uniform: U(-l, l), l = sqrt(6 / fan_in)"
)
he_normal = _preset(
    "he_normal",
    2.0,
    "fan_in",
    "truncated_normal",
    "He (Kaiming) normal, truncated at 2 std, variance 2 / fan_in",
)
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal
