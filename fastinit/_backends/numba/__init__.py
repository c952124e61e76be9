"""The Numba backend: the stream of docs/stream.md written by Numba-compiled loops.

It computes exactly the bits of the compiled core (``fastinit._core``): the same Philox4x32-10
blocks, and the transforms of ``csrc/uniform.h`` and ``csrc/transforms.h`` as the same IEEE
operations in the same order (float32 compute for float32, float16 and bfloat16 outputs; no
fast-math, no fused multiply-add, own ``log``/``sincos``/``ndtri``). ``tests/test_numba.py``
compares the two bit for bit.

Layout of the loops (the shape ``PERF-NOTES`` found LLVM vectorizes): each thread walks its
share of the logical elements in tiles; per tile, the Philox blocks are computed into a small
scratch array of raw words, then a second loop turns the words into values and stores them.

Every compiled function is ``cache=True``: the first call of each kind compiles it (seconds)
and writes the result under ``__pycache__`` (or ``NUMBA_CACHE_DIR``); later processes load it.

Only :func:`fill` is meant to be called (by ``fastinit._backend``), with validated arguments.
"""

from __future__ import annotations

import struct
import threading
from typing import Sequence

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

from ..codes import Scheme

__all__ = ["fill"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")

# Elements per tile (a multiple of 4), and the fewest elements a thread is given.
_TILE = 2048
_MIN_PER_THREAD = 1 << 16

# ---- bit casts (no NumPy scalar .view in Numba) -------------------------------------------------


def _bitcast(src, dst):
    def impl(typingctx, x):
        if x != src:
            return None

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], context.get_value_type(dst))

        return dst(src), codegen

    return intrinsic(impl)


_f32_bits = _bitcast(types.float32, types.uint32)
_bits_f32 = _bitcast(types.uint32, types.float32)
_f64_bits = _bitcast(types.float64, types.uint64)
_bits_f64 = _bitcast(types.uint64, types.float64)

# ---- constants -------------------------------------------------------------------------------
# Integers are uint64 (Numba widens uint32 arithmetic to 64 bits; mixing uint64 with a signed
# int would give a float). Words are kept in uint64 values below 2**32.

_U = np.uint64
_MASK32 = _U(0xFFFFFFFF)
_M0, _M1 = _U(0xD2511F53), _U(0xCD9E8D57)
_W0, _W1 = _U(0x9E3779B9), _U(0xBB67AE85)
_S1, _S6, _S8, _S9, _S10, _S11, _S13, _S16 = (_U(v) for v in (1, 6, 8, 9, 10, 11, 13, 16))
_S23, _S30, _S31, _S32, _S52, _S62, _S63 = (_U(v) for v in (23, 30, 31, 32, 52, 62, 63))
_U0, _U1, _S2, _U3 = _U(0), _U(1), _U(2), _U(3)

_f = np.float32
# float32 compute: every constant is a float32 (a Python float would promote to float64).
F_HALF, F_ONE, F_TWO, F_M2 = _f(0.5), _f(1.0), _f(2.0), _f(-2.0)
F_2M24, F_2M31, F_2M32 = _f(2.0**-24), _f(2.0**-31), _f(2.0**-32)
F_PI_2 = _f(1.5707963267948966)
F_LN2_HI = _f(0.693359375)
F_LN2_LO = _f(0.69314718055994530942 - 0.693359375)
F_L11, F_L9, F_L7, F_L5, F_L3 = (_f(2.0) / _f(d) for d in (11.0, 9.0, 7.0, 5.0, 3.0))
F_S9 = _f(1.0) / _f(362880.0)
F_S7 = _f(-1.0) / _f(5040.0)
F_S5 = _f(1.0) / _f(120.0)
F_S3 = _f(-1.0) / _f(6.0)
F_C10 = _f(-1.0) / _f(3628800.0)
F_C8 = _f(1.0) / _f(40320.0)
F_C6 = _f(-1.0) / _f(720.0)
F_C4 = _f(1.0) / _f(24.0)
F_C2 = _f(-1.0) / _f(2.0)
F_CONST1, F_CONST2, F_FIVE, F_27 = _f(0.180625), _f(1.6), _f(5.0), _f(27.0)
F_A3, F_A2, F_A1, F_A0 = _f(5.9109374720e+01), _f(1.5929113202e+02), _f(5.0434271938e+01), \
    _f(3.3871327179e+00)
