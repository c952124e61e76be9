"""Writing a checkpoint: the safetensors layout and header, and the tensors filled chunk by
chunk into one reused buffer and appended to the file (docs/sharding.md, "Checkpoints");
the file itself (space reserved first, durable, renamed into place) is output.py's.

The safetensors layout (written here from the format's public description): an unsigned
64-bit little-endian header length ``N``, ``N`` bytes of UTF-8 JSON (padded with spaces to a
multiple of 8), then the tensors' bytes back to back. The header maps each name to
``{"dtype": "F32" | "F16" | "BF16" | "F64", "shape": [...], "data_offsets": [begin, end]}``
(offsets relative to the end of the header) and may hold ``"__metadata__"``, a str -> str map.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from .output import Output
from .spec import _WHOLE, SpecLike, TensorSpec, _fill, _int, parse_spec

__all__ = ["init_checkpoint", "ProgressCallback", "DEFAULT_CHUNK_BYTES"]

DEFAULT_CHUNK_BYTES = 64 << 20

# progress(done, total, label): bytes of tensor data written so far, of all tensors, and the
# name of the tensor just written ("" for the first call). See init_checkpoint.
ProgressCallback = Callable[[int, int, str], None]


def _layout(tensors: list[TensorSpec]) -> list[TensorSpec]:
    """The order of the tensors' bytes: by itemsize, largest first, then spec order (a stable
    sort, as safetensors' own writer). The data start is 8-byte aligned and there are no holes
    between tensors, so every tensor is aligned to its itemsize (np.memmap and the kernels
    need that). Streams stay spec positions: the order changes no value."""
    return sorted(tensors, key=lambda ts: -ts.dtype.itemsize)


def _header(tensors: list[TensorSpec], metadata: dict[str, str]) -> tuple[bytes, list[int]]:
    """The header bytes (length prefix included) and each tensor's data offset, for `tensors`
    in layout order."""
    head: dict[str, Any] = {}
    if metadata:
        head["__metadata__"] = metadata
    offsets, pos = [], 0
    for ts in tensors:
        head[ts.name] = {
            "dtype": ts.code,
            "shape": list(ts.shape),
            "data_offsets": [pos, pos + ts.nbytes],
        }
        offsets.append(pos)
        pos += ts.nbytes
    raw = json.dumps(head, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-(8 + len(raw)) % 8)  # the data starts 8-byte aligned
    return struct.pack("<Q", len(raw)) + raw, offsets


def _chunks(ts: TensorSpec, chunk_bytes: int) -> list[tuple[int, int]]:
    """Row ranges ``[r0, r1)`` of the first axis; one range for whole fills."""
    if not ts.shape or ts.nbytes <= chunk_bytes or ts.scheme in _WHOLE or 0 in ts.shape:
        return [(0, ts.shape[0] if ts.shape else 1)]
    row = ts.nbytes // ts.shape[0]
    step = max(1, chunk_bytes // row)
    return [(r, min(r + step, ts.shape[0])) for r in range(0, ts.shape[0], step)]


def _row(ts: TensorSpec) -> int:
    """Bytes of one row (first-axis index); the whole tensor for a scalar or empty one."""
    return ts.nbytes // ts.shape[0] if ts.shape and ts.shape[0] else ts.nbytes


def _buffer(nbytes: int) -> np.ndarray:
    """`nbytes` bytes, page-aligned (aligned stores in the kernels, whole pages to write)."""
    raw = np.empty(nbytes + 4096, np.uint8)
    start = -raw.ctypes.data % 4096
    return raw[start : start + nbytes]


def init_checkpoint(
    spec: SpecLike,
    path: Union[str, os.PathLike[str]],
    *,
    progress: Optional[ProgressCallback] = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> dict[str, Any]:
    """Write an initialized safetensors checkpoint from a spec, tensor by tensor, to disk.

    Each tensor is filled into one reused buffer and appended to the file; tensors bigger than
    `chunk_bytes` are filled in row chunks with the sharded API (``full_shape=``,
    ``index=(slice(r0, r1),)``), so peak memory stays near `chunk_bytes` whatever the model's
    size. The values equal the in-memory fills bit for bit: tensor ``k`` (counting from 0 in
    file order, groups expanded) is filled with ``seed=Generator(seed, stream=k)`` unless it
    sets its own ``seed`` / ``stream``.
    ``orthogonal``, ``sparse``, ``eye`` and ``dirac`` tensors are filled whole. The bytes are
    laid out by itemsize (largest first, then spec order) so that every tensor is aligned.
    Nothing is printed: progress goes to the `progress` callback (``fastinit init`` draws it
    as a bar).

    The file is written safely (docs/sharding.md, "Writing safely"): its whole size is
    reserved on the disk before the first byte is written, so a checkpoint that does not fit
    fails at once; it is written as a temporary file in `path`'s directory (unnamed where the
    filesystem allows, ``O_TMPFILE``; else ``NAME.xxxxxxxx.partial``), fsynced, renamed over
    `path`, and the directory fsynced. When this function returns, the checkpoint is complete
    on disk under `path`; if it raises (a full disk, ``KeyboardInterrupt``, anything), `path`
    is as it was and the temporary file is gone. A temporary file left by a writer that was
    killed (SIGKILL, a crash) is removed by the next call writing the same `path`.

    Parameters
    ----------
    spec : dict, str or path
        The spec, or a ``.json`` / ``.toml`` file holding it (TOML: Python >= 3.11, or the
        ``tomli`` package). Keys: ``seed`` (int, default 0), ``dtype`` (default for tensors:
        ``float32``, ``float16``, ``bfloat16`` or ``float64``), ``metadata`` (str -> str,
        written as ``__metadata__``) and ``tensors``: a list of tables with ``name``,
        ``shape``, ``scheme`` (any fastinit scheme), optional ``dtype``, ``params`` (the
        scheme's keyword arguments), ``seed`` and ``stream``; or groups ``{repeat = n,
        tensors = [...]}`` whose names may hold ``{i}`` (0 .. n-1). See docs/sharding.md.
    path : str or path
        The output file, replaced only when the new one is complete and on disk.
    progress : callable or None, default None
        Called as ``progress(done, total, label)`` as the file is written, in the calling
        thread. Units are bytes of tensor data (the header excluded): `total` is the sum of
        the tensors' sizes, `done` the bytes written so far. It is called once with
        ``(0, total, "")`` after the spec is checked and before the first fill, then after
        every chunk (a tensor filled whole, empty ones included, is one chunk) with the bytes
        written so far and that tensor's name as `label`; `done` never decreases and the last
        call has ``done == total``. An exception it raises stops the write (the temporary file
        is removed, `path` untouched) and propagates. None: no calls.
    chunk_bytes : int, default 64 MiB
        The largest piece filled at once.

    Returns
    -------
    dict
        The safetensors header written: name -> ``{"dtype", "shape", "data_offsets"}``
        (``"__metadata__"`` too, when the spec has metadata).

    Raises
    ------
    SpecError
        (a ``ValueError``) for a spec that cannot be written, before anything is written.
    TypeError
        If `progress` is neither None nor callable.
    OSError
        If the file cannot be written, the message naming `path`, with the system's errno:
        ENOSPC (or EDQUOT) when the checkpoint does not fit, before anything is written, the
        message giving the bytes needed and available; EACCES, EROFS, ... Nothing is left
        behind and `path` is untouched.

    Examples
    --------
    >>> import os, tempfile, fastinit
    >>> spec = {"seed": 0, "tensors": [
    ...     {"name": "w", "shape": [4, 3], "scheme": "xavier_uniform"},
    ...     {"name": "b", "shape": [4], "scheme": "zeros", "dtype": "bfloat16"}]}
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.safetensors")
    >>> calls = []
    >>> header = fastinit.init_checkpoint(spec, path, progress=lambda *a: calls.append(a))
    >>> header["w"]
    {'dtype': 'F32', 'shape': [4, 3], 'data_offsets': [0, 48]}
    >>> calls
    [(0, 56, ''), (48, 56, 'w'), (56, 56, 'b')]
    >>> os.path.getsize(path)
    184
    """
    chunk_bytes = _int(chunk_bytes, "chunk_bytes", 1, 2**63)
    if progress is not None and not callable(progress):
        raise TypeError(
            f"progress must be a callable progress(done, total, label) or None, "
            f"got {progress!r} (the library draws no bar; `fastinit init` does)"
        )
    tensors, metadata = parse_spec(spec)
    tensors = _layout(tensors)
    header, offsets = _header(tensors, metadata)
    total = sum(ts.nbytes for ts in tensors)
    plan = [(ts, off, _chunks(ts, chunk_bytes)) for ts, off in zip(tensors, offsets)]
    # One buffer for every chunk: the largest (a tensor filled whole may exceed chunk_bytes).
    largest = max(
        ts.nbytes if len(chunks) == 1 else (chunks[0][1] - chunks[0][0]) * _row(ts)
        for ts, _, chunks in plan
    )
    buf = _buffer(largest)
    base = len(header)
    out = Output(Path(os.fspath(path)), base + total)
    try:
        out.write(header)
        done = 0
        if progress is not None:
            progress(0, total, "")
        for ts, off, chunks in plan:
            row = _row(ts)
            for r0, r1 in chunks:
                if ts.nbytes:
                    whole = len(chunks) == 1
                    nbytes = ts.nbytes if whole else (r1 - r0) * row
                    shape = ts.shape if whole else (r1 - r0,) + ts.shape[1:]
                    arr = buf[:nbytes].view(ts.dtype).reshape(shape)
                    _fill(ts, arr, None if whole else (slice(r0, r1),))
                    assert out.pos == base + off + r0 * row  # the layout has no holes
                    out.write(buf[:nbytes])
                    done += nbytes
                if progress is not None:
                    progress(done, total, ts.name)
        out.commit()
    except BaseException:
        out.discard()
        raise
    return json.loads(header[8:].decode("utf-8"))
