"""Fan computation and recommended gains for fan-based initializers.

This module holds the shape arithmetic shared by every fan-based scheme
(``xavier_*``, ``kaiming_*``, ``lecun_*``, ``variance_scaling``):

* :func:`compute_fans` -- ``(fan_in, fan_out)`` of a weight shape, with JAX's
  ``in_axis`` / ``out_axis`` convention. The defaults reproduce PyTorch's
  ``(out_features, in_features, *receptive_field)`` layout.
* :func:`fan_for_mode` -- the single fan selected by ``"fan_in"``, ``"fan_out"``
  or ``"fan_avg"``.
* :func:`calculate_gain` -- PyTorch's table of recommended gains.

Everything here is pure Python integer / float arithmetic; no randomness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Optional, Union

import numpy as np

from .._input.values import axis, describe, dims, is_int, is_real

__all__ = [
    "compute_fans",
    "fans_of_axes",
    "fan_of",
    "calculate_gain",
    "fan_for_mode",
    "fan",
    "FAN_MODES",
    "KAIMING_MODES",
    "NONLINEARITIES",
]

ShapeLike = Union[Sequence[int], np.ndarray]

#: Nonlinearities whose recommended gain is 1 (PyTorch's "linear" family plus sigmoid).
_UNIT_GAIN = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
#: Every name :func:`calculate_gain` accepts, in PyTorch's documentation order.
NONLINEARITIES = _UNIT_GAIN + ("tanh", "relu", "leaky_relu", "selu")
#: Every mode :func:`fan_for_mode` (and variance scaling) accepts.
FAN_MODES = ("fan_in", "fan_out", "fan_avg")
#: The modes of the Kaiming (He) schemes, as PyTorch.
KAIMING_MODES = ("fan_in", "fan_out")
#: PyTorch's default negative slope for ``leaky_relu`` when ``param`` is None.
_DEFAULT_NEGATIVE_SLOPE = 0.01


def compute_fans(shape: ShapeLike, in_axis: int = 1, out_axis: int = 0) -> tuple[int, int]:
    """Compute ``(fan_in, fan_out)`` of a weight tensor shape.

    The receptive field size is the product of every dimension other than
    ``in_axis`` and ``out_axis``; ``fan_in = shape[in_axis] * receptive`` and
    ``fan_out = shape[out_axis] * receptive`` (JAX's definition). With the
    defaults (``in_axis=1``, ``out_axis=0``) this equals PyTorch's
    ``torch.nn.init._calculate_fan_in_and_fan_out`` for a weight of shape
    ``(out_features, in_features, *kernel_size)``. Use ``in_axis=-2,
    out_axis=-1`` for the Keras / JAX / Flax layout
    ``(*kernel_size, in_features, out_features)``.

    Parameters
    ----------
    shape : sequence of int
        The weight shape: a tuple, list, ``torch.Size`` or 1-D integer ndarray
        of non-negative integers, with at least 2 entries. Zero-sized
        dimensions are allowed (and give zero fans).
    in_axis : int, default 1
        The input-features dimension. Negative values count from the end.
    out_axis : int, default 0
        The output-features dimension. Negative values count from the end.

    Returns
    -------
    tuple of (int, int)
        ``(fan_in, fan_out)`` as exact Python ints.

    Raises
    ------
    TypeError
        If ``shape`` is not a sequence (a bare int, a str, ...), if an entry
        of ``shape`` is not an integer (floats and bools are rejected), or if
        ``in_axis`` / ``out_axis`` is not an integer.
    ValueError
        If an entry of ``shape`` is negative, if ``shape`` has fewer than 2
        dimensions, if ``in_axis`` or ``out_axis`` is out of range, or if both
        refer to the same dimension.

    Examples
    --------
    >>> compute_fans((64, 32))                   # Linear(32, 64).weight
    (32, 64)
    >>> compute_fans((16, 3, 5, 5))              # Conv2d(3, 16, 5).weight
    (75, 400)
    >>> compute_fans((5, 5, 3, 16), in_axis=-2, out_axis=-1)  # Keras / JAX layout
    (75, 400)
    """
    shape_ = dims(shape, "shape")
    ndim = len(shape_)
    if ndim < 2:
        raise ValueError(
            "compute_fans: fan_in and fan_out cannot be computed for a tensor with fewer "
            f"than 2 dimensions (got shape {shape_})"
        )
    in_ax = axis(in_axis, ndim, "in_axis", shape_)
    out_ax = axis(out_axis, ndim, "out_axis", shape_)
    if in_ax == out_ax:
        raise ValueError(
            f"in_axis and out_axis must refer to different dimensions, got "
            f"in_axis={in_axis} and out_axis={out_axis} "
            f"(both dimension {in_ax} of shape {shape_})"
        )
    return fans_of_axes(shape_, (in_ax,), (out_ax,))


def fans_of_axes(
    shape: Sequence[int],
    in_dims: Sequence[int],
    out_dims: Sequence[int],
    batch_dims: Sequence[int] = (),
) -> tuple[int, int]:
    """The fan rule every fastinit fan comes from (JAX's): ``fan_in`` is the product of the
    dimensions `in_dims` times the receptive field, ``fan_out`` likewise with `out_dims`, where
    the receptive field is the product of the dimensions no list names (`batch_dims` count in
    neither). Takes checked, distinct, non-negative dimension positions; exact ints."""
    named = set(in_dims) | set(out_dims) | set(batch_dims)
    receptive = math.prod(n for d, n in enumerate(shape) if d not in named)
    fan_in = math.prod(shape[d] for d in in_dims) * receptive
    fan_out = math.prod(shape[d] for d in out_dims) * receptive
    return fan_in, fan_out


def fan_of(fan_in: int, fan_out: int, mode: str) -> float:
    """The fan a checked `mode` selects: ``fan_in``, ``fan_out``, ``fan_avg`` (their mean) or
    JAX's ``fan_geo_avg`` (their geometric mean)."""
    if mode == "fan_in":
        return float(fan_in)
    if mode == "fan_out":
        return float(fan_out)
    if mode == "fan_avg":
        return (fan_in + fan_out) / 2
    return (fan_in * fan_out) ** 0.5


def fan_for_mode(shape: ShapeLike, mode: str, in_axis: int = 1, out_axis: int = 0) -> float:
    """Return the fan selected by ``mode`` for a weight shape.

    Parameters
    ----------
    shape : sequence of int
        The weight shape, as for :func:`compute_fans`.
    mode : {"fan_in", "fan_out", "fan_avg"}
        Which fan to return; ``"fan_avg"`` is ``(fan_in + fan_out) / 2``.
        Matching is exact (case-sensitive), as in JAX.
    in_axis, out_axis : int, default 1 and 0
        Input / output feature dimensions, as for :func:`compute_fans`.

    Returns
    -------
    float
        The selected fan as a float (``0.0`` for a zero-sized shape; callers
        that divide by it must handle that case).

    Raises
    ------
    TypeError
        If ``mode`` is not a str, or for the reasons :func:`compute_fans` gives.
    ValueError
        If ``mode`` is not one of the allowed modes, or for the reasons
        :func:`compute_fans` gives.

    Examples
    --------
    >>> fan_for_mode((64, 32), "fan_in")
    32.0
    >>> fan_for_mode((16, 3, 5, 5), "fan_avg")
    237.5
    """
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a str, got {describe(mode)}")
    if mode not in FAN_MODES:
        allowed = ", ".join(repr(m) for m in FAN_MODES)
        raise ValueError(f"mode must be one of {allowed}, got {mode!r}")
    return fan(shape, mode, in_axis, out_axis)


def fan(shape: ShapeLike, mode: str, in_axis: int = 1, out_axis: int = 0) -> float:
    """The fan of a checked `mode` (one of :data:`FAN_MODES`): the one fan rule of every scheme."""
    return fan_of(*compute_fans(shape, in_axis=in_axis, out_axis=out_axis), mode)


def _as_finite_slope(param: object) -> Optional[Union[int, float]]:
    """``param`` as an int or a float, or None if it is not a finite real number.

    Integers stay Python ints so that ``slope ** 2`` below is computed exactly as
    PyTorch computes it for an int slope.
    """
    if not is_real(param):
        return None
    try:
        slope: Union[int, float]
        slope = int(param) if is_int(param) else float(param)
        finite = math.isfinite(slope)
    except (OverflowError, ValueError, TypeError):
        return None
    return slope if finite else None


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """Return the recommended gain for a nonlinearity (PyTorch's table).

    ==================================================  ======================================
    nonlinearity                                        gain
    ==================================================  ======================================
    ``linear``, ``conv{1,2,3}d``, ``sigmoid``           ``1``
    ``conv_transpose{1,2,3}d``                          ``1``
    ``tanh``                                            ``5 / 3``
    ``relu``                                            ``sqrt(2)``
    ``leaky_relu``                                      ``sqrt(2 / (1 + negative_slope ** 2))``
    ``selu``                                            ``3 / 4``
    ==================================================  ======================================

    Parameters
    ----------
    nonlinearity : str
        The name of the nonlinearity (exact, lower case, as in PyTorch).
    param : int or float, optional
        The negative slope of ``leaky_relu``; ``None`` means PyTorch's default
        ``0.01``. Ignored by every other nonlinearity (as in PyTorch).

    Returns
    -------
    float
        The gain (always a float; PyTorch returns the int ``1`` for the
        unit-gain family, which compares equal).

    Raises
    ------
    TypeError
        If ``nonlinearity`` is not a str.
    ValueError
        If ``nonlinearity`` is not supported, or if ``nonlinearity`` is
        ``"leaky_relu"`` and ``param`` is not a finite real number (bools,
        strings, NaN, infinities and ints too large for a float are rejected).

    Examples
    --------
    >>> calculate_gain("relu")
    1.4142135623730951
    >>> calculate_gain("leaky_relu", 0.2)
    1.3867504905630728
    >>> calculate_gain("conv2d")
    1.0
    """
    if not isinstance(nonlinearity, str):
        raise TypeError(f"nonlinearity must be a str, got {describe(nonlinearity)}")
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = _DEFAULT_NEGATIVE_SLOPE if param is None else _as_finite_slope(param)
        if slope is None:
            raise ValueError(
                f"negative_slope {param!r} not a valid number: param of 'leaky_relu' must "
                f"be None or a finite int or float (not a bool), got {param!r}"
            )
        try:
            # The same operations as PyTorch, so the gain is bit-identical to its value.
            return math.sqrt(2.0 / (1 + slope**2))
        except OverflowError:  # |slope| > ~1e154: the gain underflows to 0
            return 0.0
    if nonlinearity == "selu":
        return 3.0 / 4.0
    supported = ", ".join(repr(n) for n in NONLINEARITIES)
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}; supported: {supported}")
