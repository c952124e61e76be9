"""The structured schemes: orthogonal, sparse, eye, dirac, and the constants.

Everything here is either exact (eye, dirac, constants, the zero counts of sparse) or a bound
with its false-alarm probability in a comment (seeds are fixed, so nothing can flake).
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest
import scipy.stats as st

import fastinit

BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = {
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "float16": np.dtype(np.float16),
    "bfloat16": BF16,
}
# Unit roundoff (half an ulp, relative) of rounding to nearest in each dtype.
UNIT = {"float32": 2.0**-24, "float64": 2.0**-53, "float16": 2.0**-11, "bfloat16": 2.0**-8}
SIGMA = 6.0  # two-sided p = 2.0e-9 for a normally distributed statistic


# ---- orthogonal ------------------------------------------------------------------------------

ORTHO_SHAPES = [
    (5, 5),
    (3, 7),
    (7, 3),
    (1, 9),
    (9, 1),
    (64, 64),
    (50, 200),
    (200, 50),
    (16, 8, 3, 3),
    (128, 4, 2, 2),
    (8, 2, 3),
    (4, 3, 2, 2, 2),
]


@pytest.mark.parametrize("gain", [1.0, 2.5, -0.5])
@pytest.mark.parametrize("dtname", list(DTYPES))
@pytest.mark.parametrize("shape", ORTHO_SHAPES, ids=str)
def test_orthogonal_is_orthogonal(shape, dtname: str, gain: float) -> None:
    dt = DTYPES[dtname]
    w = np.empty(shape, dt)
    out = fastinit.orthogonal(w, gain, seed=7)
    assert out is w and w.shape == shape and w.dtype == dt
    rows = shape[0]
    q = w.reshape(rows, -1).astype(np.float64)
    cols = q.shape[1]
    gram = q @ q.T if rows <= cols else q.T @ q
    # Each entry of the float64 Q (orthonormal to ~1e-15) is rounded with relative error <= u.
    # With Q' = Q + E, |E_ij| <= u |Q_ij|: (Q'Q'^T - g^2 I)_ij = g^2 (Q E^T + E Q^T + E E^T)_ij,
    # and Cauchy-Schwarz on unit rows gives |(Q E^T)_ij| <= u. So every entry is within
    # g^2 (2u + u^2) plus the float64 QR's error (bounded by 1e-13 for these sizes).
    u = UNIT[dtname]
    tol = gain * gain * (2 * u + u * u) + 1e-13 * max(gain * gain, 1)
    err = np.abs(gram - gain * gain * np.eye(gram.shape[0])).max()
    assert err <= tol, (err, tol)
    assert np.isfinite(q).all()


def test_orthogonal_float64_is_the_qr_of_the_normal_stream() -> None:
    # docs/stream.md section 8: Q of the float64 normal(0, 1) draw, sign-fixed by diag(R).
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        rows = shape[0]
        a = fastinit.normal((rows, math.prod(shape[1:])), dtype=np.float64, seed=11)
        t = a.T if a.shape[0] < a.shape[1] else a
        q, r = np.linalg.qr(t)
        q = q * np.sign(np.diag(r))
        if a.shape[0] < a.shape[1]:
            q = q.T
        w = fastinit.orthogonal(shape, 1.5, seed=11, dtype=np.float64)
        np.testing.assert_allclose(w.reshape(rows, -1), 1.5 * q, rtol=0, atol=1e-14)


N_HAAR = 2000


@pytest.mark.parametrize("shape", [(8, 8), (4, 8), (8, 4)])
def test_orthogonal_is_haar(shape) -> None:
    """Q[i, j] of a Haar-distributed (semi-)orthogonal matrix is a coordinate of a uniform unit
    vector in R^n, n = max(rows, cols): (x + 1) / 2 ~ Beta((n-1)/2, (n-1)/2), mean 0, variance
    1/n, E[x^4] = 3 / (n (n+2)). Without the diag(R) sign fix Q[0, 0] would be biased."""
    n = max(shape)
    samples = np.array(
        [fastinit.orthogonal(shape, seed=s, dtype=np.float64) for s in range(N_HAAR)]
    )
    var_x2 = 3.0 / (n * (n + 2)) - 1.0 / n**2
    for i, j in [(0, 0), (shape[0] - 1, shape[1] - 1), (1, 2)]:
        x = samples[:, i, j]
        assert abs(x.mean()) <= SIGMA * math.sqrt(1.0 / n / N_HAAR)  # 6 sigma
        assert abs((x * x).mean() - 1.0 / n) <= SIGMA * math.sqrt(var_x2 / N_HAAR)
        beta = st.beta((n - 1) / 2, (n - 1) / 2, loc=-1, scale=2)
        assert st.kstest(x, beta.cdf).pvalue > 1e-6  # observed 0.145 .. 0.985
    if shape[0] == shape[1]:
        # Haar on O(n): E[tr Q] = 0, E[(tr Q)^2] = 1, Var[(tr Q)^2] = E[(tr Q)^4] - 1 = 2
        tr = np.trace(samples, axis1=1, axis2=2)
        assert abs(tr.mean()) <= SIGMA * math.sqrt(1.0 / N_HAAR)
        assert abs((tr**2).mean() - 1.0) <= SIGMA * math.sqrt(2.0 / N_HAAR)


def test_orthogonal_seeds_differ_and_repeat() -> None:
    a = fastinit.orthogonal((6, 6), seed=1)
    b = fastinit.orthogonal((6, 6), seed=1)
    c = fastinit.orthogonal((6, 6), seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


# ---- sparse ----------------------------------------------------------------------------------

SPARSITIES = [0.0, 0.01, 0.1, 0.25, 0.3, 1 / 3, 0.5, 0.7, 0.9, 0.99, 1.0]
SPARSE_SHAPES = [(10, 7), (100, 300), (1, 5), (37, 64), (3, 1000)]


@pytest.mark.parametrize("dtname", list(DTYPES))
@pytest.mark.parametrize("shape", SPARSE_SHAPES, ids=str)
@pytest.mark.parametrize("sparsity", SPARSITIES)
def test_sparse_zero_count_per_column(sparsity, shape, dtname) -> None:
    dt = DTYPES[dtname]
    # std 1 for float16 so that no normal value underflows to 0 (P(|x| < 3e-8) = 2.4e-8).
    std = 1.0 if dtname == "float16" else 0.01
    seed = 1000 + SPARSITIES.index(sparsity)
    w = np.empty(shape, dt)
    assert fastinit.sparse(w, sparsity, std, seed=seed) is w
    n0 = math.ceil(sparsity * shape[0])  # torch.nn.init.sparse_'s count
    assert ((w == 0).sum(axis=0) == n0).all()
    # the non-zero values are the normal(0, std) stream of the same seed, element for element
    ref = fastinit.normal(np.empty(shape, dt), 0.0, std, seed=seed)
    nz = w != 0
    assert np.array_equal(w[nz], ref[nz])
    assert np.isfinite(w.astype(np.float64)).all()


def test_sparse_zero_rows_are_a_uniform_subset() -> None:
    rows, cols, sparsity = 10, 100_000, 0.3
    w = fastinit.sparse((rows, cols), sparsity, 1.0, seed=99)
    z = w == 0
    n0 = 3
    # per row: Binomial(cols, n0/rows), sd 145; 6 sigma each (10 rows: p <= 2e-8 in all)
    p1 = n0 / rows
    sd = math.sqrt(cols * p1 * (1 - p1))
    assert (np.abs(z.sum(axis=1) - cols * p1) <= SIGMA * sd).all()
    # pairs: P(rows i and j both zero) = (3/10)(2/9) = 1/15 for a uniform 3-subset
    p2 = n0 * (n0 - 1) / (rows * (rows - 1))
    sd2 = math.sqrt(cols * p2 * (1 - p2))
    for i, j in [(0, 1), (0, 9), (4, 5), (8, 9)]:
        assert abs((z[i] & z[j]).sum() - cols * p2) <= SIGMA * sd2
    # chi-square of the per-row counts, 9 degrees of freedom (the counts sum to 3 * cols;
    # treated as multinomial cells, conservative): p > 1e-6
    counts = z.sum(axis=1)
    assert st.chisquare(counts).pvalue > 1e-6  # observed 0.56


def test_sparse_nonzero_values_are_normal() -> None:
    std = 0.05
    w = fastinit.sparse((1000, 800), 0.5, std, seed=5, dtype=np.float64)
    x = w[w != 0]
    assert x.size == 500 * 800
    assert abs(x.mean()) <= SIGMA * std / math.sqrt(x.size)
    assert abs(x.var() / std**2 - 1) <= SIGMA * math.sqrt(2 / x.size)
    assert st.kstest(x, st.norm(0, std).cdf).pvalue > 1e-6  # observed 0.66


def test_sparse_extremes() -> None:
    assert not fastinit.sparse((40, 30), 1.0, seed=3).any()
    a = fastinit.sparse((40, 30), 0.0, 0.2, seed=3)
    assert np.array_equal(a, fastinit.normal((40, 30), 0.0, 0.2, seed=3))


# ---- eye ---------------------------------------------------------------------------------------

EYE_SHAPES = [(1, 1), (5, 5), (3, 7), (7, 3), (1, 6), (6, 1), (0, 4), (4, 0), (64, 128)]


@pytest.mark.parametrize("dtname", list(DTYPES))
@pytest.mark.parametrize("shape", EYE_SHAPES, ids=str)
def test_eye_exact(shape, dtname) -> None:
    dt = DTYPES[dtname]
    # (0, 4), (4, 0): NumPy >= 2 gives these empty arrays strides (0, 0); with no elements
    # there is nothing to share, so they must be accepted (and left empty), not rejected as
    # broadcast views.
    w = np.full(shape, 7, dt)
    assert fastinit.eye(w) is w
    assert np.array_equal(w, np.eye(*shape, dtype=dt))
    assert w.dtype == dt
    a = fastinit.eye(shape, dtype=dt)
    assert a.dtype == dt and np.array_equal(a, np.eye(*shape, dtype=dt))


@pytest.mark.parametrize("dtname", list(DTYPES))
def test_eye_strided(dtname) -> None:
    dt = DTYPES[dtname]
    base = np.full((9, 12), 7, dt)
    v = base[::2, 1::3].T  # shape (4, 5), non-contiguous
    fastinit.eye(v)
    assert np.array_equal(v, np.eye(4, 5, dtype=dt))
    untouched = np.ones(base.shape, bool)
    untouched[::2, 1::3] = False
    assert (base[untouched] == 7).all()


# ---- dirac -------------------------------------------------------------------------------------


def dirac_expected(shape, groups, dt):
    """torch.nn.init.dirac_'s documented rule, by hand."""
    w = np.zeros(shape, dt)
    out_per_group = shape[0] // groups
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            w[(g * out_per_group + d, d) + tuple(k // 2 for k in shape[2:])] = 1
    return w


DIRAC_SHAPES = [
    (6, 4, 5),
    (6, 2, 3),
    (12, 3, 1),
    (6, 6, 3, 3),
    (12, 3, 4, 4),
    (6, 9, 2, 5),
    (6, 3, 3, 2, 5),
    (12, 2, 1, 1, 1),
    (6, 6, 3, 3, 3),
]


@pytest.mark.parametrize("dtname", list(DTYPES))
@pytest.mark.parametrize("groups", [1, 2, 3])
@pytest.mark.parametrize("shape", DIRAC_SHAPES, ids=str)
def test_dirac_exact(shape, groups, dtname) -> None:
    dt = DTYPES[dtname]
    w = np.full(shape, 7, dt)
    assert fastinit.dirac(w, groups) is w
    expected = dirac_expected(shape, groups, dt)
    assert np.array_equal(w, expected)
    assert expected.sum(dtype=np.float64) == groups * min(shape[0] // groups, shape[1])
    assert np.array_equal(fastinit.dirac(shape, groups, dtype=dt), expected)


def test_dirac_strided() -> None:
    base = np.full((6, 8, 3, 6), 7, np.float32)
    v = base[:, ::2, :, ::2]  # (6, 4, 3, 3)
    fastinit.dirac(v, 2)
    assert np.array_equal(v, dirac_expected(v.shape, 2, np.float32))
    rest = np.ones(base.shape, bool)
    rest[:, ::2, :, ::2] = False
    assert (base[rest] == 7).all()


# ---- constants ---------------------------------------------------------------------------------


def nearest(value: float, dt: np.dtype) -> float:
    """value rounded to nearest, ties to even, in dt: an independent, single rounding from the
    float64 value (for 16-bit dtypes by search over all positive bit patterns)."""
    if dt.itemsize >= 4:
        return float(dt.type(value))  # NumPy's float64 -> float32 cast is correctly rounded
    inf_bits = 0x7C00 if dt == np.float16 else 0x7F80
    vals = np.arange(inf_bits + 1, dtype=np.uint16).view(dt).astype(np.float64)  # incl. +inf
    a = abs(value)
    k = int(np.searchsorted(vals, a))
    if vals[k] == a:
        r = vals[k]
    else:
        lo, hi = vals[k - 1], vals[k]
        if a - lo < hi - a or (a - lo == hi - a and (k - 1) % 2 == 0):
            r = lo
        else:
            r = hi
    return math.copysign(float(r), value)


CONSTANTS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.1,
    -0.3,
    1 / 3,
    2.5,
    1e-3,
    100.7,
    65504.0,
    1e-7,
    3e-8,
    1e-8,
    1e-30,
]
# Values whose correct rounding differs from rounding through float32 first (double rounding).
DOUBLE_ROUNDING = {
    "float16": [1 + 2**-11 + 2**-40, -(1 + 2**-11 + 2**-40), 1 + 3 * 2**-11 - 2**-40],
    "bfloat16": [1 + 2**-8 + 2**-40, -(1 + 2**-8 + 2**-40), 1 + 3 * 2**-8 - 2**-40],
}
TIES = [1 + 2**-24, 1 + 3 * 2**-24, 1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-8, 1 + 3 * 2**-8]


def test_nearest_helper() -> None:
    assert nearest(0.1, np.dtype(np.float16)) == float(np.float16(0.1)) == 0.0999755859375
    assert nearest(1 + 2**-11, np.dtype(np.float16)) == 1.0  # tie -> even
    assert nearest(1 + 3 * 2**-11, np.dtype(np.float16)) == 1 + 2**-9  # tie -> even
    assert nearest(1 + 2**-11 + 2**-40, np.dtype(np.float16)) == 1 + 2**-10  # above the tie
    assert nearest(1 + 2**-8 + 2**-40, BF16) == 1 + 2**-7
    assert nearest(3e-8, np.dtype(np.float16)) == 2.0**-24  # subnormal
    assert nearest(2.0**-25, np.dtype(np.float16)) == 0.0  # tie -> 0


@pytest.mark.parametrize("dtname", list(DTYPES))
def test_constants_exact(dtname) -> None:
    dt = DTYPES[dtname]
    m = float(ml_dtypes.finfo(dt).max)
    values = [v for v in CONSTANTS + TIES if abs(v) <= m]
    for v in values:
        w = np.full((3, 5), 7, dt)
        assert fastinit.constant(w, v) is w
        want = nearest(v, dt)
        got = w.astype(np.float64)
        assert (got == want).all(), (v, want, got[0, 0])
        assert (np.signbit(got) == (math.copysign(1, want) < 0)).all()  # -0.0 stays -0.0
        a = fastinit.constant((4,), v, dtype=dt)
        assert a.dtype == dt and (a.astype(np.float64) == want).all()
    for f, v in ((fastinit.zeros, 0.0), (fastinit.ones, 1.0)):
        w = np.full((2, 3, 4), 7, dt)
        assert f(w) is w
        assert (w.astype(np.float64) == v).all() and not np.signbit(w.astype(np.float64)).any()
        a = f((5, 2), dtype=dt)
        assert a.dtype == dt and a.shape == (5, 2) and (a.astype(np.float64) == v).all()


def test_constant_float16_point_one() -> None:
    w = fastinit.constant(np.empty(4, np.float16), 0.1)
    assert (w == np.float16(0.1)).all()
    assert w.view(np.uint16)[0] == 0x2E66


@pytest.mark.parametrize("dtname", ["float16", "bfloat16"])
def test_constant_rounds_once(dtname) -> None:
    """docs/stream.md section 8: the value rounded to nearest in the output type, i.e. one
    rounding of the float64 value; rounding to float32 first can land on a tie and then round
    the wrong way (e.g. bfloat16: 1 + 2**-8 + 2**-40 -> float32 1 + 2**-8, a tie, -> 1.0; the
    nearest bfloat16 is 1 + 2**-7)."""
    dt = DTYPES[dtname]
    for v in DOUBLE_ROUNDING[dtname]:
        w = fastinit.constant(np.empty(3, dt), v)
        assert (w.astype(np.float64) == nearest(v, dt)).all(), (v, nearest(v, dt), float(w[0]))


def test_constant_strided_leaves_rest() -> None:
    base = np.full((10, 10), 7.0, np.float32)
    fastinit.constant(base[1::3, ::-2], 0.5)
    mask = np.zeros((10, 10), bool)
    mask[1::3, ::-2] = True
    assert (base[mask] == 0.5).all() and (base[~mask] == 7.0).all()
