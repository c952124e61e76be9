"""The CUDA kernels, executed on the CPU: no GPU needed, so these run everywhere (CI included).

``fastinit._core._emulate_cuda_fill`` runs the launch that ``fastinit._cuda.fill`` makes (or a
grid chosen here) block by block and thread by thread, through the kernels' own per-thread code
(csrc/cuda/grid.h), into host memory; every store is checked (inside the view's bytes, aligned
as the device needs) and every byte's writes are counted. Each test compares the bytes it writes,
margins and gaps around the view included, with what the CPU core (``fastinit._core.fill``)
writes into an identical buffer.

What this verifies: the kernels' indexing (grid-stride loops, 64-bit element and stream
indices, strides, shards' index maps, partial Philox blocks, 16-byte stores and their
alignment), their dispatch of schemes, dtypes and parameters, and the Python GPU path
(validation, DeviceView for bfloat16, shards) down to the kernel's arguments. What it cannot:
the device compiler's arithmetic and real execution (docs/cuda.md, tests/test_cuda.py).
"""

from __future__ import annotations

import math
import mmap
import sys

import numpy as np
import pytest
from kernel_cases import KERNEL_CASES

import fastinit
from fastinit._backends import cuda as cuda_backend
from fastinit._backends.codes import Scheme, dtype_code
from fastinit._input.dtypes import BFLOAT16, resolve_dtype
from fastinit._input.shard import resolve_shard

core = pytest.importorskip("fastinit._core")
if not hasattr(core, "_emulate_cuda_fill"):  # a stale build: fail, never skip
    raise RuntimeError("fastinit._core lacks _emulate_cuda_fill: rebuild fastinit")

FLOATS = ["float32", "float64", "float16", "bfloat16"]
SEED, STREAM = 2**40 + 7, 3
MARGIN = 64  # sentinel bytes on each side of a view's parent array
SENTINEL = 0xA5
BLOCK_THREADS = 256  # csrc/cuda/grid.h: kBlockThreads
MAX_BLOCKS = 65535 * 16  # csrc/cuda/grid.h: kMaxBlocks

# One case per scheme for the layout and shard matrices (every kernel case, all of
# tests/kernel_cases.py, runs in test_every_kernel_case).
SCHEME_CASES = ["raw", "constant", "uniform", "normal", "trunc_std", "trunc_wide"]
# Stream offsets: 0, partial first blocks, element indices crossing 2**32, the counter's low
# word crossing 2**32 (block 2**32: element 2**33 of 2-element blocks, 2**34 of 4-element ones).
FIRSTS = [0, 3, 2**32 - 7, 2**33 - 5, 2**34 - 9, 2**62 + 1]


def _cases(names):
    """(case, dtype name) pairs: raw words in uint32 only, the rest in every float dtype."""
    return [
        (c, "uint32") if c == "raw" else (c, d)
        for c in names
        for d in (["uint32"] if c == "raw" else FLOATS)
    ]


def _dtype(name: str) -> np.dtype:
    return np.dtype(np.uint32) if name == "uint32" else resolve_dtype(name)


# ---- views in two identical buffers ----------------------------------------------------------

# name -> (parent shape, skew in items, the view of the parent) for a view of shape s.
LAYOUTS = {
    "contiguous": lambda s: (s, 0, lambda p: p),
    "misaligned": lambda s: (s, 1, lambda p: p),  # one item past a 64-byte boundary
    "strided": lambda s: (
        tuple(2 * d + 1 for d in s),
        0,
        lambda p: p[(slice(1, None, 2),) * len(s)],
    ),
    "negative": lambda s: (
        s[:-1] + (3 * s[-1],),
        0,
        lambda p: p[(slice(None, None, -1),) * (len(s) - 1) + (np.s_[::-3],)],
    ),
    "transposed": lambda s: (s[::-1], 0, lambda p: p.transpose()),
    "row_gaps": lambda s: (s[:-1] + (s[-1] + 5,), 0, lambda p: p[..., : s[-1]]),
}
DEST_LAYOUTS = ["contiguous", "misaligned", "strided", "negative", "transposed"]


