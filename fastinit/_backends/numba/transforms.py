"""Transforms: element words to values (``csrc/include/fastinit/uniform.h`` and
``transforms.h``): the uniform, ``log``, Box-Muller's normal pair with its ``sincos``, the
pieces of ``ndtri`` and the truncated normal of one tile.

One generic implementation of each, for both compute types (see :mod:`.bits`): what differs
between float32 and float64 is data, not code, namely the polynomial coefficients and the
constants of each type (:data:`NUMERICS32`, :data:`NUMERICS64`, the port of the core's two
overloads of each function), which :func:`numerics` picks by an argument's type at typing time.
Every constant of float32 compute is a float32 (a Python float would promote the arithmetic to
float64), so each function performs the core's IEEE operations in the core's order: no
fast-math, no fused multiply-add, own ``log``/``sincos``/``ndtri``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numba.extending import overload

from ..codes import trunc_index
from .bits import (
    JIT,
    OVERLOAD_JIT,
    S1,
    U0,
    U1,
    U,
    by_compute_type,
    cvt,
    from_bits,
    geometry,
    to_bits,
    word_at,
)


class Numerics(NamedTuple):
    """The constants of one compute type (float32 fields are np.float32, shifts and masks
    uint64; the tuples are polynomial coefficients, highest degree first)."""

    # uniform: (cvt(w >> UNI_SHIFT)) * UNI_SCALE, in [0, 1)
    UNI_SHIFT: np.uint64
    UNI_SCALE: float
    # truncated normal: up = (cvt((w & TN_MASK) >> TN_SHIFT) + 1/2) * TN_SCALE, in (0, 1/2)
    TN_MASK: np.uint64
    TN_SHIFT: np.uint64
    TN_SCALE: float
    # Box-Muller: u1 = (cvt(w1 >> BM_U_SHIFT) + 1/2) * BM_U_SCALE; the angle's fraction
    # cvt((w2 >> BM_F_SHIFT) & BM_F_MASK) * BM_F_SCALE - 1/2, its quadrant w2 >> BM_Q_SHIFT
    BM_U_SHIFT: np.uint64
    BM_U_SCALE: float
    BM_F_SHIFT: np.uint64
    BM_F_MASK: np.uint64
    BM_F_SCALE: float
    BM_Q_SHIFT: np.uint64
    # log: x = 2**e m, m in [sqrt(1/2), sqrt(2)), from the bits of x
    LOG_OFFSET: np.uint64  # bits(1) - bits(sqrt(1/2))
    LOG_WRAP: np.uint64  # the bits' width
    EXP_SHIFT: np.uint64
    EXP_BIAS: int
    MANT_MASK: np.uint64
    SQRT_HALF_BITS: np.uint64
    LOG: tuple  # 2 atanh(s) = s (2 + z P(z)), z = s^2
    LN2_HI: float
    LN2_LO: float
    # sin and cos of |phi| <= pi/4: Taylor polynomials in z = phi^2
    SIN: tuple
    COS: tuple
    # ndtri (AS 241): centre rational in r = CENTRE_R - q^2, tail rationals in t - TAIL_R1
    # (t <= TAIL_R2) and t - TAIL_R2; the far tail beyond t = FAR
    CENTRE_R: float
    CENTRE_A: tuple
    CENTRE_B: tuple
    TAIL_R1: float
    TAIL_A: tuple
    TAIL_B: tuple
    TAIL_R2: float
    TAIL_E: tuple
    TAIL_D: tuple
    FAR: float
    # small constants
    HALF: float
    ONE: float
    TWO: float
    M2: float
    THREE: float
    FIFTEEN: float
    PI_2: float
    TWO_PI: float


_f = np.float32
# fmt: off
# float32: every constant a float32, computed as the core computes it (2.0f / 11.0f is a float32
# division; static_cast<float>(0.180625) a rounding of the double).
NUMERICS32 = Numerics(
    UNI_SHIFT=U(8), UNI_SCALE=_f(2.0**-24),
    TN_MASK=U(0x7FFFFFFF), TN_SHIFT=U(0), TN_SCALE=_f(2.0**-32),
    BM_U_SHIFT=U(1), BM_U_SCALE=_f(2.0**-31), BM_F_SHIFT=U(6), BM_F_MASK=U(0xFFFFFF),
    BM_F_SCALE=_f(2.0**-24), BM_Q_SHIFT=U(30),
    LOG_OFFSET=U(0x3F800000 - 0x3F3504F3), LOG_WRAP=U(0xFFFFFFFF), EXP_SHIFT=U(23),
    EXP_BIAS=127, MANT_MASK=U(0x007FFFFF), SQRT_HALF_BITS=U(0x3F3504F3),
    LOG=tuple(_f(2.0) / _f(d) for d in (11.0, 9.0, 7.0, 5.0, 3.0)),
    LN2_HI=_f(0.693359375), LN2_LO=_f(0.69314718055994530942 - 0.693359375),
    SIN=(_f(1.0) / _f(362880.0), _f(-1.0) / _f(5040.0), _f(1.0) / _f(120.0),
         _f(-1.0) / _f(6.0)),
    COS=(_f(-1.0) / _f(3628800.0), _f(1.0) / _f(40320.0), _f(-1.0) / _f(720.0),
         _f(1.0) / _f(24.0), _f(-1.0) / _f(2.0)),
    CENTRE_R=_f(0.180625),
    CENTRE_A=(_f(5.9109374720e+01), _f(1.5929113202e+02), _f(5.0434271938e+01),
              _f(3.3871327179e+00)),
    CENTRE_B=(_f(6.7187563600e+01), _f(7.8757757664e+01), _f(1.7895169469e+01), _f(1.0)),
    TAIL_R1=_f(1.6),
    TAIL_A=(_f(1.7023821103e-01), _f(1.3067284816e+00), _f(2.7568153900e+00),
            _f(1.4234372777e+00)),
    TAIL_B=(_f(1.2021132975e-01), _f(7.3700164250e-01), _f(1.0)),
    TAIL_R2=_f(5.0),
    TAIL_E=(_f(1.7337203997e-02), _f(4.2868294337e-01), _f(3.0812263860e+00),
            _f(6.6579051150e+00)),
    TAIL_D=(_f(1.2258202635e-02), _f(2.4197894225e-01), _f(1.0)),
    FAR=_f(27.0),
    HALF=_f(0.5), ONE=_f(1.0), TWO=_f(2.0), M2=_f(-2.0), THREE=_f(3.0), FIFTEEN=_f(15.0),
    PI_2=_f(1.5707963267948966), TWO_PI=_f(6.283185307179586),
)

NUMERICS64 = Numerics(
    UNI_SHIFT=U(11), UNI_SCALE=2.0**-53,
    TN_MASK=U(0x7FFFFFFFFFFFFFFF), TN_SHIFT=U(10), TN_SCALE=2.0**-54,
    BM_U_SHIFT=U(11), BM_U_SCALE=2.0**-53, BM_F_SHIFT=U(9), BM_F_MASK=U(0x1FFFFFFFFFFFFF),
    BM_F_SCALE=2.0**-53, BM_Q_SHIFT=U(62),
    LOG_OFFSET=U(0x3FF0000000000000 - 0x3FE6A09E667F3BCD), LOG_WRAP=U(0xFFFFFFFFFFFFFFFF),
    EXP_SHIFT=U(52), EXP_BIAS=1023, MANT_MASK=U(0x000FFFFFFFFFFFFF),
    SQRT_HALF_BITS=U(0x3FE6A09E667F3BCD),
    LOG=(2.0 / 21.0, 2.0 / 19.0, 2.0 / 17.0, 2.0 / 15.0, 2.0 / 13.0, 2.0 / 11.0, 2.0 / 9.0,
         2.0 / 7.0, 2.0 / 5.0, 2.0 / 3.0),
    LN2_HI=6.93147180369123816490e-01, LN2_LO=1.90821492927058770002e-10,
    SIN=(1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
         -1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0),
    COS=(1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0,
         1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -1.0 / 2.0),
    CENTRE_R=0.180625,
    CENTRE_A=(2.5090809287301226727e+03, 3.3430575583588128105e+04, 6.7265770927008700853e+04,
              4.5921953931549871457e+04, 1.3731693765509461125e+04, 1.9715909503065514427e+03,
              1.3314166789178437745e+02, 3.3871328727963666080e+00),
    CENTRE_B=(5.2264952788528545610e+03, 2.8729085735721942674e+04, 3.9307895800092710610e+04,
              2.1213794301586595867e+04, 5.3941960214247511077e+03, 6.8718700749205790830e+02,
              4.2313330701600911252e+01, 1.0),
    TAIL_R1=1.6,
    TAIL_A=(7.74545014278341407640e-04, 2.27238449892691845833e-02, 2.41780725177450611770e-01,
            1.27045825245236838258e+00, 3.64784832476320460504e+00, 5.76949722146069140550e+00,
            4.63033784615654529590e+00, 1.42343711074968357734e+00),
    TAIL_B=(1.05075007164441684324e-09, 5.47593808499534494600e-04, 1.51986665636164571966e-02,
            1.48103976427480074590e-01, 6.89767334985100004550e-01, 1.67638483018380384940e+00,
            2.05319162663775882187e+00, 1.0),
    TAIL_R2=5.0,
    TAIL_E=(2.01033439929228813265e-07, 2.71155556874348757815e-05, 1.24266094738807843860e-03,
            2.65321895265761230930e-02, 2.96560571828504891230e-01, 1.78482653991729133580e+00,
            5.46378491116411436990e+00, 6.65790464350110377720e+00),
    TAIL_D=(2.04426310338993978564e-15, 1.42151175831644588870e-07, 1.84631831751005468180e-05,
            7.86869131145613259100e-04, 1.48753612908506148525e-02, 1.36929880922735805310e-01,
            5.99832206555887937690e-01, 1.0),
    FAR=27.0,
    HALF=0.5, ONE=1.0, TWO=2.0, M2=-2.0, THREE=3.0, FIFTEEN=15.0,
    PI_2=1.5707963267948966, TWO_PI=6.283185307179586,
)
# fmt: on


def numerics(like):
    """The :class:`Numerics` of `like`'s compute type (a constant; jitted code only)."""
    raise TypeError("callable from Numba-compiled code only")


