"""Loops: the drivers of a fill (the per-scheme kernels of ``csrc/include/fastinit/kernels.h``
over a stream, as ``csrc/cpu/run.h``): walking the output, storing values, the tiles of one
thread (:func:`run`) and the threads (:func:`par`).

Layout (the shape LLVM was measured to vectorize): each thread walks its share of the
logical elements in tiles of :data:`TILE`; per tile, the Philox blocks are computed into a
small scratch array of raw words, then a second loop turns the words into values and stores
them. :func:`run` and :func:`par` are generic: Numba compiles one specialization per compute
type, chosen by the type of the parameter array ``p`` (float32 or float64; :mod:`.bits`).

Loops index slices with the loop variable: an index Numba cannot prove non-negative gets a
wrap-around select per access, which keeps LLVM from vectorizing (2.4x slower here).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.extending import overload

from ..codes import DTYPE_CODES, Scheme
from .bits import (
    JIT,
    OVERLOAD_JIT,
    U0,
    U,
    bf16_bits,
    by_compute_type,
    f32_bits,
    geometry,
    half_bits,
    philox_blocks,
    word_array,
    word_at,
)
from .transforms import normal_pair, trunc_tile, uniform

# Elements per tile (a multiple of 4), and the fewest elements a thread is given.
TILE = 2048
MIN_PER_THREAD = 1 << 16

RAW, UNIFORM, NORMAL = int(Scheme.RAW), int(Scheme.UNIFORM), int(Scheme.NORMAL)
# Output kinds (the output dtype's code): float16 and bfloat16 are narrowed from float32
# compute; every other output holds the compute type's own bits.
OUT_F16, OUT_BF16 = DTYPE_CODES["float16"], DTYPE_CODES["bfloat16"]

# The scalars of a fill, packed into one uint64 array `a` (one argument instead of eleven: a
# Numba call pays for every argument it types), in this order.
A_KIND, A_OUTK, A_N, A_FIRST, A_CONTIG, A_BASE, A_K0, A_K1, A_STREAM, A_EXTRA, A_NT = range(11)
NARGS = 11

# ---- strided walking ---------------------------------------------------------------------------


@njit(**JIT)
def cursor_at(idx, shape, est, base, start):
    """Set idx to the multi-index of logical (C-order) element `start`; return its position."""
    pos = base
    for d in range(shape.size - 1, -1, -1):
        n = shape[d]
        idx[d] = start % n
        start //= n
        pos += idx[d] * est[d]
    return pos


@njit(**JIT)
def cursor_next(idx, shape, est, pos):
    """Advance the multi-index idx by one element (C order); return the new position."""
    for d in range(shape.size - 1, -1, -1):
        pos += est[d]
        idx[d] += 1
        if idx[d] < shape[d]:
            return pos
        pos -= est[d] * shape[d]
        idx[d] = 0
    return pos


# ---- stores: the values of a tile into the output ----------------------------------------------
# out is the covering array (see fill): uint32 for float32 bits and raw words, uint16 for
# float16 and bfloat16 bits, float64 for float64. Every store writes vals[voff : voff + m] at
# out[dst:] (contig) or along the cursor, and returns the cursor.


@njit(**JIT)
def store_plain(out, vals, voff, m, contig, dst, idx, shape, est, pos):
    """Values stored unchanged (raw words into uint32, float64 into float64)."""
    v = vals[voff : voff + m]
    if contig:
        o = out[dst : dst + m]
        for i in range(m):
            o[i] = v[i]
        return pos
    for i in range(m):
        out[pos] = v[i]
        pos = cursor_next(idx, shape, est, pos)
    return pos


@njit(**JIT)
def _store_narrow(out, outk, vals, voff, m, contig, dst, idx, shape, est, pos):
    """float32 values as output kind outk: float16 or bfloat16 bits, else float32 bits."""
    v = vals[voff : voff + m]
    if contig:
        o = out[dst : dst + m]
        if outk == OUT_F16:
            for i in range(m):
                o[i] = half_bits(v[i])
        elif outk == OUT_BF16:
            for i in range(m):
                o[i] = bf16_bits(v[i])
        else:
            for i in range(m):
                o[i] = f32_bits(v[i])
        return pos
    for i in range(m):
        if outk == OUT_F16:
            out[pos] = half_bits(v[i])
        elif outk == OUT_BF16:
            out[pos] = bf16_bits(v[i])
        else:
            out[pos] = f32_bits(v[i])
        pos = cursor_next(idx, shape, est, pos)
    return pos


def store_values(out, outk, vals, voff, m, contig, dst, idx, shape, est, pos):
    """The values of a tile (float32 or float64 compute) as output kind outk."""
    raise TypeError("callable from Numba-compiled code only")


@overload(store_values, jit_options=OVERLOAD_JIT)
def _store_values(out, outk, vals, voff, m, contig, dst, idx, shape, est, pos):
    def narrow(out, outk, vals, voff, m, contig, dst, idx, shape, est, pos):
        return _store_narrow(out, outk, vals, voff, m, contig, dst, idx, shape, est, pos)

    def plain(out, outk, vals, voff, m, contig, dst, idx, shape, est, pos):
        return store_plain(out, vals, voff, m, contig, dst, idx, shape, est, pos)

    return by_compute_type(vals, narrow, plain)


def out_value(x):
    """What the covering array of an output that is not narrowed holds for value x."""
    raise TypeError("callable from Numba-compiled code only")


@overload(out_value, jit_options=OVERLOAD_JIT)
def _out_value(x):
    return by_compute_type(x, lambda x: f32_bits(x), lambda x: x)


# ---- the fills ---------------------------------------------------------------------------------


@njit(**JIT)
def run(out, a, shape, est, p, lo, hi):
    """Elements [lo, hi) (logical indices) of a scheme, or raw words, into the covering array
    out; p: the parameters in the compute type (float32 or float64), which picks the
    specialization."""
    kind = np.int64(a[A_KIND])
    outk = np.int64(a[A_OUTK])
    narrow = outk == OUT_F16 or outk == OUT_BF16
    first = a[A_FIRST]
    contig = a[A_CONTIG] != U0
    k0, k1, stream, extra = a[A_K0], a[A_K1], a[A_STREAM], a[A_EXTRA]
    g = geometry(p)
    words = np.empty(g.WORDS * TILE + 8, np.uint32)
    vals = np.empty(TILE + 8, p.dtype)
    # truncated-normal scratch (small; allocated for every scheme to keep one code path)
    flags = np.empty(TILE, np.bool_)
    tidx = np.empty(2 * TILE, np.int64)
    cw = word_array(TILE, p)
    lgs = np.empty(TILE, p.dtype)
    xs = np.empty(TILE, p.dtype)
    idx = np.zeros(shape.size, np.int64)
    pos = 0 if contig else cursor_at(idx, shape, est, np.int64(a[A_BASE]), lo)
    p0, p1 = p[0], p[1]  # uniform: lo, hi; normal: mean, std (codes.PARAM_COUNTS)
    span = p1 - p0
    for i0 in range(lo, hi, TILE):
        m = min(TILE, hi - i0)
        g0 = first + U(i0)
        b0 = g0 >> g.BLOCK_SHIFT
        nblk = np.int64(((g0 + U(m - 1)) >> g.BLOCK_SHIFT) - b0) + 1
        off = np.int64(g0 & g.OFF_MASK)
        philox_blocks(words, b0, nblk, k0, k1, stream, extra)
        ws = words[g.WORDS * off : g.WORDS * (off + m)]  # the tile's elements' words
        if kind == RAW:
            pos = store_plain(out, ws, 0, m, contig, i0, idx, shape, est, pos)
            continue
        if kind == UNIFORM:
            if contig and not narrow:  # fused: words to the output's bits, in place
                o = out[i0 : i0 + m]
                for i in range(m):
                    o[i] = out_value(uniform(word_at(ws, i, p), p0, span, p1))
                continue
            for i in range(m):
                vals[i] = uniform(word_at(ws, i, p), p0, span, p1)
            voff = 0
        elif kind == NORMAL:  # pairs of elements, from the tile's first block
            for j in range(nblk * g.PER_BLOCK // 2):
                z0, z1 = normal_pair(word_at(words, 2 * j, p), word_at(words, 2 * j + 1, p), p)
                vals[2 * j] = p0 + p1 * z0
                vals[2 * j + 1] = p0 + p1 * z1
            voff = off
        else:
            trunc_tile(ws, m, p, vals, flags, tidx, cw, lgs, xs)
            voff = 0
        pos = store_values(out, outk, vals, voff, m, contig, i0, idx, shape, est, pos)


@njit(**JIT)
def run_const(out, a, shape, est, value, lo, hi):
    """value (out's dtype: the bits of the output value) into elements [lo, hi)."""
    if a[A_CONTIG] != U0:
        o = out[lo:hi]
        for i in range(hi - lo):
            o[i] = value
        return
    idx = np.zeros(shape.size, np.int64)
    pos = cursor_at(idx, shape, est, np.int64(a[A_BASE]), lo)
    for _ in range(lo, hi):
        out[pos] = value
        pos = cursor_next(idx, shape, est, pos)


# One parallel driver per worker: a[A_NT] threads, each a contiguous share of whole tiles.


@njit(**JIT)
def _share(a, t):
    n = np.int64(a[A_N])
    nt = np.int64(a[A_NT])
    per = ((n + nt - 1) // nt + TILE - 1) // TILE * TILE
    lo = min(n, t * per)
    return lo, min(n, lo + per)


@njit(parallel=True, **JIT)
def par(out, a, shape, est, p):
    """run over all n elements, on a[A_NT] threads."""
    for t in prange(np.int64(a[A_NT])):
        lo, hi = _share(a, t)
        if lo < hi:
            run(out, a, shape, est, p, lo, hi)


@njit(parallel=True, **JIT)
def par_const(out, a, shape, est, value):
    """run_const over all n elements, on a[A_NT] threads."""
    for t in prange(np.int64(a[A_NT])):
        lo, hi = _share(a, t)
        if lo < hi:
            run_const(out, a, shape, est, value, lo, hi)
