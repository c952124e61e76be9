"""Bad input to every public scheme: the right exception, a message naming the argument and the
rule, and nothing written.

Every invalid call on a real array is made on a view of a sentinel-filled buffer, and the
buffer's bytes are compared afterwards; every invalid call of a seeded scheme passes a
:class:`fastinit.Generator` and checks that it was not advanced (nor the global one).

The registry ``SPECS`` lists each public scheme once (the aliases ``glorot_*`` / ``he_*`` are
the same objects, checked in test_api.py) with a valid call's keyword arguments and the
dimensions it accepts.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import ml_dtypes
import numpy as np
import pytest

import fastinit
from fastinit import Generator, default_generator

BF16 = np.dtype(ml_dtypes.bfloat16)
FLOATS = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16), BF16)
U32 = np.dtype(np.uint32)
MAX_NDIM_TRIED = 6


# ---- the registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    shape: tuple[int, ...] = (6, 4)
    ndims: tuple[int, ...] | None = None  # accepted numbers of dimensions; None: any
    min_ndim: int = 0
    seeded: bool = True
    raw: bool = False
    has_dtype: bool = True
    reals: tuple[tuple[str, bool], ...] = ()  # (real parameter, infinity allowed)

    @property
    def fn(self):
        return getattr(fastinit, self.name)

    @property
    def fan_based(self) -> bool:
        return self.min_ndim >= 2

    @property
    def dtypes(self) -> tuple[np.dtype, ...]:
        return (U32,) if self.raw else FLOATS

    def accepts(self, ndim: int) -> bool:
        if self.ndims is not None:
            return ndim in self.ndims
        return ndim >= self.min_ndim

    def __repr__(self) -> str:  # readable parametrize ids
        return self.name


def _fan(name, kwargs=None, reals=()):
    return Spec(name, kwargs or {}, min_ndim=2, reals=reals)


_KAIMING = {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"}
SPECS = [
    Spec("zeros", seeded=False),
    Spec("ones", seeded=False),
    Spec("constant", {"value": 0.5}, seeded=False, reals=(("value", False),)),
    Spec("uniform", {"low": -1.0, "high": 1.0}, reals=(("low", False), ("high", False))),
    Spec("normal", {"mean": 0.0, "std": 1.0}, reals=(("mean", False), ("std", False))),
    Spec(
        "trunc_normal",
        {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0},
        reals=(("mean", False), ("std", False), ("a", True), ("b", True)),
    ),
    _fan("xavier_uniform", {"gain": 1.0}, (("gain", False),)),
    _fan("xavier_normal", {"gain": 1.0}, (("gain", False),)),
    _fan("kaiming_uniform", dict(_KAIMING), (("a", False),)),
    _fan("kaiming_normal", dict(_KAIMING), (("a", False),)),
    _fan("lecun_uniform"),
    _fan("lecun_normal"),
    _fan(
        "variance_scaling",
        {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"},
        (("scale", False),),
    ),
    _fan("orthogonal", {"gain": 1.0}, (("gain", False),)),
    Spec(
        "sparse",
        {"sparsity": 0.5, "std": 0.01},
        ndims=(2,),
        reals=(("sparsity", False), ("std", False)),
    ),
    Spec("eye", shape=(3, 4), ndims=(2,), seeded=False),
    Spec("dirac", {"groups": 1}, shape=(4, 2, 3), ndims=(3, 4, 5), seeded=False),
    Spec("random_raw", raw=True, has_dtype=False),
]
BY_NAME = {s.name: s for s in SPECS}
FAN_SPECS = [s for s in SPECS if s.fan_based]
SEEDED = [s for s in SPECS if s.seeded]
WITH_DTYPE = [s for s in SPECS if s.has_dtype]
NON_RAW = [s for s in SPECS if not s.raw]


def test_registry_covers_every_scheme():
    """Every public scheme (all of _schemes.__all__, aliases aside) is in the registry."""
    from fastinit import schemes as _schemes

    aliases = {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal"}
    assert set(BY_NAME) == set(_schemes.__all__) - aliases


def shape_of_ndim(spec: Spec, ndim: int) -> tuple[int, ...]:
    if ndim == len(spec.shape):
        return spec.shape
    return (4, 2, 3, 2, 2, 2, 2)[:ndim]


# ---- sentinel-backed arrays and the checked call -----------------------------------------------


class Guard:
    """Remembers the bytes of the buffer that owns an out array."""

    def __init__(self, owner):
        self.owner = owner
        self.before = bytes(owner)

    def check(self):
        assert bytes(self.owner) == self.before, "a call that raised modified out's memory"


def sentinel(shape, dtype, *, order="C", offset=0, extra=16):
    """(out, Guard): out is a view of a sentinel-filled uint8 buffer (or bytearray)."""
    dt = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if offset:
        owner = bytearray(((np.arange(nbytes + offset + extra) * 37 + 11) % 251).astype(np.uint8))
        flat = np.frombuffer(owner, dtype=dt, count=nbytes // dt.itemsize, offset=offset)
        return flat.reshape(shape, order=order), Guard(owner)
    owner = ((np.arange(nbytes + extra) * 37 + 11) % 251).astype(np.uint8)
    if dt == np.bool_:
        owner &= 1
    flat = owner[:nbytes].view(dt)
    return flat.reshape(shape, order=order), Guard(owner)


def call_kwargs(spec: Spec, overrides: dict[str, Any]) -> dict[str, Any]:
    kw = dict(spec.kwargs)
    kw.update(overrides)
    if spec.seeded and "seed" not in overrides:
        kw["seed"] = Generator(11, stream=5)
    return kw


def expect_error(spec: Spec, out, exc, match, guard: Guard | None = None, **overrides):
    """Call spec's function with a bad argument: it raises exc (message matching `match`),
    leaves out's memory, the Generator passed and the global generator alone."""
    kw = call_kwargs(spec, overrides)
    gen = kw.get("seed")
    gen_before = gen.stream if isinstance(gen, Generator) else None
    glob = default_generator()
    glob_before = glob.stream
    with pytest.raises(exc, match=match) as info:
        spec.fn(out, **kw)
    if guard is not None:
        guard.check()
    if isinstance(gen, Generator):
        assert gen.stream == gen_before, (
            f"{spec.name}: a call that raised advanced the Generator from stream {gen_before} "
            f"to {gen.stream}"
        )
    assert default_generator() is glob and glob.stream == glob_before, (
        f"{spec.name}: a call that raised advanced the global generator"
    )
    return info


