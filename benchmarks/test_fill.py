"""fastinit against NumPy and PyTorch: in-place fills of one big buffer, small arrays, allocation.

Groups (``benchmark.group``):

``{scheme}-{dtype}``     one buffer of FASTINIT_BENCH_SIZE elements, pages touched beforehand;
                         members fastinit, numpy (float32/float64, where NumPy has an equivalent)
                         and torch (torch.nn.init on a tensor of the same dtype, when installed)
``small-uniform-{dtype}`` 4096 elements: fastinit.uniform against Generator.random(out=)
``alloc-uniform-float32`` a fresh array per call (its page faults timed): fastinit.uniform(shape),
                         Generator.random(n, dtype=float32), np.empty + fastinit.uniform

The calls are fastinit/cli/peers.py's, the ones ``fastinit bench`` times.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")

import fastinit  # noqa: E402
from fastinit._input.dtypes import resolve_dtype  # noqa: E402
from fastinit.cli.bench import DEFAULT_SCHEMES  # noqa: E402
from fastinit.cli.peers import _fastinit_call, _matrix_shape, _numpy_call, _torch_call  # noqa: E402

DTYPES = ("float32", "float64", "float16", "bfloat16")
NUMPY_DTYPES = ("float32", "float64")
SMALL = 4096


def _has_numpy_peer(scheme: str, dtype: str) -> bool:
    return (
        dtype in NUMPY_DTYPES and _numpy_call(scheme, np.empty(1, resolve_dtype(dtype))) is not None
    )


def _fill_params() -> list:
    params = []
    for scheme in DEFAULT_SCHEMES:
        for dtype in DTYPES:
            libs = ["fastinit"] + (["numpy"] if _has_numpy_peer(scheme, dtype) else []) + ["torch"]
            params += [
                pytest.param(scheme, dtype, lib, id=f"{scheme}-{dtype}-{lib}") for lib in libs
            ]
    return params


def _touched(shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    buf = np.empty(shape, dt)
    fastinit.zeros(buf)  # fault every page in before anything is timed
    return buf


@pytest.mark.parametrize(("scheme", "dtype", "lib"), _fill_params())
def test_fill(benchmark, measure, bench_config, scheme: str, dtype: str, lib: str) -> None:
    benchmark.group = f"{scheme}-{dtype}"
    dt = resolve_dtype(dtype)
    shape = _matrix_shape(bench_config.size)
    buf = _touched(shape, dt)
    if lib == "torch":
        pytest.importorskip("torch")
        fn = _torch_call(scheme, buf)  # a tensor on the same memory
    else:
        fn = _fastinit_call(scheme, buf) if lib == "fastinit" else _numpy_call(scheme, buf)
    assert fn is not None
    measure(fn, library=lib, elements=bench_config.size, itemsize=dt.itemsize)


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
@pytest.mark.parametrize("lib", ["fastinit", "numpy"])
def test_small_uniform(benchmark, measure, dtype: str, lib: str) -> None:
    benchmark.group = f"small-uniform-{dtype}"
    dt = np.dtype(dtype)
    buf = _touched((SMALL,), dt)
    if lib == "fastinit":

        def fn():
            return fastinit.uniform(buf, seed=0)
    else:
        rng = np.random.default_rng(0)

        def fn():
            return rng.random(out=buf, dtype=dt)

    # Microseconds per call: let pytest-benchmark calibrate iterations instead of pedantic.
    measure(fn, library=lib, elements=SMALL, itemsize=dt.itemsize, pedantic=False)


@pytest.mark.parametrize("lib", ["fastinit", "numpy", "empty+fastinit"])
def test_alloc_uniform(benchmark, measure, bench_config, lib: str) -> None:
    benchmark.group = "alloc-uniform-float32"
    n = bench_config.size
    if lib == "fastinit":

        def fn():
            return fastinit.uniform((n,), seed=0)
    elif lib == "numpy":
        rng = np.random.default_rng(0)

        def fn():
            return rng.random(n, dtype=np.float32)
    else:

        def fn():
            return fastinit.uniform(np.empty(n, np.float32), seed=0)

    measure(fn, library=lib, elements=n, itemsize=4)
