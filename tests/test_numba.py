"""The Numba backend (fastinit/_backends/numba/) writes exactly the compiled core's bits, and the
backend selection (fastinit/_backends/dispatch.py) does what docs/backends.md says.

Bit comparisons call both backends' fill functions directly (not through the active backend),
so they test Numba against the core whatever ``--backend`` says; they need both installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from kernel_cases import KERNEL_CASES  # noqa: E402

import fastinit  # noqa: E402
from fastinit._backends import dispatch as B  # noqa: E402
from fastinit._backends import numba as N  # noqa: E402
from fastinit._backends.codes import Scheme, dtype_code
from fastinit._input.dtypes import resolve_dtype  # noqa: E402
from fastinit._random.plans import inward_bounds  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


SCHEMES = KERNEL_CASES
DTYPES = ["float32", "float64", "float16", "bfloat16"]
SIZES = [1, 3, 5, 31, 1000, 4099]
FIRSTS = [0, 1, 3, 6, 2**32 + 5, 2**33 + 5, 2**62 + 1]


def _dt(scheme, dtype):
    return np.dtype(np.uint32) if scheme == "raw" else resolve_dtype(dtype)


def _schemes_dtypes():
    for scheme in sorted(SCHEMES):
        for dtype in ["uint32"] if scheme == "raw" else DTYPES:
            yield scheme, dtype


def _core():
    return pytest.importorskip("fastinit._core")


def _pair(kind, arr_core, arr_numba, params, seed=7, stream=3, extra=0, first=0, threads=2):
    """Fill arr_core with the core and arr_numba with Numba (same logical request)."""
    core = _core()
    core.fill(kind, dtype_code(arr_core.dtype), arr_core, seed, stream, extra, first, params)
    N.fill(kind, arr_numba, seed, stream, params, extra=extra, first=first, threads=threads)


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def assert_same_bits(got, want, what):
    g, w = _bits(got).ravel(), _bits(want).ravel()
    bad = np.flatnonzero(g != w)
    assert bad.size == 0, (
        f"{what}: {bad.size} of {g.size} differ, first at {bad[:5]}: "
        f"numba {[hex(int(v)) for v in g[bad[:5]]]} core "
        f"{[hex(int(v)) for v in w[bad[:5]]]}"
    )


# ---- bits: Numba == core ----------------------------------------------------------------------


@pytest.mark.parametrize("scheme,dtype", list(_schemes_dtypes()))
def test_contiguous_sizes_offsets(scheme, dtype):
    kind, make = SCHEMES[scheme]
    dt = _dt(scheme, dtype)
    params = make(dt)
    for extra in (0, 1):
        for first in FIRSTS:
            for n in SIZES:
                want, got = np.empty(n, dt), np.empty(n, dt)
                _pair(kind, want, got, params, extra=extra, first=first)
                assert_same_bits(got, want, f"{scheme} {dtype} n={n} first={first} extra={extra}")


@pytest.mark.parametrize("scheme,dtype", list(_schemes_dtypes()))
def test_strided_views(scheme, dtype):
    kind, make = SCHEMES[scheme]
    dt = _dt(scheme, dtype)
    params = make(dt)
    base = np.zeros((37, 41, 3), dt)
    views = {
        "negative rows": lambda a: a[::-1],
        "negative step 2": lambda a: a[::-2, :, 1],
        "transpose": lambda a: a.transpose(2, 0, 1),
        "transpose 2d": lambda a: a[:, :, 0].T,
        "columns": lambda a: a[:, 3:40:7, :],
        "everything negative": lambda a: a[::-3, ::-2, ::-1],
        "one column": lambda a: a[5, :, 2],
        "0-d": lambda a: a[3, 4, 1, ...],
    }
    for name, view in views.items():
        a, b = base.copy(), base.copy()
        va, vb = view(a), view(b)
        for first in (0, 3, 2**33 + 5):
            _pair(kind, va, vb, params, first=first)
            assert_same_bits(b, a, f"{scheme} {dtype} {name} first={first}")  # untouched too


@pytest.mark.parametrize("scheme", ["uniform", "normal", "trunc_wide", "raw", "constant"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("threads", [1, 2, 3, 5])
def test_thread_shares(scheme, dtype, threads):
    """Sizes and shapes where the threads' shares start mid-tile and mid-row."""
    if scheme == "raw" and dtype != "float32":
        pytest.skip("raw words have one dtype")
    kind, make = SCHEMES[scheme]
    dt = _dt(scheme, dtype)
    params = make(dt)
    for n in (65536 * 2 + 1, 300_001):
        want, got = np.empty(n, dt), np.empty(n, dt)
        _pair(kind, want, got, params, first=5, threads=threads)
        assert_same_bits(got, want, f"{scheme} {dtype} n={n} threads={threads}")
    a, b = np.zeros((701, 3, 301), dt), np.zeros((701, 3, 301), dt)
    _pair(kind, a[::-1, 1, ::2], b[::-1, 1, ::2], params, threads=threads)
    assert_same_bits(b, a, f"{scheme} {dtype} strided threads={threads}")


