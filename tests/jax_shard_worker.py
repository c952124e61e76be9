"""Sharded fastinit.jax arrays on simulated CPU devices, run by tests/test_jax.py in a subprocess.

    XLA_FLAGS=--xla_force_host_platform_device_count=4 python tests/jax_shard_worker.py

(the flag must be set before JAX initializes, hence a process of its own). Every check compares
a sharded array with the unsharded array of the same initializer and key, bit for bit: the
whole array, every addressable shard against ``whole[shard.index]``, and the sharding. Prints
one JSON object ``{check name: true, or a string saying what differs}``.
"""

from __future__ import annotations

import functools
import json
import traceback
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import fastinit.jax as fj
from fastinit.jax import _arrays

RESULTS: dict[str, object] = {}
KEY = jax.random.key(2024)


def _bits(x: object) -> bytes:
    return np.asarray(x).tobytes()


def compare(name: str, got: jax.Array, want: np.ndarray, sharding: object) -> None:
    """`got` (sharded) against `want` (the unsharded array's values)."""
    if got.shape != want.shape or got.dtype != want.dtype:
        RESULTS[name] = f"shape/dtype {got.shape} {got.dtype} != {want.shape} {want.dtype}"
        return
    if _bits(got) != want.tobytes():
        RESULTS[name] = "values differ from the unsharded array"
        return
    for shard in got.addressable_shards:
        if _bits(shard.data) != np.ascontiguousarray(want[shard.index]).tobytes():
            RESULTS[name] = f"shard {shard.index} on {shard.device} differs"
            return
    if isinstance(sharding, NamedSharding) and not got.sharding.is_equivalent_to(
        sharding, len(want.shape)
    ):
        RESULTS[name] = f"sharding {got.sharding} != {sharding}"
        return
    RESULTS[name] = True


def check(name: str, make: Callable[[], jax.Array], want: np.ndarray, sharding: object) -> None:
    """``compare(name, make(), ...)``, an exception reported as the check's result."""
    try:
        compare(name, make(), want, sharding)
    except Exception:  # noqa: BLE001 - reported to the test
        RESULTS[name] = traceback.format_exc(limit=4)


def main() -> None:
    devices = jax.devices()
    RESULTS["four devices"] = len(devices) == 4 or f"{len(devices)} devices"
    explicit = (AxisType.Explicit,) * 2
    auto = (AxisType.Auto,) * 2
    meshes = {
        "2x2": jax.make_mesh((2, 2), ("x", "y"), axis_types=explicit),
        "2x2-auto": jax.make_mesh((2, 2), ("x", "y"), axis_types=auto),
        "2x2-reversed": Mesh(
            np.array(devices[::-1]).reshape(2, 2), ("x", "y"), axis_types=explicit
        ),
        "4": jax.make_mesh((4,), ("x",), axis_types=(AxisType.Explicit,)),
    }
    inits = {
        "normal-bf16": (fj.normal(0.5), jnp.bfloat16),
        "uniform": (fj.uniform(2.0), jnp.float32),
        "truncated_normal": (fj.truncated_normal(1.0, lower=-1.0, upper=3.0), jnp.float32),
        "glorot_uniform": (fj.glorot_uniform(), jnp.float32),
        "he_normal-f16": (fj.he_normal(), jnp.float16),
        "lecun_normal": (fj.lecun_normal(), jnp.float32),
        "variance_scaling-geo": (
            fj.variance_scaling(1.5, "fan_geo_avg", "uniform", in_axis=0, out_axis=-1),
            jnp.float32,
        ),
        "orthogonal": (fj.orthogonal(2.0), jnp.float32),
        "constant": (fj.constant(0.25), jnp.bfloat16),
    }
    # (mesh, shape, spec): sharded along one or both axes, transposed, partially replicated,
    # fully replicated, over both mesh axes at once, with odd unsharded dimensions, 1-D and 3-D.
    layouts = [
        ("2x2", (8, 6), P("x", "y")),
        ("2x2", (8, 6), P("y", "x")),
        ("2x2", (8, 6), P(None, "y")),
        ("2x2", (8, 6), P()),
        ("2x2", (8, 6), P(("x", "y"))),
        ("2x2-auto", (8, 6), P("x", "y")),
        ("2x2-reversed", (6, 10), P("x", "y")),
        ("4", (12, 5), P("x")),
        ("4", (3, 8), P(None, "x")),
        ("2x2", (2, 8, 3), P(None, ("x", "y"))),
        ("2x2", (4, 6, 3), P("y", "x", None)),
    ]
    for mesh_name, shape, spec in layouts:
        sharding = NamedSharding(meshes[mesh_name], spec)
        for init_name, (init, dtype) in inits.items():
            want = np.asarray(init(KEY, shape, dtype))
            make = functools.partial(init, KEY, shape, dtype, sharding)
            check(f"{init_name} {shape} {mesh_name} {spec}", make, want, sharding)
    # 1-D arrays: the schemes without fans.
    sharding = NamedSharding(meshes["4"], P("x"))
    for init_name in ("normal-bf16", "uniform", "truncated_normal", "constant"):
        init, dtype = inits[init_name]
        want = np.asarray(init(KEY, (16,), dtype))
        make = functools.partial(init, KEY, (16,), dtype, sharding)
        check(f"{init_name} (16,) 4 P('x')", make, want, sharding)

    # Inside jax.jit (pure_callback, then the sharding), on explicit and auto meshes.
    for mesh_name in ("2x2", "2x2-auto"):
        sharding = NamedSharding(meshes[mesh_name], P("x", "y"))
        for init_name in ("he_normal-f16", "orthogonal", "constant"):
            init, dtype = inits[init_name]
            want = np.asarray(init(KEY, (8, 6), dtype))
            fn = jax.jit(functools.partial(init, shape=(8, 6), dtype=dtype, out_sharding=sharding))
            check(f"jit {init_name} {mesh_name}", functools.partial(fn, KEY), want, sharding)

    # A PartitionSpec on the mesh of jax.set_mesh, eagerly and inside jit.
    mesh = meshes["2x2"]
    init, dtype = inits["lecun_normal"]
    want = np.asarray(init(KEY, (8, 6), dtype))
    with jax.set_mesh(mesh):
        make = functools.partial(init, KEY, (8, 6), dtype, P(None, "y"))
        check("set_mesh P eager", make, want, NamedSharding(mesh, P(None, "y")))
        fn = jax.jit(functools.partial(init, shape=(8, 6), dtype=dtype, out_sharding=P("x")))
        check("set_mesh P jit", functools.partial(fn, KEY), want, NamedSharding(mesh, P("x")))

    # Each device's callback fills only its shard: no buffer larger than a shard is made.
    sizes: list[int] = []
    real_empty = _arrays.empty

    def counting(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        sizes.append(int(np.prod(shape)))
        return real_empty(shape, dtype)

    _arrays.empty = counting
    try:
        init, dtype = inits["glorot_uniform"]
        init(KEY, (64, 32), dtype, NamedSharding(meshes["2x2"], P("x", "y")))
        RESULTS["shard-sized buffers"] = (sizes == [32 * 16] * 4) or f"buffers {sizes}"
    finally:
        _arrays.empty = real_empty


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - reported to the test
        RESULTS["main"] = traceback.format_exc()
    print(json.dumps(RESULTS))
