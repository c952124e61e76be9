"""fastinit.jax against jax.nn.initializers on the CPU: a 2**26-element float32 normal and
truncated normal (docs/jax.md).

    python benchmarks/jax_init.py [--log2-size 26] [--repeat 7] [--json out.json]

Each method makes a new ``jax.Array`` per call and is timed to ``block_until_ready()``; one
untimed warm-up call first (JAX compiles its sampler then), then the median of `--repeat` calls.

* ``fastinit.jax``: ``fj.normal(1.0)`` and ``fj.truncated_normal(1.0)`` called eagerly (the fill
  runs on fastinit's threads into a 64-byte aligned buffer that JAX's CPU client takes without
  a copy);
* ``fastinit.jax, jit``: the same inside ``jax.jit`` (``pure_callback``: the fill, then XLA
  copies the result into its own buffer);
* ``jax.nn.initializers``: ``normal(1.0)`` and ``truncated_normal(1.0)`` (threefry2x32), eagerly
  and inside ``jax.jit``.

Throughput is in Gsamples/s (elements per second / 1e9); the ratio is fastinit.jax's eager
throughput over each method's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp

import fastinit
import fastinit.jax as fj


def _median_seconds(fn: Callable[[], jax.Array], repeat: int) -> float:
    fn().block_until_ready()  # warm-up: compilation, first-touch of the allocator
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        out.block_until_ready()
        times.append(time.perf_counter() - t0)
        del out
    return statistics.median(times)


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log2-size", type=int, default=26, help="elements: 2**N (default 26)")
    parser.add_argument("--repeat", type=int, default=7, help="timed calls per method")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    n = 2**args.log2_size
    shape = (n,)
    key = jax.random.key(0)
    dists = {
        "normal": (fj.normal(1.0), jax.nn.initializers.normal(1.0)),
        "truncated_normal": (fj.truncated_normal(1.0), jax.nn.initializers.truncated_normal(1.0)),
    }
    results: dict[str, dict[str, float]] = {}
    for dist, (ours, theirs) in dists.items():
        ours_jit = jax.jit(lambda k, init=ours: init(k, shape, jnp.float32))
        theirs_jit = jax.jit(lambda k, init=theirs: init(k, shape, jnp.float32))
        methods = {
            "fastinit.jax": lambda init=ours: init(key, shape, jnp.float32),
            "fastinit.jax, jit": lambda f=ours_jit: f(key),
            "jax.nn.initializers": lambda init=theirs: init(key, shape, jnp.float32),
            "jax.nn.initializers, jit": lambda f=theirs_jit: f(key),
        }
        results[dist] = {name: _median_seconds(fn, args.repeat) for name, fn in methods.items()}

    info = fastinit.info()
    print(
        f"jax {jax.__version__} ({jax.default_backend()}), fastinit {info['version']} "
        f"({info['backend']}, {info['simd']}, {info['threads']} threads), "
        f"{os.cpu_count()} CPUs: {_cpu_name()}"
    )
    print(f"2**{args.log2_size} float32 elements, median of {args.repeat} calls\n")
    print(
        f"| {'distribution':<17}| {'method':<25}| {'time (ms)':>10} | {'Gsamples/s':>10} | "
        f"{'fastinit.jax is':>15} |"
    )
    print(f"|{'-' * 18}|{'-' * 26}|{'-' * 12}|{'-' * 12}|{'-' * 17}|")
    for dist, times in results.items():
        base = times["fastinit.jax"]
        for name, t in times.items():
            ratio = "" if name == "fastinit.jax" else f"{t / base:.1f}x faster"
            print(
                f"| {dist:<17}| {name:<25}| {t * 1e3:>10.1f} | {n / t / 1e9:>10.3f} | {ratio:>15} |"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "elements": n,
                    "repeat": args.repeat,
                    "cpu": _cpu_name(),
                    "cpus": os.cpu_count(),
                    "jax": jax.__version__,
                    "fastinit": info,
                    "seconds": results,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