def good_out(spec: Spec, dtype=None, shape=None):
    return sentinel(shape if shape is not None else spec.shape, dtype or spec.dtypes[0])


# ---- out: the wrong kind of object -------------------------------------------------------------

NOT_ARRAYS = {
    "list": [[0.0] * 4] * 6,
    "str": "abc",
    "None": None,
    "float": 1.5,
    "dict": {"shape": (6, 4)},
}
OUT_KIND = (
    r"out must be a NumPy array, an object exposing __array_interface__, "
    r"__cuda_array_interface__ or the buffer protocol, or a shape"
)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("kind", list(NOT_ARRAYS))
def test_out_not_an_array(spec, kind):
    expect_error(spec, NOT_ARRAYS[kind], TypeError, OUT_KIND)


class _ArrayOnly:
    """NumPy can turn this into an array only by calling __array__, i.e. by copying."""

    def __array__(self, dtype=None, copy=None):
        return np.zeros((6, 4), np.float32)


def _copy_only_objects(spec):
    dt = spec.dtypes[0]
    return {
        "__array__ only": (_ArrayOnly(), OUT_KIND),
        "bytes": (np.zeros(spec.shape, dt).tobytes(), r"out: NumPy could only copy this bytes"),
        # (a NumPy integer scalar is a shape, not an output)
        "numpy scalar": (np.float32(0.0), r"out: NumPy could only copy this float32"),
    }


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("kind", ["__array__ only", "bytes", "numpy scalar"])
def test_out_numpy_could_only_copy(spec, kind):
    obj, match = _copy_only_objects(spec)[kind]
    expect_error(spec, obj, TypeError, match)


# ---- out: dtype --------------------------------------------------------------------------------

BAD_FLOAT_DTYPES = [
    "int8",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
    "complex64",
    "complex128",
    "longdouble",
    "datetime64[s]",
    "V4",
    "S4",
]
BAD_RAW_DTYPES = [
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "int32",
    "uint8",
    "uint64",
    "bool",
    "complex64",
    "int64",
]


def _dtype(name):
    return BF16 if name == "bfloat16" else np.dtype(name)


@pytest.mark.parametrize("spec", NON_RAW, ids=repr)
@pytest.mark.parametrize("dtype", BAD_FLOAT_DTYPES)
def test_non_float_dtype(spec, dtype):
    out, guard = good_out(spec, _dtype(dtype))
    expect_error(
        spec,
        out,
        TypeError,
        r"out must have a floating dtype \(float32, float64, "
        r"float16 or bfloat16\)",
        guard,
    )


@pytest.mark.parametrize("dtype", BAD_RAW_DTYPES)
def test_raw_needs_uint32(dtype):
    spec = BY_NAME["random_raw"]
    out, guard = good_out(spec, _dtype(dtype))
    expect_error(spec, out, TypeError, r"out must have dtype uint32 for raw words", guard)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_object_dtype(spec):
    token = object()
    out = np.empty(spec.shape, dtype=object)
    out.fill(token)
    match = r"out must have dtype uint32" if spec.raw else r"out must have a floating dtype"
    expect_error(spec, out, TypeError, match)
    assert all(x is token for x in out.flat)


# ---- out: memory that cannot be written --------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_read_only(spec):
    for dt in spec.dtypes:
        out, guard = good_out(spec, dt)
        out.flags.writeable = False
        expect_error(spec, out, ValueError, r"out is read-only", guard)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_broadcast_to_view(spec):
    """np.broadcast_to's result (read-only, stride 0) is refused."""
    dt = spec.dtypes[0]
    row, guard = sentinel(spec.shape[1:], dt)
    out = np.broadcast_to(row, spec.shape)
    assert out.strides[0] == 0
    expect_error(spec, out, ValueError, r"out is (read-only|a broadcast view)", guard)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_writable_stride_zero_view(spec):
    """A writable view with stride 0 (as_strided) is refused as a broadcast view."""
    for dt in spec.dtypes:
        row, guard = sentinel(spec.shape[1:], dt)
        out = np.lib.stride_tricks.as_strided(row, spec.shape, (0,) + row.strides)
        assert out.flags.writeable
        expect_error(
            spec, out, ValueError, r"out is a broadcast view \(stride 0 in dimension 0\)", guard
        )


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_overlapping_view(spec):
    """A view whose elements share memory with non-zero strides (as_strided) is refused too."""
    for dt in spec.dtypes:
        item = np.dtype(dt).itemsize
        flat, guard = sentinel((64,), dt)
        # every stride one item: element (0, 1, ...) and (1, 0, ...) coincide
        strides = (item,) * len(spec.shape)
        out = np.lib.stride_tricks.as_strided(flat, spec.shape, strides)
        expect_error(
            spec,
            out,
            ValueError,
            r"out's elements overlap in memory \(shape "
            + re.escape(f"{spec.shape}, strides {strides})"),
            guard,
        )


