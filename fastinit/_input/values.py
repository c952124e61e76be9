"""The validation vocabulary: every scalar argument fastinit takes is checked by one of these.

Errors name the argument and the rule: ``TypeError`` for the wrong kind of object, ``ValueError``
for a value out of its range. An "int" is a Python or NumPy integer (anything with
``__index__``), never a ``bool``; a "real" is any real number but a bool, as a float.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["describe", "is_int", "is_real", "integer", "real", "choice", "shape", "dims", "axis"]


def describe(obj: Any) -> str:
    """The type name used in error messages."""
    return type(obj).__name__


def is_int(value: Any) -> bool:
    """An integer (Python, NumPy, or anything with ``__index__``), not a bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    if isinstance(value, np.ndarray):  # a 0-d integer array, as operator.index takes it
        return value.ndim == 0 and value.dtype.kind in "iu"
    return hasattr(type(value), "__index__")


def is_real(value: Any) -> bool:
    """A real number (Python or NumPy), not a bool and not complex."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def integer(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    below: int | None = None,
    below_text: str | None = None,
) -> int:
    """`value` as a Python int, checked against ``minimum <= value <= maximum`` or
    ``minimum <= value < below`` (`below_text` spells `below` in the message, e.g. "2**64")."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    v = operator.index(value)
    too_low = minimum is not None and v < minimum
    if below is not None and (too_low or v >= below):
        raise ValueError(f"{name} must be in [{minimum}, {below_text or below}), got {v}")
    if maximum is not None and (too_low or v > maximum):
        raise ValueError(f"{name} must be in [{minimum}, {maximum}], got {v}")
    if too_low:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    return int(v)


def real(value: Any, name: str, *, allow_inf: bool = False) -> float:
    """A real number (not bool, not complex) as float; NaN never, infinity only if allowed."""
    if type(value) is float and value - value == 0.0:  # finite: the common case, fast
        return value
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got an integer too large for a float") from None
    if math.isnan(x):
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(x) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {x}")
    return x


def choice(value: Any, name: str, allowed: tuple[str, ...], *, lower: bool = False) -> str:
    """`value` if it is one of `allowed` (compared lowercased when `lower`, as PyTorch's mode)."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a str, one of {', '.join(map(repr, allowed))}; got {describe(value)}"
        )
    key = value.lower() if lower else value
    if key not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return key


def shape(value: Any, name: str = "shape") -> tuple[int, ...]:
    """A shape to allocate: an int or a tuple of ints >= 0, fewer than 2**63 elements."""
    if is_int(value):
        value = (value,)
    if not isinstance(value, tuple):
        raise TypeError(f"{name} must be a tuple of ints or an int, got {describe(value)}")
    out = []
    for d in value:
        if not is_int(d):
            raise TypeError(f"{name} must contain only ints, got {d!r}")
        if d < 0:
            raise ValueError(f"{name} must not contain negative dimensions, got {value}")
        out.append(operator.index(d))
    size = math.prod(out)
    if size >= 2**63:
        raise ValueError(f"{name} {tuple(out)} has {size} elements, more than 2**63 - 1")
    return tuple(out)


def dims(value: Any, name: str = "shape") -> tuple[int, ...]:
    """A shape to compute with (fans): any sequence of ints >= 0 (tuple, list, ``torch.Size``,
    a 1-D integer ndarray); not a bare int."""
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise TypeError(
                f"{name} must be a sequence of non-negative ints, got a "
                f"{value.ndim}-dimensional ndarray"
            )
        items: Sequence[Any] = value.tolist()
    elif isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Sequence):
        hint = f" (for a 1-dimensional shape write ({int(value)},))" if is_int(value) else ""
        raise TypeError(
            f"{name} must be a sequence of non-negative ints, got {describe(value)}{hint}"
        )
    else:
        items = value
    out = []
    for i, d in enumerate(items):
        if not is_int(d):
            got = f"bool ({d!r})" if isinstance(d, (bool, np.bool_)) else f"{describe(d)} ({d!r})"
            raise TypeError(f"{name}[{i}] must be an int, got {got}")
        v = operator.index(d)
        if v < 0:
            raise ValueError(f"{name}[{i}] must be non-negative, got {v}")
        out.append(int(v))
    return tuple(out)


def axis(value: Any, ndim: int, name: str, of_shape: tuple[int, ...]) -> int:
    """An axis of a shape with `ndim` dimensions, negative counting from the end, as 0..ndim-1."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got bool")
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    v = operator.index(value)
    if not -ndim <= v < ndim:
        raise ValueError(
            f"{name}={v} is out of range for shape {of_shape} with {ndim} "
            f"dimensions (valid: {-ndim} to {ndim - 1})"
        )
    return v % ndim
