"""Every SIMD path gives exactly the scalar reference's bits (lane by lane), at every size,
alignment and stream offset, and both agree with the NumPy reference of the stream."""

from __future__ import annotations

import numpy as np
import pytest
import reference as R
from kernel_cases import KERNEL_CASES

import fastinit
from fastinit._backends import dispatch as B
from fastinit._backends.codes import Scheme
from fastinit._input.dtypes import resolve_dtype
from fastinit._random.plans import inward_bounds, trunc_normal_constants, trunc_normal_params

core = pytest.importorskip("fastinit._core")

_DEFAULT = core.simd_level()
PATHS = [p for p in ("scalar", "avx2", "avx512") if core.set_simd_level(p)]
core.set_simd_level(_DEFAULT)


@pytest.fixture(autouse=True)
def _restore_simd():
    before = core.simd_level()
    yield
    core.set_simd_level(before)


# constant is not a SIMD kernel of its own (it is a pattern fill)
SCHEMES = {k: v for k, v in KERNEL_CASES.items() if k != "constant"}
DTYPES = ["float32", "float64", "float16", "bfloat16"]
SIZES = [1, 5, 31, 32, 33, 64, 127, 129, 1000, 4099]
FIRSTS = [0, 1, 3, 6, 2**32 + 5, 2**34 - 3, 2**62 + 1]


def _aligned_empty(n, dt, align=64):
    """An uninitialized array of n elements whose data starts on an `align`-byte boundary
    (NumPy's own large arrays start 16 bytes past one, so streaming stores would not reach
    them)."""
    raw = np.empty(n * dt.itemsize + align, np.uint8)
    off = -raw.ctypes.data % align
    out = raw[off : off + n * dt.itemsize].view(dt)
    assert out.ctypes.data % align == 0
    return out


def _fill(path, kind, dt, n, first, params, seed=7, stream=3, aligned=False):
    assert core.set_simd_level(path)
    out = _aligned_empty(n, dt) if aligned else np.empty(n, dt)
    B.fill(kind, out, seed, stream, params, first=first)
    return out.view(np.uint8)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_paths_agree(scheme, dtype):
    kind, make = SCHEMES[scheme]
    dt = np.dtype(np.uint32) if scheme == "raw" else resolve_dtype(dtype)
    if scheme == "raw" and dtype != "float32":
        pytest.skip("raw words have one dtype")
    params = make(dt)
    for first in FIRSTS:
        for n in SIZES:
            results = [_fill(p, kind, dt, n, first, params) for p in PATHS]
            for p, r in zip(PATHS[1:], results[1:]):
                assert np.array_equal(results[0], r), (scheme, dtype, p, n, first)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("first", [0, 3, 2**33 + 1])
def test_paths_match_reference(path, first):
    n = 2053
    for dtype in ("float32", "float64"):
        dt = np.dtype(dtype)
        lo, hi = inward_bounds(-0.3, 0.7, dt)
        got = _fill(path, Scheme.UNIFORM, dt, n, first, [lo, hi]).view(dt)
        want = R.uniform(n, lo, hi, dt, seed=7, stream=3, start=first)
        assert np.array_equal(got.view(np.uint8), np.asarray(want, dt).view(np.uint8))
        got = _fill(path, Scheme.NORMAL, dt, n, first, [0.25, 1.5]).view(dt)
        want = R.normal(n, 0.25, 1.5, dt, seed=7, stream=3, start=first)
        assert np.array_equal(got.view(np.uint8), np.asarray(want, dt).view(np.uint8))
    words = _fill(path, Scheme.RAW, np.dtype(np.uint32), n, first, []).view(np.uint32)
    assert np.array_equal(words, R.words(7, 3, start=first, count=n))


def test_default_is_best_supported():
    assert _DEFAULT in PATHS
    assert fastinit.info()["simd"] == _DEFAULT
    assert _DEFAULT == PATHS[-1]  # the widest this CPU runs


def test_unknown_path_rejected():
    with pytest.raises(ValueError, match="'scalar', 'avx2' or 'avx512'"):
        core.set_simd_level("sse9")


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["uniform", "normal", "trunc_std", "trunc_onesided"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("first", [0, 5])
def test_streamed_sizes_agree(scheme, dtype, first):
    """Fills of at least 64 MiB use streaming stores where a tile of the output is 64-byte
    aligned (a cache-line-aligned array, first = 0); every path still gives the scalar bits."""
    kind, make = SCHEMES[scheme]
    dt = np.dtype(dtype)
    n = (64 << 20) // dt.itemsize + 37  # past the streaming threshold, odd tail
    params = make(dt)
    results = [_fill(p, kind, dt, n, first, params, aligned=True) for p in PATHS]
    for p, r in zip(PATHS[1:], results[1:]):
        assert np.array_equal(results[0], r), (scheme, dtype, p)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize(
    "mean,std,half", [(0.0, 1.0, 2.0), (0.5, 2.0, 1.0), (-3.0, 0.25, 1.5), (0.0, 0.02, 0.04)]
)
def test_centred_intervals_have_mirrored_branches(dtype, mean, std, half):
    """An interval centred on the mean gives two branches whose constants are equal but for
    SGN = -SGN, bit for bit once rounded to the compute type: the set-up the SIMD loops detect
    (csrc/include/fastinit/transforms.h, trunc_symmetric) to skip the per-lane selects."""
    dt = resolve_dtype(dtype)
    compute = np.float64 if dt == np.float64 else np.float32
    flat = np.asarray(
        trunc_normal_params(
            trunc_normal_constants(mean, std, mean - half * std, mean + half * std, dt)
        ),
        compute,
    )
    b0, b1 = flat[6:14].copy(), flat[14:22].copy()
    b1[7] = -b1[7]
    assert np.array_equal(b0.view(np.uint8), b1.view(np.uint8))
    lopsided = np.asarray(
        trunc_normal_params(
            trunc_normal_constants(mean, std, mean - half * std, mean + 1.5 * half * std, dt)
        ),
        compute,
    )
    assert not np.array_equal(lopsided[6:13], lopsided[14:21])