def test_large_ambiguous_layout_is_refused():
    # Interleaved strides the quick test cannot clear, on more elements than are checked
    # exactly: refused (the array is not written), with the way out.
    from fastinit._input.overlap import EXACT_CHECK_MAX

    rows = EXACT_CHECK_MAX // 2 + 1
    flat, guard = sentinel((2 * rows + 4,), np.float32)
    out = np.lib.stride_tricks.as_strided(flat, (rows, 2), (8, 12))
    expect_error(
        BY_NAME["uniform"],
        out,
        ValueError,
        r"out's strides \(8, 12\) \(shape "
        rf"\({rows}, 2\)\) may make elements share memory, and an array this large "
        r"is not checked exactly",
        guard,
    )


def test_interleaved_view_that_does_not_overlap_is_filled():
    # (3, 2) with strides (2, 3) items: offsets 0, 3, 2, 5, 4, 7 are distinct, although the
    # quick layout test cannot tell; the exact check lets it through, with the usual values.
    flat = np.zeros(8, np.float32)
    out = np.lib.stride_tricks.as_strided(flat, (3, 2), (8, 12))
    fastinit.uniform(out, seed=5)
    assert np.array_equal(out, fastinit.uniform((3, 2), seed=5))
    assert flat[[1, 6]].tolist() == [0.0, 0.0]  # the gaps are not written


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_non_native_byte_order(spec):
    dts = (U32,) if spec.raw else FLOATS[:3]  # bfloat16 has no byte-swapped form in ml_dtypes
    for dt in dts:
        out, guard = good_out(spec, dt.newbyteorder())
        assert not out.dtype.isnative
        expect_error(spec, out, ValueError, r"out has non-native byte order", guard)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_unaligned(spec):
    for dt in spec.dtypes:
        out, guard = sentinel(spec.shape, dt, offset=1)
        assert out.flags.writeable and not out.flags.aligned
        expect_error(spec, out, ValueError, r"out is not aligned to its itemsize", guard)


# ---- out: dimensions ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", FAN_SPECS, ids=repr)
@pytest.mark.parametrize("shape", [(), (5,), (0,)], ids=str)
def test_fan_based_needs_2_dims(spec, shape):
    rule = rf"{spec.name}: out must have at least 2 dimensions"
    out, guard = sentinel(shape, np.float32)
    expect_error(spec, out, ValueError, rule, guard)
    expect_error(spec, shape, ValueError, rule)  # the allocating form too
    if len(shape) == 1:
        expect_error(spec, shape[0], ValueError, rule)  # an int shape is 1-D


@pytest.mark.parametrize("spec", [BY_NAME[n] for n in ("eye", "sparse", "dirac")], ids=repr)
def test_structured_ndim(spec):
    want = " or ".join(f"{d}-D" for d in spec.ndims)
    for ndim in range(MAX_NDIM_TRIED + 1):
        if spec.accepts(ndim):
            continue
        shape = shape_of_ndim(spec, ndim)
        rule = rf"{spec.name}: out must be {re.escape(want)}, got {ndim}-D"
        out, guard = sentinel(shape, np.float32)
        expect_error(spec, out, ValueError, rule, guard)
        expect_error(spec, shape, ValueError, rule)


# ---- string choices ----------------------------------------------------------------------------

_NONLINEARITIES = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
)
CHOICES = [
    ("variance_scaling", "mode", ("fan_in", "fan_out", "fan_avg")),
    ("variance_scaling", "distribution", ("truncated_normal", "normal", "uniform")),
    ("kaiming_uniform", "mode", ("fan_in", "fan_out")),
    ("kaiming_normal", "mode", ("fan_in", "fan_out")),
    ("kaiming_uniform", "nonlinearity", _NONLINEARITIES),
    ("kaiming_normal", "nonlinearity", _NONLINEARITIES),
]


@pytest.mark.parametrize("name, param, allowed", CHOICES)
@pytest.mark.parametrize("bad", ["bogus", "", "fan in", "relu6", "gelu"])
def test_unknown_choice_lists_allowed(name, param, allowed, bad):
    spec = BY_NAME[name]
    out, guard = good_out(spec)
    info = expect_error(spec, out, ValueError, rf"\b{param} must be one of", guard, **{param: bad})
    msg = str(info.value)
    for a in allowed:
        assert repr(a) in msg, f"{name}: the {param} error does not list {a!r}: {msg}"
    assert repr(bad) in msg