F_B3, F_B2, F_B1 = _f(6.7187563600e+01), _f(7.8757757664e+01), _f(1.7895169469e+01)
F_C3_, F_C2_, F_C1_, F_C0_ = _f(1.7023821103e-01), _f(1.3067284816e+00), _f(2.7568153900e+00), \
    _f(1.4234372777e+00)
F_D2, F_D1 = _f(1.2021132975e-01), _f(7.3700164250e-01)
F_E3, F_E2, F_E1, F_E0 = _f(1.7337203997e-02), _f(4.2868294337e-01), _f(3.0812263860e+00), \
    _f(6.6579051150e+00)
F_F2, F_F1 = _f(1.2258202635e-02), _f(2.4197894225e-01)
F_TWO_PI, F_THREE, F_FIFTEEN = _f(6.283185307179586), _f(3.0), _f(15.0)

# ---- Philox4x32-10 ----------------------------------------------------------------------------


@njit(**_JIT)
def _philox_blocks(w, b0, nblk, k0, k1, c2, c3):
    """Blocks b0 .. b0 + nblk - 1 into w[0 : 4 nblk] (counter (j_lo, j_hi, c2, c3))."""
    for j in range(nblk):
        b = b0 + _U(j)
        x0 = b & _MASK32
        x1 = b >> _S32
        x2 = c2
        x3 = c3
        ka = k0
        kb = k1
        for r in range(10):
            p0 = _M0 * x0
            p1 = _M1 * x2
            y0 = (p1 >> _S32) ^ x1 ^ ka
            x1 = p1 & _MASK32
            x2 = (p0 >> _S32) ^ x3 ^ kb
            x3 = p0 & _MASK32
            x0 = y0
            ka = (ka + _W0) & _MASK32
            kb = (kb + _W1) & _MASK32
        w[4 * j] = np.uint32(x0)
        w[4 * j + 1] = np.uint32(x1)
        w[4 * j + 2] = np.uint32(x2)
        w[4 * j + 3] = np.uint32(x3)


# ---- float32 transforms (csrc/uniform.h, csrc/transforms.h) ------------------------------------


@njit(**_JIT)
def _cvt32(u):
    """A word value below 2**31 (uint64) to float32, rounded to nearest."""
    return np.float32(np.int32(u))


@njit(**_JIT)
def _log32(x):
    ix = (_U(_f32_bits(x)) + _U(0x3F800000 - 0x3F3504F3)) & _MASK32
    e = np.float32(np.int32(ix >> _S23) - np.int32(127))
    m = _bits_f32(np.uint32((ix & _U(0x007FFFFF)) + _U(0x3F3504F3)))
    f = m - F_ONE
    s = f / (F_TWO + f)
    z = s * s
    p = F_L11
    p = p * z + F_L9
    p = p * z + F_L7
    p = p * z + F_L5
    p = p * z + F_L3
    lm = s * (F_TWO + z * p)
    return e * F_LN2_HI + (e * F_LN2_LO + lm)


@njit(**_JIT)
def _normal_pair32(w1, w2):
    u1 = (_cvt32(w1 >> _S1) + F_HALF) * F_2M31
    r = np.sqrt(F_M2 * _log32(u1))
    f = _cvt32((w2 >> _S6) & _U(0xFFFFFF)) * F_2M24 - F_HALF
    phi = f * F_PI_2
    z = phi * phi
    ps = F_S9
    ps = ps * z + F_S7
    ps = ps * z + F_S5
    ps = ps * z + F_S3
    s = phi + phi * (z * ps)
    pc = F_C10
    pc = pc * z + F_C8
    pc = pc * z + F_C6
    pc = pc * z + F_C4
    pc = pc * z + F_C2
    c = F_ONE + z * pc
    q = w2 >> _S30
    odd = (q & _U1) != _U0
    c0 = s if odd else c
    s0 = c if odd else s
    cc = -c0 if ((q ^ (q >> _S1)) & _U1) != _U0 else c0
    ss = -s0 if (q >> _S1) != _U0 else s0
    return r * cc, r * ss


@njit(**_JIT)
def _ndtri_centre32(q):
    r = F_CONST1 - q * q
    a = F_A3
    a = a * r + F_A2
    a = a * r + F_A1
    a = a * r + F_A0
    b = F_B3
    b = b * r + F_B2
    b = b * r + F_B1
    b = b * r + F_ONE
    return (q * a) / b


@njit(**_JIT)
def _far_tail32(lg):
    y = F_M2 * lg
    v = y
    for _ in range(3):
        g = F_ONE / v
        c = F_ONE - g * (F_ONE - g * (F_THREE - g * F_FIFTEEN))
        v = (y - _log32(F_TWO_PI * v)) + F_TWO * _log32(c)
    return np.sqrt(v)