@overload(numerics, jit_options=OVERLOAD_JIT)
def _numerics(like):
    return by_compute_type(like, lambda like: NUMERICS32, lambda like: NUMERICS64)


@njit(**JIT)
def horner(x, c):
    """c[0] x^(n-1) + ... + c[n-1] by Horner's rule, p = p * x + c[k], in c's type. (c is a
    constant tuple: LLVM unrolls the loop and folds the coefficients.)"""
    p = c[0]
    for k in range(1, len(c)):
        p = p * x + c[k]
    return p


# ---- uniform, log, Box-Muller ------------------------------------------------------------------


@njit(**JIT)
def uniform(w, lo, span, hi):
    """The uniform value of element word w (docs/stream.md 4): lo + span u, u in [0, 1) from
    w's top bits, clamped to hi (the rounding of lo + span u can reach it)."""
    k = numerics(lo)
    x = lo + span * (cvt(w >> k.UNI_SHIFT, lo) * k.UNI_SCALE)
    return hi if x > hi else x


@njit(**JIT)
def log_(x):
    """ln x for a positive normal x, in x's type (docs/stream.md 6.1): x = 2**e m with m in
    [sqrt(1/2), sqrt(2)), ln x = e ln2 + 2 atanh((m - 1) / (m + 1))."""
    k = numerics(x)
    ix = (to_bits(x) + k.LOG_OFFSET) & k.LOG_WRAP
    e = cvt(np.int64(ix >> k.EXP_SHIFT) - k.EXP_BIAS, x)
    m = from_bits((ix & k.MANT_MASK) + k.SQRT_HALF_BITS, x)
    f = m - k.ONE
    s = f / (k.TWO + f)
    z = s * s
    lm = s * (k.TWO + z * horner(z, k.LOG))
    return e * k.LN2_HI + (e * k.LN2_LO + lm)


