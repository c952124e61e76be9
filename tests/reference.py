"""Independent pure-NumPy re-implementation of the fastinit stream (docs/stream.md).

Written from the normative spec only; it shares no code with ``csrc/`` or ``fastinit/``.
Every function is vectorized: arithmetic is done on whole NumPy arrays of the compute type
``T`` (``np.float32`` or ``np.float64``), one IEEE operation per NumPy ufunc call, in the
order the spec writes it. NumPy's elementwise float ufuncs are correctly rounded IEEE
operations (no fused multiply-add, no reassociation), so the results are bit-exact.

Every constant is converted to ``T`` explicitly (``RN_T`` of the exact decimal or rational
value, see :func:`rn`) so that no Python float silently changes the precision.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = [
    "philox4x32_10",
    "words",
    "words64",
    "uniform",
    "normal",
    "log",
    "sincos",
    "ndtri_centre",
    "ndtri_tail",
    "trunc_normal",
    "trunc_normal_setup",
    "inward_bounds",
    "to_float16",
    "to_bfloat16",
    "compute_type",
    "rn",
    "bits",
]

_U32 = np.uint32
_U64 = np.uint64
_MASK32 = _U64(0xFFFFFFFF)

# --------------------------------------------------------------------------------------
# Constants: correct rounding of exact values to T
# --------------------------------------------------------------------------------------

# Transcendental constants to 50 significant digits (far more than needed to round
# correctly to float64; none of them is close to a rounding boundary).
_PI = Fraction("3.1415926535897932384626433832795028841971693993751")
_SQRT_HALF = Fraction("0.70710678118654752440084436210484903928483593768847")
_LN2 = Fraction("0.69314718055994530941723212145817656807550013436026")


def rn(value, T) -> np.floating:
    """``RN_T(value)``: ``value`` (a decimal string, int, Fraction or float) rounded to
    nearest, ties to even, in the NumPy float type ``T`` -- one rounding from the exact
    value (no double rounding through float64 for float32)."""
    T = np.dtype(T).type
    x = Fraction(value) if not isinstance(value, Fraction) else value
    d = float(x)  # correctly rounded to float64 (int/int true division is exact-rounded)
    if T is np.float64:
        return np.float64(d)
    if T is not np.float32:
        raise TypeError(T)
    with np.errstate(over="ignore"):
        c = np.float32(d)
        cands = (np.nextafter(c, np.float32(-np.inf)), c, np.nextafter(c, np.float32(np.inf)))
    if not np.isfinite(c):  # beyond the largest float32 (+ half an ulp): overflows
        return c
    best = None
    for cand in cands:
        if not np.isfinite(cand):
            continue
        err = abs(Fraction(float(cand)) - x)
        if best is None:
            best = (err, cand)
            continue
        if err < best[0] or (err == best[0] and (int(np.array(cand).view(np.uint32)) & 1) == 0):
            best = (err, cand)
    return np.float32(best[1])


def _fact(n: int) -> int:
    return math.factorial(n)


class _Consts:
    """All constants of sections 5 and 6 for one compute type."""

    def __init__(self, T):
        self.T = T = np.dtype(T).type
        c = lambda v: rn(v, T)  # noqa: E731
        self.ZERO, self.HALF, self.ONE, self.TWO = c(0), c(Fraction(1, 2)), c(1), c(2)
        self.MINUS_TWO = c(-2)
        self.PI_2 = c(_PI / 2)
        self.TWO_PI = c(2 * _PI)
        if T is np.float32:
            self.UINT, self.p, self.E0, self.n_log = np.uint32, 23, 127, 5
            self.LN2_HI = c("0.693359375")
            self.LN2_LO = c(_LN2 - Fraction("0.693359375"))
            self.sin_top, self.cos_top = 9, 10
        else:
            self.UINT, self.p, self.E0, self.n_log = np.uint64, 52, 1023, 10
            self.LN2_HI = c("6.93147180369123816490e-01")
            self.LN2_LO = c("1.90821492927058770002e-10")
            self.sin_top, self.cos_top = 17, 16
        self.SQRTH = np.array(c(_SQRT_HALF)).view(self.UINT)[()]
        self.ONE_BITS = np.array(self.ONE).view(self.UINT)[()]
        # log series: c_k = RN_T(2 / (2k + 1)), k = 1..n
        self.LOG_C = [c(Fraction(2, 2 * k + 1)) for k in range(1, self.n_log + 1)]
        # sin: S(z) = -1/3! + z*(1/5! + ...), highest term 1/sin_top!
        self.SIN_C = [
            c(Fraction((-1) ** ((n - 1) // 2), _fact(n))) for n in range(3, self.sin_top + 1, 2)
        ]
        # cos: K(z) = -1/2! + z*(1/4! + ...), highest term +-1/cos_top!
        self.COS_C = [
            c(Fraction((-1) ** (n // 2), _fact(n))) for n in range(2, self.cos_top + 1, 2)
        ]
        # AS 241 (Wichura 1988) published coefficients, lowest degree first.
        if T is np.float32:  # PPND7
            A = ["3.3871327179E+00", "5.0434271938E+01", "1.5929113202E+02", "5.9109374720E+01"]
            B = ["1.7895169469E+01", "7.8757757664E+01", "6.7187563600E+01"]
            C = ["1.4234372777E+00", "2.7568153900E+00", "1.3067284816E+00", "1.7023821103E-01"]
            D = ["7.3700164250E-01", "1.2021132975E-01"]
            E = ["6.6579051150E+00", "3.0812263860E+00", "4.2868294337E-01", "1.7337203997E-02"]
            F = ["2.4197894225E-01", "1.2258202635E-02"]
        else:  # PPND16
            A = [
                "3.3871328727963666080E0",
                "1.3314166789178437745E+2",
                "1.9715909503065514427E+3",
                "1.3731693765509461125E+4",
                "4.5921953931549871457E+4",
                "6.7265770927008700853E+4",
                "3.3430575583588128105E+4",
                "2.5090809287301226727E+3",
            ]
            B = [
                "4.2313330701600911252E+1",
                "6.8718700749205790830E+2",
                "5.3941960214247511077E+3",
                "2.1213794301586595867E+4",
                "3.9307895800092710610E+4",
                "2.8729085735721942674E+4",
                "5.2264952788528545610E+3",
            ]
            C = [
                "1.42343711074968357734E0",
                "4.63033784615654529590E0",
                "5.76949722146069140550E0",
                "3.64784832476320460504E0",
                "1.27045825245236838258E0",
                "2.41780725177450611770E-1",
                "2.27238449892691845833E-2",
                "7.74545014278341407640E-4",
            ]
            D = [
                "2.05319162663775882187E0",
                "1.67638483018380384940E0",
                "6.89767334985100004550E-1",
                "1.48103976427480074590E-1",
                "1.51986665636164571966E-2",
                "5.47593808499534494600E-4",
                "1.05075007164441684324E-9",
            ]
            E = [
                "6.65790464350110377720E0",
                "5.46378491116411436990E0",
                "1.78482653991729133580E0",
                "2.96560571828504891230E-1",
                "2.65321895265761230930E-2",
                "1.24266094738807843860E-3",
                "2.71155556874348757815E-5",
                "2.01033439929228813265E-7",
            ]
            F = [
                "5.99832206555887937690E-1",
                "1.36929880922735805310E-1",
                "1.48753612908506148525E-2",
                "7.86869131145613259100E-4",
                "1.84631831751005468180E-5",
                "1.42151175831644588870E-7",
                "2.04426310338993978564E-15",
            ]
        self.AS_A, self.AS_B = [c(v) for v in A], [c(v) for v in B]
        self.AS_C, self.AS_D = [c(v) for v in C], [c(v) for v in D]
        self.AS_E, self.AS_F = [c(v) for v in E], [c(v) for v in F]
        self.CONST1 = c("0.180625")
        self.CONST2 = c("1.6")
        self.SPLIT2 = c(5)
        self.SPLIT3 = c(27)
        self.THREE, self.FIFTEEN = c(3), c(15)


_CONSTS: dict = {}


def consts(T) -> _Consts:
    T = np.dtype(T).type
    if T not in _CONSTS:
        _CONSTS[T] = _Consts(T)
    return _CONSTS[T]


def compute_type(dtype):
    """The compute type ``T`` of an output dtype (section 3)."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name in ("float64",):
        return np.float64
    if name in ("float32", "float16", "bfloat16"):
        return np.float32
    raise TypeError(f"unsupported dtype {dtype!r}")


