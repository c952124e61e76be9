"""Property tests (Hypothesis, derandomized): the stream's values over shapes, strides, dtypes,
shards, thread counts, backends and parameters, and the all-or-nothing rule of validation.

(a) uniform float32/float64 equals the NumPy reference of the stream (tests/reference.py);
(b) a strided view, or a shard (full_shape=, index=), equals the matching part of the whole;
(c) values do not depend on the thread count or on the backend (core / Numba);
(d) every invalid call raises TypeError or ValueError and leaves the array byte-identical and a
    Generator's stream unchanged.
"""

from __future__ import annotations

import contextlib
import math

import ml_dtypes
import numpy as np
import pytest
import reference as R
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fastinit
from fastinit._random.plans import inward_bounds

BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = [np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16), BF16]
UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}

FAST = settings(
    derandomize=True,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FAST, max_examples=50)


def bits(a: np.ndarray) -> np.ndarray:
    """The bit patterns of `a` (so -0.0 != 0.0 and NaN == NaN by pattern)."""
    return np.ascontiguousarray(a).view(UINT[a.dtype.itemsize])


def assert_same_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(bits(got), bits(want))


@contextlib.contextmanager
def threads(n: int):
    before = fastinit.get_num_threads()
    fastinit.set_num_threads(n)
    try:
        yield
    finally:
        fastinit.set_num_threads(before)


@contextlib.contextmanager
def backend(name: str):
    before = fastinit.info()["backend"]
    fastinit.set_backend(name)
    try:
        yield
    finally:
        fastinit.set_backend(before)


def has_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


# ---- strategies --------------------------------------------------------------------------------

shapes = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)
dtypes = st.sampled_from(DTYPES)
seeds = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**32 - 1, 2**32, 2**64 - 1]))
streams = st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 5))


@st.composite
def strided_views(draw, shape_strategy=shapes, dtype=None):
    """(base, view): `view` of `shape` is a slice of a larger `base` with steps (incl.
    negative) and possibly a transpose; `base` is filled with a sentinel pattern."""
    dt = draw(dtypes) if dtype is None else dtype
    vshape = draw(shape_strategy)
    steps = [draw(st.sampled_from([1, 2, 3, -1, -2])) for _ in vshape]
    pads = [draw(st.integers(0, 2)) for _ in vshape]
    perm = draw(st.permutations(range(len(vshape))))
    # base shape in the permuted order, so that base[slices].transpose(inverse) has vshape.
    bshape = tuple(vshape[p] * abs(steps[p]) + pads[p] for p in perm)
    base = np.frombuffer(
        np.random.default_rng(7).bytes(max(1, math.prod(bshape)) * dt.itemsize),
        dtype=UINT[dt.itemsize],
    )[: math.prod(bshape)].copy()
    base = base.view(dt).reshape(bshape)
    slices = []
    for p in perm:
        n, s, pad = vshape[p], steps[p], pads[p]
        start = draw(st.integers(0, pad))
        if n == 0:
            slices.append(slice(start, start, s))
        elif s > 0:
            slices.append(slice(start, start + n * s, s))
        else:
            first = start + (n - 1) * (-s)
            stop = first - n * (-s)
            slices.append(slice(first, stop if stop >= 0 else None, s))
    view = base[tuple(slices)] if slices else base[...]
    inv = np.argsort(perm) if perm else ()
    view = view.transpose(tuple(int(i) for i in inv)) if len(vshape) else view
    assert view.shape == vshape, (view.shape, vshape)
    return base, view


@st.composite
def shard_indices(draw, full: tuple[int, ...]):
    """A basic index into an array of shape `full`: ints (incl. negative) and slices with any
    steps, possibly fewer entries than dimensions."""
    k = draw(st.integers(0, len(full)))
    idx = []
    for n in full[:k]:
        if n > 0 and draw(st.booleans()) and draw(st.booleans()):
            idx.append(draw(st.integers(-n, n - 1)))
        else:
            start = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            step = draw(st.one_of(st.none(), st.sampled_from([1, 2, 3, -1, -2, -3])))
            idx.append(slice(start, stop, step))
    return tuple(idx)