# The truncated normal (docs/stream.md 7.2) in pieces, for tiles (_trunc_tile32/64): the centre
# of every element (a loop LLVM vectorizes), then the tail elements only, compacted, then the far
# tail, compacted again. The same operations per element as the core's trunc_normal_value
# (csrc/transforms.h), so the same values.


@njit(**_JIT)
def _tail_x32(lg):
    """-ndtri(exp(lg)) for t = sqrt(-lg) <= 27 (AS 241's two tail rationals, chosen by a
    select; beyond 27 _far_tail32)."""
    t = np.sqrt(-lg)
    r = t - F_CONST2
    a = F_C3_
    a = a * r + F_C2_
    a = a * r + F_C1_
    a = a * r + F_C0_
    b = F_D2
    b = b * r + F_D1
    b = b * r + F_ONE
    r2 = t - F_FIVE
    e = F_E3
    e = e * r2 + F_E2
    e = e * r2 + F_E1
    e = e * r2 + F_E0
    d = F_F2
    d = d * r2 + F_F1
    d = d * r2 + F_ONE
    return e / d if t > F_FIVE else a / b


@njit(**_JIT)
def _finish32(z, p):
    z = p[0] if z < p[0] else z
    z = p[1] if z > p[1] else z
    y = p[2] + p[3] * z
    y = p[4] if y < p[4] else y
    return p[5] if y > p[5] else y


@njit(**_JIT)
def _trunc_tile32(ws, m, p, vals, flags, tidx, cw, lgs, xs):
    """vals[i] = the truncated-normal value of word ws[i], p the 22 float32 parameters
    (alpha, beta, mean, std, lo, hi, then branch 0's and branch 1's base, centre, th, dd, ld,
    tau, dir, sgn), for i < m."""
    for i in range(m):  # the centre, every element; tail elements marked
        w = _U(ws[i])
        bit = (w >> _S31) != _U0
        up = (_cvt32(w & _U(0x7FFFFFFF)) + F_HALF) * F_2M32
        v = (p[14] if bit else p[6]) + up * (p[17] if bit else p[9])
        flags[i] = v < (p[16] if bit else p[8])
        sgn = p[21] if bit else p[13]
        vals[i] = _finish32(sgn * _ndtri_centre32(v - (p[15] if bit else p[7])), p)
    nt = 0
    for i in range(m):  # compaction: the tail elements' words, contiguous (so the next loop
        if flags[i]:    # vectorizes, without gathers)
            tidx[nt] = i
            cw[nt] = ws[i]
            nt += 1
    for k in range(nt):  # the tail elements
        w = _U(cw[k])
        bit = (w >> _S31) != _U0
        up = (_cvt32(w & _U(0x7FFFFFFF)) + F_HALF) * F_2M32
        lg = (p[18] if bit else p[10]) + _log32((p[19] if bit else p[11]) +
                                                (p[20] if bit else p[12]) * up)
        lgs[k] = lg
        xs[k] = _tail_x32(lg)
    nf = 0
    for k in range(nt):  # the far tail (p < e**-729), rare
        if np.sqrt(-lgs[k]) > F_27:
            tidx[m + nf] = k
            nf += 1
    for q in range(nf):
        k = tidx[m + q]
        xs[k] = _far_tail32(lgs[k])
    for k in range(nt):
        i = tidx[k]
        sgn = p[21] if (_U(ws[i]) >> _S31) != _U0 else p[13]
        vals[i] = _finish32(sgn * -xs[k], p)


# ---- float64 transforms ------------------------------------------------------------------------


@njit(**_JIT)
def _cvt64(u):
    """A value below 2**63 (uint64) to float64, rounded to nearest (exact below 2**53)."""
    return np.float64(np.int64(u))


@njit(**_JIT)
def _log64(x):
    ix = _f64_bits(x) + _U(0x3FF0000000000000 - 0x3FE6A09E667F3BCD)
    e = np.float64(np.int64(ix >> _S52) - np.int64(1023))
    m = _bits_f64((ix & _U(0x000FFFFFFFFFFFFF)) + _U(0x3FE6A09E667F3BCD))
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    p = 2.0 / 21.0
    p = p * z + 2.0 / 19.0
    p = p * z + 2.0 / 17.0
    p = p * z + 2.0 / 15.0
    p = p * z + 2.0 / 13.0
    p = p * z + 2.0 / 11.0
    p = p * z + 2.0 / 9.0
    p = p * z + 2.0 / 7.0
    p = p * z + 2.0 / 5.0
    p = p * z + 2.0 / 3.0
    lm = s * (2.0 + z * p)
    return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + lm)


