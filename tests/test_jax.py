"""fastinit.jax: JAX's initializers with fastinit's bits.

* every initializer equals the NumPy scheme with the matching parameters and
  ``seed=fastinit.jax.seed(key)``, bit for bit (float32, bfloat16, float16; float64 under x64);
* JAX's meanings: uniform on [0, scale), truncation bounds in units of stddev, the variance of
  variance_scaling, JAX's fans (checked against JAX's own fan code), orthogonality;
* keys (typed and legacy alike, split keys differ), jit/vmap/eval_shape, Flax NNX;
* sharded arrays on 4 simulated CPU devices (tests/jax_shard_worker.py, in a subprocess);
* errors name the argument.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402
import ml_dtypes  # noqa: E402

import fastinit  # noqa: E402
import fastinit.jax as fj  # noqa: E402

KEY = jax.random.key(1234)
SEED = 1234  # fj.seed(KEY)
BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = [np.dtype(np.float32), BF16, np.dtype(np.float16)]
TRUNC_STD = 0.87962566103423978


def _bits(x: object) -> bytes:
    return np.asarray(x).tobytes()


def _same(got: object, want: np.ndarray) -> None:
    got_ = np.asarray(got)
    assert got_.dtype == want.dtype and got_.shape == want.shape
    assert got_.tobytes() == want.tobytes()


def _below(scale: float, dt: np.dtype) -> float:
    """The largest value of `dt` below `scale` (the reference's own computation)."""
    x = np.array(scale, np.float64).astype(dt)
    while float(x) >= scale:
        x = np.nextafter(x, np.array(0, dt))
    return float(x)


def _high(scale: float, dt: np.dtype) -> float:
    return scale if dt.itemsize >= 4 else _below(scale, dt)


def _vs_formula(out: np.ndarray, scale: float, n: float, dist: str, seed: int) -> np.ndarray:
    """variance_scaling through the basic schemes, with the variance ``scale / n``."""
    variance = scale / n
    if dist == "truncated_normal":
        s = math.sqrt(variance) / TRUNC_STD
        return fastinit.trunc_normal(out, 0.0, s, -2.0 * s, 2.0 * s, seed=seed)
    if dist == "normal":
        return fastinit.normal(out, 0.0, math.sqrt(variance), seed=seed)
    limit = math.sqrt(3.0 * variance)
    return fastinit.uniform(out, -limit, limit, seed=seed)


def _orthogonal_ref(out: np.ndarray, scale: float, column_axis: int, seed: int) -> np.ndarray:
    shape = out.shape
    c = column_axis % len(shape)
    rest = shape[:c] + shape[c + 1 :]
    q = fastinit.orthogonal(np.empty((math.prod(rest), shape[c]), out.dtype), scale, seed=seed)
    out[...] = np.moveaxis(q.reshape(rest + (shape[c],)), -1, c)
    return out


def _delta_ref(out: np.ndarray, seed: int) -> np.ndarray:
    out[...] = 0
    centre = tuple((k - 1) // 2 for k in out.shape[:-2])
    _orthogonal_ref(out[centre], 1.0, -1, seed)
    return out


# (id, initializer, shape, reference(out, seed) -> out): every scheme, its parameters and axes.
CASES = [
    ("zeros", fj.zeros, (5, 3), lambda o, s: fastinit.zeros(o)),
    ("ones", fj.ones, (5, 3), lambda o, s: fastinit.ones(o)),
    ("constant", fj.constant(-0.3), (5, 3), lambda o, s: fastinit.constant(o, -0.3)),
    (
        "uniform",
        fj.uniform(0.7),
        (33, 7),
        lambda o, s: fastinit.uniform(o, 0.0, _high(0.7, o.dtype), seed=s),
    ),
    (
        "uniform-default",
        fj.uniform(),
        (1001,),
        lambda o, s: fastinit.uniform(o, 0.0, _high(1e-2, o.dtype), seed=s),
    ),
    ("normal", fj.normal(0.02), (33, 7), lambda o, s: fastinit.normal(o, 0.0, 0.02, seed=s)),
    (
        "truncated_normal",
        fj.truncated_normal(0.5, lower=-1.5, upper=2.5),
        (33, 7),
        lambda o, s: fastinit.trunc_normal(o, 0.0, 0.5, -0.75, 1.25, seed=s),
    ),
    (
        "truncated_normal-default",
        fj.truncated_normal(),
        (257,),
        lambda o, s: fastinit.trunc_normal(o, 0.0, 0.01, -0.02, 0.02, seed=s),
    ),
    (
        "truncated_normal-one-sided",
        fj.truncated_normal(2.0, None, 0.5, math.inf),
        (64,),
        lambda o, s: fastinit.trunc_normal(o, 0.0, 2.0, 1.0, math.inf, seed=s),
    ),
    (
        "glorot_uniform",
        fj.glorot_uniform(),
        (48, 20),
        lambda o, s: fastinit.xavier_uniform(o, in_axis=-2, out_axis=-1, seed=s),
    ),
    (
        "glorot_normal",
        fj.glorot_normal(),
        (48, 20),
        lambda o, s: fastinit.variance_scaling(
            o, 1.0, "fan_avg", "truncated_normal", in_axis=-2, out_axis=-1, seed=s
        ),
    ),
    (
        "lecun_uniform",
        fj.lecun_uniform(),
        (3, 3, 8, 16),
        lambda o, s: fastinit.lecun_uniform(o, in_axis=-2, out_axis=-1, seed=s),
    ),
    (
        "lecun_normal",
        fj.lecun_normal(),
        (3, 3, 8, 16),
        lambda o, s: fastinit.variance_scaling(
            o, 1.0, "fan_in", "truncated_normal", in_axis=-2, out_axis=-1, seed=s
        ),
    ),
    (
        "he_uniform",
        fj.he_uniform(),
        (40, 24),
        lambda o, s: fastinit.variance_scaling(
            o, 2.0, "fan_in", "uniform", in_axis=-2, out_axis=-1, seed=s
        ),
    ),
    (
        "he_normal",
        fj.he_normal(),
        (40, 24),
        lambda o, s: fastinit.variance_scaling(
            o, 2.0, "fan_in", "truncated_normal", in_axis=-2, out_axis=-1, seed=s
        ),
    ),
    (
        "variance_scaling-fan_out-normal",
        fj.variance_scaling(0.7, "fan_out", "normal"),
        (40, 24),
        lambda o, s: fastinit.variance_scaling(
            o, 0.7, "fan_out", "normal", in_axis=-2, out_axis=-1, seed=s
        ),
    ),
    (
        "variance_scaling-torch-layout",
        fj.variance_scaling(2.0, "fan_avg", "uniform", in_axis=1, out_axis=0),
        (16, 8, 3, 3),
        lambda o, s: fastinit.variance_scaling(
            o, 2.0, "fan_avg", "uniform", in_axis=1, out_axis=0, seed=s
        ),
    ),
    # Beyond fastinit's fan code: JAX's sequences of axes, batch_axis, fan_geo_avg.
    (
        "variance_scaling-batch_axis",
        fj.variance_scaling(1.5, "fan_in", "truncated_normal", batch_axis=0),
        (3, 10, 7),
        lambda o, s: _vs_formula(o, 1.5, 10.0, "truncated_normal", s),
    ),
    (
        "variance_scaling-axis-sequences",
        fj.variance_scaling(1.0, "fan_avg", "uniform", in_axis=(0, 1), out_axis=-1),
        (3, 4, 5),
        lambda o, s: _vs_formula(o, 1.0, (12 + 5) / 2, "uniform", s),
    ),
    (
        "variance_scaling-fan_geo_avg",
        fj.variance_scaling(2.0, "fan_geo_avg", "normal"),
        (5, 5, 6, 10),
        lambda o, s: _vs_formula(o, 2.0, (150 * 250) ** 0.5, "normal", s),
    ),
    (
        "variance_scaling-1d-bias",
        fj.variance_scaling(1.0, "fan_in", "normal", in_axis=0, out_axis=()),
        (30,),
        lambda o, s: _vs_formula(o, 1.0, 30.0, "normal", s),
    ),
    ("orthogonal", fj.orthogonal(), (12, 5), lambda o, s: fastinit.orthogonal(o, seed=s)),
    (
        "orthogonal-wide-scaled",
        fj.orthogonal(2.0),
        (4, 9),
        lambda o, s: fastinit.orthogonal(o, 2.0, seed=s),
    ),
    (
        "orthogonal-column_axis",
        fj.orthogonal(0.5, column_axis=0),
        (6, 3, 2),
        lambda o, s: _orthogonal_ref(o, 0.5, 0, s),
    ),
    ("delta_orthogonal", fj.delta_orthogonal(), (3, 3, 4, 6), lambda o, s: _delta_ref(o, s)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize(("name", "init", "shape", "ref"), CASES, ids=IDS)
def test_equals_numpy_scheme(name, init, shape, ref, dtype):
    got = init(KEY, shape, dtype)
    assert isinstance(got, jax.Array)
    _same(got, ref(np.empty(shape, dtype), SEED))  # orthogonal: one LAPACK, one process


def test_equals_numpy_scheme_float64():
    with jax.enable_x64(True):
        for name, init, shape, ref in CASES:
            got = init(KEY, shape)  # JAX's default float dtype is float64 here
            assert got.dtype == np.float64, name
            _same(got, ref(np.empty(shape, np.float64), SEED))


def test_issue_contract():
    """The issue's example, literally: glorot_uniform is xavier_uniform in JAX's layout."""
    k = jax.random.key(7)
    shape = (300, 200)
    want = fastinit.xavier_uniform(np.empty(shape), in_axis=-2, out_axis=-1, seed=fj.seed(k))
    with jax.enable_x64(True):
        _same(fj.glorot_uniform()(k, shape), want)
    _same(
        fj.glorot_uniform()(k, shape),
        fastinit.xavier_uniform(
            np.empty(shape, np.float32), in_axis=-2, out_axis=-1, seed=fj.seed(k)
        ),
    )


def test_aliases_and_protocol():
    assert fj.xavier_uniform is fj.glorot_uniform
    assert fj.xavier_normal is fj.glorot_normal
    assert fj.kaiming_uniform is fj.he_uniform
    assert fj.kaiming_normal is fj.he_normal
    for name in ("zeros", "ones"):
        assert isinstance(getattr(fj, name), jax.nn.initializers.Initializer)
    assert isinstance(fj.lecun_normal(), jax.nn.initializers.Initializer)
    assert repr(fj.normal(0.5)) == "fastinit.jax.normal(stddev=0.5)"
    # every initializer JAX has that fastinit.jax implements has its name here
    for name in (
        "constant",
        "uniform",
        "normal",
        "truncated_normal",
        "variance_scaling",
        "glorot_uniform",
        "glorot_normal",
        "lecun_uniform",
        "lecun_normal",
        "he_uniform",
        "he_normal",
        "orthogonal",
        "delta_orthogonal",
        "xavier_uniform",
        "xavier_normal",
        "kaiming_uniform",
        "kaiming_normal",
        "zeros",
        "ones",
    ):
        assert hasattr(jax.nn.initializers, name) and hasattr(fj, name)


def test_default_dtype_and_factory_dtype():
    assert fj.normal()(KEY, (3,)).dtype == np.float32
    assert fj.normal(dtype=jnp.bfloat16)(KEY, (3,)).dtype == BF16
    assert fj.normal(dtype=jnp.bfloat16)(KEY, (3,), jnp.float16).dtype == np.float16
    assert fj.lecun_normal(dtype="float16")(KEY, (3, 4)).dtype == np.float16
    with pytest.warns(UserWarning, match="jax_enable_x64"):
        x = fj.normal()(KEY, (3,), jnp.float64)
    assert x.dtype == np.float32


def test_zero_size():
    for init in (fj.normal(), fj.glorot_uniform(), fj.orthogonal(), fj.constant(1.0)):
        x = init(KEY, (0, 4))
        assert x.shape == (0, 4) and x.dtype == np.float32


# ---- JAX's meanings (fixed seeds; every bound is at least 5 standard errors) -----------------

N = 2**20


@pytest.mark.parametrize("scale", [1.0, 3.0, 0.1, 2.0**-3, 1e-2])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_uniform_half_open(scale, dtype):
    x = np.asarray(fj.uniform(scale)(KEY, (N,), dtype)).astype(np.float64)
    assert x.min() >= 0.0 and x.max() < scale
    # U[0, high] (high: scale, or the largest 16-bit value below it) rounded to nearest: mean
    # high/2, standard error scale / sqrt(12 N) = 0.00028 scale; bound 0.002 scale (7 se)
    assert abs(x.mean() - _high(scale, dtype) / 2) < 0.002 * scale


def test_normal_moments():
    x = np.asarray(fj.normal(0.02)(KEY, (N,))).astype(np.float64)
    # se(mean) = 0.02 / 1024; se(std)/std = 1/sqrt(2N) = 0.0007; bounds 5 se
    assert abs(x.mean()) < 5 * 0.02 / 1024
    assert abs(x.std() / 0.02 - 1) < 0.0035


@pytest.mark.parametrize(("lower", "upper"), [(-2.0, 2.0), (-1.0, 0.5), (0.5, 3.0)])
def test_truncated_normal_bounds_in_units_of_stddev(lower, upper):
    from scipy.stats import truncnorm

    stddev = 0.3
    x = np.asarray(fj.truncated_normal(stddev, lower=lower, upper=upper)(KEY, (N,)))
    x = x.astype(np.float64)
    assert x.min() >= lower * stddev and x.max() <= upper * stddev
    law = truncnorm(lower, upper, scale=stddev)
    se = math.sqrt(law.var() / N)
    assert abs(x.mean() - law.mean()) < 5 * se
    assert abs(x.var() / law.var() - 1) < 0.01  # se of the ratio < 0.0014


@pytest.mark.parametrize("dist", ["truncated_normal", "normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
def test_variance_scaling_variance(mode, dist):
    shape = (3, 3, 64, 256)  # fan_in 576, fan_out 2304
    fan_in, fan_out = 576, 2304
    n = {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "fan_avg": (fan_in + fan_out) / 2,
        "fan_geo_avg": math.sqrt(fan_in * fan_out),
    }[mode]
    x = np.asarray(fj.variance_scaling(2.0, mode, dist)(KEY, shape)).astype(np.float64)
    variance = 2.0 / n
    # se of the sample variance / variance: sqrt((kurtosis - 1) / N) <= 0.0014 here (the
    # normal's kurtosis 3 and N = 147456 elements); bound 0.01 (7 se)
    assert abs(x.var() / variance - 1) < 0.01
    if dist == "truncated_normal":
        s = math.sqrt(variance) / TRUNC_STD
        assert np.abs(x).max() <= 2 * s
    if dist == "uniform":
        assert np.abs(x).max() <= math.sqrt(3 * variance)


def test_fans_are_jaxs():
    compute_fans = pytest.importorskip("jax._src.nn.initializers")._compute_fans
    from fastinit.jax.variance_scaling import fans

    cases = [
        ((5, 7), -2, -1, ()),
        ((3, 3, 8, 16), -2, -1, ()),
        ((16, 8, 3, 3), 1, 0, ()),
        ((3, 4, 5), (0, 1), -1, ()),
        ((4, 6, 5, 7), 1, 2, 0),
        ((2, 3, 4, 5, 6), -2, -1, (0, 1)),
        ((30,), 0, (), ()),
        ((4, 5, 6), [1], [2], [0]),
    ]
    for shape, i, o, b in cases:
        assert fans(shape, i, o, b) == compute_fans(shape, i, o, b), (shape, i, o, b)


@pytest.mark.parametrize(
    ("shape", "column_axis"), [((8, 5), -1), ((5, 8), -1), ((4, 3, 6), 0), ((3, 4, 5), 1)]
)
def test_orthogonal_meaning(shape, column_axis):
    x = np.asarray(fj.orthogonal(1.5, column_axis)(KEY, shape, jnp.float32)).astype(np.float64)
    m = np.moveaxis(x, column_axis, -1).reshape(-1, shape[column_axis])  # rows x columns
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    assert gram.shape == (small, small)
    np.testing.assert_allclose(gram, 2.25 * np.eye(small), atol=1e-5)


# ---- keys ---------------------------------------------------------------------------------------


def test_seed_mapping():
    assert fj.seed(jax.random.key(42)) == 42
    assert fj.seed(jax.random.PRNGKey(42)) == 42
    assert fj.seed(np.array([1, 2], np.uint32)) == (1 << 32) | 2
    data = np.asarray(jax.random.key_data(KEY))
    assert fj.seed(KEY) == (int(data[0]) << 32) | int(data[1]) == SEED
    with jax.enable_x64(True):
        assert fj.seed(jax.random.key(2**40 + 5)) == 2**40 + 5
        assert fj.seed(jax.random.key(-1)) == 2**64 - 1


def test_typed_and_legacy_keys_equal():
    legacy = jax.random.PRNGKey(1234)
    for init in (fj.normal(), fj.he_uniform(), fj.orthogonal()):
        _same(init(legacy, (6, 4)), np.asarray(init(KEY, (6, 4))))
        _same(init(np.asarray(legacy), (6, 4)), np.asarray(init(KEY, (6, 4))))


def test_split_keys_differ():
    # (JAX's own split(key, n)[i] is fold_in(key, i): the same key, hence fold_in(KEY, 99))
    keys = list(jax.random.split(KEY, 4)) + [jax.random.fold_in(KEY, 99)]
    seeds = {fj.seed(k) for k in keys} | {SEED}
    assert len(seeds) == 6
    arrays = {_bits(fj.normal(1.0)(k, (64,))) for k in keys}
    assert len(arrays) == 5
    for k in keys:  # and each is the NumPy stream of its own seed
        _same(fj.normal(1.0)(k, (64,)), fastinit.normal((64,), 0.0, 1.0, seed=fj.seed(k)))


# ---- transformations and Flax -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "init", "shape", "ref"),
    [CASES[i] for i in (2, 3, 6, 10, 17, 21, 24)],
    ids=[IDS[i] for i in (2, 3, 6, 10, 17, 21, 24)],
)
def test_jit_equals_eager(name, init, shape, ref):
    for dtype in (jnp.float32, jnp.bfloat16):
        jitted = jax.jit(lambda k, init=init, dtype=dtype: init(k, shape, dtype))
        _same(jitted(KEY), np.asarray(init(KEY, shape, dtype)))
    legacy = jax.jit(lambda k: init(k, shape))(jax.random.PRNGKey(1234))
    _same(legacy, np.asarray(init(KEY, shape)))


def test_vmap_and_eval_shape():
    keys = jax.random.split(KEY, 3)
    init = fj.lecun_normal()
    stacked = jax.vmap(lambda k: init(k, (8, 4)))(keys)
    for i in range(3):
        _same(stacked[i], np.asarray(init(keys[i], (8, 4))))
    out = jax.eval_shape(lambda k: init(k, (8, 4), jnp.bfloat16), KEY)
    assert out.shape == (8, 4) and out.dtype == BF16


def test_flax_nnx():
    nnx = pytest.importorskip("flax.nnx")
    model = nnx.Linear(16, 8, kernel_init=fj.lecun_normal(), bias_init=fj.zeros, rngs=nnx.Rngs(0))
    key = nnx.Rngs(0).params()  # the key the layer drew its kernel with
    _same(model.kernel[...], np.asarray(fj.lecun_normal()(key, (16, 8))))
    _same(
        model.kernel[...],
        fastinit.variance_scaling(
            np.empty((16, 8), np.float32),
            1.0,
            "fan_in",
            "truncated_normal",
            in_axis=-2,
            out_axis=-1,
            seed=fj.seed(key),
        ),
    )
    assert not np.asarray(model.bias[...]).any()
    jitted = nnx.jit(lambda: nnx.Linear(16, 8, kernel_init=fj.lecun_normal(), rngs=nnx.Rngs(0)))()
    _same(jitted.kernel[...], np.asarray(model.kernel[...]))
    conv = nnx.Conv(
        3, 4, (3, 3), kernel_init=fj.he_normal(), param_dtype=jnp.bfloat16, rngs=nnx.Rngs(1)
    )
    key = nnx.Rngs(1).params()
    _same(conv.kernel[...], np.asarray(fj.he_normal()(key, (3, 3, 3, 4), jnp.bfloat16)))
    y = model(jnp.ones((2, 16)))
    assert y.shape == (2, 8)


# ---- sharded arrays (4 simulated CPU devices, in a subprocess) ----------------------------------


def test_sharded_arrays_equal_unsharded():
    worker = Path(__file__).with_name("jax_shard_worker.py")
    env = dict(
        os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu"
    )
    proc = subprocess.run(
        [sys.executable, str(worker)], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) > 100
    bad = {k: v for k, v in results.items() if v is not True}
    assert not bad, bad


def test_sharding_one_device_and_errors():
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    mesh = jax.make_mesh((1,), ("x",))
    s = NamedSharding(mesh, P("x"))
    for init in (fj.normal(), fj.orthogonal(), fj.ones):
        x = init(KEY, (4, 6), out_sharding=s)
        assert x.sharding.is_equivalent_to(s, 2)
        _same(x, np.asarray(init(KEY, (4, 6))))
    with pytest.raises(ValueError, match="out_sharding"):
        fj.normal()(KEY, (4, 6), out_sharding=P("x"))  # no jax.set_mesh
    with pytest.raises(TypeError, match="out_sharding"):
        fj.normal()(KEY, (4, 6), out_sharding="x")


# ---- errors --------------------------------------------------------------------------------------

FACTORY_ERRORS = [
    (lambda: fj.uniform("a"), TypeError, "scale"),
    (lambda: fj.uniform(-1.0), ValueError, "scale"),
    (lambda: fj.uniform(math.inf), ValueError, "scale"),
    (lambda: fj.normal(math.nan), ValueError, "stddev"),
    (lambda: fj.normal(-0.1), ValueError, "stddev"),
    (lambda: fj.truncated_normal(-1.0), ValueError, "stddev"),
    (lambda: fj.truncated_normal(1.0, lower=2.0, upper=1.0), ValueError, "lower"),
    (lambda: fj.truncated_normal(1.0, lower=math.nan), ValueError, "lower"),
    (lambda: fj.truncated_normal(1.0, upper="x"), TypeError, "upper"),
    (lambda: fj.variance_scaling(0.0, "fan_in", "normal"), ValueError, "scale"),
    (lambda: fj.variance_scaling(1.0, "fan", "normal"), ValueError, "mode"),
    (lambda: fj.variance_scaling(1.0, "FAN_IN", "normal"), ValueError, "mode"),
    (lambda: fj.variance_scaling(1.0, "fan_in", "cauchy"), ValueError, "distribution"),
    (lambda: fj.variance_scaling(1.0, "fan_in", "untruncated_normal"), ValueError, "distribution"),
    (lambda: fj.variance_scaling(1.0, 3, "normal"), TypeError, "mode"),
    (lambda: fj.glorot_uniform(in_axis="a"), TypeError, "in_axis"),
    (lambda: fj.he_normal(batch_axis=1.5), TypeError, "batch_axis"),
    (lambda: fj.orthogonal(column_axis=1.5), TypeError, "column_axis"),
    (lambda: fj.orthogonal(math.inf), ValueError, "scale"),
    (lambda: fj.constant("x"), TypeError, "value"),
    (lambda: fj.constant(math.nan), ValueError, "value"),
    (lambda: fj.constant(jnp.ones(3)), TypeError, "value"),
    (lambda: fj.normal(dtype=jnp.int32), TypeError, "dtype"),
]


@pytest.mark.parametrize(
    ("make", "exc", "word"),
    FACTORY_ERRORS,
    ids=[f"{i}-{e[2]}" for i, e in enumerate(FACTORY_ERRORS)],
)
def test_factory_errors(make, exc, word):
    with pytest.raises(exc, match=word):
        make()


CALL_ERRORS = [
    (lambda: fj.normal()(KEY, "ab"), TypeError, "shape"),
    (lambda: fj.normal()(KEY, (3, -1)), ValueError, "shape"),
    (lambda: fj.normal()(KEY, (3,), jnp.int32), TypeError, "dtype"),
    (lambda: fj.normal()(KEY, (3,), jnp.complex64), TypeError, "dtype"),
    (lambda: fj.normal(1e5)(KEY, (3,), jnp.float16), ValueError, "stddev"),
    (lambda: fj.uniform(1e5)(KEY, (3,), jnp.float16), ValueError, "scale"),
    (
        lambda: fj.truncated_normal(1.0, lower=-1e6, upper=0.0)(KEY, (3,), jnp.float16),
        ValueError,
        "lower",
    ),
    (lambda: fj.constant(1e6)(KEY, (3,), jnp.float16), ValueError, "value"),
    (lambda: fj.glorot_uniform()(KEY, (5,)), ValueError, "in_axis"),
    (lambda: fj.glorot_uniform(out_axis=3)(KEY, (5, 4)), ValueError, "out_axis"),
    (lambda: fj.glorot_uniform(in_axis=0, out_axis=0)(KEY, (5, 4)), ValueError, "distinct"),
    (lambda: fj.he_normal(batch_axis=(0, -1))(KEY, (5, 4, 3)), ValueError, "distinct"),
    (lambda: fj.orthogonal()(KEY, (5,)), ValueError, "shape"),
    (lambda: fj.orthogonal(column_axis=2)(KEY, (5, 4)), ValueError, "column_axis"),
    (lambda: fj.orthogonal(1e6)(KEY, (5, 4), jnp.float16), ValueError, "scale"),
    (lambda: fj.delta_orthogonal()(KEY, (5, 4)), ValueError, "shape"),
    (lambda: fj.delta_orthogonal()(KEY, (3, 5, 4)), ValueError, "shape"),
    (lambda: fj.normal()(5, (3,)), TypeError, "key"),
    (lambda: fj.normal()(jnp.zeros(2), (3,)), TypeError, "key"),
    (lambda: fj.normal()(jnp.zeros(3, jnp.uint32), (3,)), ValueError, "key"),
    (lambda: fj.normal()(jax.random.split(KEY, 2), (3,)), ValueError, "key"),
    (lambda: fj.normal()(jax.random.key(0, impl="rbg"), (3,)), ValueError, "threefry"),
    (lambda: jax.jit(fj.seed)(KEY), TypeError, "traced"),
]


@pytest.mark.parametrize(
    ("call", "exc", "word"), CALL_ERRORS, ids=[f"{i}-{e[2]}" for i, e in enumerate(CALL_ERRORS)]
)
def test_call_errors(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_errors_raise_before_jit_runs():
    """Inside jit, a bad argument raises the same Python error at trace time."""
    with pytest.raises(ValueError, match="in_axis"):
        jax.jit(lambda k: fj.glorot_uniform()(k, (5,)))(KEY)


def test_import_fastinit_does_not_import_jax():
    code = (
        "import sys, fastinit, numpy as np; fastinit.normal((4,), seed=0); "
        "assert 'jax' not in sys.modules and 'flax' not in sys.modules, 'jax imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "module",
    [
        "fastinit.jax.initializers",
        "fastinit.jax.variance_scaling",
        "fastinit.jax.orthogonal",
        "fastinit.jax._keys",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(module)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(mod, optionflags=flags, verbose=False, report=False)
    assert result.attempted >= 2
    assert result.failed == 0, f"{module}: {result.failed} of {result.attempted} failed"