def test_seed_stream_extra_extremes():
    for seed, stream, extra in [(0, 0, 0), (2**64 - 1, 2**32 - 1, 2**32 - 1), (2**32, 1, 7)]:
        for dt in (np.dtype(np.uint32),):
            want, got = np.empty(999, dt), np.empty(999, dt)
            _pair(Scheme.RAW, want, got, [], seed=seed, stream=stream, extra=extra, first=2**62 + 1)
            assert_same_bits(got, want, f"raw seed={seed} stream={stream} extra={extra}")


def test_unaligned_strides_fallback():
    """A view whose strides are not multiples of its itemsize (not reachable through the
    public API, which asks for aligned arrays) is filled through a contiguous copy."""
    buf = np.zeros(4 * 100 + 8, np.uint8)
    view = np.ndarray((50,), np.float32, buffer=buf, offset=1, strides=(6,))
    params = list(inward_bounds(-1.0, 1.0, np.dtype(np.float32)))
    N.fill(Scheme.UNIFORM, view, 3, 4, params, first=9, threads=2)
    want = np.empty(50, np.float32)
    _core().fill(Scheme.UNIFORM, 0, want, 3, 4, 0, 9, params)
    assert_same_bits(np.array(view), want, "unaligned view")


def test_public_functions_on_numba(monkeypatch):
    """The public schemes give the same bits through either backend."""
    _core()
    calls = [
        lambda: fastinit.kaiming_normal((64, 33), dtype="bfloat16", seed=4),
        lambda: fastinit.trunc_normal((1001,), std=0.02, seed=5, dtype="float16"),
        lambda: fastinit.sparse((40, 30), sparsity=0.3, seed=6),
        lambda: fastinit.orthogonal((20, 12), seed=7, dtype="float64"),
        lambda: fastinit.xavier_uniform(np.empty((9, 7), np.float32).T, seed=8),
        lambda: fastinit.random_raw((77,), seed=9),
    ]
    before = fastinit.info()["backend"]
    try:
        results = {}
        for name in ("core", "numba"):
            fastinit.set_backend(name)
            results[name] = [np.ascontiguousarray(c()) for c in calls]
    finally:
        fastinit.set_backend(before)
    for i, (a, b) in enumerate(zip(results["core"], results["numba"])):
        assert_same_bits(b, a, f"public call {i}")


# ---- Philox known answers on the Numba path ---------------------------------------------------


@pytest.mark.parametrize(
    "ctr,key,expected",
    [
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ],
    ids=["zeros", "ones", "pi"],
)
def test_kat_numba(ctr, key, expected):
    out = np.empty(4, np.uint32)
    u = np.uint64
    N._philox_blocks(out, u(ctr[0] | ctr[1] << 32), 1, u(key[0]), u(key[1]), u(ctr[2]), u(ctr[3]))
    assert tuple(int(v) for v in out) == expected


