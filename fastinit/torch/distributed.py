"""DTensors (FSDP2, tensor parallel, any DeviceMesh): every rank fills only its own elements,
and ``dtensor.full_tensor()`` equals the same call on a plain tensor of the global shape.

Element ``i`` of a tensor depends only on ``(seed, stream, i)`` (docs/stream.md), so a rank
computes its local elements alone, with the shard machinery of the NumPy API (``full_shape=``,
``index=``): no communication, no full-size allocation, and the same values at any world size
or mesh shape.

How a rank finds its elements: for every tensor dimension, the global indices it holds, from
the placements applied left to right over the mesh dimensions (the order DTensor uses):
``Shard(d)`` keeps this rank's chunk of dimension ``d`` as ``torch.chunk`` cuts it (uneven and
empty chunks included), ``_StridedShard(d, split_factor=f)`` (FSDP2 + TP) cuts the current
indices into ``f`` pieces, each piece into ``mesh.size(i)`` chunks, and keeps this rank's chunk
of every piece, ``Replicate()`` keeps everything. ``Partial`` cannot be filled (its local values
are summands, not elements). The local tensor is then the product of these index sets; each
product of contiguous runs is one sharded fill. docs/torch.md has the details.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._random.generator import Generator, resolve_seed

__all__ = ["is_dtensor", "local_indices", "fill", "zero_row"]


def _dtensor_type() -> Any:
    """torch's DTensor class if torch.distributed.tensor is loaded (a DTensor cannot exist
    otherwise), else None."""
    mod = sys.modules.get("torch.distributed.tensor")
    return getattr(mod, "DTensor", None) if mod is not None else None


def is_dtensor(tensor: Any) -> bool:
    cls = _dtensor_type()
    return cls is not None and isinstance(tensor, cls)


def _chunks(idx: np.ndarray, n: int) -> list[np.ndarray]:
    """``torch.chunk(idx, n)`` padded with empty chunks to n: chunks of ceil(len / n)."""
    size = -(-len(idx) // n) if len(idx) else 0
    return [idx[i * size : (i + 1) * size] for i in range(n)]


def _strided_chunk(idx: np.ndarray, split_factor: int, n: int, k: int) -> np.ndarray:
    """Chunk `k` of `n` of `idx` under ``_StridedShard(split_factor=...)``, as this torch
    splits it: torch's own ``_split_tensor`` applied to the positions (its rule has changed
    between releases: torch 2.13 cuts `split_factor` pieces, then each piece into `n` chunks,
    and keeps chunk `k` of every piece)."""
    import torch
    from torch.distributed.tensor.placement_types import _StridedShard

    positions = torch.arange(len(idx))
    shards, _ = _StridedShard(0, split_factor=split_factor)._split_tensor(
        positions, n, with_padding=False, contiguous=False
    )
    return idx[shards[k].numpy()]


def local_indices(dtensor: Any) -> list[np.ndarray]:
    """The global indices this rank holds, per dimension of the DTensor (int64 arrays)."""
    from torch.distributed.tensor.placement_types import Replicate, Shard, _StridedShard

    mesh = dtensor.device_mesh
    coord = mesh.get_coordinate()
    if coord is None:
        raise ValueError(
            "fastinit: this rank is not part of the DTensor's device mesh, so it "
            "holds no elements to fill"
        )
    idx = [np.arange(int(n), dtype=np.int64) for n in dtensor.shape]
    for i, p in enumerate(dtensor.placements):
        n = mesh.size(i)
        if isinstance(p, _StridedShard):
            idx[p.dim] = _strided_chunk(idx[p.dim], int(p.split_factor), n, coord[i])
        elif isinstance(p, Shard):
            idx[p.dim] = _chunks(idx[p.dim], n)[coord[i]]
        elif isinstance(p, Replicate):
            continue
        elif p.is_partial():
            raise ValueError(
                f"fastinit cannot fill a DTensor with placement {p} on mesh "
                f"dimension {i}: a Partial tensor's local values are summands of "
                f"the elements, not elements; redistribute it to Shard or "
                f"Replicate first"
            )
        else:
            raise TypeError(
                f"fastinit cannot fill a DTensor with placement {p!r} on mesh "
                f"dimension {i}; it fills Shard, _StridedShard and Replicate"
            )
    return idx


def _runs(idx: np.ndarray) -> list[tuple[int, int, int]]:
    """(local start, global start, length) of each run of consecutive global indices."""
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    starts = np.concatenate(([0], breaks))
    stops = np.concatenate((breaks, [len(idx)]))
    return [(int(a), int(idx[a]), int(b - a)) for a, b in zip(starts, stops)]


def blocks(idx: list[np.ndarray]) -> Iterator[tuple[tuple[slice, ...], tuple[slice, ...]]]:
    """(local slices, global slices) of each block of the local tensor whose every dimension
    is one run of consecutive global indices."""
    for combo in itertools.product(*(_runs(i) for i in idx)):
        local = tuple(slice(lo, lo + n) for lo, _, n in combo)
        glob = tuple(slice(g, g + n) for _, g, n in combo)
        yield local, glob


class _Pinned(Generator):
    """A seed that draws one stream on first use and hands the same one to every block of a
    fill (so the whole DTensor uses one stream, as the plain tensor does), checked first by the
    scheme like any seed."""

    __slots__ = ("_source", "_pair")

    def __init__(self, source: Any) -> None:  # no Generator.__init__: there is no own seed
        self._source = source
        self._pair: tuple[int, int] | None = None

    def next_stream(self) -> tuple[int, int]:
        if self._pair is None:
            src = self._source
            self._pair = src if isinstance(src, tuple) else resolve_seed(src)
        return self._pair

    @property
    def drawn(self) -> bool:
        return self._pair is not None

    def __repr__(self) -> str:
        return f"fastinit.torch.distributed._Pinned({self._source!r})"


#: orthogonal_ computes the whole matrix on every rank; above this many elements it refuses
#: (float64 temporaries: about 3 x 8 bytes per element, 12 GiB at the limit).
ORTHOGONAL_MAX_ELEMENTS = 2**29


def fill(
    name: str, run: Callable[..., Any], dtensor: Any, local_target: Any, kwargs: dict[str, Any]
) -> None:
    """Fill this rank's part of `dtensor` (its local tensor seen as `local_target`, a NumPy
    view or a CUDA tensor) as `run(out, **kwargs)` fills a plain tensor: `kwargs` holds
    ``seed`` for the random schemes."""
    shape = tuple(int(n) for n in dtensor.shape)
    idx = local_indices(dtensor)
    want = tuple(len(i) for i in idx)
    if want != tuple(local_target.shape):
        raise RuntimeError(
            f"fastinit: the local tensor of this DTensor has shape "
            f"{tuple(local_target.shape)}, but its placements "
            f"{tuple(dtensor.placements)} give {want}; nothing was written"
        )
    if name in ("constant_", "ones_", "zeros_"):
        run(local_target)
        return
    if name == "eye_":
        _eye(local_target, idx)
        return
    if name == "dirac_":
        _dirac(local_target, idx, shape, kwargs["groups"])
        return
    seed = _Pinned(kwargs.pop("seed", None))
    if name == "orthogonal_":
        _orthogonal(run, local_target, idx, shape, seed)
        return
    for local, glob in blocks(idx):
        run(local_target[local], seed=seed, full_shape=shape, index=glob, **kwargs)
    if not seed.drawn:  # no element here (an empty shard): still draw, as every other rank
        # The local tensor itself (empty), as the shard at the start of the global tensor.
        index = tuple(slice(0, n) for n in local_target.shape)
        run(local_target, seed=seed, full_shape=shape, index=index, **kwargs)


def _as_host(target: Any) -> Any:
    if not isinstance(target, np.ndarray):
        raise NotImplementedError(
            "fastinit: eye_, dirac_ and orthogonal_ of a DTensor on a GPU "
            "mesh are not supported yet"
        )
    return target


def _eye(target: Any, idx: list[np.ndarray]) -> None:
    target = _as_host(target)
    target[...] = 0
    rows, cols = idx
    r, c = np.nonzero(rows[:, None] == cols[None, :])
    target[r, c] = 1


def _dirac(target: Any, idx: list[np.ndarray], shape: tuple[int, ...], groups: int) -> None:
    """torch.nn.init.dirac_: for each group g and d < min(out // groups, in), a 1 at
    (g * out_per_group + d, d, centre...)."""
    target = _as_host(target)
    target[...] = 0
    per_group = shape[0] // groups
    limit = min(per_group, shape[1])
    out_ch, in_ch = idx[0], idx[1]
    d = out_ch % per_group
    ok = (d[:, None] == in_ch[None, :]) & (d[:, None] < limit)
    mask = ok
    for axis, n in enumerate(shape[2:], start=2):
        centre = idx[axis] == n // 2
        mask = mask[..., None] & centre.reshape((1,) * (axis) + (-1,))
    target[mask] = 1


def _orthogonal(
    run: Callable[..., Any],
    target: Any,
    idx: list[np.ndarray],
    shape: tuple[int, ...],
    seed: _Pinned,
) -> None:
    """The whole matrix on every rank (its QR needs all of it), then this rank's part."""
    target = _as_host(target)
    size = math.prod(shape)
    if size > ORTHOGONAL_MAX_ELEMENTS:
        raise ValueError(
            f"orthogonal_ of a DTensor computes the whole {shape} matrix on every "
            f"rank ({size} elements, about {24 * size / 2**30:.1f} GiB of float64 "
            f"temporaries); fastinit refuses above {ORTHOGONAL_MAX_ELEMENTS} "
            f"elements"
        )
    full = np.empty(shape, target.dtype)
    run(full, seed=seed)
    target[...] = full[np.ix_(*idx)]


def zero_row(tensor: Any, row: int) -> None:
    """``tensor[row] = 0`` (an Embedding's padding row), on a DTensor by the rank that holds it."""
    if not is_dtensor(tensor):
        tensor[row].fill_(0)
        return
    rows = local_indices(tensor)[0]
    for pos in np.flatnonzero(rows == row % int(tensor.shape[0])):
        tensor._local_tensor[int(pos)].fill_(0)