def finite_float(dt: np.dtype, lim: float = None) -> st.SearchStrategy[float]:
    if lim is None:
        lim = {2: 6e4, 4: 1e30, 8: 1e300}[dt.itemsize] if dt != BF16 else 1e30
    return st.floats(-lim, lim, allow_nan=False, allow_infinity=False)


# ---- schemes used for the structural properties --------------------------------------------------


def _u(out, seed, **kw):
    return fastinit.uniform(out, -0.5, 2.0, seed=seed, **kw)


def _n(out, seed, **kw):
    return fastinit.normal(out, 0.25, 3.0, seed=seed, **kw)


def _tn(out, seed, **kw):
    return fastinit.trunc_normal(out, 0.0, 1.0, -1.5, 2.5, seed=seed, **kw)


def _tn_tail(out, seed, **kw):
    return fastinit.trunc_normal(out, 0.0, 1.0, 8.0, 9.0, seed=seed, **kw)


def _raw(out, seed, **kw):
    return fastinit.random_raw(out, seed=seed, **kw)


SCHEMES = {"uniform": _u, "normal": _n, "trunc_normal": _tn, "trunc_normal_tail": _tn_tail}
FAN_SCHEMES = {
    "xavier_uniform": lambda o, s, **kw: fastinit.xavier_uniform(o, seed=s, **kw),
    "kaiming_normal": lambda o, s, **kw: fastinit.kaiming_normal(o, seed=s, **kw),
    "variance_scaling": lambda o, s, **kw: fastinit.variance_scaling(
        o, 2.0, "fan_avg", seed=s, **kw
    ),
}


def fill_new(fn, shape, dt, seed, **kw):
    return fn(np.empty(shape, dt), seed, **kw)


# ---- (a) uniform equals the reference ----------------------------------------------------------


@st.composite
def uniform_case(draw):
    dt = draw(st.sampled_from(DTYPES[:2]))
    a = draw(finite_float(dt))
    b = draw(st.one_of(finite_float(dt), st.floats(-2, 2), st.just(a)))
    lo, hi = min(a, b), max(a, b)
    if draw(st.booleans()):  # a narrow interval next to lo
        hi = float(np.nextafter(np.asarray(lo, dt), np.asarray(np.inf, dt)) * 1)
        hi = max(hi, lo)
    return dt, lo, hi


@FAST
@given(case=uniform_case(), vb=st.data(), seed=seeds, stream=streams, gen=st.booleans())
def test_uniform_equals_reference(case, vb, seed, stream, gen):
    dt, low, high = case
    base, view = vb.draw(strided_views(dtype=dt))
    bounds = inward_bounds(low, high, dt)
    assume(bounds is not None)
    lo, hi = bounds
    ct = np.float32 if dt == np.float32 else np.float64
    with np.errstate(over="ignore"):
        assume(np.isfinite(ct(hi) - ct(lo)))
    before = base.copy()
    s = fastinit.Generator(seed, stream=stream) if gen else seed
    fastinit.uniform(view, low, high, seed=s)
    want = R.uniform(view.size, lo, hi, dt, seed, stream if gen else 0, 0).reshape(view.shape)
    assert_same_bits(view, want)
    assert np.all((view >= low) & (view <= high))
    # nothing outside the view was touched
    probe = np.zeros(base.shape, np.int8)
    _same_view(probe, base, view)[...] = 1
    assert_same_bits(base[probe == 0], before[probe == 0])
    if gen:
        assert s.stream == stream + 1