@njit(**JIT)
def sincos(phi):
    """(sin phi, cos phi) for |phi| <= pi/4 (docs/stream.md 6.2)."""
    k = numerics(phi)
    z = phi * phi
    s = phi + phi * (z * horner(z, k.SIN))
    c = k.ONE + z * horner(z, k.COS)
    return s, c


@njit(**JIT)
def normal_pair(w1, w2, like):
    """Box-Muller: the pair of standard normals of words w1, w2 (docs/stream.md 5)."""
    k = numerics(like)
    u1 = (cvt(w1 >> k.BM_U_SHIFT, like) + k.HALF) * k.BM_U_SCALE
    r = np.sqrt(k.M2 * log_(u1))
    f = cvt((w2 >> k.BM_F_SHIFT) & k.BM_F_MASK, like) * k.BM_F_SCALE - k.HALF
    s, c = sincos(f * k.PI_2)
    # (cos, sin) of q pi/2 + phi: swap for odd q, then signs
    q = w2 >> k.BM_Q_SHIFT
    odd = (q & U1) != U0
    c0 = s if odd else c
    s0 = c if odd else s
    cc = -c0 if ((q ^ (q >> S1)) & U1) != U0 else c0
    ss = -s0 if (q >> S1) != U0 else s0
    return r * cc, r * ss