@njit(**_JIT)
def _normal_pair64(a, b):
    u1 = (_cvt64(a >> _S11) + 0.5) * 2.0**-53
    r = np.sqrt(-2.0 * _log64(u1))
    f = _cvt64((b >> _S9) & _U(0x1FFFFFFFFFFFFF)) * 2.0**-53 - 0.5
    phi = f * 1.5707963267948966
    z = phi * phi
    ps = 1.0 / 355687428096000.0
    ps = ps * z + -1.0 / 1307674368000.0
    ps = ps * z + 1.0 / 6227020800.0
    ps = ps * z + -1.0 / 39916800.0
    ps = ps * z + 1.0 / 362880.0
    ps = ps * z + -1.0 / 5040.0
    ps = ps * z + 1.0 / 120.0
    ps = ps * z + -1.0 / 6.0
    s = phi + phi * (z * ps)
    pc = 1.0 / 20922789888000.0
    pc = pc * z + -1.0 / 87178291200.0
    pc = pc * z + 1.0 / 479001600.0
    pc = pc * z + -1.0 / 3628800.0
    pc = pc * z + 1.0 / 40320.0
    pc = pc * z + -1.0 / 720.0
    pc = pc * z + 1.0 / 24.0
    pc = pc * z + -1.0 / 2.0
    c = 1.0 + z * pc
    q = b >> _S62
    odd = (q & _U1) != _U0
    c0 = s if odd else c
    s0 = c if odd else s
    cc = -c0 if ((q ^ (q >> _S1)) & _U1) != _U0 else c0
    ss = -s0 if (q >> _S1) != _U0 else s0
    return r * cc, r * ss


@njit(**_JIT)
def _ndtri_centre64(q):
    r = 0.180625 - q * q
    a = 2.5090809287301226727e+03
    a = a * r + 3.3430575583588128105e+04
    a = a * r + 6.7265770927008700853e+04
    a = a * r + 4.5921953931549871457e+04
    a = a * r + 1.3731693765509461125e+04
    a = a * r + 1.9715909503065514427e+03
    a = a * r + 1.3314166789178437745e+02
    a = a * r + 3.3871328727963666080e+00
    b = 5.2264952788528545610e+03
    b = b * r + 2.8729085735721942674e+04
    b = b * r + 3.9307895800092710610e+04
    b = b * r + 2.1213794301586595867e+04
    b = b * r + 5.3941960214247511077e+03
    b = b * r + 6.8718700749205790830e+02
    b = b * r + 4.2313330701600911252e+01
    b = b * r + 1.0
    return (q * a) / b


@njit(**_JIT)
def _far_tail64(lg):
    y = -2.0 * lg
    v = y
    for _ in range(3):
        g = 1.0 / v
        c = 1.0 - g * (1.0 - g * (3.0 - g * 15.0))
        v = (y - _log64(6.283185307179586 * v)) + 2.0 * _log64(c)
    return np.sqrt(v)


@njit(**_JIT)
def _tail_x64(lg):
    t = np.sqrt(-lg)
    r = t - 1.6
    a = 7.74545014278341407640e-04
    a = a * r + 2.27238449892691845833e-02
    a = a * r + 2.41780725177450611770e-01
    a = a * r + 1.27045825245236838258e+00
    a = a * r + 3.64784832476320460504e+00
    a = a * r + 5.76949722146069140550e+00
    a = a * r + 4.63033784615654529590e+00
    a = a * r + 1.42343711074968357734e+00
    b = 1.05075007164441684324e-09
    b = b * r + 5.47593808499534494600e-04
    b = b * r + 1.51986665636164571966e-02
    b = b * r + 1.48103976427480074590e-01
    b = b * r + 6.89767334985100004550e-01
    b = b * r + 1.67638483018380384940e+00
    b = b * r + 2.05319162663775882187e+00
    b = b * r + 1.0
    r2 = t - 5.0
    e = 2.01033439929228813265e-07
    e = e * r2 + 2.71155556874348757815e-05
    e = e * r2 + 1.24266094738807843860e-03
    e = e * r2 + 2.65321895265761230930e-02
    e = e * r2 + 2.96560571828504891230e-01
    e = e * r2 + 1.78482653991729133580e+00
    e = e * r2 + 5.46378491116411436990e+00
    e = e * r2 + 6.65790464350110377720e+00
    d = 2.04426310338993978564e-15
    d = d * r2 + 1.42151175831644588870e-07
    d = d * r2 + 1.84631831751005468180e-05
    d = d * r2 + 7.86869131145613259100e-04
    d = d * r2 + 1.48753612908506148525e-02
    d = d * r2 + 1.36929880922735805310e-01
    d = d * r2 + 5.99832206555887937690e-01
    d = d * r2 + 1.0
    return e / d if t > 5.0 else a / b