@pytest.mark.parametrize("name, param, allowed", CHOICES)
@pytest.mark.parametrize("bad", [1, None, 1.0, b"fan_in", ["fan_in"], True])
def test_choice_not_a_str(name, param, allowed, bad):
    spec = BY_NAME[name]
    out, guard = good_out(spec)
    expect_error(spec, out, TypeError, rf"\b{param} must be a str", guard, **{param: bad})


@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_kaiming_rejects_fan_avg(name):
    """As torch.nn.init.kaiming_*_: mode is fan_in or fan_out only."""
    spec = BY_NAME[name]
    out, guard = good_out(spec)
    expect_error(
        spec,
        out,
        ValueError,
        r"mode must be one of 'fan_in', 'fan_out'; got 'fan_avg'",
        guard,
        mode="fan_avg",
    )


# ---- real parameters ---------------------------------------------------------------------------

REAL_PARAMS = [(s, p, inf_ok) for s in SPECS for p, inf_ok in s.reals]
REAL_IDS = [f"{s.name}-{p}" for s, p, _ in REAL_PARAMS]


@pytest.mark.parametrize("spec, param, inf_ok", REAL_PARAMS, ids=REAL_IDS)
@pytest.mark.parametrize("bad", [float("nan"), np.float64("nan"), np.float32("nan")], ids=str)
def test_nan_parameter(spec, param, inf_ok, bad):
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, rf"\b{param} must not be NaN", guard, **{param: bad})


@pytest.mark.parametrize("spec, param, inf_ok", REAL_PARAMS, ids=REAL_IDS)
@pytest.mark.parametrize("bad", [float("inf"), -float("inf"), np.float32("inf")], ids=str)
def test_infinite_parameter(spec, param, inf_ok, bad):
    if inf_ok:
        pytest.skip(f"{spec.name}'s {param} may be infinite (a one-sided truncation)")
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, rf"\b{param} must be finite", guard, **{param: bad})


@pytest.mark.parametrize("spec, param, inf_ok", REAL_PARAMS, ids=REAL_IDS)
def test_int_too_large_for_a_float(spec, param, inf_ok):
    """An int beyond float64's range is as out of range as infinity: ValueError, not the
    OverflowError of float(int)."""
    out, guard = good_out(spec)
    bad = -(10**400) if param == "a" and spec.name == "trunc_normal" else 10**400
    expect_error(spec, out, ValueError, rf"\b{param}\b", guard, **{param: bad})


@pytest.mark.parametrize("spec, param, inf_ok", REAL_PARAMS, ids=REAL_IDS)
@pytest.mark.parametrize(
    "bad",
    [True, False, np.bool_(True), "0.5", b"1", 1 + 0j, np.complex128(0.5), None, [0.5]],
    ids=lambda v: f"{type(v).__name__}:{v!r}",
)
def test_non_real_parameter(spec, param, inf_ok, bad):
    if bad is None and spec.name.startswith("kaiming") and param == "a":
        pytest.skip("kaiming's a=None means slope 0.01, as in PyTorch (tested below)")
    out, guard = good_out(spec)
    expect_error(spec, out, TypeError, rf"\b{param} must be a real number", guard, **{param: bad})


@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_kaiming_a_none_is_the_default_slope(name):
    fn = getattr(fastinit, name)
    assert fn((64, 32), a=None, seed=4).tobytes() == fn((64, 32), a=0.01, seed=4).tobytes()


@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_kaiming_mode_is_case_insensitive_as_pytorch(name):
    fn = getattr(fastinit, name)
    assert (
        fn((64, 32), mode="FAN_OUT", seed=4).tobytes()
        == fn((64, 32), mode="fan_out", seed=4).tobytes()
    )
    with pytest.raises(ValueError, match=r"mode must be one of"):
        fn((64, 32), mode="FAN_AVG", seed=4)


@pytest.mark.parametrize("name", ["normal", "trunc_normal", "sparse"])
@pytest.mark.parametrize("std", [-1e-300, -0.5, -1])
def test_negative_std(name, std):
    spec = BY_NAME[name]
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, r"\bstd must be >= 0", guard, std=std)


@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal"])
def test_negative_gain(name):
    spec = BY_NAME[name]
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, r"\bgain must be >= 0", guard, gain=-0.5)


@pytest.mark.parametrize("scale", [0.0, -1.0, -1e-300])
def test_variance_scaling_scale_positive(scale):
    spec = BY_NAME["variance_scaling"]
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, r"\bscale must be > 0", guard, scale=scale)


@pytest.mark.parametrize("low, high", [(1.0, 0.0), (0.5, 0.4999), (1e-30, 0.0)])
def test_uniform_low_above_high(low, high):
    spec = BY_NAME["uniform"]
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, r"\blow must be <= high", guard, low=low, high=high)


def test_uniform_low_equal_high_is_allowed():
    out = fastinit.uniform(np.empty(5, np.float32), 0.25, 0.25, seed=0)
    assert (out == np.float32(0.25)).all()


@pytest.mark.parametrize(
    "a, b",
    [
        (1.0, 1.0),
        (2.0, -2.0),
        (0.0, -1e-300),
        (float("inf"), float("inf")),
        (float("inf"), -float("inf")),
        (-float("inf"), -float("inf")),
    ],
)
def test_trunc_normal_a_not_below_b(a, b):
    spec = BY_NAME["trunc_normal"]
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, r"\ba must be < b", guard, a=a, b=b)


