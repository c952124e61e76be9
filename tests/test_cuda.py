"""GPU arrays (``__cuda_array_interface__``): validation and clear errors everywhere; bit
equality with the CPU core where a CUDA device and CuPy (or PyTorch with CUDA) are present.
Every GPU test skips cleanly without a GPU (CI has none): tests/test_cuda_emulated.py runs the
kernels' code on the CPU instead, and tools/gpu_check.sh runs this file on a GPU machine."""

from __future__ import annotations

import numpy as np
import pytest

import fastinit
from fastinit._backends.codes import Scheme
from fastinit._input import arrays as _device


def _cuda_devices() -> int:
    try:
        import fastinit._cuda as cu
    except ImportError:
        return 0
    return cu.device_count()


HAVE_GPU = _cuda_devices() > 0


class FakeDeviceArray:
    """Exposes a __cuda_array_interface__ over host memory: never written (no GPU is used),
    only validated."""

    def __init__(
        self, shape=(4, 4), typestr="<f4", strides=None, readonly=False, offset=0, stream=None
    ):
        self.backing = np.zeros(64, np.float64)
        iface = {
            "shape": shape,
            "typestr": typestr,
            "strides": strides,
            "data": (self.backing.ctypes.data + offset, readonly),
            "version": 3,
        }
        if stream is not None:
            iface["stream"] = stream
        self.__cuda_array_interface__ = iface


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"readonly": True}, ValueError, "out is read-only"),
        ({"typestr": "<i4"}, TypeError, "floating dtype"),
        ({"typestr": "<c8"}, TypeError, "floating dtype"),
        ({"typestr": "<V2"}, TypeError, "floating dtype"),
        ({"typestr": ">f4"}, ValueError, "non-native byte order"),
        ({"strides": (0, 4)}, ValueError, "broadcast view"),
        ({"strides": (4, 4)}, ValueError, r"out's elements overlap in memory \(shape \(4, 4\)"),
        ({"offset": 2}, ValueError, "not aligned"),
    ],
)
def test_gpu_array_validation(kwargs, exc, match):
    arr = FakeDeviceArray(**kwargs)
    with pytest.raises(exc, match=match):
        fastinit.uniform(arr, seed=0)


def test_gpu_array_dtype_keyword_refused():
    with pytest.raises(TypeError, match="dtype= is only for the allocating form"):
        fastinit.normal(FakeDeviceArray(), dtype="float32")


def test_raw_words_need_uint32_on_gpu():
    with pytest.raises(TypeError, match="uint32"):
        fastinit.random_raw(FakeDeviceArray(typestr="<f4"), seed=0)


@pytest.mark.skipif(HAVE_GPU, reason="checks the error of a machine without a CUDA device")
def test_gpu_array_without_device_is_a_clear_error_and_draws_no_stream():
    gen = fastinit.Generator(3, stream=7)
    with pytest.raises((ImportError, RuntimeError), match="fastinit._cuda|CUDA device"):
        fastinit.kaiming_uniform(FakeDeviceArray(), seed=gen)
    assert gen.stream == 7
    assert not FakeDeviceArray().backing.any()


def test_not_host_nor_gpu_is_a_type_error():
    with pytest.raises(TypeError, match="__cuda_array_interface__"):
        fastinit.uniform(object(), seed=0)


def test_device_array_geometry():
    if not HAVE_GPU:
        pytest.skip("DeviceArray construction checks the device")
    arr = _device.as_device_array(FakeDeviceArray(shape=(3, 5)))
    assert arr.shape == (3, 5) and arr.strides == (20, 4) and arr.size == 15


# ---- on a GPU ----------------------------------------------------------------------------------

gpu = pytest.mark.skipif(not HAVE_GPU, reason="no CUDA device")


def _xp():
    try:
        import cupy

        return cupy
    except ImportError:
        pytest.skip("CuPy is not installed")


SCHEMES = [
    ("uniform", dict(low=-0.3, high=0.7)),
    ("uniform", dict(low=-1e4, high=3e4)),
    ("normal", dict(mean=0.25, std=1.5)),
    ("trunc_normal", dict(std=0.02, a=-0.04, b=0.04)),
    ("trunc_normal", dict(a=4.0, b=6.0)),
    ("trunc_normal", dict(a=40.0, b=41.0)),
    ("trunc_normal", dict(mean=1.0, std=0.5, a=-np.inf, b=0.8)),
    ("xavier_uniform", {}),
    ("xavier_normal", {}),
    ("kaiming_uniform", {}),
    ("kaiming_normal", dict(mode="fan_out", nonlinearity="relu")),
    ("variance_scaling", {}),
    ("constant", dict(value=0.1)),
]