# ---- ndtri (AS 241) ----------------------------------------------------------------------------


@njit(**JIT)
def ndtri_centre(q):
    """ndtri(1/2 + q) for |q| <= 0.425 (docs/stream.md 6.3)."""
    k = numerics(q)
    r = k.CENTRE_R - q * q
    return (q * horner(r, k.CENTRE_A)) / horner(r, k.CENTRE_B)


@njit(**JIT)
def ndtri_tail(lg):
    """-ndtri(exp(lg)) for t = sqrt(-lg) <= FAR (the two tail rationals, chosen by a select;
    beyond FAR ndtri_far_tail)."""
    k = numerics(lg)
    t = np.sqrt(-lg)
    r = t - k.TAIL_R1
    a = horner(r, k.TAIL_A)
    b = horner(r, k.TAIL_B)
    r2 = t - k.TAIL_R2
    e = horner(r2, k.TAIL_E)
    d = horner(r2, k.TAIL_D)
    return e / d if t > k.TAIL_R2 else a / b


@njit(**JIT)
def ndtri_far_tail(lg):
    """-ndtri(exp(lg)) for t = sqrt(-lg) > FAR: the asymptotic expansion of log Phi(-x),
    solved by three fixed-point steps."""
    k = numerics(lg)
    y = k.M2 * lg
    v = y
    for _ in range(3):
        g = k.ONE / v
        c = k.ONE - g * (k.ONE - g * (k.THREE - g * k.FIFTEEN))
        v = (y - log_(k.TWO_PI * v)) + k.TWO * log_(c)
    return np.sqrt(v)


# ---- the truncated normal (docs/stream.md 7.2) -------------------------------------------------

# Positions in the parameter array (codes.TRUNC_NORMAL_LAYOUT): the shared values, then each
# branch field as (branch 0, branch 1); an element's branch is its word's top bit.
_ALPHA, _BETA, _MEAN, _STD, _LO, _HI = (
    trunc_index(n) for n in ("alpha", "beta", "mean", "std", "lo", "hi")
)
_BASE = (trunc_index("br0_base"), trunc_index("br1_base"))
_CENTRE = (trunc_index("br0_centre"), trunc_index("br1_centre"))
_TH = (trunc_index("br0_th"), trunc_index("br1_th"))
_DD = (trunc_index("br0_dd"), trunc_index("br1_dd"))
_LD = (trunc_index("br0_ld"), trunc_index("br1_ld"))
_TAU = (trunc_index("br0_tau"), trunc_index("br1_tau"))
_DIR = (trunc_index("br0_dir"), trunc_index("br1_dir"))
_SGN = (trunc_index("br0_sgn"), trunc_index("br1_sgn"))