@numba.njit(cache=False)
def _half_reference(x):
    """csrc/include/fastinit/halfconv.h's float_to_half, branch for branch, on the bits x of a float32."""
    u = np.uint64
    sign = (x >> u(16)) & u(0x8000)
    x &= u(0x7FFFFFFF)
    if x > u(0x7F800000):
        return sign | u(0x7E00)
    if x >= u(0x477FF000):
        return sign | u(0x7C00)
    if x < u(0x38800000):
        if x < u(0x33000000):
            return sign
        e = x >> u(23)
        m = (x & u(0x007FFFFF)) | u(0x00800000)
        shift = u(126) - e
        kept = m >> shift
        rem = m & ((u(1) << shift) - u(1))
        half = u(1) << (shift - u(1))
        up = u(1) if (rem > half or (rem == half and (kept & u(1)) != u(0))) else u(0)
        return sign | (kept + up)
    x -= u(0x38000000)
    x += u(0x0FFF) + ((x >> u(13)) & u(1))
    return sign | (x >> u(13))


@numba.njit(parallel=True, cache=False)
def _half_mismatches(lo, hi, chunks):
    bad = 0
    step = (hi - lo + chunks - 1) // chunks
    for c in numba.prange(chunks):
        for b in range(lo + c * step, min(hi, lo + (c + 1) * step)):
            w = np.uint32(b)
            if N._half_bits(N._bits_f32(w)) != _half_reference(np.uint64(w)):
                bad += 1
    return bad


@pytest.mark.slow
def test_half_conversion_exhaustive():
    """Numba's select-only float32 -> float16 equals halfconv.h's for all 2**32 inputs."""
    assert _half_mismatches(0, 2**32, 64) == 0


def test_half_conversion_samples():
    """... and agrees with NumPy's conversion (RNE, subnormals, overflow) off NaN."""
    rng = np.random.default_rng(0)
    bits = np.concatenate(
        [
            rng.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32),
            np.float32(
                [
                    0.0,
                    -0.0,
                    65504.0,
                    65519.99,
                    65520.0,
                    2.0**-24,
                    2.0**-25,
                    2.0**-25 * 1.5,
                    2.0**-14,
                    np.inf,
                    -np.inf,
                    1e-8,
                    3e-5,
                    -6.1e-5,
                ]
            ).view(np.uint32),
        ]
    )
    x = bits.view(np.float32)
    x = x[~np.isnan(x)]
    got = np.array([N._half_bits(v) for v in x], np.uint16)
    with np.errstate(over="ignore"):
        want = x.astype(np.float16).view(np.uint16)
    assert np.array_equal(got, want)
    assert _half_mismatches(0x33000000 - 5, 0x38800000 + 5, 4) == 0  # every subnormal input
    assert _half_mismatches(0x477FF000 - 5000, 0x477FF000 + 5000, 4) == 0  # overflow edge
    assert _half_mismatches(0x7F800000 - 5000, 0x7F800000 + 5000, 4) == 0  # inf, NaN


# ---- threads ---------------------------------------------------------------------------------


def test_numba_thread_count_follows_the_request():
    """numba.set_num_threads is called per fill: the request, capped at Numba's pool."""
    pool = numba.config.NUMBA_NUM_THREADS
    big = np.empty(1 << 20, np.float32)  # 16 shares of 2**16 elements
    for threads in (2, 3, 10_000):
        N.fill(Scheme.UNIFORM, big, 0, 0, [0.0, 1.0], threads=threads)
        assert numba.get_num_threads() == min(threads, 16, pool)


# ---- selection ---------------------------------------------------------------------------------


def test_import_warning(import_warnings):
    """Exactly one fallback warning when the core is missing (and no backend was asked for);
    none when it imports."""
    fallback = [w for w in import_warnings if "the compiled core is unavailable" in str(w.message)]
    if B._core is None and not os.environ.get("FASTINIT_BACKEND"):
        assert len(fallback) == 1, [str(w.message) for w in import_warnings]
        assert fallback[0].category is RuntimeWarning
        assert "using the Numba backend" in str(fallback[0].message)
        assert B.backend_name() == "numba"
    else:
        assert fallback == []


def test_set_backend_round_trip():
    before = fastinit.info()["backend"]
    try:
        fastinit.set_backend("numba")
        assert fastinit.info()["backend"] == "numba"
        assert fastinit.info()["simd"] == "numba"
        if B._core is not None:
            fastinit.set_backend("CORE")
            assert fastinit.info()["backend"] == "core"
            assert fastinit.info()["simd"] in ("scalar", "avx2", "avx512")
        for bad, exc in (
            ("torch", ValueError),
            ("", ValueError),
            (None, TypeError),
            (1, TypeError),
        ):
            with pytest.raises(exc, match="backend"):
                fastinit.set_backend(bad)
        assert fastinit.info()["backend"] in ("core", "numba")
    finally:
        fastinit.set_backend(before)


