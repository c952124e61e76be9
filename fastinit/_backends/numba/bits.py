"""Bits: float <-> bit casts, the Philox4x32-10 blocks, the words of one element, and the
float32 -> float16 / bfloat16 bit conversions (``csrc/include/fastinit/philox.h``,
``uniform.h``'s word layout and ``halfconv.h``). The lowest layer of the Numba backend.

Compute types. A fill computes in float32 (float32, float16 and bfloat16 outputs, raw words)
or in float64 (float64 output). What depends on the compute type takes it through an argument
``like``: any float scalar or float array of that type (the fills pass their parameter array).
The functions below are ``numba.extending.overload`` stubs: at typing time Numba picks the
float32 or the float64 implementation by ``like``'s type and compiles it into its caller, so
one generic caller is specialized per compute type and nothing is decided at run time. They
are callable from jitted code only.

* :func:`word_at` element ``i``'s word: ``ws[i]`` (float32), ``ws[2i] | ws[2i+1] << 32``
  (float64); :func:`word_array` a scratch array of such words (uint32 / uint64).
* :func:`cvt` an integer below 2**31 / 2**63 to the compute type, through int32 / int64 (the
  core's ``L::cvt(L::to_signed(.))``), rounded to nearest.
* :func:`to_bits` / :func:`from_bits` a float's bits as a uint64 and back.
* :func:`geometry` the block layout: :class:`Geometry`.

Integers are uint64 throughout (Numba widens uint32 arithmetic to 64 bits; mixing uint64 with
a signed int would give a float); a 32-bit word is a uint64 value below 2**32.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

#: Options of every compiled function: cached on disk, GIL released, no Python error checks
#: (a float division by zero gives inf/NaN, as in C++, instead of a test per division).
JIT = dict(cache=True, nogil=True, error_model="numpy")
#: The same for the overload implementations (compiled into their callers, cached with them).
OVERLOAD_JIT = dict(nogil=True, error_model="numpy")

# ---- integer constants -------------------------------------------------------------------------

U = np.uint64
MASK32 = U(0xFFFFFFFF)
U0, U1 = U(0), U(1)
S1, S32 = U(1), U(32)
_M0, _M1 = U(0xD2511F53), U(0xCD9E8D57)
_W0, _W1 = U(0x9E3779B9), U(0xBB67AE85)
_S13, _S16 = U(13), U(16)

# ---- bit casts (no NumPy scalar .view in Numba) -------------------------------------------------


def _bitcast(src, dst):
    def impl(typingctx, x):
        if x != src:
            return None

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], context.get_value_type(dst))

        return dst(src), codegen

    return intrinsic(impl)


# Strictly typed: a float64 given to f32_bits is a typing error, not a silent conversion.
f32_bits = _bitcast(types.float32, types.uint32)
bits_f32 = _bitcast(types.uint32, types.float32)
f64_bits = _bitcast(types.float64, types.uint64)
bits_f64 = _bitcast(types.uint64, types.float64)

# ---- the compute type of an argument -----------------------------------------------------------


def _float_type(t):
    """The float type of a (typing-time) argument type: a float scalar's or a float array's."""
    return t.dtype if isinstance(t, types.Array) else t


def by_compute_type(like, f32_impl, f64_impl):
    """For an overload: f32_impl or f64_impl by the float type of `like` (None: no match)."""
    t = _float_type(like)
    if t == types.float32:
        return f32_impl
    if t == types.float64:
        return f64_impl
    return None


def _jit_only(*_args):
    raise TypeError("callable from Numba-compiled code only")


class Geometry(NamedTuple):
    """Where the elements of a compute type are in the Philox blocks (docs/stream.md 2)."""

    WORDS: int  # 32-bit words per element
    PER_BLOCK: int  # elements per block of 4 words (kernels.h's kPerBlock)
    BLOCK_SHIFT: np.uint64  # element e is in block e >> BLOCK_SHIFT ...
    OFF_MASK: np.uint64  # ... at element offset e & OFF_MASK
    TOP: np.uint64  # shift of an element word's top bit


GEOMETRY32 = Geometry(WORDS=1, PER_BLOCK=4, BLOCK_SHIFT=U(2), OFF_MASK=U(3), TOP=U(31))
GEOMETRY64 = Geometry(WORDS=2, PER_BLOCK=2, BLOCK_SHIFT=U(1), OFF_MASK=U(1), TOP=U(63))


def geometry(like):
    """The :class:`Geometry` of `like`'s compute type (a constant)."""
    _jit_only()


@overload(geometry, jit_options=OVERLOAD_JIT)
def _geometry(like):
    return by_compute_type(like, lambda like: GEOMETRY32, lambda like: GEOMETRY64)


def word_at(ws, i, like):
    """Element i's word (uint64) in the raw words ws (uint32): one word for float32 compute,
    two joined, low word first, for float64 compute."""
    _jit_only()


