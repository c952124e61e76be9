"""Sharded fills: ``out`` receives ``full[index]`` of the logical tensor ``full`` of shape
``full_shape``, bit for bit, because element ``i`` of a tensor depends only on
``(seed, stream, i)`` (docs/stream.md section 2).

A shard maps its multi-index ``(j_0, ..., j_k)`` to the full tensor's C-order index
``first + sum_d j_d * index_map[d]``; the kernels take that map (``fastinit._core.fill``'s
``index_map``), so a row shard, a column shard, a strided block or a single column all fill in
one call, into any destination layout.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

from .values import is_int
from .values import shape as check_shape

__all__ = ["Shard", "resolve_shard"]


class Shard(NamedTuple):
    full_shape: tuple[int, ...]
    first: int  # full-tensor index of the shard's element (0, ..., 0)
    index_map: list[int]  # full-tensor index step per shard dimension; [] if contiguous
    rows: tuple[int, int, int] | None = None  # (start, stop, step) along full dim 0, 2-D only
    cols: tuple[int, int, int] | None = None  # the same along full dim 1


def resolve_shard(
    out_shape: tuple[int, ...], full_shape: Any, index: Any, scheme: str
) -> Shard | None:
    """Validate ``full_shape=`` / ``index=`` against ``out``'s shape; None for a whole tensor."""
    if full_shape is None:
        if index is not None:
            raise ValueError(
                f"{scheme}: index= needs full_shape= (the shape of the whole "
                f"tensor that index selects from)"
            )
        return None
    full = check_shape(full_shape, "full_shape")
    if index is None:
        index = ()
    if not isinstance(index, tuple):
        index = (index,)
    if len(index) > len(full):
        raise ValueError(
            f"{scheme}: index has {len(index)} entries but full_shape {full} has "
            f"{len(full)} dimensions"
        )
    index = index + (slice(None),) * (len(full) - len(index))
    strides = [1] * len(full)
    for d in range(len(full) - 2, -1, -1):
        strides[d] = strides[d + 1] * full[d + 1]
    first = 0
    index_map: list[int] = []
    shard_shape: list[int] = []
    spans: list[tuple[int, int, int]] = []
    for d, (entry, n) in enumerate(zip(index, full)):
        if isinstance(entry, slice):
            if entry.step == 0:
                raise ValueError(f"{scheme}: index[{d}] has a step of 0")
            start, stop, step = entry.indices(n)
            length = len(range(start, stop, step))
            first += start * strides[d] if length else 0
            index_map.append(step * strides[d])
            shard_shape.append(length)
            spans.append((start, stop, step))
        elif is_int(entry):
            k = operator.index(entry)
            if not -n <= k < n:
                raise ValueError(
                    f"{scheme}: index[{d}] = {k} is out of range for dimension "
                    f"{d} of full_shape {full} (size {n})"
                )
            k %= n
            first += k * strides[d]
            spans.append((k, k + 1, 1))
        else:
            raise TypeError(
                f"{scheme}: index must be a tuple of ints and slices, got "
                f"{type(entry).__name__} at position {d}"
            )
    if tuple(shard_shape) != tuple(out_shape):
        raise ValueError(
            f"{scheme}: out has shape {tuple(out_shape)} but full_shape{full}"
            f"[index] has shape {tuple(shard_shape)}"
        )
    rows = spans[0] if len(full) == 2 else None
    cols = spans[1] if len(full) == 2 else None
    # A shard that is one contiguous run of the stream (a block of whole rows, say) is just an
    # offset: index_map then equals the C-order element strides of the shard.
    expect, run = 1, True
    for n, m in zip(reversed(shard_shape), reversed(index_map)):
        if n != 1 and m != expect:
            run = False
        expect *= n
    return Shard(full, first, [] if run else index_map, rows, cols)