class Buffers:
    """Two byte-identical buffers, each holding a parent array (64-byte aligned plus a skew)
    between sentinel margins, and the same view of each parent."""

    def __init__(self, shape, dt, layout="contiguous"):
        pshape, skew, view = LAYOUTS[layout](tuple(shape))
        self.nbytes = math.prod(pshape) * dt.itemsize + 2 * MARGIN + 16
        self.raw, self.views, self.spans = [], [], []
        for _ in range(2):
            raw = np.full(self.nbytes + 64, SENTINEL, np.uint8)
            start = -raw.ctypes.data % 64
            parent = np.ndarray(pshape, dt, buffer=raw, offset=start + MARGIN + skew * dt.itemsize)
            v = view(parent)
            assert v.shape == tuple(shape)
            self.raw.append(raw)
            self.views.append(v)
            self.spans.append(slice(start, start + self.nbytes))

    def region(self, k):
        return self.raw[k][self.spans[k]]


def _args(view):
    return (view.__array_interface__["data"][0], list(view.shape), list(view.strides))


def emulate(kind, view, params, *, first=0, index_map=(), extra=0, **launch):
    data, shape, strides = _args(view)
    return core._emulate_cuda_fill(
        int(kind),
        dtype_code(view.dtype),
        data,
        shape,
        strides,
        SEED,
        STREAM,
        extra,
        first,
        list(params),
        list(index_map),
        0,
        **launch,
    )


def cpu(kind, view, params, *, first=0, index_map=(), extra=0):
    core.fill(
        int(kind),
        dtype_code(view.dtype),
        view,
        SEED,
        STREAM,
        extra,
        first,
        list(params),
        list(index_map),
    )


def check(case, dtype, shape, layout="contiguous", *, first=0, index_map=(), extra=0, **launch):
    """The emulated launch writes exactly the CPU core's bytes (margins and gaps untouched), each
    element's bytes once. Returns the launch's report."""
    kind, make = KERNEL_CASES[case]
    dt = _dtype(dtype)
    params = make(dt)
    bufs = Buffers(shape, dt, layout)
    cpu(kind, bufs.views[0], params, first=first, index_map=index_map, extra=extra)
    rep = emulate(
        kind, bufs.views[1], params, first=first, index_map=index_map, extra=extra, **launch
    )
    where = (case, dtype, shape, layout, first, list(index_map), launch)
    a, b = bufs.region(0), bufs.region(1)
    if not np.array_equal(a, b):
        bad = np.flatnonzero(a != b)
        pytest.fail(
            f"{where}: {bad.size} bytes differ, first at byte {bad[0]} of the buffer; report {rep}"
        )
    n = math.prod(shape)
    if n:
        assert rep["tracked"] and rep["bytes_rewritten"] == 0, (where, rep)
        assert rep["bytes_written"] == n * dt.itemsize, (where, rep)
        assert rep["threads_run"] == rep["grid"] * rep["block"], (where, rep)
    return rep


# ---- whole tensors ----------------------------------------------------------------------------


@pytest.mark.parametrize("case, dtype", _cases(sorted(KERNEL_CASES)))
def test_every_kernel_case(case, dtype):
    for shape, layout, first in [
        ((37, 29), "contiguous", 0),
        ((37, 29), "misaligned", 5),
        ((11, 13), "strided", 2**32 - 3),
    ]:
        check(case, dtype, shape, layout, first=first)


@pytest.mark.parametrize("case, dtype", _cases(SCHEME_CASES))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts_and_offsets(case, dtype, layout):
    for shape in [(1,), (7,), (23, 19), (3, 1, 10)]:
        for first in FIRSTS:
            check(case, dtype, shape, layout, first=first, extra=first % 2)


