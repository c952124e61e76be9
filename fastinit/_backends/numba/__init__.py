"""The Numba backend: the stream of docs/stream.md written by Numba-compiled loops.

It computes exactly the bits of the compiled core (``fastinit._core``): the same Philox4x32-10
blocks, and the transforms of ``csrc/include/fastinit/uniform.h`` and ``transforms.h`` as the
same IEEE operations in the same order (float32 compute for float32, float16 and bfloat16
outputs; no fast-math, no fused multiply-add, own ``log``/``sincos``/``ndtri``).
``tests/test_numba.py`` compares the two bit for bit.

Layers, each a module:

* :mod:`.bits`: bit casts, Philox4x32-10 blocks, an element's words, float32 -> float16 /
  bfloat16 bits; and the compute-type dispatch (float32 or float64) the others build on.
* :mod:`.transforms`: words to values (uniform, ``log``, Box-Muller, ``ndtri``, the truncated
  normal of a tile), one generic implementation each; the two compute types differ only in
  their constants (``NUMERICS32``, ``NUMERICS64``).
* :mod:`.loops`: the strided cursor, the stores, the tile loop of one thread and the threads.
* this module: :func:`fill`, the Python side (the covering array, the parameters, threads).

Every compiled function is ``cache=True``: the first call of each kind compiles it (seconds)
and writes the result under ``__pycache__`` (or ``NUMBA_CACHE_DIR``); later processes load it.
Numba checks a cached function against its own file only (numba#1833), and a cached function
contains the code it calls from the modules below it: after editing :mod:`.bits` or
:mod:`.transforms`, delete the cache (the ``*.nbi``/``*.nbc`` files) or touch the modules above
the edited one. (An installed package's files all change together.)

Only :func:`fill` is meant to be called (by ``fastinit._backends.dispatch``), with validated
arguments.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Sequence

import numba
import numpy as np

from ..codes import DTYPE_CODES, TRUNC_NORMAL_PARAM_COUNT, Scheme, dtype_code
from . import bits, loops

# The compiled pieces tests/test_numba.py reaches by their old names.
_philox_blocks, _half_bits, _bits_f32 = bits.philox_blocks, bits.half_bits, bits.bits_f32

__all__ = ["fill"]

_RAW, _CONSTANT = int(Scheme.RAW), int(Scheme.CONSTANT)
_F64_CODE, _F16_CODE = DTYPE_CODES["float64"], DTYPE_CODES["float16"]

# Numba's workqueue threading layer must not be entered from two threads at once; the others
# are fine, but one fill at a time costs nothing here (each fill already uses every thread).
_LOCK = threading.Lock()
_BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_EMPTY = np.zeros(1, np.int64)
_LAYOUT: dict = {}


def _layout(dt: np.dtype):
    """(the covering array's dtype, output kind (the dtype's code), compute itemsize) of an
    output dtype: float64 is written as float64, every other dtype as its bits (float32
    compute)."""
    lay = _LAYOUT.get(dt)
    if lay is None:
        code = dtype_code(dt)
        lay = (np.float64, code, 8) if code == _F64_CODE else (_BITS[dt.itemsize], code, 4)
        _LAYOUT[dt] = lay
    return lay


def _covering(arr: np.ndarray, view_as):
    """(flat, contiguous, shape, element strides, base) for writing arr through a 1-D array.

    flat is arr's memory as a 1-D array of dtype view_as (of arr's width), from its lowest to
    its highest element; element (i_0, .., i_k) of arr is flat[base + sum(i_d * est_d)]. None
    if arr's strides are not multiples of its itemsize."""
    if arr.flags.c_contiguous:
        return arr.reshape(-1).view(view_as), True, _EMPTY, _EMPTY, 0
    isz = arr.dtype.itemsize
    if any(s % isz for s in arr.strides):
        return None
    shape = np.array(arr.shape, np.int64)
    est = np.array(arr.strides, np.int64) // isz
    low = sum(int(e) * (int(s) - 1) for e, s in zip(est, shape) if e < 0)
    high = sum(int(e) * (int(s) - 1) for e, s in zip(est, shape) if e > 0)
    # A view of arr that starts at its lowest element, then its memory as one run.
    corner = arr[tuple(slice(s - 1, s) if e < 0 else slice(0, 1) for e, s in zip(est, shape))]
    flat = np.lib.stride_tricks.as_strided(corner, shape=(high - low + 1,), strides=(isz,))
    return flat.view(view_as), False, shape, est, -low


_PARAMS: dict = {}


def _params(kind: int, params: Sequence[float], compute_isz: int) -> np.ndarray:
    """The parameters as the kernels take them: each float64 rounded to nearest in the compute
    type (csrc/include/fastinit/kernels.h), zero-padded to the truncated normal's count;
    cached (calls repeat the same few)."""
    # bytes, not the floats: 0.0 == -0.0 as a key, and the sign of a mean can show in the bits
    key = (kind, compute_isz, struct.pack(f"{len(params)}d", *params))
    p = _PARAMS.get(key)
    if p is None:
        p = np.zeros(TRUNC_NORMAL_PARAM_COUNT, np.float32 if compute_isz == 4 else np.float64)
        if kind != _RAW and len(params):
            p[: len(params)] = np.asarray(params, np.float64)
        if len(_PARAMS) > 256:
            _PARAMS.clear()
        _PARAMS[key] = p
    return p


def _constant_bits(dt: np.dtype, value: float):
    """What the covering array holds for `value` in output dtype dt."""
    code = dtype_code(dt)
    if code == _F64_CODE:
        return np.float64(value)
    if dt.itemsize == 4:
        return np.float32(value).view(np.uint32)
    conv = bits.half_bits if code == _F16_CODE else bits.bf16_bits
    return np.uint16(conv(np.float32(value)))


def fill(
    kind: int,
    arr: np.ndarray,
    seed: int,
    stream: int,
    params: Sequence[float],
    *,
    extra: int = 0,
    first: int = 0,
    threads: int = 1,
) -> None:
    """Write scheme `kind` into `arr` (validated, writable, aligned, native; arr.size > 0)
    with up to `threads` threads."""
    dt = arr.dtype
    view_as, outk, compute_isz = _layout(dt)
    cov = _covering(arr, view_as)
    if cov is None:  # odd strides: fill a contiguous copy, then copy it in
        tmp = np.empty(arr.shape, dt)
        fill(kind, tmp, seed, stream, params, extra=extra, first=first, threads=threads)
        arr[...] = tmp
        return
    flat, contig, shape, est, base = cov
    n = arr.size
    nt = max(1, min(threads, n // loops.MIN_PER_THREAD))
    # in the order of loops.A_KIND .. loops.A_NT
    a = np.array(
        [kind, outk, n, first, contig, base, seed & 0xFFFFFFFF, seed >> 32, stream, extra, nt],
        np.uint64,
    )
    with _LOCK:
        if nt > 1:
            want = min(nt, numba.config.NUMBA_NUM_THREADS)
            if numba.get_num_threads() != want:
                numba.set_num_threads(want)
        if kind == _CONSTANT:
            value = _constant_bits(dt, float(params[0]))
            if nt > 1:
                loops.par_const(flat, a, shape, est, value)
            else:
                loops.run_const(flat, a, shape, est, value, 0, n)
        else:
            p = _params(kind, params, compute_isz)
            if nt > 1:
                loops.par(flat, a, shape, est, p)
            else:
                loops.run(flat, a, shape, est, p, 0, n)