# Bounds whose standardized values round to one float64, or whose mass rounds to 0: the set-up
# cannot resolve them (the law on them is uniform to every precision). Checked before the seed
# is drawn, so the Generator and the array are left alone.
@pytest.mark.parametrize(
    "mean, std, a, b, dtype",
    [
        (0.0, 3.0, -3.6, -3.5999999999999996, np.float64),
        (1e17, 1e16, 0.0, 1.0, np.float32),
    ],
)
def test_trunc_normal_interval_too_narrow(mean, std, a, b, dtype):
    spec = BY_NAME["trunc_normal"]
    out, guard = good_out(spec, dtype)
    expect_error(
        spec,
        out,
        ValueError,
        r"^trunc_normal: \[a, b\] = \[.*\] is too narrow for "
        r"mean=.*, std=.*: its probability rounds to 0 in float64 .*use uniform\(a, b\)",
        guard,
        mean=mean,
        std=std,
        a=a,
        b=b,
    )


def test_trunc_normal_narrow_but_resolvable_still_fills():
    w = fastinit.trunc_normal(np.empty(1000), 0.0, 1.0, 0.5, 0.5 + 1e-12, seed=3)
    assert w.min() >= 0.5 and w.max() <= 0.5 + 1e-12 and np.unique(w).size > 100


def test_trunc_normal_point_mass_outside_the_dtype():
    # std=0 is a point mass at the mean clipped to [a, b]: where that point does not fit the
    # dtype it is an error naming the mean (as for normal), never a silent dtype maximum.
    spec = BY_NAME["trunc_normal"]
    for mean, b in ((1e6, math.inf), (-1e6, 5.0)):
        out, guard = good_out(spec, np.float16)
        expect_error(
            spec,
            out,
            ValueError,
            r"\bmean=-?1000000\.0 with std=0 is outside the "
            r"float16 range \[-65504\.0, 65504\.0\]",
            guard,
            mean=mean,
            std=0.0,
            a=-math.inf,
            b=b,
        )
    # clipped into the range by a finite bound, it fills that bound
    w = fastinit.trunc_normal(np.empty(4, np.float16), 1e6, 0.0, -math.inf, 5.0, seed=0)
    assert np.array_equal(w, np.full(4, 5.0, np.float16))
    w = fastinit.trunc_normal(np.empty(4, np.float16), -1e6, 0.0, -7.0, math.inf, seed=0)
    assert np.array_equal(w, np.full(4, -7.0, np.float16))


@pytest.mark.parametrize("sparsity", [-0.01, 1.01, -1e-300, 2.0])
def test_sparsity_outside_unit_interval(sparsity):
    spec = BY_NAME["sparse"]
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, r"\bsparsity must be in \[0, 1\]", guard, sparsity=sparsity)


# ---- dirac groups ------------------------------------------------------------------------------


@pytest.mark.parametrize("groups", [3, 5, 8])
def test_dirac_groups_must_divide_dim0(groups):
    spec = BY_NAME["dirac"]
    out, guard = good_out(spec)  # dimension 0 is 4
    expect_error(
        spec,
        out,
        ValueError,
        rf"dirac: groups={groups} must divide dimension 0",
        guard,
        groups=groups,
    )


@pytest.mark.parametrize("groups", [0, -1])
def test_dirac_groups_at_least_1(groups):
    spec = BY_NAME["dirac"]
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, r"\bgroups must be >= 1", guard, groups=groups)


@pytest.mark.parametrize(
    "groups",
    [True, False, 2.0, 1.5, "2", None, np.bool_(True)],
    ids=lambda v: f"{type(v).__name__}:{v!r}",
)
def test_dirac_groups_type(groups):
    spec = BY_NAME["dirac"]
    out, guard = good_out(spec)
    expect_error(spec, out, TypeError, r"\bgroups must be an int", guard, groups=groups)


# ---- seed --------------------------------------------------------------------------------------

SEED_RANGE = r"\bseed must be in \[0, 2\*\*64\)"
SEED_TYPE = r"\bseed must be an int, a fastinit\.Generator or None"


@pytest.mark.parametrize("spec", SEEDED, ids=repr)
@pytest.mark.parametrize("seed", [-1, 2**64, -(2**70), np.int64(-1)], ids=str)
def test_seed_out_of_range(spec, seed):
    out, guard = good_out(spec)
    expect_error(spec, out, ValueError, SEED_RANGE, guard, seed=seed)


@pytest.mark.parametrize("spec", SEEDED, ids=repr)
@pytest.mark.parametrize(
    "seed",
    [True, False, np.bool_(False), 1.5, 2.0, "x", b"1", [1], 1j],
    ids=lambda v: f"{type(v).__name__}:{v!r}",
)
def test_seed_wrong_type(spec, seed):
    out, guard = good_out(spec)
    expect_error(spec, out, TypeError, SEED_TYPE, guard, seed=seed)


@pytest.mark.parametrize("dtype", [">f4", ">f8"] if np.little_endian else ["<f4", "<f8"])
def test_dtype_names_its_byte_order(dtype):
    with pytest.raises(
        TypeError,
        match=rf"^dtype must be float32, float64, float16 or bfloat16 "
        rf"\(native byte order\), got '{re.escape(np.dtype(dtype).str)}' "
        rf"\(non-native byte order\)$",
    ):
        fastinit.uniform((2,), dtype=dtype)