@njit(**_JIT)
def _finish64(z, p):
    z = p[0] if z < p[0] else z
    z = p[1] if z > p[1] else z
    y = p[2] + p[3] * z
    y = p[4] if y < p[4] else y
    return p[5] if y > p[5] else y


@njit(**_JIT)
def _trunc_tile64(ws, m, p, vals, flags, tidx, cw, lgs, xs):
    """_trunc_tile32 for float64: ws holds the words, two per element."""
    for i in range(m):
        w = _U(ws[2 * i]) | (_U(ws[2 * i + 1]) << _S32)
        bit = (w >> _S63) != _U0
        up = (_cvt64((w & _U(0x7FFFFFFFFFFFFFFF)) >> _S10) + 0.5) * 2.0**-54
        v = (p[14] if bit else p[6]) + up * (p[17] if bit else p[9])
        flags[i] = v < (p[16] if bit else p[8])
        sgn = p[21] if bit else p[13]
        vals[i] = _finish64(sgn * _ndtri_centre64(v - (p[15] if bit else p[7])), p)
    nt = 0
    for i in range(m):
        if flags[i]:
            tidx[nt] = i
            cw[nt] = _U(ws[2 * i]) | (_U(ws[2 * i + 1]) << _S32)
            nt += 1
    for k in range(nt):
        w = cw[k]
        bit = (w >> _S63) != _U0
        up = (_cvt64((w & _U(0x7FFFFFFFFFFFFFFF)) >> _S10) + 0.5) * 2.0**-54
        lg = (p[18] if bit else p[10]) + _log64((p[19] if bit else p[11]) +
                                                (p[20] if bit else p[12]) * up)
        lgs[k] = lg
        xs[k] = _tail_x64(lg)
    nf = 0
    for k in range(nt):
        if np.sqrt(-lgs[k]) > 27.0:
            tidx[m + nf] = k
            nf += 1
    for q in range(nf):
        k = tidx[m + q]
        xs[k] = _far_tail64(lgs[k])
    for k in range(nt):
        i = tidx[k]
        sgn = p[21] if (_U(ws[2 * i + 1]) >> _S31) != _U0 else p[13]
        vals[i] = _finish64(sgn * -xs[k], p)


# ---- float32 -> float16 / bfloat16 bits (csrc/halfconv.h) -------------------------------------


# The subnormal range of float16 by one float32 addition: |v| + 0.5 puts the 10 bits of the
# float16 subnormal at the bottom of the float32 mantissa, rounded to nearest even by the
# addition itself (F. Giesen's float_to_half_fast3_rtne). Every branch of csrc/halfconv.h is a
# select here, so the loop vectorizes; the results are the same for every float32 input
# (both round to nearest even; NaN gives 0x7e00), checked over all 2**32 inputs by
# tests/test_numba.py::test_half_conversion_exhaustive.
F_DENORM_MAGIC = np.float32(0.5)  # bits (126 << 23): ((127 - 15) + (23 - 10) + 1) << 23
_U_DENORM_MAGIC = _U(126 << 23)


@njit(**_JIT)
def _half_bits(v):
    x = _U(_f32_bits(v))
    sign = (x >> _S16) & _U(0x8000)
    x &= _U(0x7FFFFFFF)
    # normal float16 range: rebias the exponent, round to nearest even on bit 13
    nrm = x - _U(0x38000000)
    nrm = (nrm + _U(0x0FFF) + ((nrm >> _S13) & _U1)) >> _S13
    # subnormal (and zero) range
    sub = _U(_f32_bits(_bits_f32(np.uint32(x)) + F_DENORM_MAGIC)) - _U_DENORM_MAGIC
    r = sub if x < _U(0x38800000) else nrm
    r = _U(0x7C00) if x >= _U(0x477FF000) else r
    r = _U(0x7E00) if x > _U(0x7F800000) else r
    return sign | (r & _U(0xFFFF))