@overload(word_at, jit_options=OVERLOAD_JIT)
def _word_at(ws, i, like):
    return by_compute_type(
        like,
        lambda ws, i, like: U(ws[i]),
        lambda ws, i, like: U(ws[2 * i]) | (U(ws[2 * i + 1]) << S32),
    )


def word_array(n, like):
    """A new array of n element words: uint32 (float32 compute) or uint64 (float64)."""
    _jit_only()


@overload(word_array, jit_options=OVERLOAD_JIT)
def _word_array(n, like):
    return by_compute_type(
        like, lambda n, like: np.empty(n, np.uint32), lambda n, like: np.empty(n, np.uint64)
    )


def cvt(u, like):
    """Integer u (below 2**31 for float32, 2**63 for float64) to the compute type through the
    signed integer of its width, rounded to nearest (exact below 2**24 / 2**53)."""
    _jit_only()


@overload(cvt, jit_options=OVERLOAD_JIT)
def _cvt(u, like):
    return by_compute_type(
        like, lambda u, like: np.float32(np.int32(u)), lambda u, like: np.float64(np.int64(u))
    )


def to_bits(x):
    """The bits of float x, as a uint64."""
    _jit_only()


@overload(to_bits, jit_options=OVERLOAD_JIT)
def _to_bits(x):
    return by_compute_type(x, lambda x: U(f32_bits(x)), lambda x: f64_bits(x))


def from_bits(u, like):
    """The float of the compute type whose bits are u (a uint64; below 2**32 for float32)."""
    _jit_only()


@overload(from_bits, jit_options=OVERLOAD_JIT)
def _from_bits(u, like):
    return by_compute_type(
        like, lambda u, like: bits_f32(np.uint32(u)), lambda u, like: bits_f64(U(u))
    )


# ---- Philox4x32-10 (csrc/include/fastinit/philox.h) --------------------------------------------


@njit(**JIT)
def philox_blocks(w, b0, nblk, k0, k1, c2, c3):
    """Blocks b0 .. b0 + nblk - 1 into w[0 : 4 nblk] (counter (j_lo, j_hi, c2, c3))."""
    for j in range(nblk):
        b = b0 + U(j)
        x0 = b & MASK32
        x1 = b >> S32
        x2 = c2
        x3 = c3
        ka = k0
        kb = k1
        for _ in range(10):
            p0 = _M0 * x0
            p1 = _M1 * x2
            y0 = (p1 >> S32) ^ x1 ^ ka
            x1 = p1 & MASK32
            x2 = (p0 >> S32) ^ x3 ^ kb
            x3 = p0 & MASK32
            x0 = y0
            ka = (ka + _W0) & MASK32
            kb = (kb + _W1) & MASK32
        w[4 * j] = np.uint32(x0)
        w[4 * j + 1] = np.uint32(x1)
        w[4 * j + 2] = np.uint32(x2)
        w[4 * j + 3] = np.uint32(x3)


# ---- float32 -> float16 / bfloat16 bits (csrc/include/fastinit/halfconv.h) ---------------------

# The subnormal range of float16 by one float32 addition: |v| + 0.5 puts the 10 bits of the
# float16 subnormal at the bottom of the float32 mantissa, rounded to nearest even by the
# addition itself (F. Giesen's float_to_half_fast3_rtne). Every branch of halfconv.h is a
# select here, so the loop vectorizes; the results are the same for every float32 input
# (both round to nearest even; NaN gives 0x7e00), checked over all 2**32 inputs by
# tests/test_numba.py::test_half_conversion_exhaustive.
_F_DENORM_MAGIC = np.float32(0.5)  # bits (126 << 23): ((127 - 15) + (23 - 10) + 1) << 23
_U_DENORM_MAGIC = U(126 << 23)


@njit(**JIT)
def half_bits(v):
    """The float16 bits of float32 v, rounded to nearest even (a uint64 below 2**16)."""
    x = U(f32_bits(v))
    sign = (x >> _S16) & U(0x8000)
    x &= U(0x7FFFFFFF)
    # normal float16 range: rebias the exponent, round to nearest even on bit 13
    nrm = x - U(0x38000000)
    nrm = (nrm + U(0x0FFF) + ((nrm >> _S13) & U1)) >> _S13
    # subnormal (and zero) range
    sub = U(f32_bits(bits_f32(np.uint32(x)) + _F_DENORM_MAGIC)) - _U_DENORM_MAGIC
    r = sub if x < U(0x38800000) else nrm
    r = U(0x7C00) if x >= U(0x477FF000) else r
    r = U(0x7E00) if x > U(0x7F800000) else r
    return sign | (r & U(0xFFFF))


@njit(**JIT)
def bf16_bits(v):
    """The bfloat16 bits of float32 v, rounded to nearest even; NaN stays NaN (quiet)."""
    x = U(f32_bits(v))
    if (x & U(0x7FFFFFFF)) > U(0x7F800000):
        return (x >> _S16) | U(0x0040)
    return ((x + U(0x7FFF) + ((x >> _S16) & U1)) >> _S16) & U(0xFFFF)