@pytest.mark.parametrize("spec", SEEDED, ids=repr)
def test_bad_seed_on_zero_size_out_still_raises(spec):
    shape = (0,) * max(spec.min_ndim, min(spec.ndims or (1,)))
    expect_error(spec, shape, ValueError, SEED_RANGE, seed=-1)
    expect_error(spec, shape, TypeError, SEED_TYPE, seed=1.5)


# ---- dtype= and shapes -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", WITH_DTYPE, ids=repr)
@pytest.mark.parametrize("dtype", ["float32", np.float64, "bfloat16", "int32"], ids=str)
def test_dtype_with_an_array(spec, dtype):
    out, guard = good_out(spec)
    expect_error(
        spec, out, TypeError, r"dtype= is only for the allocating form", guard, dtype=dtype
    )


@pytest.mark.parametrize("spec", WITH_DTYPE, ids=repr)
@pytest.mark.parametrize(
    "dtype",
    [
        "int32",
        "uint32",
        np.int64,
        "bool",
        "complex64",
        object,
        ">f4" if np.little_endian else "<f4",
        "longdouble",
    ],
    ids=str,
)
def test_allocating_with_a_non_float_dtype(spec, dtype):
    expect_error(
        spec,
        spec.shape,
        TypeError,
        r"\bdtype must be float32, float64, float16 or bfloat16",
        dtype=dtype,
    )


@pytest.mark.parametrize("spec", WITH_DTYPE, ids=repr)
def test_allocating_with_an_unknown_dtype_name(spec):
    expect_error(
        spec,
        spec.shape,
        TypeError,
        r"\bdtype must be a NumPy dtype or a dtype name",
        dtype="not-a-dtype",
    )


def test_random_raw_has_no_dtype_argument():
    with pytest.raises(TypeError):
        fastinit.random_raw((4,), dtype="uint32")


def _with_dim(spec, value):
    shape = list(spec.shape)
    shape[-1] = value
    return tuple(shape)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("dim", [-1, -5, np.int64(-2)], ids=str)
def test_shape_negative_dim(spec, dim):
    expect_error(
        spec, _with_dim(spec, dim), ValueError, r"\bout must not contain negative dimensions"
    )


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_negative_int_shape(spec):
    expect_error(spec, -3, ValueError, r"\bout must not contain negative dimensions")


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("dim", [4.0, 2.5, True, "4", None], ids=repr)
def test_shape_non_int_dim(spec, dim):
    expect_error(spec, _with_dim(spec, dim), TypeError, r"\bout must contain only ints")


# ---- values the dtype cannot hold --------------------------------------------------------------

OVERFLOW_CASES = [
    # (scheme, dtype, kwargs, regex)
    (
        "uniform",
        np.float16,
        {"low": -1e5, "high": 1e5},
        r"\blow=-100000\.0 is outside the float16 range",
    ),
    (
        "uniform",
        np.float16,
        {"low": 0.0, "high": 7e4},
        r"\bhigh=70000\.0 is outside the float16 range",
    ),
    ("uniform", BF16, {"low": 0.0, "high": 1e39}, r"\bhigh=1e\+39 is outside the bfloat16 range"),
    (
        "uniform",
        np.float32,
        {"low": -1e39, "high": 0.0},
        r"\blow=-1e\+39 is outside the float32 range",
    ),
    (
        "normal",
        np.float16,
        {"mean": 0.0, "std": 1e5},
        r"\bmean=0\.0, std=100000\.0 would overflow float16",
    ),
    ("normal", np.float16, {"mean": 0.0, "std": 1e4}, r"would overflow float16"),
    ("normal", np.float16, {"mean": 7e4, "std": 0.0}, r"would overflow float16"),
    ("normal", np.float32, {"mean": 0.0, "std": 1e38}, r"would overflow float32"),
    (
        "trunc_normal",
        np.float16,
        {"a": -1e5, "b": 0.0},
        r"\ba=-100000\.0 is outside the float16 range",
    ),
    ("trunc_normal", np.float16, {"std": 1e5, "a": -np.inf, "b": 0.0}, r"would overflow float16"),
    ("constant", np.float16, {"value": 1e5}, r"\bvalue=100000\.0 is outside the float16 range"),
    ("constant", BF16, {"value": -1e39}, r"\bvalue=-1e\+39 is outside the bfloat16 range"),
    # the fan-based schemes name the parameter behind the overflow, not the internal bounds
    ("xavier_uniform", np.float16, {"gain": 1e5}, r"\bgain=100000\.0 is too large for float16"),
    ("xavier_normal", np.float16, {"gain": 1e5}, r"\bgain=100000\.0 is too large for float16"),
    ("xavier_uniform", np.float64, {"gain": 1e160}, r"\bgain=1e\+160 is too large for float64"),
    (
        "xavier_uniform",
        np.float32,
        {"gain": 2.3e38},  # fits, but the span 2 l does not
        r"\bgain=2\.3e\+38 is too large for float32: the span of U\(-1\.78\d*e\+38, ",
    ),
    (
        "variance_scaling",
        np.float16,
        {"scale": 1e12, "distribution": "normal"},
        r"\bscale=1000000000000\.0 is too large for float16: the values could reach 3\.33025e\+06",
    ),
    (
        "variance_scaling",
        np.float16,
        {"scale": 1e12, "distribution": "uniform"},
        r"\bscale=1000000000000\.0 is too large for float16",
    ),
    ("variance_scaling", np.float16, {"scale": 1e12}, r"\bscale=1000000000000\.0 is too large"),
    ("sparse", np.float16, {"std": 1e5}, r"\bstd=100000\.0 would overflow float16"),
    ("orthogonal", np.float16, {"gain": 1e6}, r"\bgain\b.*float16"),
]