@gpu
@pytest.mark.parametrize("name, kwargs", SCHEMES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_gpu_bits_equal_cpu(name, kwargs, dtype):
    xp = _xp()
    shape = (513, 77)
    fn = getattr(fastinit, name)
    seeded = {} if name == "constant" else {"seed": 11}
    host = fn(np.empty(shape, dtype), **kwargs, **seeded)
    dev = fn(xp.empty(shape, dtype), **kwargs, **seeded)
    assert np.array_equal(xp.asnumpy(dev).view(np.uint8), host.view(np.uint8))


@gpu
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_gpu_strided_views_and_raw_words(dtype):
    xp = _xp()
    base_h = np.full((64, 96), -7.0, dtype)
    base_d = xp.asarray(base_h)
    for sl in (
        np.s_[::2, 1::3],
        np.s_[::-1, ::5],
        np.s_[3:40, 7],
        np.s_[1:, 1:],
        np.s_[::-1, ::-1],
    ):
        fastinit.normal(base_h[sl], seed=5)
        fastinit.normal(base_d[sl], seed=5)
        fastinit.uniform(base_h[sl].T, seed=6)
        fastinit.uniform(base_d[sl].T, seed=6)
    assert np.array_equal(xp.asnumpy(base_d).view(np.uint8), base_h.view(np.uint8))
    words = fastinit.random_raw(xp.empty(10_007, xp.uint32), seed=2**40 + 1)
    assert np.array_equal(xp.asnumpy(words), fastinit.random_raw((10_007,), seed=2**40 + 1))


@gpu
def test_gpu_fill_on_the_arrays_stream():
    xp = _xp()
    stream = xp.cuda.Stream(non_blocking=True)
    with stream:
        d = xp.empty(1 << 22, xp.float32)
        fastinit.uniform(d, seed=1)
    stream.synchronize()
    assert np.array_equal(xp.asnumpy(d), fastinit.uniform((1 << 22,), seed=1))


@gpu
def test_gpu_structured_schemes_with_cupy():
    xp = _xp()
    q = fastinit.orthogonal(xp.empty((64, 128), xp.float64), seed=0)
    assert float(xp.abs(q @ q.T - xp.eye(64)).max()) < 1e-12
    e = fastinit.eye(xp.empty((5, 7), xp.float32))
    assert np.array_equal(xp.asnumpy(e), np.eye(5, 7, dtype=np.float32))
    s = fastinit.sparse(xp.empty((40, 9), xp.float32), 0.25, seed=3)
    assert np.array_equal(xp.asnumpy(s), fastinit.sparse((40, 9), 0.25, seed=3))


@gpu
@pytest.mark.slow
def test_gpu_huge_float16_fill_both_ends():
    xp = _xp()
    n = 2**31 + 3
    d = fastinit.uniform(xp.empty(n, xp.float16), seed=9)
    head = fastinit.uniform((1000,), seed=9, dtype="float16")
    assert np.array_equal(xp.asnumpy(d[:1000]), head)
    tail = np.empty(1000, np.float16)
    from fastinit._backends import dispatch as B
    from fastinit._random.plans import inward_bounds

    B.fill(Scheme.UNIFORM, tail, 9, 0, list(inward_bounds(0.0, 1.0, tail.dtype)), first=n - 1000)
    assert np.array_equal(xp.asnumpy(d[-1000:]), tail)


# Shards (full_shape=, index=): the kernels take the CPU core's index map.
GPU_SHARDS = [
    ((300, 200), (slice(10, 250), slice(3, 170))),
    ((300, 200), (slice(None), slice(40, 120))),
    ((300, 200), (slice(2, 290, 3), slice(199, 0, -2))),
    ((300, 200), (slice(None, None, -1),)),
    ((300, 200), (slice(None), 17)),
    ((300, 200), (slice(50, 90),)),
    ((8, 30, 40), (slice(1, 7, 2), 4, slice(None, None, -1))),
    ((2**18 + 2, 2**16), (slice(2**18 - 2, 2**18 + 2), slice(5, 45))),  # elements past 2**34
]


def _shard_shape(full, index):
    index = index + (slice(None),) * (len(full) - len(index))
    return tuple(len(range(*e.indices(n))) for e, n in zip(index, full) if isinstance(e, slice))


@gpu
@pytest.mark.parametrize("full, index", GPU_SHARDS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_gpu_shards_cupy(full, index, dtype):
    xp = _xp()
    shape = _shard_shape(full, index)
    for name, kwargs in [
        ("uniform", {}),
        ("normal", dict(std=0.5)),
        ("trunc_normal", {}),
        ("kaiming_uniform", {}),
    ]:
        fn = getattr(fastinit, name)
        host = fn(np.empty(shape, dtype), **kwargs, seed=3, full_shape=full, index=index)
        dev = fn(xp.empty(shape, dtype), **kwargs, seed=3, full_shape=full, index=index)
        assert np.array_equal(xp.asnumpy(dev).view(np.uint8), host.view(np.uint8)), name
        # into a strided, reversed destination
        base = xp.zeros((shape[0] * 2,) + shape[1:], dtype)
        fn(base[::-2], **kwargs, seed=3, full_shape=full, index=index)
        assert np.array_equal(xp.asnumpy(base[::-2]).view(np.uint8), host.view(np.uint8))
        assert not bool(xp.any(base[-2::-2]))
    words = fastinit.random_raw(xp.empty(shape, xp.uint32), seed=1, full_shape=full, index=index)
    want = fastinit.random_raw(shape, seed=1, full_shape=full, index=index)
    assert np.array_equal(xp.asnumpy(words), want)


# ---- PyTorch CUDA tensors, bfloat16 included ------------------------------------------------


def _torch():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch has no CUDA here")
    return torch


TORCH_FNS = [
    ("uniform_", (-0.5, 2.0), {}),
    ("normal_", (0.3, 2.0), {}),
    ("trunc_normal_", (0.0, 1.0, -1.0, 1.5), {}),
    ("xavier_uniform_", (), {"gain": 2.0}),
    ("xavier_normal_", (), {}),
    ("kaiming_uniform_", (), {"a": 5**0.5}),
    ("kaiming_normal_", (), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("constant_", (0.1,), {}),
    ("ones_", (), {}),
    ("zeros_", (), {}),
]


def _bits(t):
    """A tensor's bytes on the host, as int16/int32/int64 words of its element size."""
    torch = _torch()
    words = {2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]
    return t.detach().cpu().contiguous().view(words).numpy()


@gpu
@pytest.mark.parametrize("name, args, kwargs", TORCH_FNS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_gpu_torch_bits_equal_cpu(name, args, kwargs, dtype):
    torch = _torch()
    import fastinit.torch as ft

    fn = getattr(ft, name)
    seeded = {"generator": 7} if "generator" in fn.__code__.co_varnames else {}
    dt = getattr(torch, dtype)
    for shape in [(513, 77), (64, 16, 3, 3)]:
        host = fn(torch.empty(shape, dtype=dt), *args, **kwargs, **seeded)
        dev = torch.empty(shape, dtype=dt, device="cuda")
        ptr = dev.data_ptr()
        assert fn(dev, *args, **kwargs, **seeded) is dev and dev.data_ptr() == ptr
        assert np.array_equal(_bits(dev), _bits(host)), (name, dtype, shape)
        # strided and transposed views of a larger tensor; the rest left as it was
        base = torch.zeros((shape[0] * 2,) + shape[1:], dtype=dt, device="cuda")
        view = base[1::2].transpose(0, 1)
        fn(view, *args, **kwargs, **seeded)
        want = fn(torch.empty(view.shape, dtype=dt), *args, **kwargs, **seeded)
        assert np.array_equal(_bits(view), _bits(want))
        assert not bool(base[0::2].any())


@gpu
def test_gpu_torch_bfloat16_shards_and_fallbacks():
    torch = _torch()
    import fastinit.torch as ft
    from fastinit.torch.functions import _target

    for full, index in GPU_SHARDS:
        shape = _shard_shape(full, index)
        for dt in (torch.bfloat16, torch.float32, torch.float16):
            dev = torch.empty(shape, dtype=dt, device="cuda")
            fastinit.normal(_target(dev, "normal_"), seed=4, full_shape=full, index=index)
            host = torch.empty(shape, dtype=dt)
            fastinit.normal(_target(host, "normal_"), seed=4, full_shape=full, index=index)
            assert np.array_equal(_bits(dev), _bits(host)), (full, index, dt)
    w = torch.empty(6, 3, 3, 3, dtype=torch.bfloat16, device="cuda")
    assert torch.equal(ft.dirac_(w, 2).cpu(), ft.functions._ORIGINAL["dirac_"](w.clone(), 2).cpu())
    e = torch.empty(5, 7, dtype=torch.bfloat16, device="cuda")
    assert torch.equal(ft.eye_(e).cpu(), torch.eye(5, 7, dtype=torch.bfloat16))
    with pytest.raises(ft.UnsupportedTensorError, match="CuPy, which has no bfloat16"):
        ft.orthogonal_(torch.empty(8, 8, dtype=torch.bfloat16, device="cuda"))


@gpu
def test_gpu_torch_on_a_side_stream():
    torch = _torch()
    import fastinit.torch as ft

    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        t = torch.empty(1 << 22, dtype=torch.bfloat16, device="cuda")
        ft.uniform_(t, generator=1)
    torch.cuda.synchronize()
    assert np.array_equal(
        _bits(t), _bits(ft.uniform_(torch.empty(1 << 22, dtype=torch.bfloat16), generator=1))
    )