def _out_dtype(dtype):
    if isinstance(dtype, str) and dtype == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(dtype)


def bits(a: np.ndarray) -> np.ndarray:
    """Bit patterns of a float array as unsigned integers of the same width."""
    a = np.asarray(a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


# --------------------------------------------------------------------------------------
# Section 1: Philox4x32-10
# --------------------------------------------------------------------------------------

_M0, _M1 = _U64(0xD2511F53), _U64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85


def philox4x32_10(ctr, key) -> np.ndarray:
    """Philox4x32-10 of counters ``ctr`` (``[..., 4]`` uint32) under ``key`` ``(k0, k1)``."""
    ctr = np.asarray(ctr, dtype=np.uint32)
    if ctr.shape[-1] != 4:
        raise ValueError("counter must have last dimension 4")
    c0, c1, c2, c3 = (ctr[..., i].astype(np.uint64) for i in range(4))
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    for rnd in range(10):
        if rnd:
            k0 = (k0 + _W0) & 0xFFFFFFFF
            k1 = (k1 + _W1) & 0xFFFFFFFF
        p0 = _M0 * c0  # < 2**64: exact in uint64
        p1 = _M1 * c2
        c0, c1, c2, c3 = (
            (p1 >> _U64(32)) ^ c1 ^ _U64(k0),
            p1 & _MASK32,
            (p0 >> _U64(32)) ^ c3 ^ _U64(k1),
            p0 & _MASK32,
        )
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


# --------------------------------------------------------------------------------------
# Section 2: the stream
# --------------------------------------------------------------------------------------


def _key(seed: int):
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError("seed must be in [0, 2**64)")
    return seed & 0xFFFFFFFF, seed >> 32


def words(seed: int, stream: int = 0, start: int = 0, count: int = 0, extra: int = 0) -> np.ndarray:
    """Words ``start .. start + count - 1`` of stream ``(seed, stream)`` (uint32)."""
    start, count = int(start), int(count)
    if count <= 0:
        return np.zeros(0, np.uint32)
    if not 0 <= int(stream) < 2**32 or not 0 <= int(extra) < 2**32:
        raise ValueError("stream/extra must be 32-bit")
    j0 = start // 4
    j1 = (start + count - 1) // 4 + 1
    j = np.arange(j0, j1, dtype=np.uint64)
    ctr = np.empty((j.size, 4), np.uint32)
    ctr[:, 0] = (j & _MASK32).astype(np.uint32)
    ctr[:, 1] = (j >> _U64(32)).astype(np.uint32)
    ctr[:, 2] = np.uint32(stream)
    ctr[:, 3] = np.uint32(extra)
    out = philox4x32_10(ctr, _key(seed)).reshape(-1)
    off = start - 4 * j0
    return out[off : off + count].copy()


def words64(
    seed: int, stream: int = 0, start: int = 0, count: int = 0, extra: int = 0
) -> np.ndarray:
    """``w64(i)`` for ``i`` in ``[start, start + count)``: ``word(2i) | word(2i+1) << 32``."""
    w = words(seed, stream, 2 * int(start), 2 * int(count), extra).astype(np.uint64)
    return w[0::2] | (w[1::2] << _U64(32))


def _word_t(T, seed, stream, start, count):
    """One word of T's width per element: word(i) for float32, w64(i) for float64."""
    if T is np.float32:
        return words(seed, stream, start, count)
    return words64(seed, stream, start, count)


def _to_T(x_uint: np.ndarray, T) -> np.ndarray:
    """Integer to T, rounded to nearest-even once (via exact float64 when it fits)."""
    x = np.asarray(x_uint)
    if T is np.float32:
        assert x.dtype.itemsize <= 4 or int(x.max(initial=0)) < 2**53
        return x.astype(np.float64).astype(np.float32)  # exact, then one RNE rounding
    assert int(x.max(initial=0)) < 2**53
    return x.astype(np.float64)


# --------------------------------------------------------------------------------------
# Section 3: bounds and output rounding
# --------------------------------------------------------------------------------------


def to_float16(x32: np.ndarray) -> np.ndarray:
    """float32 -> IEEE binary16, round to nearest even (with subnormals)."""
    assert np.asarray(x32).dtype == np.float32
    return np.asarray(x32).astype(np.float16)


def to_bfloat16(x32: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16, round to nearest even."""
    import ml_dtypes

    assert np.asarray(x32).dtype == np.float32
    return np.asarray(x32).astype(ml_dtypes.bfloat16)


def to_output(x: np.ndarray, dtype) -> np.ndarray:
    dt = _out_dtype(dtype)
    if dt == np.float32 or dt == np.float64:
        return x
    if dt == np.float16:
        return to_float16(x)
    return to_bfloat16(x)


def inward_bounds(low: float, high: float, dtype):
    """``(lo, hi)``: the smallest value of ``dtype`` ``>= low`` and the largest ``<= high``,
    returned as values of the compute type. Infinite bounds map to the largest finite value
    (used for the truncated normal's output clamp). Raises ValueError if none lies between."""
    dt = _out_dtype(dtype)
    T = compute_type("bfloat16" if dt.name == "bfloat16" else dt)
    if dt.name == "bfloat16":
        import ml_dtypes

        big = float(ml_dtypes.finfo(dt).max)
    else:
        big = float(np.finfo(dt).max)

    def nearest(v):  # a value of dt adjacent to v (RNE), as a float; +-inf beyond big
        cf = float(np.array(v, np.float64).astype(dt).astype(np.float64))
        return cf

    def up(v):
        if v == -math.inf or v < -big:
            return -big
        if v > big:
            raise ValueError("no value of the output type lies in [low, high]")
        cf = nearest(v)
        if math.isinf(cf):
            cf = math.copysign(big, cf)
        while cf < v:
            cf = _step(dt, cf, +1)
        return cf

    def down(v):
        if v == math.inf or v > big:
            return big
        if v < -big:
            raise ValueError("no value of the output type lies in [low, high]")
        cf = nearest(v)
        if math.isinf(cf):
            cf = math.copysign(big, cf)
        while cf > v:
            cf = _step(dt, cf, -1)
        return cf

    lo, hi = up(float(low)), down(float(high))
    if not lo <= hi:
        raise ValueError("no value of the output type lies in [low, high]")
    return T(lo), T(hi)


def _step(dt, v: float, direction: int) -> float:
    """The neighbour of ``v`` (a value of ``dt``) in ``direction``."""
    ui = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize]
    a = np.array(v).astype(dt)
    b = int(a.view(ui))
    sign = b >> (8 * dt.itemsize - 1)
    mag = b & ((1 << (8 * dt.itemsize - 1)) - 1)
    if mag == 0:  # +-0
        nb = 1 if direction > 0 else (1 << (8 * dt.itemsize - 1)) | 1
    elif (sign == 0) == (direction > 0):
        nb = b + 1
    else:
        nb = b - 1
    return float(np.array(nb, ui).view(dt).astype(np.float64))


# --------------------------------------------------------------------------------------
# Section 4: uniform
# --------------------------------------------------------------------------------------


def uniform(n: int, low, high, dtype, seed: int, stream: int = 0, start: int = 0) -> np.ndarray:
    """Elements ``[start, start + n)`` of ``uniform``; ``low``/``high`` must already be the
    inward bounds ``lo``/``hi`` (exact in the compute type)."""
    T = compute_type(dtype)
    k = consts(T)
    lo, hi = T(low), T(high)
    assert float(lo) == float(low) and float(hi) == float(high), "bounds must be exact in T"
    span = T(hi - lo)
    if not np.isfinite(span):
        raise ValueError("high - low overflows")
    w = _word_t(T, seed, stream, start, n)
    if T is np.float32:
        u = _to_T(w >> np.uint32(8), T) * rn(Fraction(1, 2**24), T)
    else:
        u = _to_T(w >> np.uint64(11), T) * rn(Fraction(1, 2**53), T)
    x = lo + span * u
    x = np.where(x > hi, hi, x).astype(T)
    del k
    return to_output(x, dtype)


# --------------------------------------------------------------------------------------
# Section 6: elementary functions
# --------------------------------------------------------------------------------------


def log(x: np.ndarray) -> np.ndarray:
    """Section 6.1 ``log`` for positive, finite, normal ``x`` (float32 or float64 array)."""
    x = np.asarray(x)
    T = x.dtype.type
    k = consts(T)
    U = k.UINT
    ix = x.view(U) + U(k.ONE_BITS - k.SQRTH)  # wraps modulo 2**width
    e_int = (ix >> U(k.p)).astype(np.int64) - k.E0
    e = e_int.astype(T)  # small integers: exact
    m = ((ix & U((1 << k.p) - 1)) + U(k.SQRTH)).view(T)
    f = m - k.ONE
    s = f / (k.TWO + f)
    z = s * s
    P = np.full_like(z, k.LOG_C[-1])
    for ck in reversed(k.LOG_C[:-1]):
        P = P * z + ck
    lm = s * (k.TWO + z * P)
    return e * k.LN2_HI + (e * k.LN2_LO + lm)


def sincos(phi: np.ndarray):
    """Section 6.2 ``(sin(phi), cos(phi))`` for ``|phi| <= pi/4``."""
    phi = np.asarray(phi)
    T = phi.dtype.type
    k = consts(T)
    z = phi * phi
    S = np.full_like(z, k.SIN_C[-1])
    for ck in reversed(k.SIN_C[:-1]):
        S = S * z + ck
    K = np.full_like(z, k.COS_C[-1])
    for ck in reversed(k.COS_C[:-1]):
        K = K * z + ck
    s = phi + phi * (z * S)
    c = k.ONE + z * K
    return s, c


def _horner(coeffs, x):
    """``coeffs[-1] * x**n + ... + coeffs[0]`` by Horner's rule from the highest."""
    P = np.full_like(x, coeffs[-1])
    for ck in reversed(coeffs[:-1]):
        P = P * x + ck
    return P


def _horner1(coeffs, x):
    """Denominator ``(...(coeffs[-1] * x + coeffs[-2]) * x ... + coeffs[0]) * x + 1``."""
    P = _horner(coeffs, x)
    return P * x + x.dtype.type(1)


def ndtri_centre(q, T=None) -> np.ndarray:
    """AS 241 central region, argument ``q = p - 0.5`` with ``|q| <= 0.425``."""
    q = np.asarray(q, dtype=T) if T is not None else np.asarray(q)
    T = q.dtype.type
    k = consts(T)
    r = k.CONST1 - q * q
    return (q * _horner(k.AS_A, r)) / _horner1(k.AS_B, r)


def ndtri_tail(L, T=None) -> np.ndarray:
    """Lower tail ``x = ndtri(exp(L))`` for ``L = log(p)``, ``p < 0.075`` (negative result),
    including the far tail ``t > 27`` of section 6.3."""
    L = np.asarray(L, dtype=T) if T is not None else np.asarray(L)
    T = L.dtype.type
    k = consts(T)
    t = np.sqrt(-L)
    out = np.empty_like(t)
    m1 = t <= k.SPLIT2
    m2 = (~m1) & (t <= k.SPLIT3)
    m3 = ~(m1 | m2)
    if m1.any():
        r = t[m1] - k.CONST2
        out[m1] = -(_horner(k.AS_C, r) / _horner1(k.AS_D, r))
    if m2.any():
        r = t[m2] - k.SPLIT2
        out[m2] = -(_horner(k.AS_E, r) / _horner1(k.AS_F, r))
    if m3.any():
        y = k.MINUS_TWO * L[m3]
        v = y.copy()
        for _ in range(3):
            g = k.ONE / v
            c = k.ONE - g * (k.ONE - g * (k.THREE - g * k.FIFTEEN))
            v = (y - log(k.TWO_PI * v)) + k.TWO * log(c)
        out[m3] = -np.sqrt(v)
    return out


# --------------------------------------------------------------------------------------
# Section 5: normal
# --------------------------------------------------------------------------------------


def normal(n: int, mean, std, dtype, seed: int, stream: int = 0, start: int = 0) -> np.ndarray:
    """Elements ``[start, start + n)`` of ``normal(mean, std)`` (Box-Muller, section 5).

    ``mean`` and ``std`` are rounded to nearest in the compute type."""
    T = compute_type(dtype)
    k = consts(T)
    if n <= 0:
        return to_output(np.zeros(0, T), dtype)
    k0 = start // 2
    k1 = (start + n - 1) // 2 + 1
    npairs = k1 - k0
    if T is np.float32:
        w = words(seed, stream, 2 * k0, 2 * npairs)
        w1, w2 = w[0::2], w[1::2]
        u1 = (_to_T(w1 >> np.uint32(1), T) + k.HALF) * rn(Fraction(1, 2**31), T)
        q = (w2 >> np.uint32(30)).astype(np.int64)
        f = (
            _to_T((w2 >> np.uint32(6)) & np.uint32(0xFFFFFF), T) * rn(Fraction(1, 2**24), T)
            - k.HALF
        )
    else:
        w = words64(seed, stream, 2 * k0, 2 * npairs)
        a, b = w[0::2], w[1::2]
        u1 = (_to_T(a >> np.uint64(11), T) + k.HALF) * rn(Fraction(1, 2**53), T)
        q = (b >> np.uint64(62)).astype(np.int64)
        f = (
            _to_T((b >> np.uint64(9)) & np.uint64(2**53 - 1), T) * rn(Fraction(1, 2**53), T)
            - k.HALF
        )
    r = np.sqrt(k.MINUS_TWO * log(u1))
    phi = f * k.PI_2
    s, c = sincos(phi)
    C = np.select([q == 0, q == 1, q == 2], [c, -s, -c], s)
    S = np.select([q == 0, q == 1, q == 2], [s, c, -s], -c)
    mean_t, std_t = rn(Fraction(float(mean)), T), rn(Fraction(float(std)), T)
    x0 = mean_t + std_t * (r * C)
    x1 = mean_t + std_t * (r * S)
    out = np.empty(2 * npairs, T)
    out[0::2], out[1::2] = x0, x1
    off = start - 2 * k0
    return to_output(out[off : off + n], dtype)


# --------------------------------------------------------------------------------------
# Section 7: truncated normal
# --------------------------------------------------------------------------------------


def _log_ndtr(x: float) -> float:
    from scipy.special import log_ndtr

    return float(log_ndtr(x))


def _ndtr(x: float) -> float:
    from scipy.special import ndtr

    return float(ndtr(x))


def trunc_normal_setup(mean, std, a, b, dtype) -> dict:
    """Independent implementation of the set-up of section 7.1 (float64, then rounded to T).

    Returns a dict: ``"branches"`` (a list of two dicts, branch s = 0 and s = 1, with BASE,
    DD, TH, CENTRE, LD, TAU, DIR, SGN, each a value of T) and ALPHA, BETA, MEAN, STD, LO, HI,
    plus the float64 values before rounding under ``"f64"`` for comparisons."""
    from scipy.special import erf

    T = compute_type(dtype)
    mean, std, a, b = float(mean), float(std), float(a), float(b)
    if not std > 0 or not a < b:
        raise ValueError("need std > 0 and a < b")
    alpha = (a - mean) / std
    beta = (b - mean) / std
    # Delta, logDelta without cancellation
    if alpha >= 0:  # both in the upper tail: use the mirror
        la, lb = _log_ndtr(-alpha), _log_ndtr(-beta)  # la > lb
        delta = _ndtr(-alpha) - _ndtr(-beta)
        hi_l, lo_l = la, lb
    else:
        la, lb = _log_ndtr(alpha), _log_ndtr(beta)
        delta = _ndtr(beta) - _ndtr(alpha)
        hi_l, lo_l = lb, la
    # logDelta = hi_l + log1p(-exp(lo_l - hi_l))
    log_delta = hi_l + math.log1p(-math.exp(lo_l - hi_l)) if lo_l > -math.inf else hi_l
    if delta == 0.0:
        delta = math.exp(log_delta)
    rows = []
    for s in (0, 1):
        if s == 0:
            if alpha <= 0:
                xarg, d, g = alpha, +1, +1
            else:
                xarg, d, g = -alpha, -1, -1
        else:
            if beta >= 0:
                xarg, d, g = -beta, +1, -1
            else:
                xarg, d, g = beta, -1, +1
        T0 = _ndtr(xarg)
        logT0 = _log_ndtr(xarg)
        tau = math.exp(logT0 - log_delta) if logT0 > -math.inf else 0.0
        reach = min(T0, T0 + d * delta / 2)
        if reach < 0.075:
            base, centre, th, rep = T0, 0.5, 0.075, "p"
        else:
            base = 0.5 * float(erf(xarg / math.sqrt(2.0))) if xarg != 0 else 0.0
            base, centre, th, rep = base, 0.0, -math.inf, "q"
        rows.append(
            dict(
                BASE=base,
                DD=d * delta,
                TH=th,
                CENTRE=centre,
                LD=log_delta,
                TAU=tau,
                DIR=float(d),
                SGN=float(g),
                rep=rep,
            )
        )
    lo, hi = inward_bounds(a, b, dtype)
    f64 = dict(branches=rows, ALPHA=alpha, BETA=beta, MEAN=mean, STD=std)
    rnd = lambda v: rn(Fraction(v), T) if math.isfinite(v) else T(v)  # noqa: E731
    branches = [{key: rnd(val) for key, val in row.items() if key != "rep"} for row in rows]
    return dict(
        branches=branches,
        ALPHA=rnd(alpha),
        BETA=rnd(beta),
        MEAN=rnd(mean),
        STD=rnd(std),
        LO=T(lo),
        HI=T(hi),
        T=T,
        f64=f64,
    )


_BRANCH_KEYS = ("BASE", "DD", "TH", "CENTRE", "LD", "TAU", "DIR", "SGN")


def _rn_any(v, T):
    v = float(v)
    return rn(Fraction(v), T) if math.isfinite(v) else T(v)


def from_library_consts(d: dict, dtype) -> dict:
    """Constants of ``fastinit._random.plans.trunc_normal_constants`` (float64 values, lower-case
    keys ``alpha, beta, mean, std, lo, hi, branches[base, centre, th, dd, ld, tau, dir,
    sgn]``) rounded to T, in the layout that :func:`trunc_normal` takes."""
    T = compute_type(dtype)
    branches = [{k: _rn_any(row[k.lower()], T) for k in _BRANCH_KEYS} for row in d["branches"]]
    out = {k.upper(): _rn_any(d[k], T) for k in ("alpha", "beta", "mean", "std", "lo", "hi")}
    out.update(branches=branches, T=T)
    return out


def library_setup(mean, std, a, b, dtype):
    """The set-up of section 7.1 as the library computes it (``fastinit/_random/plans.py``, pure
    Python, shared by every backend), or None if that module cannot be imported."""
    try:
        from fastinit._random import plans as _params
    except ImportError:
        return None
    d = _params.trunc_normal_constants(
        float(mean), float(std), float(a), float(b), _out_dtype(dtype)
    )
    return from_library_consts(d, dtype)


def trunc_normal(
    n: int, consts_: dict, dtype, seed: int, stream: int = 0, start: int = 0
) -> np.ndarray:
    """Elements ``[start, start + n)`` of the truncated normal (section 7.2), given the
    per-branch constants ``consts_`` in the layout of :func:`trunc_normal_setup`."""
    T = compute_type(dtype)
    k = consts(T)
    w = _word_t(T, seed, stream, start, n)
    if T is np.float32:
        sbit = (w >> np.uint32(31)).astype(bool)
        up = (_to_T(w & np.uint32(0x7FFFFFFF), T) + k.HALF) * rn(Fraction(1, 2**32), T)
    else:
        sbit = (w >> np.uint64(63)).astype(bool)
        up = (_to_T((w & np.uint64(2**63 - 1)) >> np.uint64(10), T) + k.HALF) * rn(
            Fraction(1, 2**54), T
        )
    br = consts_["branches"]
    c = {key: np.where(sbit, T(br[1][key]), T(br[0][key])).astype(T) for key in _BRANCH_KEYS}
    v = c["BASE"] + up * c["DD"]
    tail = v < c["TH"]
    z = np.empty(n, T)
    if tail.any():
        L = c["LD"][tail] + log(c["TAU"][tail] + c["DIR"][tail] * up[tail])
        z[tail] = c["SGN"][tail] * ndtri_tail(L)
    cen = ~tail
    if cen.any():
        z[cen] = c["SGN"][cen] * ndtri_centre(v[cen] - c["CENTRE"][cen])
    z = np.minimum(np.maximum(z, T(consts_["ALPHA"])), T(consts_["BETA"]))
    y = T(consts_["MEAN"]) + T(consts_["STD"]) * z
    y = np.minimum(np.maximum(y, T(consts_["LO"])), T(consts_["HI"]))
    return to_output(y.astype(T), dtype)
