"""Whether the elements of an array (NumPy or GPU: shape, byte strides, itemsize) share memory.
Such an array cannot be filled: several elements would get one value."""

from __future__ import annotations

import numpy as np

#: Elements up to which an ambiguous layout is checked exactly (an int64 offset per element,
#: sorted); above it such a layout is refused.
EXACT_CHECK_MAX = 2**22


def may_overlap(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> bool:
    """False when no two elements can share memory: with the dimensions sorted by |stride|,
    each stride steps past everything the smaller ones span (NumPy's layouts, and any view of
    one). True means "maybe": :func:`check_no_overlap` then decides exactly."""
    span = 0
    for n, s in sorted(((n, abs(s)) for n, s in zip(shape, strides) if n > 1), key=lambda d: d[1]):
        if s < span + itemsize:
            return True
        span += s * (n - 1)
    return False


def check_no_overlap(
    shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int, name: str
) -> None:
    """ValueError if two elements share memory. Strides are multiples of the itemsize (the
    array is aligned), so two elements either coincide or are disjoint."""
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if size <= 1 or not may_overlap(shape, strides, itemsize):
        return
    if size > EXACT_CHECK_MAX:
        raise ValueError(
            f"{name}'s strides {strides} (shape {shape}) may make elements share "
            f"memory, and an array this large is not checked exactly; fill a "
            f"copy with a standard layout and copy it back"
        )
    offsets = np.zeros((), np.int64)
    for n, s in zip(shape, strides):
        if n > 1:
            offsets = np.add.outer(offsets, np.arange(n, dtype=np.int64) * s)
    offsets = np.sort(offsets, axis=None)
    if bool((offsets[1:] == offsets[:-1]).any()):
        raise ValueError(
            f"{name}'s elements overlap in memory (shape {shape}, strides "
            f"{strides}): several would share one value, so it cannot be filled"
        )