@pytest.mark.parametrize(
    "name, dtype, kwargs, match",
    OVERFLOW_CASES,
    ids=[f"{c[0]}-{np.dtype(c[1]).name}-{i}" for i, c in enumerate(OVERFLOW_CASES)],
)
def test_values_beyond_the_dtype(name, dtype, kwargs, match):
    spec = BY_NAME[name]
    out, guard = good_out(spec, np.dtype(dtype))
    with warnings.catch_warnings():
        # an unchecked overflow shows as a cast warning; report it as "did not raise" instead
        warnings.simplefilter("ignore", RuntimeWarning)
        expect_error(spec, out, ValueError, match, guard, **kwargs)


def test_float16_in_range_bounds_are_accepted():
    w = fastinit.uniform(np.empty(1000, np.float16), -65504.0, 65504.0, seed=0)
    assert np.isfinite(w).all() and np.abs(w).max() <= 65504


# ---- in_axis / out_axis ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [s for s in FAN_SPECS if s.name != "orthogonal"], ids=repr)
@pytest.mark.parametrize(
    "axes, exc, match",
    [
        ({"in_axis": 2}, ValueError, r"\bin_axis=2 is out of range"),
        ({"out_axis": -3}, ValueError, r"\bout_axis=-3 is out of range"),
        ({"in_axis": 0}, ValueError, r"\bin_axis and out_axis must refer to different dimensions"),
        ({"in_axis": 1.0}, TypeError, r"\bin_axis must be an int"),
        ({"out_axis": True}, TypeError, r"\bout_axis must be an int"),
    ],
    ids=["in-range", "out-range", "same", "in-float", "out-bool"],
)
def test_bad_axes(spec, axes, exc, match):
    out, guard = good_out(spec)
    expect_error(spec, out, exc, match, guard, **axes)


# ---- zero-size outputs: a no-op that returns out -----------------------------------------------


def zero_shapes(spec):
    if spec.ndims is not None:
        ndims = spec.ndims
    else:
        ndims = tuple(n for n in (1, 2, 3) if n >= spec.min_ndim)
    shapes = []
    for nd in ndims:
        base = list(shape_of_ndim(spec, nd))
        for i in range(nd):
            s = list(base)
            s[i] = 0
            shapes.append(tuple(s))
    return shapes


ZERO_CASES = [(s, sh) for s in SPECS for sh in zero_shapes(s)]


@pytest.mark.parametrize("spec, shape", ZERO_CASES, ids=[f"{s.name}-{sh}" for s, sh in ZERO_CASES])
def test_zero_size_in_place_is_a_no_op(spec, shape):
    for dt in spec.dtypes:
        # a view of a sentinel buffer (nonzero strides) and a plain np.empty (whose strides
        # NumPy 2 may set to 0 for a zero-size array)
        out, guard = sentinel(shape, dt)
        plain = np.empty(shape, dt)
        for arr in (out, plain):
            kw = call_kwargs(spec, {"seed": 3} if spec.seeded else {})
            assert spec.fn(arr, **kw) is arr, f"{spec.name}{shape} strides {arr.strides}"
            assert arr.shape == shape and arr.dtype == dt
        guard.check()


@pytest.mark.parametrize("spec, shape", ZERO_CASES, ids=[f"{s.name}-{sh}" for s, sh in ZERO_CASES])
def test_zero_size_allocating(spec, shape):
    kw = call_kwargs(spec, {"seed": 3} if spec.seeded else {})
    w = spec.fn(shape, **kw)
    assert isinstance(w, np.ndarray) and w.shape == shape
    assert w.dtype == (U32 if spec.raw else np.float32)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.reals], ids=repr)
def test_bad_parameter_on_zero_size_out_still_raises(spec):
    """Validation does not depend on the size of out."""
    param = spec.reals[0][0]
    shape = zero_shapes(spec)[0]
    expect_error(spec, shape, ValueError, rf"\b{param} must not be NaN", **{param: float("nan")})
    expect_error(spec, shape, TypeError, rf"\b{param} must be a real number", **{param: "1"})


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (3, 0, 2)], ids=str)
def test_zero_size_array_with_zero_strides_is_not_a_broadcast_view(shape):
    """A zero-size array has no elements to share, whatever its strides (NumPy 2 gives
    np.empty((0, 5)) strides (0, 0))."""
    a = np.lib.stride_tricks.as_strided(np.empty(1, np.float32), shape, (0,) * len(shape))
    assert a.size == 0 and a.flags.writeable
    assert fastinit.zeros(a) is a
    assert fastinit.uniform(a, seed=0) is a


# ---- in-place use returns out itself, for every kind of writable memory ------------------------


def valid_kwargs(spec, seed=1234):
    return call_kwargs(spec, {"seed": seed} if spec.seeded else {})


