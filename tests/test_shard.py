"""Sharded fills: out receives full[index] of the logical tensor, bit for bit, for every random
scheme, dtype and kind of shard (rows, columns, N-d blocks, steps, ints), into any layout."""

from __future__ import annotations

import numpy as np
import pytest

import fastinit

FULL2 = (96, 80)
FULL4 = (12, 10, 3, 5)

SCHEMES = {
    "uniform": lambda o, **k: fastinit.uniform(o, -0.5, 2.0, **k),
    "normal": lambda o, **k: fastinit.normal(o, 0.1, 0.7, **k),
    "trunc_normal": lambda o, **k: fastinit.trunc_normal(o, 0.0, 1.0, -1.5, 2.5, **k),
    "trunc_far": lambda o, **k: fastinit.trunc_normal(o, 0.0, 1.0, 40.0, 41.0, **k),
    "xavier_uniform": lambda o, **k: fastinit.xavier_uniform(o, **k),
    "xavier_normal": lambda o, **k: fastinit.xavier_normal(o, 1.3, **k),
    "kaiming_uniform": lambda o, **k: fastinit.kaiming_uniform(o, nonlinearity="relu", **k),
    "kaiming_normal": lambda o, **k: fastinit.kaiming_normal(o, mode="fan_out", **k),
    "lecun_uniform": lambda o, **k: fastinit.lecun_uniform(o, **k),
    "lecun_normal": lambda o, **k: fastinit.lecun_normal(o, **k),
    "vs_trunc": lambda o, **k: fastinit.variance_scaling(o, 2.0, "fan_avg", **k),
    "vs_keras": lambda o, **k: fastinit.variance_scaling(
        o, 1.0, "fan_in", "uniform", in_axis=-2, out_axis=-1, **k
    ),
    "sparse": lambda o, **k: fastinit.sparse(o, 0.35, 0.02, **k),
}
INDICES2 = [
    np.s_[:48],
    np.s_[48:],
    np.s_[:, :40],
    np.s_[:, 40:],
    np.s_[10:70, 5:75],
    np.s_[::3, 1::4],
    np.s_[::-1, ::-2],
    np.s_[7],
    np.s_[:, 13],
    np.s_[95, 79],
    np.s_[-5:, -7:],
    np.s_[30:30],
]
INDICES4 = [np.s_[:6], np.s_[:, 5:], np.s_[2:9:3, ::-3, 1, 1:], np.s_[4, :, :, 2]]


def _as_tuple(idx):
    return idx if isinstance(idx, tuple) else (idx,)


def _check(name, full_shape, idx, dtype, layout="c"):
    fn = SCHEMES[name]
    whole = fn(np.empty(full_shape, dtype), seed=fastinit.Generator(7, stream=3))
    want = whole[idx]
    out = np.empty(want.shape, dtype)
    if layout == "f":
        out = np.asfortranarray(out)
    elif layout == "strided" and want.ndim >= 1:
        base = np.full(tuple(2 * d + 1 for d in want.shape), -9.0, dtype)
        out = base[tuple(slice(1, None, 2) for _ in want.shape)]
    got = fn(out, seed=fastinit.Generator(7, stream=3), full_shape=full_shape, index=_as_tuple(idx))
    assert got is out

    def raw(a):
        return np.ascontiguousarray(a).reshape(-1).view(np.uint8)

    assert np.array_equal(raw(out), raw(want)), (name, idx, dtype, layout)


@pytest.mark.parametrize("name", sorted(SCHEMES))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_2d_shards_equal_the_whole(name, dtype):
    from fastinit._input.dtypes import resolve_dtype

    dt = resolve_dtype(dtype)
    for idx in INDICES2:
        _check(name, FULL2, idx, dt)


@pytest.mark.parametrize("name", sorted(set(SCHEMES) - {"sparse"}))
def test_4d_blocks_and_layouts(name):
    for idx in INDICES4:
        for layout in ("c", "f", "strided"):
            _check(name, FULL4, idx, np.float32, layout)


def test_row_and_column_shards_tile_the_whole():
    whole = fastinit.kaiming_normal((64, 32), seed=5)
    rows = [
        fastinit.kaiming_normal((16, 32), seed=5, full_shape=(64, 32), index=(slice(i, i + 16),))
        for i in range(0, 64, 16)
    ]
    cols = [
        fastinit.kaiming_normal(
            (64, 8), seed=5, full_shape=(64, 32), index=(slice(None), slice(j, j + 8))
        )
        for j in range(0, 32, 8)
    ]
    assert np.array_equal(np.concatenate(rows, axis=0), whole)
    assert np.array_equal(np.concatenate(cols, axis=1), whole)


def test_fans_come_from_full_shape():
    shard = fastinit.xavier_uniform(
        (4, 1000), seed=0, full_shape=(4000, 1000), index=(slice(0, 4),)
    )
    assert np.abs(shard).max() <= (6 / 5000) ** 0.5
    assert np.abs(shard).max() > (6 / 5000) ** 0.5 * 0.99  # not the (4, 1000) bound


def test_raw_words_shard():
    whole = fastinit.random_raw((50, 60), seed=2**33)
    part = fastinit.random_raw(
        (25, 20), seed=2**33, full_shape=(50, 60), index=(slice(1, None, 2), slice(40, None))
    )
    assert np.array_equal(part, whole[1::2, 40:])


def test_same_on_every_thread_count():
    a = fastinit.normal(
        (300, 700), seed=1, full_shape=(600, 1400), index=(slice(100, 400), slice(None, None, 2))
    )
    fastinit.set_num_threads(1)
    try:
        b = fastinit.normal(
            (300, 700),
            seed=1,
            full_shape=(600, 1400),
            index=(slice(100, 400), slice(None, None, 2)),
        )
    finally:
        fastinit.set_num_threads(len(__import__("os").sched_getaffinity(0)))
    assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"index": (slice(0, 2),)}, ValueError, "index= needs full_shape="),
        ({"full_shape": (8, 4), "index": (slice(0, 5),)}, ValueError, r"out has shape \(4, 4\)"),
        (
            {"full_shape": (8, 4), "index": (slice(0, 4), 1.5)},
            TypeError,
            "tuple of ints and slices",
        ),
        ({"full_shape": (8, 4), "index": (9,)}, ValueError, "out of range"),
        ({"full_shape": (8, 4), "index": (slice(0, 4, 0),)}, ValueError, "step of 0"),
        ({"full_shape": (8, 4, 2, 1), "index": (1, 2, 3, 4, 5)}, ValueError, "has 5 entries"),
        ({"full_shape": [8, 4]}, TypeError, "full_shape must be a tuple"),
    ],
)
def test_bad_shards(kwargs, exc, match):
    out = np.full((4, 4), 3.0, np.float32)
    gen = fastinit.Generator(1)
    with pytest.raises(exc, match=match):
        fastinit.uniform(out, seed=gen, **kwargs)
    assert (out == 3.0).all() and gen.stream == 0


def test_orthogonal_refuses_shards_and_says_why():
    with pytest.raises(ValueError, match="depends on the whole matrix"):
        fastinit.orthogonal(np.empty((4, 4)), full_shape=(8, 4), index=(slice(0, 4),))


def test_fan_scheme_needs_a_2d_full_shape():
    with pytest.raises(ValueError, match="full_shape must have at least 2 dimensions"):
        fastinit.xavier_uniform(np.empty(4), full_shape=(16,), index=(slice(0, 4),))