@njit(**_JIT)
def _bf16_bits(v):
    x = _U(_f32_bits(v))
    if (x & _U(0x7FFFFFFF)) > _U(0x7F800000):
        return (x >> _S16) | _U(0x0040)
    return ((x + _U(0x7FFF) + ((x >> _S16) & _U1)) >> _S16) & _U(0xFFFF)


# ---- strided walking ---------------------------------------------------------------------------


@njit(**_JIT)
def _cursor_at(idx, shape, est, base, start):
    """Set idx to the multi-index of logical (C-order) element `start`; return its position."""
    pos = base
    for d in range(shape.size - 1, -1, -1):
        n = shape[d]
        idx[d] = start % n
        start //= n
        pos += idx[d] * est[d]
    return pos


@njit(**_JIT)
def _cursor_next(idx, shape, est, pos):
    for d in range(shape.size - 1, -1, -1):
        pos += est[d]
        idx[d] += 1
        if idx[d] < shape[d]:
            return pos
        pos -= est[d] * shape[d]
        idx[d] = 0
    return pos


# ---- stores: values of a tile into the output --------------------------------------------------


@njit(**_JIT)
def _store32(out, outk, vals, voff, m, contig, dst, idx, shape, est, pos):
    """vals[voff : voff + m] (float32) as output kind outk (0: float32 bits, 2: float16,
    3: bfloat16) into out, at out[dst:] (contig) or along the cursor. Returns the cursor.

    Loops index slices with the loop variable: an index Numba cannot prove non-negative gets a
    wrap-around select per access, which keeps LLVM from vectorizing (2.4x slower here)."""
    v = vals[voff:voff + m]
    if contig:
        o = out[dst:dst + m]
        if outk == 0:
            for i in range(m):
                o[i] = _f32_bits(v[i])
        elif outk == 2:
            for i in range(m):
                o[i] = _half_bits(v[i])
        else:
            for i in range(m):
                o[i] = _bf16_bits(v[i])
        return pos
    for i in range(m):
        if outk == 0:
            out[pos] = _f32_bits(v[i])
        elif outk == 2:
            out[pos] = _half_bits(v[i])
        else:
            out[pos] = _bf16_bits(v[i])
        pos = _cursor_next(idx, shape, est, pos)
    return pos


@njit(**_JIT)
def _store_plain(out, vals, voff, m, contig, dst, idx, shape, est, pos):
    """vals[voff : voff + m] stored unchanged (same dtype as out)."""
    v = vals[voff:voff + m]
    if contig:
        o = out[dst:dst + m]
        for i in range(m):
            o[i] = v[i]
        return pos
    for i in range(m):
        out[pos] = v[i]
        pos = _cursor_next(idx, shape, est, pos)
    return pos


# ---- the fills ---------------------------------------------------------------------------------

RAW, CONSTANT, UNIFORM, NORMAL, TRUNC_NORMAL = (int(k) for k in Scheme)

# The scalars of a fill, packed into one uint64 array `a` (one argument instead of twelve: a
# Numba call pays for every argument it types).
A_KIND, A_OUTK, A_N, A_FIRST, A_CONTIG, A_BASE, A_K0, A_K1, A_STREAM, A_EXTRA, A_NT = range(11)
_NARGS = 11