def layouts(spec, dt):
    """(label, out) for C order, Fortran order and a strided (sliced) view."""
    shape = spec.shape
    yield "C", np.empty(shape, dt)
    yield "F", np.empty(shape, dt, order="F")
    big = np.empty(tuple(2 * d for d in shape), dt)
    yield "strided", big[tuple(slice(None, None, 2) for _ in shape)]
    yield "reversed", np.empty(shape, dt)[::-1]


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_in_place_returns_out_itself(spec):
    for dt in spec.dtypes:
        ref = spec.fn(spec.shape, **valid_kwargs(spec), **({} if spec.raw else {"dtype": dt}))
        for label, out in layouts(spec, dt):
            got = spec.fn(out, **valid_kwargs(spec))
            assert got is out, f"{spec.name} {dt} {label}: did not return out itself"
            assert np.ascontiguousarray(out).tobytes() == ref.tobytes(), (
                f"{spec.name} {dt} {label}: values differ from the allocating form"
            )


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_in_place_with_a_generator_returns_out(spec):
    out = np.empty(spec.shape, spec.dtypes[0])
    gen = Generator(9)
    assert spec.fn(out, **call_kwargs(spec, {"seed": gen} if spec.seeded else {})) is out
    if spec.seeded:
        assert gen.stream == 1


_MV_FORMATS = {np.dtype(np.float32): "f", np.dtype(np.float64): "d", U32: "I"}


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_memoryview_of_a_bytearray_is_filled_in_place(spec):
    for dt in spec.dtypes:
        fmt = _MV_FORMATS.get(dt)
        if fmt is None or np.dtype(fmt) != dt:
            continue  # memoryview.cast has no float16 / bfloat16 format
        ref = np.empty(spec.shape, dt)
        spec.fn(ref, **valid_kwargs(spec))
        buf = bytearray(ref.nbytes)
        mv = memoryview(buf).cast(fmt, spec.shape)
        assert spec.fn(mv, **valid_kwargs(spec)) is mv
        assert bytes(buf) == ref.tobytes(), f"{spec.name}: the memoryview fill differs"


@pytest.mark.parametrize("spec", [s for s in SPECS if s.accepts(1)], ids=repr)
def test_array_module_buffer_is_filled_in_place(spec):
    import array

    code = "I" if spec.raw else "d"
    if np.dtype(code) != (U32 if spec.raw else np.float64):
        pytest.skip("unusual C type sizes")
    buf = array.array(code, [0] * 10)
    ref = np.empty(10, np.dtype(code))
    spec.fn(ref, **valid_kwargs(spec))
    assert spec.fn(buf, **valid_kwargs(spec)) is buf
    assert buf.tobytes() == ref.tobytes()


class ArrayInterfaceOnly:
    """Exposes another array's memory through __array_interface__ alone."""

    def __init__(self, arr):
        self._keep = arr
        self.__array_interface__ = dict(arr.__array_interface__)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_array_interface_object_is_filled_in_place(spec):
    for dt in spec.dtypes:
        if dt == BF16:
            continue  # __array_interface__ can only say "V2" for bfloat16: NumPy sees void
        ref = np.empty(spec.shape, dt)
        spec.fn(ref, **valid_kwargs(spec))
        target = np.zeros(spec.shape, dt)
        wrapper = ArrayInterfaceOnly(target)
        assert not isinstance(wrapper, np.ndarray) and not hasattr(wrapper, "__array__")
        assert spec.fn(wrapper, **valid_kwargs(spec)) is wrapper
        assert target.tobytes() == ref.tobytes(), f"{spec.name} {dt}: interface fill differs"


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_read_only_array_interface_object(spec):
    dt = spec.dtypes[0]
    target, guard = sentinel(spec.shape, dt)
    wrapper = ArrayInterfaceOnly(target)
    ptr, _ = wrapper.__array_interface__["data"]
    wrapper.__array_interface__["data"] = (ptr, True)  # read-only
    expect_error(spec, wrapper, ValueError, r"out is read-only", guard)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_read_only_memoryview(spec):
    dt = spec.dtypes[0]
    fmt = _MV_FORMATS[dt]
    data = bytes(np.zeros(spec.shape, dt).tobytes())
    mv = memoryview(data).cast(fmt, spec.shape)
    expect_error(spec, mv, ValueError, r"out is read-only")


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_plain_bytearray_is_uint8_and_refused(spec):
    """A bytearray is viewed as uint8 (no float format): the dtype rule refuses it."""
    if not spec.accepts(1):
        pytest.skip("a bytearray is 1-D")
    buf = bytearray(range(16))
    guard = Guard(buf)
    match = (
        r"out must have dtype uint32.*uint8"
        if spec.raw
        else r"out must have a floating dtype.*got uint8"
    )
    expect_error(spec, buf, TypeError, match, guard)


@pytest.mark.parametrize("spec", SEEDED, ids=repr)
def test_failed_call_leaves_the_global_generator(spec):
    """seed=None draws from the global generator only once validation has passed."""
    out, guard = good_out(spec)
    out.flags.writeable = False
    expect_error(spec, out, ValueError, r"out is read-only", guard, seed=None)
    if spec.reals:
        param = spec.reals[0][0]
        out, guard = good_out(spec)
        expect_error(
            spec,
            out,
            ValueError,
            rf"\b{param} must not be NaN",
            guard,
            seed=None,
            **{param: float("nan")},
        )