@njit(**JIT)
def _br(p, bit, field):
    """Branch field `field` of the element's branch: p[field[1]] if bit else p[field[0]] (two
    loads and a select, not an indexed load: the loops stay gather-free). A function, compiled
    once per field: LLVM's vectorization of trunc_tile is fragile, and the alternatives measured
    slower (this ternary written out in the loops: float64 1.5x; inline="always": 5-15%; the
    fields hoisted into scalars: float32 1.6x)."""
    return p[field[1]] if bit else p[field[0]]


@njit(**JIT)
def finish(z, p):
    """A standard normal z of the truncated normal to its output value: z clamped to
    [alpha, beta], then mean + std z clamped to [lo, hi]."""
    z = p[_ALPHA] if z < p[_ALPHA] else z
    z = p[_BETA] if z > p[_BETA] else z
    y = p[_MEAN] + p[_STD] * z
    y = p[_LO] if y < p[_LO] else y
    return p[_HI] if y > p[_HI] else y


# The truncated normal of a tile in pieces: the centre of every element (a loop LLVM vectorizes),
# then the tail elements only, compacted, then the far tail, compacted again. The same
# operations per element as the core's trunc_normal_value (transforms.h), so the same values.


@njit(**JIT)
def _unit(w, p):
    """up in (0, 1/2) of an element word (the word's top bit picks the branch)."""
    k = numerics(p)
    return (cvt((w & k.TN_MASK) >> k.TN_SHIFT, p) + k.HALF) * k.TN_SCALE


@njit(**JIT)
def trunc_tile(ws, m, p, vals, flags, tidx, cw, lgs, xs):
    """vals[i] = the truncated-normal value of element i < m of the words ws, p its
    parameters (codes.TRUNC_NORMAL_LAYOUT) in the compute type. Scratch: flags (m bools),
    tidx (2m indices), cw (m element words, bits.word_array), lgs and xs (m floats)."""
    top = geometry(p).TOP
    for i in range(m):  # the centre, every element; tail elements marked
        w = word_at(ws, i, p)
        bit = (w >> top) != U0
        v = _br(p, bit, _BASE) + _unit(w, p) * _br(p, bit, _DD)
        flags[i] = v < _br(p, bit, _TH)
        vals[i] = finish(_br(p, bit, _SGN) * ndtri_centre(v - _br(p, bit, _CENTRE)), p)
    nt = 0
    # compaction: the tail elements' words, contiguous (so the next loop vectorizes, without
    # gathers)
    for i in range(m):
        if flags[i]:
            tidx[nt] = i
            cw[nt] = word_at(ws, i, p)
            nt += 1
    for j in range(nt):  # the tail elements
        w = U(cw[j])
        bit = (w >> top) != U0
        lg = _br(p, bit, _LD) + log_(_br(p, bit, _TAU) + _br(p, bit, _DIR) * _unit(w, p))
        lgs[j] = lg
        xs[j] = ndtri_tail(lg)
    far = numerics(p).FAR
    nf = 0
    for j in range(nt):  # the far tail (p < e**-729), rare
        if np.sqrt(-lgs[j]) > far:
            tidx[m + nf] = j
            nf += 1
    for q in range(nf):
        j = tidx[m + q]
        xs[j] = ndtri_far_tail(lgs[j])
    for j in range(nt):
        i = tidx[j]
        vals[i] = finish(_br(p, (word_at(ws, i, p) >> top) != U0, _SGN) * -xs[j], p)