@njit(**_JIT)
def _run32(out, a, shape, est, p, lo, hi):
    """Elements [lo, hi) (logical indices) of a float32-compute scheme, or raw words, into out.

    out: the uint32 (float32 bits, raw words) or uint16 (float16/bfloat16 bits) covering array;
    a[A_OUTK]: 0 float32 or raw, 2 float16, 3 bfloat16; p: the parameters rounded to float32."""
    kind = np.int64(a[A_KIND])
    outk = np.int64(a[A_OUTK])
    first = a[A_FIRST]
    contig = a[A_CONTIG] != _U0
    k0, k1, stream, extra = a[A_K0], a[A_K1], a[A_STREAM], a[A_EXTRA]
    words = np.empty(_TILE + 8, np.uint32)
    vals = np.empty(_TILE + 8, np.float32)
    # truncated-normal scratch (small; allocated for every scheme to keep one code path)
    flags = np.empty(_TILE, np.bool_)
    tidx = np.empty(2 * _TILE, np.int64)
    cw = np.empty(_TILE, np.uint32)
    lgs = np.empty(_TILE, np.float32)
    xs = np.empty(_TILE, np.float32)
    idx = np.zeros(shape.size, np.int64)
    pos = 0 if contig else _cursor_at(idx, shape, est, np.int64(a[A_BASE]), lo)
    plo, phi = p[0], p[1]
    span = phi - plo
    for i0 in range(lo, hi, _TILE):
        m = min(_TILE, hi - i0)
        g0 = first + _U(i0)
        b0 = g0 >> _S2
        nblk = np.int64(((g0 + _U(m - 1)) >> _S2) - b0) + 1
        off = np.int64(g0 & _U3)
        _philox_blocks(words, b0, nblk, k0, k1, stream, extra)
        if kind == RAW:
            pos = _store_plain(out, words, off, m, contig, i0, idx, shape, est, pos)
            continue
        if kind == UNIFORM:
            ws = words[off:off + m]
            if contig and outk == 0:  # fused: words to float32 bits, in place
                o = out[i0:i0 + m]
                for i in range(m):
                    u = _cvt32(_U(ws[i]) >> _S8) * F_2M24
                    x = plo + span * u
                    o[i] = _f32_bits(phi if x > phi else x)
                continue
            for i in range(m):
                u = _cvt32(_U(ws[i]) >> _S8) * F_2M24
                x = plo + span * u
                vals[i] = phi if x > phi else x
            voff = 0
        elif kind == NORMAL:
            mean, std = p[0], p[1]
            for j in range(2 * nblk):
                z0, z1 = _normal_pair32(_U(words[2 * j]), _U(words[2 * j + 1]))
                vals[2 * j] = mean + std * z0
                vals[2 * j + 1] = mean + std * z1
            voff = off
        else:
            _trunc_tile32(words[off:off + m], m, p, vals, flags, tidx, cw, lgs, xs)
            voff = 0
        pos = _store32(out, outk, vals, voff, m, contig, i0, idx, shape, est, pos)


@njit(**_JIT)
def _run64(out, a, shape, est, p, lo, hi):
    """Elements [lo, hi) of a float64 scheme into the float64 covering array out."""
    kind = np.int64(a[A_KIND])
    first = a[A_FIRST]
    contig = a[A_CONTIG] != _U0
    k0, k1, stream, extra = a[A_K0], a[A_K1], a[A_STREAM], a[A_EXTRA]
    words = np.empty(2 * _TILE + 8, np.uint32)
    vals = np.empty(_TILE + 8, np.float64)
    flags = np.empty(_TILE, np.bool_)
    tidx = np.empty(2 * _TILE, np.int64)
    cw64 = np.empty(_TILE, np.uint64)
    lgs64 = np.empty(_TILE, np.float64)
    xs64 = np.empty(_TILE, np.float64)
    idx = np.zeros(shape.size, np.int64)
    pos = 0 if contig else _cursor_at(idx, shape, est, np.int64(a[A_BASE]), lo)
    plo, phi = p[0], p[1]
    span = phi - plo
    for i0 in range(lo, hi, _TILE):
        m = min(_TILE, hi - i0)
        g0 = first + _U(i0)
        b0 = g0 >> _S1
        nblk = np.int64(((g0 + _U(m - 1)) >> _S1) - b0) + 1
        off = np.int64(g0 & _U1)
        _philox_blocks(words, b0, nblk, k0, k1, stream, extra)
        ws = words[2 * off:2 * (off + m)]
        if kind == UNIFORM:
            for i in range(m):
                w = _U(ws[2 * i]) | (_U(ws[2 * i + 1]) << _S32)
                x = plo + span * (_cvt64(w >> _S11) * 2.0**-53)
                vals[i] = phi if x > phi else x
            voff = 0
        elif kind == NORMAL:
            mean, std = p[0], p[1]
            for j in range(nblk):
                wa = _U(words[4 * j]) | (_U(words[4 * j + 1]) << _S32)
                wb = _U(words[4 * j + 2]) | (_U(words[4 * j + 3]) << _S32)
                z0, z1 = _normal_pair64(wa, wb)
                vals[2 * j] = mean + std * z0
                vals[2 * j + 1] = mean + std * z1
            voff = off
        else:
            _trunc_tile64(ws, m, p, vals, flags, tidx, cw64, lgs64, xs64)
            voff = 0
        pos = _store_plain(out, vals, voff, m, contig, i0, idx, shape, est, pos)


@njit(**_JIT)
def _run_const(out, a, shape, est, value, lo, hi):
    """value (out's dtype: the bits of the output value) into elements [lo, hi)."""
    if a[A_CONTIG] != _U0:
        o = out[lo:hi]
        for i in range(hi - lo):
            o[i] = value
        return
    idx = np.zeros(shape.size, np.int64)
    pos = _cursor_at(idx, shape, est, np.int64(a[A_BASE]), lo)
    for _ in range(lo, hi):
        out[pos] = value
        pos = _cursor_next(idx, shape, est, pos)


