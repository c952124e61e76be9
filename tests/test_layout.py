"""Values do not depend on memory layout, thread count or calling form (docs/stream.md 2, 9).

* A strided view gets exactly (bit for bit) the values of a C-contiguous array of its shape with
  the same seed, and the parts of the base array outside the view stay untouched.
* Every thread count gives the same bits, including sizes at the thread-split boundaries.
* The allocating form equals the in-place fill of ``np.empty`` of that shape and dtype.
* Generators hand out successive streams; ``manual_seed`` makes ``seed=None`` reproducible.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import ml_dtypes
import numpy as np
import pytest

import fastinit
import fastinit._random.generator

BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = {
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "float16": np.dtype(np.float16),
    "bfloat16": BF16,
}
UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}

ANY, FAN, TWO = {1, 2, 3, 4}, {2, 3, 4}, {2}
# name -> (fill(out, seed), allowed ndims). Every random scheme, plus a deterministic one.
SCHEMES = {
    "uniform": (lambda w, s: fastinit.uniform(w, -0.3, 0.7, seed=s), ANY),
    "normal": (lambda w, s: fastinit.normal(w, 0.5, 2.0, seed=s), ANY),
    "trunc_normal": (lambda w, s: fastinit.trunc_normal(w, 0.1, 0.5, -0.3, 0.8, seed=s), ANY),
    "trunc_normal_tail": (lambda w, s: fastinit.trunc_normal(w, 0.0, 1.0, 4.0, 6.0, seed=s), ANY),
    "xavier_uniform": (lambda w, s: fastinit.xavier_uniform(w, 1.3, seed=s), FAN),
    "xavier_normal": (lambda w, s: fastinit.xavier_normal(w, seed=s), FAN),
    "kaiming_uniform": (lambda w, s: fastinit.kaiming_uniform(w, seed=s), FAN),
    "kaiming_normal": (
        lambda w, s: fastinit.kaiming_normal(w, mode="fan_out", nonlinearity="relu", seed=s),
        FAN,
    ),
    "lecun_uniform": (lambda w, s: fastinit.lecun_uniform(w, seed=s), FAN),
    "lecun_normal": (lambda w, s: fastinit.lecun_normal(w, seed=s), FAN),
    "vs_trunc": (lambda w, s: fastinit.variance_scaling(w, 2.0, "fan_avg", seed=s), FAN),
    "vs_normal": (lambda w, s: fastinit.variance_scaling(w, 0.5, "fan_out", "normal", seed=s), FAN),
    "vs_uniform": (
        lambda w, s: fastinit.variance_scaling(w, 1.0, "fan_in", "uniform", seed=s),
        FAN,
    ),
    "orthogonal": (lambda w, s: fastinit.orthogonal(w, 1.5, seed=s), FAN),
    "sparse": (lambda w, s: fastinit.sparse(w, 0.3, 0.1, seed=s), TWO),
    "random_raw": (lambda w, s: fastinit.random_raw(w, seed=s), ANY),
    "constant": (lambda w, s: fastinit.constant(w, 0.1), ANY),
}
RANDOM = [k for k in SCHEMES if k != "constant"]


def dtype_for(scheme: str, dtname: str) -> np.dtype:
    return np.dtype(np.uint32) if scheme == "random_raw" else DTYPES[dtname]


def dtnames(scheme: str) -> list[str]:
    """random_raw has one dtype (uint32); the float schemes have four."""
    return ["uint32"] if scheme == "random_raw" else list(DTYPES)


def scheme_dtype_params(schemes) -> list:
    return [pytest.param(s, d, id=f"{s}-{d}") for s in schemes for d in dtnames(s)]


def bits(a: np.ndarray) -> np.ndarray:
    return a.view(UINT[a.dtype.itemsize])


def assert_same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(bits(a), bits(b)), int((bits(a) != bits(b)).sum())


def sentinel(dt: np.dtype):
    return np.uint32(0xDEADBEEF) if dt == np.uint32 else 7.0


# ---- strided views -----------------------------------------------------------------------------

# name -> (base shape, base order, view of base); 2-D or more so every scheme applies.
VIEWS = {
    "steps": ((20, 30), "C", lambda b: b[2:18:3, 1::2]),
    "negative_steps": ((20, 30), "C", lambda b: b[::-1, ::-3]),
    "negative_and_offset": ((20, 30), "C", lambda b: b[17:2:-2, 28::-5]),
    "transpose": ((20, 30), "C", lambda b: b.T),
    "transpose_sliced": ((20, 30), "C", lambda b: b[1:19, ::2].T),
    "fortran": ((12, 17), "F", lambda b: b),
    "fortran_slice": ((12, 17), "F", lambda b: b[::2, 3:]),
    "column_slice": ((40, 9), "C", lambda b: b[:, 3:4]),
    "columns": ((40, 9), "C", lambda b: b[:, 2:7]),
    "permuted_3d": ((4, 5, 6), "C", lambda b: b.transpose(2, 0, 1)),
    "permuted_3d_sliced": ((6, 8, 10), "C", lambda b: b.transpose(1, 2, 0)[::3, 1::2, ::-1]),
    "conv_4d_permuted": ((3, 3, 8, 16), "C", lambda b: b.transpose(3, 2, 0, 1)),  # HWIO->OIHW
    "1d_column": ((40, 9), "C", lambda b: b[:, 3]),
    "1d_negative": ((100,), "C", lambda b: b[::-7]),
}


def _view_ndim(view: str) -> int:
    shape, order, make = VIEWS[view]
    return make(np.empty(shape)).ndim


STRIDED_PARAMS = [
    pytest.param(s, v, d, id=f"{s}-{v}-{d}")
    for s in SCHEMES
    for v in VIEWS
    if _view_ndim(v) in SCHEMES[s][1]
    for d in dtnames(s)
]


@pytest.mark.parametrize("scheme,view,dtname", STRIDED_PARAMS)
def test_strided_view_equals_contiguous(scheme: str, view: str, dtname: str) -> None:
    fill, _ = SCHEMES[scheme]
    shape, order, make = VIEWS[view]
    dt = dtype_for(scheme, dtname)
    base = np.full(shape, sentinel(dt), dt, order=order)
    v = make(base)
    assert not v.flags.c_contiguous or view == "fortran"
    out = fill(v, 42)
    assert out is v
    ref = fill(np.empty(v.shape, dt), 42)
    assert_same(np.ascontiguousarray(v), ref)
    touched = np.zeros(shape, bool, order=order)
    make(touched)[...] = True
    assert (base[~touched] == sentinel(dt)).all()


# ---- thread counts ---------------------------------------------------------------------------


@pytest.fixture
def restore_threads():
    n = fastinit.get_num_threads()
    yield
    fastinit.set_num_threads(n)


THREADS = (1, 2, 3)  # 3: more than this machine's cores
SIZES = [2**16 - 1, 2**16, 2**16 + 1, 2**17 + 3, 3 * 2**16 + 1025]


def _shape_for(scheme: str, n: int) -> tuple[int, ...]:
    if scheme == "sparse":
        return (n, 1)  # the zero rows are a choice among n keys (argsort of the extra=1 stream)
    return (n,) if 1 in SCHEMES[scheme][1] else (1, n)


def _threaded(scheme: str, dtname: str, n: int) -> None:
    fill, _ = SCHEMES[scheme]
    dt = dtype_for(scheme, dtname)
    shape = _shape_for(scheme, n)
    outs = []
    for t in THREADS:
        fastinit.set_num_threads(t)
        assert fastinit.get_num_threads() == t
        outs.append(fill(np.empty(shape, dt), 2024))
    for o in outs[1:]:
        assert_same(o, outs[0])


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("scheme,dtname", scheme_dtype_params(SCHEMES))
def test_threads_same_values(scheme: str, dtname: str, n: int) -> None:
    _threaded(scheme, dtname, n)


@pytest.mark.slow
@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("scheme,dtname", scheme_dtype_params(SCHEMES))
def test_threads_same_values_3m(scheme: str, dtname: str) -> None:
    _threaded(scheme, dtname, 3_000_001)


THREAD_STRIDED = [
    pytest.param(s, k, d, id=f"{s}-{k}-{d}")
    for s in [
        "uniform",
        "normal",
        "trunc_normal",
        "random_raw",
        "constant",
        "sparse",
        "kaiming_uniform",
    ]
    for k in ["transpose", "1d_step", "negative"]
    if not (k == "1d_step" and 1 not in SCHEMES[s][1])
    for d in dtnames(s)
]


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("scheme,kind,dtname", THREAD_STRIDED)
def test_threads_strided(scheme: str, kind: str, dtname: str) -> None:
    """Large strided views: each thread's share starts mid-row, so the cursor's start position
    (not just its stepping) is exercised."""
    fill, _ = SCHEMES[scheme]
    dt = dtype_for(scheme, dtname)
    if kind == "transpose":
        shape, make = (263, 1001), (lambda b: b.T)  # 263263 elements, > 4 * 2**16
    elif kind == "1d_step":
        shape, make = (2 * (2**17 + 3),), (lambda b: b[1::2])
    else:
        shape, make = (301, 999), (lambda b: b[::-1, ::-2])  # 150500 elements
    ref = fill(np.empty(make(np.empty(shape, dt)).shape, dt), 77)
    for t in THREADS:
        fastinit.set_num_threads(t)
        base = np.full(shape, sentinel(dt), dt)
        v = make(base)
        fill(v, 77)
        assert_same(np.ascontiguousarray(v), ref)
        touched = np.zeros(shape, bool)
        make(touched)[...] = True
        assert (base[~touched] == sentinel(dt)).all()


def _child(code: str, env_threads: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "FASTINIT_NUM_THREADS"}
    if env_threads is not None:
        env["FASTINIT_NUM_THREADS"] = env_threads
    # Outside the source tree, so the child imports the installed package, not ./fastinit.
    r = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return r.stdout.strip()


def test_default_threads_is_affinity() -> None:
    out = _child(
        "import os, fastinit; print(fastinit.get_num_threads(), len(os.sched_getaffinity(0)))", None
    )
    got, want = out.split()
    assert got == want


def test_default_threads_follows_restricted_affinity() -> None:
    # The CPUs this process may run on, not the machine's: pin the child to one CPU first.
    out = _child(
        "import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
        "import fastinit; print(fastinit.get_num_threads())",
        None,
    )
    assert out == "1"


@pytest.mark.parametrize("value", ["1", "3"])
def test_env_sets_threads(value: str) -> None:
    out = _child(
        "import fastinit; print(fastinit.get_num_threads(), fastinit.info()['threads'])", value
    )
    assert out.split() == [value, value]


# ---- allocating form -----------------------------------------------------------------------

DTYPE_SPECS = [
    (None, np.dtype(np.float32)),
    ("float32", np.dtype(np.float32)),
    (np.float32, np.dtype(np.float32)),
    ("float64", np.dtype(np.float64)),
    (np.float64, np.dtype(np.float64)),
    (np.dtype("float64"), np.dtype(np.float64)),
    ("float16", np.dtype(np.float16)),
    (np.float16, np.dtype(np.float16)),
    ("bfloat16", BF16),
    (ml_dtypes.bfloat16, BF16),
    (BF16, BF16),
]

# the allocating calls: scheme -> call(shape, dtype, seed)
ALLOC = {
    "uniform": lambda s, d, k: fastinit.uniform(s, -0.3, 0.7, seed=k, dtype=d),
    "normal": lambda s, d, k: fastinit.normal(s, 0.5, 2.0, seed=k, dtype=d),
    "trunc_normal": lambda s, d, k: fastinit.trunc_normal(s, 0.1, 0.5, -0.3, 0.8, seed=k, dtype=d),
    "trunc_normal_tail": lambda s, d, k: fastinit.trunc_normal(
        s, 0.0, 1.0, 4.0, 6.0, seed=k, dtype=d
    ),
    "xavier_uniform": lambda s, d, k: fastinit.xavier_uniform(s, 1.3, seed=k, dtype=d),
    "xavier_normal": lambda s, d, k: fastinit.xavier_normal(s, seed=k, dtype=d),
    "kaiming_uniform": lambda s, d, k: fastinit.kaiming_uniform(s, seed=k, dtype=d),
    "kaiming_normal": lambda s, d, k: fastinit.kaiming_normal(
        s, mode="fan_out", nonlinearity="relu", seed=k, dtype=d
    ),
    "lecun_uniform": lambda s, d, k: fastinit.lecun_uniform(s, seed=k, dtype=d),
    "lecun_normal": lambda s, d, k: fastinit.lecun_normal(s, seed=k, dtype=d),
    "vs_trunc": lambda s, d, k: fastinit.variance_scaling(s, 2.0, "fan_avg", seed=k, dtype=d),
    "vs_normal": lambda s, d, k: fastinit.variance_scaling(
        s, 0.5, "fan_out", "normal", seed=k, dtype=d
    ),
    "vs_uniform": lambda s, d, k: fastinit.variance_scaling(
        s, 1.0, "fan_in", "uniform", seed=k, dtype=d
    ),
    "orthogonal": lambda s, d, k: fastinit.orthogonal(s, 1.5, seed=k, dtype=d),
    "sparse": lambda s, d, k: fastinit.sparse(s, 0.3, 0.1, seed=k, dtype=d),
    "constant": lambda s, d, k: fastinit.constant(s, 0.1, dtype=d),
    "zeros": lambda s, d, k: fastinit.zeros(s, dtype=d),
    "ones": lambda s, d, k: fastinit.ones(s, dtype=d),
    "eye": lambda s, d, k: fastinit.eye(s, dtype=d),
    "dirac": lambda s, d, k: fastinit.dirac(s, 2, dtype=d),
}
INPLACE = {
    **{k: v[0] for k, v in SCHEMES.items() if k in ALLOC},
    "zeros": lambda w, s: fastinit.zeros(w),
    "ones": lambda w, s: fastinit.ones(w),
    "eye": lambda w, s: fastinit.eye(w),
    "dirac": lambda w, s: fastinit.dirac(w, 2),
}
ALLOC_SHAPES = {"eye": [(6, 9)], "sparse": [(10, 7)], "dirac": [(4, 3, 3, 3), (6, 2, 5)]}
ONE_D = {"uniform", "normal", "trunc_normal", "trunc_normal_tail", "constant", "zeros", "ones"}


@pytest.mark.parametrize("spec,want", DTYPE_SPECS, ids=lambda x: getattr(x, "__name__", str(x)))
@pytest.mark.parametrize("scheme", list(ALLOC))
def test_allocating_form(scheme: str, spec, want: np.dtype) -> None:
    shapes = ALLOC_SHAPES.get(scheme, [(6, 9), (3, 4, 5), (2, 3, 2, 2)])
    if scheme in ONE_D:
        shapes = shapes + [(1000,), 1000, 7, np.int64(13)]
    for shape in shapes:
        a = ALLOC[scheme](shape, spec, 31)
        tshape = (int(shape),) if not isinstance(shape, tuple) else shape
        assert isinstance(a, np.ndarray) and a.dtype == want and a.shape == tshape
        assert a.flags.c_contiguous and a.flags.writeable
        ref = INPLACE[scheme](np.empty(tshape, want), 31)
        assert_same(a, ref)


def test_allocating_random_raw() -> None:
    for shape in [(5, 7), 1000, (3, 4, 5)]:
        a = fastinit.random_raw(shape, seed=9)
        tshape = shape if isinstance(shape, tuple) else (shape,)
        assert a.dtype == np.uint32 and a.shape == tshape
        assert_same(a, fastinit.random_raw(np.empty(tshape, np.uint32), seed=9))
    # element i is word i of the stream, whatever the shape
    assert_same(fastinit.random_raw((3, 4, 5), seed=9).ravel(), fastinit.random_raw(60, seed=9))


# ---- generators and the global seed --------------------------------------------------------


@pytest.fixture
def keep_global_generator(monkeypatch):
    """manual_seed replaces the global generator; put the original object back afterwards."""
    monkeypatch.setattr(
        fastinit._random.generator,
        "_default_generator",
        fastinit._random.generator._default_generator,
    )


GEN_SHAPE = (12, 10)


@pytest.mark.parametrize("scheme,dtname", scheme_dtype_params(RANDOM))
def test_generator_successive_streams(scheme: str, dtname: str) -> None:
    fill, _ = SCHEMES[scheme]
    dt = dtype_for(scheme, dtname)
    gen = fastinit.Generator(5)
    first = fill(np.empty(GEN_SHAPE, dt), gen)
    second = fill(np.empty(GEN_SHAPE, dt), gen)
    assert gen.stream == 2
    assert_same(first, fill(np.empty(GEN_SHAPE, dt), 5))  # int seed = stream 0
    assert_same(second, fill(np.empty(GEN_SHAPE, dt), fastinit.Generator(5, stream=1)))
    assert not np.array_equal(bits(first), bits(second))


@pytest.mark.usefixtures("keep_global_generator")
@pytest.mark.parametrize("scheme", RANDOM)
def test_manual_seed_reproducible(scheme: str) -> None:
    fill, _ = SCHEMES[scheme]
    dt = dtype_for(scheme, dtnames(scheme)[0])
    runs = []
    for _ in range(2):
        fastinit.manual_seed(123)
        runs.append([fill(np.empty(GEN_SHAPE, dt), None) for _ in range(2)])
    for a, b in zip(*runs):
        assert_same(a, b)
    assert not np.array_equal(bits(runs[0][0]), bits(runs[0][1]))
    assert_same(runs[0][0], fill(np.empty(GEN_SHAPE, dt), 123))
    assert_same(runs[0][1], fill(np.empty(GEN_SHAPE, dt), fastinit.Generator(123, stream=1)))


@pytest.mark.usefixtures("keep_global_generator")
def test_manual_seed_allocating_form() -> None:
    fastinit.manual_seed(2**64 - 1)
    a = fastinit.normal((100,))
    b = fastinit.normal((100,))
    assert_same(a, fastinit.normal((100,), seed=2**64 - 1))
    assert_same(b, fastinit.normal((100,), seed=fastinit.Generator(2**64 - 1, 1)))


# ---- empty arrays ----------------------------------------------------------------------------


EMPTY = [
    pytest.param(s, shape, id=f"{s}-{shape}")
    for s in SCHEMES
    for shape in [(0,), (0, 4), (4, 0), (2, 0, 3), (0, 3, 3, 3)]
    if len(shape) in SCHEMES[s][1]
]


@pytest.mark.parametrize("scheme,shape", EMPTY)
def test_empty_arrays_accepted(scheme: str, shape) -> None:
    """NumPy >= 2 gives empty arrays such as np.empty((0, 4)) zero strides. With no elements
    nothing is shared: every scheme must accept them (and write nothing)."""
    fill, _ = SCHEMES[scheme]
    dt = dtype_for(scheme, dtnames(scheme)[0])
    w = np.empty(shape, dt)
    assert fill(w, 1) is w
    assert w.shape == shape