def _same_view(other: np.ndarray, base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """The view of `other` (same shape as `base`) at the positions `view` takes from `base`."""
    off = (
        (view.__array_interface__["data"][0] - base.__array_interface__["data"][0])
        if view.size
        else 0
    )
    isz = base.itemsize
    assert off % isz == 0
    strides = tuple(s // isz * other.itemsize for s in view.strides)
    flat = other.reshape(-1)
    start = off // isz
    return np.lib.stride_tricks.as_strided(
        flat[start:] if view.size else flat, shape=view.shape, strides=strides, writeable=True
    )


@FAST
@given(
    dt=st.sampled_from(DTYPES[:2]),
    n=st.integers(0, 40),
    seed=seeds,
    stream=streams,
    full_extra=st.integers(0, 40),
)
def test_uniform_shard_offset_equals_reference(dt, n, seed, stream, full_extra):
    """A 1-D shard [start, start + n) of a longer tensor is the stream from element start."""
    full = n + full_extra
    start = full_extra // 2
    out = np.empty(n, dt)
    fastinit.uniform(
        out,
        -1.0,
        3.0,
        seed=fastinit.Generator(seed, stream=stream),
        full_shape=(full,),
        index=(slice(start, start + n),),
    )
    lo, hi = inward_bounds(-1.0, 3.0, dt)
    assert_same_bits(out, R.uniform(n, lo, hi, dt, seed, stream, start))


# ---- (b) views and shards equal the whole -------------------------------------------------------


@FAST
@given(name=st.sampled_from(sorted(SCHEMES)), vb=st.data(), seed=seeds)
def test_view_equals_contiguous(name, vb, seed):
    base, view = vb.draw(strided_views())
    fn = SCHEMES[name]
    want = fill_new(fn, view.shape, view.dtype, seed)
    before = base.copy()
    probe = np.zeros(base.shape, np.int8)
    _same_view(probe, base, view)[...] = 1
    assert fn(view, seed) is view
    assert_same_bits(view, want)
    assert_same_bits(base[probe == 0], before[probe == 0])


@FEW
@given(name=st.sampled_from(sorted(FAN_SCHEMES)), vb=st.data(), seed=seeds)
def test_fan_scheme_view_equals_contiguous(name, vb, seed):
    base, view = vb.draw(
        strided_views(st.lists(st.integers(0, 5), min_size=2, max_size=4).map(tuple))
    )
    assume(view.size > 0)
    fn = FAN_SCHEMES[name]
    want = fill_new(fn, view.shape, view.dtype, seed)
    fn(view, seed)
    assert_same_bits(view, want)


@FAST
@given(
    name=st.sampled_from(sorted(SCHEMES) + ["random_raw"]),
    dt=dtypes,
    full=st.lists(st.integers(0, 6), min_size=0, max_size=4).map(tuple),
    data=st.data(),
    seed=seeds,
    stream=streams,
    layout=st.sampled_from(["c", "f", "neg"]),
)
def test_shard_equals_whole_part(name, dt, full, data, seed, stream, layout):
    index = data.draw(shard_indices(full))
    fn = _raw if name == "random_raw" else SCHEMES[name]
    if name == "random_raw":
        dt = np.dtype(np.uint32)
    whole = fn(np.empty(full, dt), fastinit.Generator(seed, stream=stream))
    part = whole[index]
    if layout == "c":
        out = np.empty(part.shape, dt)
    elif layout == "f":
        out = np.empty(part.shape, dt, order="F")
    else:
        out = np.empty(part.shape, dt)[(slice(None, None, -1),) * part.ndim or ...]
    gen = fastinit.Generator(seed, stream=stream)
    assert fn(out, gen, full_shape=full, index=index) is out
    assert gen.stream == stream + 1
    assert_same_bits(out, np.asarray(part))


@FEW
@given(
    name=st.sampled_from(sorted(FAN_SCHEMES)),
    dt=dtypes,
    full=st.lists(st.integers(1, 6), min_size=2, max_size=4).map(tuple),
    data=st.data(),
    seed=seeds,
)
def test_fan_scheme_shard_equals_whole_part(name, dt, full, data, seed):
    index = data.draw(shard_indices(full))
    fn = FAN_SCHEMES[name]
    whole = fill_new(fn, full, dt, seed)
    part = np.asarray(whole[index])
    out = fn(np.empty(part.shape, dt), seed, full_shape=full, index=index)
    assert_same_bits(out, part)


# ---- parameters: bounds hold, far tails ---------------------------------------------------------


@FAST
@given(
    dt=dtypes,
    shape=shapes,
    seed=seeds,
    mean=st.floats(-10, 10),
    std=st.floats(1e-3, 10),
    za=st.floats(-60, 60),
    width=st.floats(1e-3, 40),
)
def test_trunc_normal_within_bounds_incl_far_tails(dt, shape, seed, mean, std, za, width):
    a = mean + za * std
    b = a + width * std
    assume(b > a)
    assume(inward_bounds(a, b, dt) is not None)
    out = np.empty(shape, dt)
    try:
        fastinit.trunc_normal(out, mean, std, a, b, seed=seed)
    except ValueError:
        # documented refusals: bounds too far from the mean (a point mass), or out of range
        assume(False)
    v = out.astype(np.float64)
    assert np.all(np.isfinite(v))
    assert np.all((v >= a) & (v <= b))
    # the shard rule holds for these parameters too
    if out.size:
        idx = (slice(None, None, -1),) * out.ndim
        sh = np.empty(out[idx].shape, dt)
        fastinit.trunc_normal(sh, mean, std, a, b, seed=seed, full_shape=shape, index=idx)
        assert_same_bits(sh, out[idx])


@FAST
@given(dt=dtypes, shape=shapes, seed=seeds, mean=st.floats(-100, 100), std=st.floats(0, 100))
def test_normal_finite_and_reproducible(dt, shape, seed, mean, std):
    a = fastinit.normal(np.empty(shape, dt), mean, std, seed=seed)
    b = fastinit.normal(np.empty(shape, dt), mean, std, seed=seed)
    assert np.all(np.isfinite(a.astype(np.float64)))
    assert_same_bits(a, b)


# ---- (c) thread count and backend ---------------------------------------------------------------

ALL_SCHEMES = dict(SCHEMES, random_raw=_raw)
big_shapes = st.tuples(st.integers(1, 700), st.integers(190, 700))


@settings(FAST, max_examples=30)
@given(
    name=st.sampled_from(sorted(ALL_SCHEMES)),
    dt=dtypes,
    shape=big_shapes,
    seed=seeds,
    transpose=st.booleans(),
    step=st.sampled_from([1, 2, -1]),
)
def test_thread_count_does_not_matter(name, dt, shape, seed, transpose, step):
    fn = ALL_SCHEMES[name]
    if name == "random_raw":
        dt = np.dtype(np.uint32)
    results = []
    for n in (1, 2, 3):
        with threads(n):
            base = np.empty((shape[0], shape[1] * abs(step)), dt)
            view = base[:, ::step]
            if transpose:
                view = view.T
            fn(view, seed)
            results.append(view.copy())
            # a shard under this thread count too
            sh = np.empty(((shape[0] + 1) // 2, shape[1]), dt)
            fn(sh, seed, full_shape=shape, index=(slice(None, None, 2),))
            results.append(sh)
    for r in results[2::2]:
        assert_same_bits(r, results[0])
    for r in results[3::2]:
        assert_same_bits(r, results[1])


@pytest.mark.slow
@pytest.mark.skipif(not has_numba(), reason="numba is not installed")
@settings(FAST, max_examples=40)
@given(
    name=st.sampled_from(sorted(ALL_SCHEMES) + sorted(FAN_SCHEMES)),
    dt=dtypes,
    vb=st.data(),
    seed=seeds,
    nthreads=st.sampled_from([1, 2, 3]),
    big=st.booleans(),
)
def test_numba_backend_equals_core(name, dt, vb, seed, nthreads, big):
    fn = ALL_SCHEMES.get(name) or FAN_SCHEMES[name]
    if name == "random_raw":
        dt = np.dtype(np.uint32)
    shape_st = big_shapes if big else st.lists(st.integers(0, 5), min_size=2, max_size=4).map(tuple)
    shape = vb.draw(shape_st)
    index = vb.draw(shard_indices(shape))
    active = fastinit.info()["backend"]
    with backend("core"):
        whole = fill_new(fn, shape, dt, seed)
        part = np.asarray(whole[index])
    with backend("numba"), threads(nthreads):
        got_whole = fill_new(fn, shape, dt, seed)
        got_part = fn(np.empty(part.shape, dt), seed, full_shape=shape, index=index)
        base = np.empty(shape[::-1], dt)
        got_t = fn(base.T, seed)
    assert fastinit.info()["backend"] == active
    assert_same_bits(got_whole, whole)
    assert_same_bits(got_part, part)
    assert_same_bits(got_t, whole)


# ---- (d) invalid calls change nothing -------------------------------------------------------------

NAN, INF = math.nan, math.inf

# (description, call(out, seed) -> None); every one must raise TypeError or ValueError.
BAD_CALLS = [
    ("uniform low nan", lambda o, s: fastinit.uniform(o, NAN, 1.0, seed=s)),
    ("uniform high nan", lambda o, s: fastinit.uniform(o, 0.0, NAN, seed=s)),
    ("uniform low -inf", lambda o, s: fastinit.uniform(o, -INF, 1.0, seed=s)),
    ("uniform high inf", lambda o, s: fastinit.uniform(o, 0.0, INF, seed=s)),
    ("uniform low > high", lambda o, s: fastinit.uniform(o, 1.0, 0.5, seed=s)),
    (
        "uniform no value between",
        lambda o, s: fastinit.uniform(o, 0.1, float(np.nextafter(0.1, 1.0)), seed=s),
    ),
    ("uniform str param", lambda o, s: fastinit.uniform(o, "0", 1.0, seed=s)),
    ("uniform complex param", lambda o, s: fastinit.uniform(o, 0j, 1.0, seed=s)),
    (
        "uniform beyond the dtype",
        lambda o, s: fastinit.uniform(o, -1e300 if o.dtype != np.float64 else -INF, 1.0, seed=s),
    ),
    (
        "uniform span overflows",
        lambda o, s: (
            fastinit.uniform(
                o,
                -6e4 if o.itemsize == 2 and o.dtype == np.float16 else -3e38,
                6e4 if o.dtype == np.float16 else 3e38,
                seed=s,
            )
            if o.dtype != np.float64
            else fastinit.uniform(o, -1.7e308, 1.7e308, seed=s)
        ),
    ),
    ("normal mean nan", lambda o, s: fastinit.normal(o, NAN, 1.0, seed=s)),
    ("normal mean inf", lambda o, s: fastinit.normal(o, INF, 1.0, seed=s)),
    ("normal std nan", lambda o, s: fastinit.normal(o, 0.0, NAN, seed=s)),
    ("normal std inf", lambda o, s: fastinit.normal(o, 0.0, INF, seed=s)),
    ("normal std < 0", lambda o, s: fastinit.normal(o, 0.0, -1.0, seed=s)),
    ("normal std -tiny", lambda o, s: fastinit.normal(o, 0.0, -5e-324, seed=s)),
    ("normal overflow", lambda o, s: fastinit.normal(o, 0.0, 1e308, seed=s)),
    ("trunc a >= b", lambda o, s: fastinit.trunc_normal(o, 0.0, 1.0, 1.0, 1.0, seed=s)),
    ("trunc a > b", lambda o, s: fastinit.trunc_normal(o, 0.0, 1.0, 2.0, -2.0, seed=s)),
    ("trunc a nan", lambda o, s: fastinit.trunc_normal(o, 0.0, 1.0, NAN, 2.0, seed=s)),
    ("trunc b nan", lambda o, s: fastinit.trunc_normal(o, 0.0, 1.0, -2.0, NAN, seed=s)),
    ("trunc mean nan", lambda o, s: fastinit.trunc_normal(o, NAN, 1.0, -2.0, 2.0, seed=s)),
    ("trunc std < 0", lambda o, s: fastinit.trunc_normal(o, 0.0, -1.0, -2.0, 2.0, seed=s)),
    ("trunc std inf", lambda o, s: fastinit.trunc_normal(o, 0.0, INF, -2.0, 2.0, seed=s)),
    ("trunc a=b=inf", lambda o, s: fastinit.trunc_normal(o, 0.0, 1.0, INF, INF, seed=s)),
    ("trunc far beyond", lambda o, s: fastinit.trunc_normal(o, 0.0, 1.0, 1e20, 2e20, seed=s)),
    ("kaiming bad mode", lambda o, s: fastinit.kaiming_uniform(o, mode="fan_avg", seed=s)),
    ("kaiming bad mode 2", lambda o, s: fastinit.kaiming_normal(o, mode="fan", seed=s)),
    (
        "kaiming bad nonlinearity",
        lambda o, s: fastinit.kaiming_uniform(o, nonlinearity="swish", seed=s),
    ),
    ("kaiming a nan", lambda o, s: fastinit.kaiming_uniform(o, a=NAN, seed=s)),
    ("xavier gain nan", lambda o, s: fastinit.xavier_uniform(o, gain=NAN, seed=s)),
    ("xavier gain inf", lambda o, s: fastinit.xavier_normal(o, gain=INF, seed=s)),
    ("variance_scaling bad mode", lambda o, s: fastinit.variance_scaling(o, 1.0, "fanin", seed=s)),
    (
        "variance_scaling bad distribution",
        lambda o, s: fastinit.variance_scaling(o, 1.0, "fan_in", "gamma", seed=s),
    ),
    ("variance_scaling scale < 0", lambda o, s: fastinit.variance_scaling(o, -1.0, seed=s)),
    ("variance_scaling scale nan", lambda o, s: fastinit.variance_scaling(o, NAN, seed=s)),
    ("orthogonal gain nan", lambda o, s: fastinit.orthogonal(o, NAN, seed=s)),
    ("sparse sparsity > 1", lambda o, s: fastinit.sparse(o, 1.5, seed=s)),
    ("sparse std < 0", lambda o, s: fastinit.sparse(o, 0.1, -0.1, seed=s)),
    ("index without full_shape", lambda o, s: fastinit.uniform(o, seed=s, index=(0,))),
    (
        "full_shape mismatch",
        lambda o, s: fastinit.uniform(
            o, seed=s, full_shape=tuple(d + 1 for d in o.shape) + (3,), index=(0,) * o.ndim
        ),
    ),
    (
        "index out of range",
        lambda o, s: fastinit.normal(o, seed=s, full_shape=(2,) + o.shape, index=(5,)),
    ),
    ("bad full_shape", lambda o, s: fastinit.uniform(o, seed=s, full_shape=(-1,), index=())),
]
BAD_SEEDS = [-1, 2**64, 1.5, "0", True, [1], NAN, np.float64(3.0)]
BAD_ARRAYS = [
    "readonly",
    "int32",
    "int64",
    "uint8",
    "complex64",
    "bool",
    "object",
    "byteswapped",
    "broadcast",
]


def _make_bad_array(kind: str, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    n = max(1, math.prod(shape))
    if kind == "readonly":
        a = np.arange(n, dtype=np.float64).astype(dt)[: math.prod(shape)].reshape(shape)
        a.setflags(write=False)
        return a
    if kind == "byteswapped":
        return (
            np.arange(n, dtype=np.float64)[: math.prod(shape)]
            .reshape(shape)
            .astype(np.dtype(np.float32).newbyteorder())
        )
    if kind == "broadcast":
        return np.broadcast_to(np.arange(1.0, dtype=np.float32), (3, 2))
    if kind == "object":
        return np.full(shape, 1.5, dtype=object)
    return (np.arange(n) % 3)[: math.prod(shape)].reshape(shape).astype(kind)


def _snapshot(a: np.ndarray) -> bytes:
    return a.tobytes() if a.dtype != object else repr(a.tolist()).encode()


nonempty_2d_plus = st.lists(st.integers(1, 5), min_size=2, max_size=2).map(tuple)


@settings(FAST, max_examples=400)
@given(
    case=st.sampled_from(BAD_CALLS),
    dt=dtypes,
    shape=nonempty_2d_plus,
    use_gen=st.booleans(),
    gen_stream=streams,
    seed=seeds,
    view=st.booleans(),
)
def test_invalid_params_raise_and_change_nothing(case, dt, shape, use_gen, gen_stream, seed, view):
    _, call = case
    base = np.full((shape[0], shape[1] * 2), 0.75, dt)
    out = base[:, ::-2] if view else base[:, : shape[1]]
    before = base.tobytes()
    gen = fastinit.Generator(seed, stream=gen_stream)
    with pytest.raises((TypeError, ValueError)):
        call(out, gen if use_gen else seed)
    assert base.tobytes() == before
    assert gen.stream == gen_stream


ALL_CALLS = [
    ("uniform", lambda o, s: fastinit.uniform(o, -1.0, 1.0, seed=s)),
    ("normal", lambda o, s: fastinit.normal(o, 0.0, 1.0, seed=s)),
    ("trunc_normal", lambda o, s: fastinit.trunc_normal(o, seed=s)),
    ("xavier_uniform", lambda o, s: fastinit.xavier_uniform(o, seed=s)),
    ("kaiming_normal", lambda o, s: fastinit.kaiming_normal(o, seed=s)),
    ("lecun_uniform", lambda o, s: fastinit.lecun_uniform(o, seed=s)),
    ("variance_scaling", lambda o, s: fastinit.variance_scaling(o, seed=s)),
    ("orthogonal", lambda o, s: fastinit.orthogonal(o, seed=s)),
    ("sparse", lambda o, s: fastinit.sparse(o, 0.5, seed=s)),
    ("constant", lambda o, s: fastinit.constant(o, 0.5)),
    ("zeros", lambda o, s: fastinit.zeros(o)),
    ("eye", lambda o, s: fastinit.eye(o)),
    (
        "uniform shard",
        lambda o, s: fastinit.uniform(o, seed=s, full_shape=o.shape, index=(slice(None),) * o.ndim),
    ),
]


@settings(FAST, max_examples=300)
@given(
    case=st.sampled_from(ALL_CALLS),
    kind=st.sampled_from(BAD_ARRAYS),
    dt=dtypes,
    shape=nonempty_2d_plus,
    gen_stream=streams,
    seed=seeds,
)
def test_invalid_arrays_raise_and_change_nothing(case, kind, dt, shape, gen_stream, seed):
    _, call = case
    out = _make_bad_array(kind, shape, dt)
    before = _snapshot(out)
    gen = fastinit.Generator(seed, stream=gen_stream)
    with pytest.raises((TypeError, ValueError)):
        call(out, gen)
    assert _snapshot(out) == before
    assert gen.stream == gen_stream


@settings(FAST, max_examples=200)
@given(
    case=st.sampled_from([c for c in ALL_CALLS if c[0] not in ("constant", "zeros", "eye")]),
    bad=st.sampled_from(BAD_SEEDS),
    dt=dtypes,
    shape=nonempty_2d_plus,
)
def test_invalid_seeds_raise_and_change_nothing(case, bad, dt, shape):
    _, call = case
    out = np.full(shape, 0.75, dt)
    before = out.tobytes()
    with pytest.raises((TypeError, ValueError)):
        call(out, bad)
    assert out.tobytes() == before


@FEW
@given(
    bad_seed=st.sampled_from(BAD_SEEDS[:5] + [2**70]),
    bad_stream=st.sampled_from([-1, 2**32, 1.0, "1", None]),
)
def test_invalid_generator_arguments(bad_seed, bad_stream):
    with pytest.raises((TypeError, ValueError)):
        fastinit.Generator(bad_seed)
    with pytest.raises((TypeError, ValueError)):
        fastinit.Generator(0, stream=bad_stream)


@FEW
@given(dt=dtypes, shape=nonempty_2d_plus, n=st.sampled_from([0, -1, -3, 1.5, "2", None]))
def test_invalid_thread_counts_change_nothing(dt, shape, n):
    before = fastinit.get_num_threads()
    with pytest.raises((TypeError, ValueError)):
        fastinit.set_num_threads(n)
    assert fastinit.get_num_threads() == before
    a = fastinit.uniform(np.empty(shape, dt), seed=3)
    with threads(1):
        b = fastinit.uniform(np.empty(shape, dt), seed=3)
    assert_same_bits(a, b)