@pytest.mark.parametrize("case, dtype", _cases(["raw", "uniform", "normal", "constant"]))
@pytest.mark.parametrize(
    "grid, block", [(1, 1), (1, 3), (2, 5), (3, 64), (1, 1024), (7, 256), (300, 32), (0, 0)]
)
def test_odd_grids(case, dtype, grid, block):
    """One block, one thread, fewer threads than work items (each thread loops), more threads
    than work (most idle), and the launch's own grid (0, 0)."""
    for shape, layout, first in [((41, 17), "contiguous", 1), ((9, 13), "negative", 2**34 - 9)]:
        rep = check(case, dtype, shape, layout, first=first, grid=grid, block=block)
        if grid:
            assert (rep["grid"], rep["block"]) == (grid, block)
        else:
            assert rep["block"] == BLOCK_THREADS
            assert rep["grid"] == min(MAX_BLOCKS, max(1, -(-rep["work"] // BLOCK_THREADS)))


def test_empty_views_launch_nothing():
    kind, make = KERNEL_CASES["uniform"]
    empty = np.empty((0, 5), np.float32)
    assert emulate(kind, empty, make(empty.dtype))["threads_run"] == 0
    assert emulate(kind, empty, make(empty.dtype), index_map=[5, 1])["threads_run"] == 0


# ---- 16-byte stores -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint32"])
def test_vector_stores_used_where_aligned_and_defeated_elsewhere(dtype):
    case = "raw" if dtype == "uint32" else "uniform"
    per = 4 if dtype in ("float32", "uint32") else 2  # elements per Philox block = per store
    n = 64 * per + 3
    aligned = check(case, dtype, (n,), "contiguous", first=0)
    assert aligned["wide_stores"] == n // per and aligned["stores"] == n % per
    for layout, first in [("misaligned", 0), ("contiguous", 1), ("strided", 0), ("negative", 0)]:
        rep = check(case, dtype, (n,), layout, first=first)
        assert rep["wide_stores"] == 0 and rep["stores"] == n, (layout, first, rep)
    # One item past alignment, one element into the stream: whole blocks are aligned again.
    rep = check(case, dtype, (n,), "misaligned", first=1)
    assert rep["wide_stores"] == (n + 1) // per - 1
    assert rep["wide_stores"] * per + rep["stores"] == n


def test_half_outputs_never_use_vector_stores():
    for dtype in ("float16", "bfloat16"):
        rep = check("normal", dtype, (256,), "contiguous")
        assert rep["wide_stores"] == 0 and rep["stores"] == 256


def test_checked_stores_catch_a_misaligned_view():
    """The emulator's checks are live: a float32 view 2 bytes off its alignment (which the
    Python layer refuses) makes the kernel's first store fail, before anything is written."""
    raw = np.full(4 * 16 + 16, SENTINEL, np.uint8)
    off = -raw.ctypes.data % 16 + 2
    kind, make = KERNEL_CASES["uniform"]
    data = raw.ctypes.data + off
    with pytest.raises(RuntimeError, match="misaligned"):
        core._emulate_cuda_fill(
            int(kind),
            dtype_code(np.dtype(np.float32)),
            data,
            [16],
            [4],
            SEED,
            STREAM,
            0,
            0,
            make(np.dtype(np.float32)),
            [],
            0,
        )
    assert (raw == SENTINEL).all()


@pytest.mark.parametrize(
    "args, match",
    [
        (dict(dtype=99), "bad dtype code"),
        (dict(kind=99), "bad scheme code"),
        (dict(shape=[2] * 33, strides=[4] * 33), "1 to 32 dimensions"),
        (dict(index_map=[1, 2, 3]), "index_map needs one entry per dimension"),
        (dict(params=[0.5]), "takes 2 parameters"),
        (dict(kind=int(Scheme.RAW)), "raw words need a uint32 output"),
    ],
)
def test_malformed_launches_are_refused(args, match):
    buf = np.zeros(8, np.float32)
    a = dict(
        kind=int(Scheme.UNIFORM),
        dtype=dtype_code(buf.dtype),
        data=buf.ctypes.data,
        shape=[8],
        strides=[4],
        seed=0,
        stream=0,
        extra=0,
        first=0,
        params=[0.0, 1.0],
        index_map=[],
        cuda_stream=0,
    )
    a.update(args)
    with pytest.raises(ValueError, match=match):
        core._emulate_cuda_fill(**a)
    assert not buf.any()


# ---- shards -----------------------------------------------------------------------------------

SHARDS = [
    ((40, 30), (slice(5, 25), slice(3, 17))),  # a block: runs of step 1, misaligned starts
    ((40, 30), (slice(None), slice(10, 20))),  # a column shard
    ((40, 30), (slice(2, 38, 3), slice(1, 29, 2))),  # steps 2 and 3
    ((40, 30), (slice(None, None, -1), slice(None, None, -1))),  # step -1
    ((40, 30), (slice(30, 5, -2), slice(28, 2, -3))),  # negative steps
    ((40, 30), (slice(None), 7)),  # one column: one element per row
    ((40, 30), (11,)),  # one row: a run, no index map
    ((40, 30), (slice(4, 9),)),  # whole rows: a run, no index map
    ((1000,), (slice(3, 990, 7),)),
    ((1000,), (slice(997, 2, -1),)),
    ((6, 7, 8), (slice(1, 5), 3, slice(2, 8, 5))),
    ((6, 7, 8), (slice(None), slice(1, 6), slice(None, None, -1))),
    ((6, 7, 9), (slice(None, None, -2), slice(None), slice(1, 8))),
    # stream elements crossing 2**32, and the counter's low word (elements 2**33 and 2**34)
    ((2**17 + 3, 2**15), (slice(2**17 - 2, 2**17 + 3), slice(100, 140))),
    ((2**17 + 2, 2**16), (slice(2**17 - 2, 2**17 + 2), slice(5, 45))),
    ((2**18 + 2, 2**16), (slice(2**18 - 2, 2**18 + 2), slice(2**16 - 39, None))),
    ((2**18 + 2, 2**16), (slice(2**18 + 1, 2**18 - 3, -1), slice(40, 0, -1))),
]


def _shard_shape(full, index):
    index = index + (slice(None),) * (len(full) - len(index))
    return tuple(len(range(*e.indices(n))) for e, n in zip(index, full) if isinstance(e, slice))


@pytest.mark.parametrize("case, dtype", _cases(SCHEME_CASES))
def test_shards(case, dtype):
    for full, index in SHARDS:
        shape = _shard_shape(full, index)
        sh = resolve_shard(shape, full, index, "test")
        for layout in DEST_LAYOUTS:
            rep = check(case, dtype, shape, layout, first=sh.first, index_map=sh.index_map)
            if case != "constant":
                assert rep["kernel"] == ("shard" if sh.index_map else "fill")


@pytest.mark.parametrize("grid, block", [(1, 1), (2, 3), (5, 32)])
def test_shards_on_odd_grids(grid, block):
    for full, index in SHARDS[:6] + SHARDS[-2:]:
        shape = _shard_shape(full, index)
        sh = resolve_shard(shape, full, index, "test")
        for case, dtype in [("uniform", "float32"), ("normal", "float64"), ("raw", "uint32")]:
            check(
                case,
                dtype,
                shape,
                "strided",
                first=sh.first,
                index_map=sh.index_map,
                grid=grid,
                block=block,
            )


def test_shard_rows_use_vector_stores_where_aligned():
    # Full rows of 64 float32 from a 64-aligned start: every Philox block one 16-byte store.
    full, index = (40, 64), (slice(None), slice(0, 32))
    sh = resolve_shard((40, 32), full, index, "test")
    rep = check("uniform", "float32", (40, 32), first=sh.first, index_map=sh.index_map)
    assert rep["kernel"] == "shard" and rep["wide_stores"] == 40 * 8 and rep["stores"] == 0
    rep = check(
        "uniform", "float32", (40, 32), "misaligned", first=sh.first, index_map=sh.index_map
    )
    assert rep["wide_stores"] == 0


# ---- more than 2**31 elements -------------------------------------------------------------------


def _reserve(nbytes):
    """An anonymous mapping that commits no memory until touched (MAP_NORESERVE)."""
    noreserve = getattr(mmap, "MAP_NORESERVE", 0x4000 if sys.platform == "linux" else 0)
    try:
        return mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | noreserve)
    except (OSError, ValueError, OverflowError) as exc:  # pragma: no cover - a small address space
        pytest.skip(f"cannot reserve {nbytes} bytes of address space: {exc}")


def test_more_than_2_31_float16_elements_both_ends():
    """The launch of a 2**31 + 3 element float16 fill (byte offsets past 2**32), emulated for
    the blocks of threads that write its first and its last 1000 elements."""
    n = 2**31 + 3
    mm = _reserve(2 * n)
    try:
        out = np.frombuffer(mm, np.float16, count=n)
        kind, make = KERNEL_CASES["uniform"]
        params = make(out.dtype)
        probe = emulate(kind, out, params, block_end=0)  # the launch's grid, no thread run
        work, grid, block = probe["work"], probe["grid"], probe["block"]
        assert grid == MAX_BLOCKS and work == -(-n // 4)
        threads = grid * block
        blocks = sorted({(w % threads) // block for w in [*range(250), *range(work - 250, work)]})
        for b in blocks:
            emulate(kind, out, params, block_begin=b, block_end=b + 1)
        for first in (0, n - 1000):
            want = np.empty(1000, np.float16)
            cpu(kind, want, params, first=first)
            assert np.array_equal(out[first : first + 1000].view(np.uint16), want.view(np.uint16))
        del out
    finally:
        mm.close()


# ---- the Python GPU path, with the emulator as fastinit._cuda -----------------------------------


class HostCAI:
    """A host NumPy view exposed through ``__cuda_array_interface__`` only (as a GPU array)."""

    def __init__(self, arr, stream=None):
        self.arr = arr
        self.stream = stream

    @property
    def __cuda_array_interface__(self):
        a = self.arr
        iface = {
            "shape": a.shape,
            "typestr": a.dtype.str,
            "version": 3,
            "strides": None if a.flags.c_contiguous else a.strides,
            "data": (a.__array_interface__["data"][0], False),
        }
        if self.stream is not None:
            iface["stream"] = self.stream
        return iface

    @property
    def shape(self):
        return self.arr.shape

    def __getitem__(self, key):
        return HostCAI(self.arr[key], self.stream)


class EmulatedCuda:
    """Stands in for fastinit._cuda: its fill executed on the CPU (into host memory)."""

    def __init__(self):
        self.calls = []

    def fill(self, *args):
        assert len(args) == 12, "fastinit._cuda.fill's arguments"
        rep = core._emulate_cuda_fill(*args)
        assert rep["bytes_rewritten"] == 0
        self.calls.append((args, rep))

    @staticmethod
    def device_count():
        return 1


@pytest.fixture
def emulated_cuda(monkeypatch):
    stub = EmulatedCuda()
    monkeypatch.setattr(cuda_backend, "_cuda", stub)
    return stub


def _device(host, dtype):
    """The GPU-array form of a host array: bfloat16 as fastinit.torch passes it (a DeviceView
    of an int16 view), the rest as themselves."""
    if dtype == "bfloat16":
        return cuda_backend.DeviceView(HostCAI(host.view(np.int16)), BFLOAT16)
    return HostCAI(host)


API = [
    ("uniform", dict(low=-0.3, high=0.7)),
    ("normal", dict(mean=0.25, std=1.5)),
    ("trunc_normal", dict(std=0.02, a=-0.04, b=0.04)),
    ("trunc_normal", dict(a=4.0, b=6.0)),
    ("xavier_uniform", {}),
    ("kaiming_normal", dict(mode="fan_out", nonlinearity="relu")),
    ("variance_scaling", {}),
    ("constant", dict(value=0.1)),
]
API_SHARDS = [
    None,
    ((64, 50), (slice(3, 40, 2), slice(None, None, -1))),
    ((64, 50), (slice(None), slice(7, 31))),
    ((50, 64, 50), (7,)),
]


@pytest.mark.parametrize("name, kwargs", API)
@pytest.mark.parametrize("dtype", FLOATS)
def test_public_functions_on_emulated_gpu_arrays(emulated_cuda, name, kwargs, dtype):
    fn = getattr(fastinit, name)
    seeded = {} if name == "constant" else {"seed": 11}
    dt = resolve_dtype(dtype)
    for shard in API_SHARDS if name != "constant" else [None]:  # constant takes no shard
        extra = {} if shard is None else {"full_shape": shard[0], "index": shard[1]}
        shape = (37, 50) if shard is None else _shard_shape(*shard)
        base_h = np.zeros((shape[0] + 3,) + shape[1:], dt)
        base_d = base_h.copy()

        def pick(a, shape=shape, whole=shard is None):  # an offset view, or a reversed one
            return a[3:] if whole else a[::-1][: shape[0]]

        fn(pick(base_h), **kwargs, **seeded, **extra)
        fn(pick(_device(base_d, dtype)), **kwargs, **seeded, **extra)
        assert np.array_equal(base_d.view(np.uint8), base_h.view(np.uint8)), shard
    assert emulated_cuda.calls


def test_raw_words_zero_dim_and_streams_on_emulated_gpu_arrays(emulated_cuda):
    words = np.zeros(10_007, np.uint32)
    fastinit.random_raw(HostCAI(words, stream=2), seed=2**40 + 1)
    assert np.array_equal(words, fastinit.random_raw((10_007,), seed=2**40 + 1))
    assert emulated_cuda.calls[-1][0][-1] == 2  # cudaStreamPerThread's handle
    scalar = np.zeros((), np.float32)
    fastinit.normal(HostCAI(scalar), seed=4, full_shape=(3, 3), index=(1, 2))
    want = fastinit.normal((3, 3), seed=4)[1, 2]
    assert scalar.tobytes() == want.tobytes()
    one = np.zeros((), np.float64)
    fastinit.uniform(HostCAI(one), seed=4)
    assert one.tobytes() == fastinit.uniform((), seed=4, dtype="float64").tobytes()


def test_generator_draws_one_stream_per_gpu_fill(emulated_cuda):
    g1, g2 = fastinit.Generator(5), fastinit.Generator(5)
    a = np.zeros((20, 30), np.float32)
    fastinit.kaiming_uniform(HostCAI(a), seed=g1, full_shape=(40, 30), index=(slice(20, 40),))
    assert np.array_equal(a, fastinit.kaiming_uniform((40, 30), seed=g2)[20:])
    fastinit.kaiming_uniform(HostCAI(a), seed=g1)  # the next stream
    assert np.array_equal(a, fastinit.kaiming_uniform((20, 30), seed=g2))


def test_device_view_indexing_and_structured_refusal(emulated_cuda):
    host = np.zeros((8, 6), BFLOAT16)
    view = cuda_backend.DeviceView(HostCAI(host.view(np.int16)), BFLOAT16)
    assert view.shape == (8, 6) and view[2:5].shape == (3, 6) and view.ndim == 2
    fastinit.uniform(view[2:5, 1:], seed=1, full_shape=(8, 6), index=(slice(2, 5), slice(1, 6)))
    want = fastinit.uniform((8, 6), seed=1, dtype="bfloat16")
    assert np.array_equal(host[2:5, 1:].view(np.int16), want[2:5, 1:].view(np.int16))
    assert not host[:2].view(np.int16).any() and not host[:, 0].view(np.int16).any()
    with pytest.raises(TypeError, match="CuPy, which has no bfloat16"):
        fastinit.eye(view)
    with pytest.raises(TypeError, match="2-byte integer interface"):
        fastinit.uniform(cuda_backend.DeviceView(HostCAI(np.zeros(4, np.float32)), BFLOAT16))


def test_torch_bfloat16_interface_is_accepted_when_declared(emulated_cuda):
    """Recent PyTorch exports a CUDA bfloat16 tensor as '<V2'; fastinit reads it as bfloat16
    only when the object says it is a torch.bfloat16 tensor."""

    class TorchLike(HostCAI):
        dtype = "torch.bfloat16"

        @property
        def __cuda_array_interface__(self):
            return dict(super().__cuda_array_interface__, typestr="<V2")

    host = np.zeros((5, 7), BFLOAT16)
    fastinit.normal(TorchLike(host.view(np.int16)), seed=3)
    assert np.array_equal(
        host.view(np.int16), fastinit.normal((5, 7), seed=3, dtype="bfloat16").view(np.int16)
    )
    plain = HostCAI(host.view(np.int16))
    with pytest.raises(TypeError, match="floating dtype"):
        fastinit.normal(plain, seed=3)