# One parallel driver per worker: a[A_NT] threads, each a contiguous share of whole tiles.


@njit(**_JIT)
def _share(a, t):
    n = np.int64(a[A_N])
    nt = np.int64(a[A_NT])
    per = ((n + nt - 1) // nt + _TILE - 1) // _TILE * _TILE
    lo = min(n, t * per)
    return lo, min(n, lo + per)


@njit(parallel=True, **_JIT)
def _par32(out, a, shape, est, p):
    for t in prange(np.int64(a[A_NT])):
        lo, hi = _share(a, t)
        if lo < hi:
            _run32(out, a, shape, est, p, lo, hi)


@njit(parallel=True, **_JIT)
def _par64(out, a, shape, est, p):
    for t in prange(np.int64(a[A_NT])):
        lo, hi = _share(a, t)
        if lo < hi:
            _run64(out, a, shape, est, p, lo, hi)


@njit(parallel=True, **_JIT)
def _par_const(out, a, shape, est, value):
    for t in prange(np.int64(a[A_NT])):
        lo, hi = _share(a, t)
        if lo < hi:
            _run_const(out, a, shape, est, value, lo, hi)


# ---- Python side -------------------------------------------------------------------------------

# Numba's workqueue threading layer must not be entered from two threads at once; the others
# are fine, but one fill at a time costs nothing here (each fill already uses every thread).
_LOCK = threading.Lock()
_BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_EMPTY = np.zeros(1, np.int64)
_F64 = np.dtype(np.float64)
_F16 = np.dtype(np.float16)
# dtype -> (the covering array's dtype, output kind of _run32, compute itemsize)
_LAYOUT = {np.dtype(np.float32): (np.uint32, 0, 4), np.dtype(np.uint32): (np.uint32, 0, 4),
           _F16: (np.uint16, 2, 4), _F64: (np.float64, 0, 8)}


def _layout(dt: np.dtype):
    try:
        return _LAYOUT[dt]
    except KeyError:  # bfloat16 (ml_dtypes), looked up once
        _LAYOUT[dt] = (np.uint16, 3, 4)
        return _LAYOUT[dt]


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
    type (csrc/kernels.h), zero-padded to 22; cached (calls repeat the same few)."""
    # bytes, not the floats: 0.0 == -0.0 as a key, and the sign of a mean can show in the bits
    key = (kind, compute_isz, struct.pack(f"{len(params)}d", *params))
    p = _PARAMS.get(key)
    if p is None:
        p = np.zeros(22, np.float32 if compute_isz == 4 else np.float64)
        if kind != RAW and len(params):
            p[:len(params)] = np.asarray(params, np.float64)
        if len(_PARAMS) > 256:
            _PARAMS.clear()
        _PARAMS[key] = p
    return p


def _constant_bits(dt: np.dtype, value: float):
    if dt == _F64:
        return np.float64(value)
    if dt.itemsize == 4:
        return np.float32(value).view(np.uint32)
    conv = _half_bits if dt == _F16 else _bf16_bits
    return np.uint16(conv(np.float32(value)))


def fill(kind: int, arr: np.ndarray, seed: int, stream: int, params: Sequence[float], *,
         extra: int = 0, first: int = 0, threads: int = 1) -> None:
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
    nt = max(1, min(threads, n // _MIN_PER_THREAD))
    a = np.array([kind, outk, n, first, contig, base, seed & 0xFFFFFFFF, seed >> 32, stream,
                  extra, nt], np.uint64)
    with _LOCK:
        if nt > 1:
            want = min(nt, numba.config.NUMBA_NUM_THREADS)
            if numba.get_num_threads() != want:
                numba.set_num_threads(want)
        if kind == CONSTANT:
            value = _constant_bits(dt, float(params[0]))
            if nt > 1:
                _par_const(flat, a, shape, est, value)
            else:
                _run_const(flat, a, shape, est, value, 0, n)
        elif compute_isz == 8:
            p = _params(kind, params, 8)
            if nt > 1:
                _par64(flat, a, shape, est, p)
            else:
                _run64(flat, a, shape, est, p, 0, n)
        else:
            p = _params(kind, params, 4)
            if nt > 1:
                _par32(flat, a, shape, est, p)
            else:
                _run32(flat, a, shape, est, p, 0, n)
