"""fastinit.dask: lazy Dask arrays whose blocks are sharded fills, equal to the dense fill."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

import fastinit  # noqa: E402
import fastinit.dask as fd  # noqa: E402
import fastinit.schemes as S  # noqa: E402
from fastinit._input.dtypes import resolve_dtype  # noqa: E402

# (scheme, positional args, keyword args, needs 2-D)
CASES = [
    ("uniform", (-0.5, 2.0), {}, False),
    ("normal", (0.1, 2.0), {}, False),
    ("trunc_normal", (0.0, 1.0, -1.5, 2.0), {}, False),
    ("xavier_uniform", (1.3,), {}, True),
    ("xavier_normal", (), {"gain": 0.7}, True),
    ("kaiming_uniform", (), {"a": 0.1, "mode": "fan_out"}, True),
    ("kaiming_normal", (0.0, "fan_in", "relu"), {}, True),
    ("lecun_uniform", (), {}, True),
    ("lecun_normal", (), {"in_axis": 0, "out_axis": 1}, True),
    ("variance_scaling", (2.0,), {"mode": "fan_avg", "distribution": "uniform"}, True),
    ("variance_scaling", (), {"distribution": "truncated_normal"}, True),
    ("sparse", (0.3,), {"std": 0.5}, True),
    ("random_raw", (), {}, False),
    ("constant", (0.25,), {}, False),
    ("zeros", (), {}, False),
    ("ones", (), {}, False),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]
SEEDLESS = {"constant", "zeros", "ones"}

# (shape, chunks): even, uneven, single-block, N-d, 1-D
LAYOUTS = [
    ((37, 23), ((10, 20, 7), (5, 18))),
    ((32, 24), (8, 8)),
    ((19, 7), "auto"),
    ((6, 5, 3, 3), (4, 2, 3, 1)),
    ((101,), 33),
]


def _dense(scheme, shape, args, kwargs, dtype, seed):
    fn = getattr(fastinit, scheme)
    if scheme == "random_raw":
        return fn(shape, seed=seed, **kwargs)
    if scheme in SEEDLESS:
        return fn(shape, *args, dtype=dtype, **kwargs)
    return fn(shape, *args, dtype=dtype, seed=seed, **kwargs)


def _lazy(scheme, shape, args, kwargs, dtype, seed, chunks):
    fn = getattr(fd, scheme)
    if scheme == "random_raw":
        return fn(shape, chunks=chunks, seed=seed, **kwargs)
    if scheme in SEEDLESS:
        return fn(shape, *args, chunks=chunks, dtype=dtype, **kwargs)
    return fn(shape, *args, chunks=chunks, dtype=dtype, seed=seed, **kwargs)


def _same_bits(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def _applicable(scheme, shape, two_d):
    if scheme == "sparse":
        return len(shape) == 2
    return not two_d or len(shape) >= 2


GRID = [
    pytest.param(c[0], c[1], c[2], shape, chunks, id=f"{i}-{shape}-{chunks}")
    for i, c in zip(IDS, CASES)
    for shape, chunks in LAYOUTS
    if _applicable(c[0], shape, c[3])
]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("scheme,args,kwargs,shape,chunks", GRID)
def test_threaded_equals_dense(scheme, args, kwargs, shape, chunks, dtype):
    x = _lazy(scheme, shape, args, kwargs, dtype, 1234, chunks)
    dt = np.dtype(np.uint32) if scheme == "random_raw" else resolve_dtype(dtype)
    assert isinstance(x, da.Array) and x.dtype == dt and x.shape == shape
    got = x.compute(scheduler="threads")
    _same_bits(got, _dense(scheme, shape, args, kwargs, dtype, 1234))


def test_float64_and_float16():
    for dtype in ("float64", "float16"):
        for scheme in ("uniform", "normal", "trunc_normal", "kaiming_uniform", "sparse"):
            args = (0.2,) if scheme == "sparse" else ()
            x = getattr(fd, scheme)((30, 17), *args, chunks=(7, 5), dtype=dtype, seed=9)
            _same_bits(
                x.compute(scheduler="threads"),
                getattr(fastinit, scheme)((30, 17), *args, dtype=dtype, seed=9),
            )


def test_aliases_and_zero_size_and_scalar():
    assert fd.glorot_uniform is fd.xavier_uniform and fd.he_normal is fd.kaiming_normal
    _same_bits(fd.normal((0, 5), chunks=2, seed=1).compute(), fastinit.normal((0, 5), seed=1))
    _same_bits(fd.uniform((), seed=5).compute(), fastinit.uniform((), seed=5))
    _same_bits(fd.random_raw(7, chunks=3, seed=2).compute(), fastinit.random_raw(7, seed=2))


def test_generator_advanced_once():
    gen = fastinit.Generator(77, stream=3)
    x = fd.normal((20, 9), chunks=(6, 4), seed=gen)
    assert gen.stream == 4
    expect = fastinit.normal((20, 9), seed=fastinit.Generator(77, 3))
    _same_bits(x.compute(scheduler="threads"), expect)
    _same_bits(x.compute(scheduler="sync"), expect)
    assert gen.stream == 4
    y = fd.normal((20, 9), chunks=(6, 4), seed=gen)  # the next call gets the next stream
    _same_bits(y.compute(), fastinit.normal((20, 9), seed=fastinit.Generator(77, 4)))
    assert x.name != y.name


def test_global_generator_resolved_at_construction():
    fastinit.manual_seed(31)
    try:
        x = fd.uniform((12, 12), chunks=5, seed=None)
        assert fastinit.default_generator().stream == 1
        fastinit.manual_seed(999)  # later changes do not affect the built graph
        _same_bits(x.compute(), fastinit.uniform((12, 12), seed=fastinit.Generator(31, 0)))
        assert fastinit.default_generator().stream == 0
    finally:
        fastinit.manual_seed(0)


def test_lazy_nothing_computed_at_construction(monkeypatch):
    calls = []
    real = S.uniform

    def counting(out, *args, **kwargs):
        calls.append(np.asarray(out).size)
        return real(out, *args, **kwargs)

    monkeypatch.setattr(S, "uniform", counting)
    x = fd.uniform((40, 30), chunks=(10, 10), seed=0)
    assert calls == [1]  # only the one-element validation shard
    x.compute(scheduler="threads")
    assert sorted(calls[1:]) == [100] * 12


def test_huge_array_is_lazy():
    shape = (2**17, 2**17)  # 64 GiB of float32: never materialized
    x = fd.kaiming_uniform(shape, chunks=(4096, 4096), seed=5)
    assert x.numblocks == (32, 32)
    part = x[4090:4100, 8:13].compute(scheduler="threads")  # touches two blocks
    expect = fastinit.kaiming_uniform(
        np.empty((10, 5), np.float32),
        seed=5,
        full_shape=shape,
        index=(slice(4090, 4100), slice(8, 13)),
    )
    _same_bits(part, expect)


def test_graph_is_picklable():
    x = fd.trunc_normal((25, 11), 0.0, 1.0, chunks=(6, 5), dtype="bfloat16", seed=4)
    y = pickle.loads(pickle.dumps(x))
    _same_bits(y.compute(), fastinit.trunc_normal((25, 11), 0.0, 1.0, dtype="bfloat16", seed=4))


def test_deterministic_names():
    a = fd.normal((10, 10), chunks=5, seed=3)
    b = fd.normal((10, 10), chunks=5, seed=3)
    c = fd.normal((10, 10), chunks=5, seed=4)
    d = fd.normal((10, 10), chunks=5, dtype="bfloat16", seed=3)
    assert a.name == b.name and len({a.name, c.name, d.name}) == 3


ERRORS = [
    ("uniform", (2.0, 1.0), {}, (4, 4)),
    ("uniform", (0.0, float("nan")), {}, (4, 4)),
    ("uniform", ("x",), {}, (4, 4)),
    ("uniform", (0.0, 1e6), {"dtype": "float16"}, (4, 4)),
    ("normal", (0.0, -1.0), {}, (4, 4)),
    ("normal", (0.0, 1e300), {}, (4, 4)),
    ("trunc_normal", (0.0, 1.0, 2.0, 1.0), {}, (4, 4)),
    ("kaiming_uniform", (), {"mode": "sideways"}, (4, 4)),
    ("kaiming_normal", (), {"nonlinearity": "nope"}, (4, 4)),
    ("variance_scaling", (-1.0,), {}, (4, 4)),
    ("variance_scaling", (1e30,), {"distribution": "uniform", "dtype": "float16"}, (2, 2)),
    ("sparse", (1.5,), {}, (4, 4)),
    ("uniform", (), {"dtype": "int32"}, (4, 4)),
    ("uniform", (), {"seed": "abc"}, (4, 4)),
    ("uniform", (), {"seed": -1}, (4, 4)),
    ("uniform", (), {"seed": True}, (4, 4)),
    ("random_raw", (), {"seed": 2**64}, (4,)),
    ("constant", (float("inf"),), {}, (4,)),
    ("constant", (1e6,), {"dtype": "float16"}, (4,)),
    ("orthogonal", (), {}, (4, 4)),
]


@pytest.mark.parametrize("scheme,args,kwargs,shape", ERRORS)
def test_eager_validation_same_error(scheme, args, kwargs, shape):
    kwargs = dict(kwargs)
    if scheme not in SEEDLESS:
        kwargs.setdefault("seed", 0)
    eager_kwargs = dict(kwargs)
    if scheme == "orthogonal":  # the eager API refuses shards with this error
        eager_kwargs.update(full_shape=shape, index=())
    with pytest.raises((TypeError, ValueError)) as eager:
        getattr(fastinit, scheme)(shape, *args, **eager_kwargs)
    with pytest.raises(eager.type) as lazy:
        getattr(fd, scheme)(shape, *args, chunks=2, **kwargs)
    assert str(lazy.value) == str(eager.value)


@pytest.mark.parametrize(
    "scheme,args,shape,exc",
    [
        ("xavier_uniform", (), (10,), ValueError),
        ("sparse", (0.5,), (3, 4, 5), ValueError),
        ("uniform", (), (-1, 3), ValueError),
        ("uniform", (), (2.0, 3), TypeError),
        ("uniform", (), "ab", TypeError),
    ],
)
def test_eager_validation_shape_errors(scheme, args, shape, exc):
    with pytest.raises(exc):
        getattr(fd, scheme)(shape, *args, seed=0)


def test_failed_validation_does_not_advance_generator():
    gen = fastinit.Generator(3)
    with pytest.raises(ValueError):
        fd.uniform((4, 4), 2.0, 1.0, seed=gen)
    with pytest.raises(ValueError):
        fd.orthogonal((4, 4), seed=gen)
    assert gen.stream == 0


def test_bad_chunks_raise_at_construction():
    with pytest.raises(ValueError):
        fd.uniform((10, 10), chunks=((3, 3), (10,)), seed=0)


def test_import_fastinit_does_not_import_dask():
    code = "import sys, fastinit; assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_clear_import_error_without_dask(monkeypatch):
    for name in list(sys.modules):
        if name == "dask" or name.startswith("dask."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.delitem(sys.modules, "fastinit.dask")
    monkeypatch.delattr(fastinit, "dask", raising=False)
    with pytest.raises(ImportError, match=r"fastinit\[dask\]"):
        importlib.import_module("fastinit.dask")


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    cluster = client = None
    try:
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
        )
        client = distributed.Client(cluster)
        yield client
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


@pytest.mark.slow
def test_local_cluster_processes_equal_dense(cluster_client):
    client = cluster_client
    assert len(client.scheduler_info()["workers"]) == 2
    streams_before = client.run(lambda: fastinit.default_generator().stream)
    for scheme, args, kwargs, _ in CASES:
        for dtype in ("float32", "bfloat16"):
            shape, chunks = (37, 23), ((10, 20, 7), (5, 18))
            gen = fastinit.Generator(11, 5)
            x = _lazy(scheme, shape, args, kwargs, dtype, gen, chunks)
            got = client.compute(x).result()
            expect = _dense(scheme, shape, args, kwargs, dtype, fastinit.Generator(11, 5))
            _same_bits(got, expect)
    fastinit.manual_seed(21)
    x = fd.kaiming_normal((6, 5, 3, 3), chunks=(4, 2, 3, 1), dtype="bfloat16", seed=None)
    fastinit.manual_seed(0)
    expect = fastinit.kaiming_normal((6, 5, 3, 3), dtype="bfloat16", seed=fastinit.Generator(21, 0))
    _same_bits(client.compute(x).result(), expect)
    # the workers never touched their global generators
    assert client.run(lambda: fastinit.default_generator().stream) == streams_before