_BLOCKER = """
import sys
from importlib.abc import MetaPathFinder
BLOCKED = {blocked!r}
class _Block(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED or name in BLOCKED:
            raise ModuleNotFoundError(f"{{name}} blocked for this test", name=name)
sys.meta_path.insert(0, _Block())
"""


def _child(tmp_path, code, blocked=(), backend=None):
    """Run `code` in a fresh interpreter with the modules in `blocked` made unimportable."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_BLOCKER.format(blocked=set(blocked)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site)] + [p for p in sys.path if p])
    env.pop("FASTINIT_BACKEND", None)
    if backend is not None:
        env["FASTINIT_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-W", "default", "-c", textwrap.dedent(code)],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_fallback_in_a_fresh_process(tmp_path):
    r = _child(
        tmp_path,
        """
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            import fastinit
        msgs = [str(x.message) for x in w if issubclass(x.category, RuntimeWarning)]
        assert len(msgs) == 1 and "using the Numba backend" in msgs[0], msgs
        info = fastinit.info()
        assert (info["backend"], info["simd"]) == ("numba", "numba"), info
        fastinit.set_num_threads(3)
        assert fastinit.get_num_threads() == 3
        print(fastinit.uniform((4,), seed=1).tobytes().hex())
        try:
            fastinit.set_backend("core")
        except ImportError as exc:
            assert "'core'" in str(exc), exc
        else:
            raise AssertionError("set_backend('core') without a core")
    """,
        blocked={"fastinit._core"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == fastinit.uniform((4,), seed=1).tobytes().hex()


def test_default_threads_without_core(tmp_path):
    r = _child(
        tmp_path,
        """
        import os, warnings
        warnings.simplefilter("ignore")
        import fastinit
        print(fastinit.get_num_threads(), len(os.sched_getaffinity(0)))
    """,
        blocked={"fastinit._core"},
    )
    assert r.returncode == 0, r.stderr
    a, b = r.stdout.split()
    assert a == b


def test_env_chooses_numba(tmp_path):
    r = _child(
        tmp_path,
        """
        import warnings
        warnings.simplefilter("error")  # an explicit choice does not warn
        import fastinit
        print(fastinit.info()["backend"])
    """,
        backend="numba",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "numba"


def test_env_core_without_core_raises(tmp_path):
    r = _child(tmp_path, "import fastinit", blocked={"fastinit._core"}, backend="core")
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "backend 'core'" in r.stderr, r.stderr


def test_numba_missing(tmp_path):
    """Without Numba the package imports (the core does not need it, nor imports it); asking
    for Numba then raises an ImportError that names it."""
    if B._core is None:
        pytest.skip("needs the core")
    r = _child(
        tmp_path,
        """
        import sys
        import fastinit
        assert "numba" not in sys.modules
        assert fastinit.info()["backend"] == "core"
        fastinit.uniform((3,), seed=0)
        try:
            fastinit.set_backend("numba")
        except ImportError as exc:
            assert "'numba'" in str(exc) and "fastinit[numba]" in str(exc), exc
        else:
            raise AssertionError("set_backend('numba') without numba")
        print("ok")
    """,
        blocked={"numba"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
    r = _child(tmp_path, "import fastinit", blocked={"numba"}, backend="numba")
    assert r.returncode != 0 and "backend 'numba'" in r.stderr, r.stderr


def test_no_backend_at_all(tmp_path):
    r = _child(
        tmp_path,
        """
        import fastinit
        assert fastinit.info()["backend"] == "none", fastinit.info()
        assert fastinit.get_num_threads() >= 1
        try:
            fastinit.uniform((3,), seed=0)
        except ImportError as exc:
            assert "fastinit[numba]" in str(exc), exc
        else:
            raise AssertionError("a fill without any backend")
        print("ok")
    """,
        blocked={"fastinit._core", "numba"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
