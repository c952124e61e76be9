"""pytest-benchmark fixtures for benchmarks/: settings from the environment, threads, throughput.

Environment (read once, at start-up):

FASTINIT_BENCH_SIZE     elements per buffer (default 2**24; "2**28", "1e8" also accepted)
FASTINIT_BENCH_THREADS  threads for fastinit and PyTorch (default: every CPU this process may use)
FASTINIT_BENCH_ROUNDS   timed rounds per big-buffer benchmark (default: 3 to 20, fewer for bigger
                        buffers)

Run from the repository root: ``pytest benchmarks/ --benchmark-only`` (see README.md here).
"""

from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import fastinit
from fastinit.cli import _size

DEFAULT_SIZE = 2**24


@dataclass(frozen=True)
class BenchConfig:
    size: int
    threads: int
    rounds: int


@dataclass
class Result:
    group: str
    library: str
    seconds: float  # median of the rounds
    elements: int
    itemsize: int


_CONFIG = pytest.StashKey[BenchConfig]()
_RESULTS = pytest.StashKey["list[Result]"]()


def _all_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _env_int(name: str, default: int, parse: Callable[[str], int] = int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except (ValueError, argparse.ArgumentTypeError):
        raise pytest.UsageError(f"{name}={raw!r} is not a positive integer") from None
    if value < 1:
        raise pytest.UsageError(f"{name}={raw!r} must be >= 1")
    return value


def _default_rounds(size: int) -> int:
    # 16 Mi elements: 4 rounds (the slowest peer call, torch's trunc_normal_, takes seconds there);
    # 1 Mi: 20; the 1 GiB case (256 Mi float32): 3.
    return max(3, min(20, 2**26 // size))


def pytest_configure(config: pytest.Config) -> None:
    size = _env_int("FASTINIT_BENCH_SIZE", DEFAULT_SIZE, _size)
    config.stash[_CONFIG] = BenchConfig(
        size=size,
        threads=_env_int("FASTINIT_BENCH_THREADS", _all_cpus()),
        rounds=_env_int("FASTINIT_BENCH_ROUNDS", _default_rounds(size)),
    )
    config.stash[_RESULTS] = []


def _torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


def pytest_report_header(config: pytest.Config) -> str:
    c = config.stash[_CONFIG]
    info = fastinit.info()
    return (
        f"fastinit {info['version']} ({info['simd']}): size={c.size} elements, "
        f"threads={c.threads}, rounds={c.rounds}, NumPy {np.__version__}, "
        f"torch {_torch_version() or 'not installed'}"
    )


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    # Saved with --benchmark-autosave / --benchmark-save, shown by --benchmark-compare.
    c = config.stash[_CONFIG]
    machine_info["fastinit"] = {
        **fastinit.info(),
        "threads": c.threads,
        "size": c.size,
        "rounds": c.rounds,
        "numpy": np.__version__,
        "torch": _torch_version(),
    }


@pytest.fixture(scope="session")
def bench_config(pytestconfig: pytest.Config) -> BenchConfig:
    return pytestconfig.stash[_CONFIG]


@pytest.fixture(scope="session", autouse=True)
def _bench_threads(bench_config: BenchConfig):
    """FASTINIT_BENCH_THREADS for fastinit and PyTorch, for the whole session."""
    before = fastinit.get_num_threads()
    fastinit.set_num_threads(bench_config.threads)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch_before = torch.get_num_threads()
        torch.set_num_threads(bench_config.threads)
    yield
    fastinit.set_num_threads(before)
    if torch is not None:
        torch.set_num_threads(torch_before)


@pytest.fixture
def measure(benchmark: Any, bench_config: BenchConfig, pytestconfig: pytest.Config):
    """``measure(fn, library=, elements=, itemsize=, pedantic=True)``: time `fn` and record
    throughput in ``benchmark.extra_info`` (Gsamples/s and GB/s from the median and the best
    round). ``benchmark.group`` must be set first. Big buffers: ``benchmark.pedantic`` with
    FASTINIT_BENCH_ROUNDS rounds, one warm-up; ``pedantic=False``: pytest-benchmark's own
    calibration (for small arrays)."""

    def run(
        fn: Callable[[], Any], *, library: str, elements: int, itemsize: int, pedantic: bool = True
    ) -> None:
        if pedantic:
            benchmark.pedantic(fn, rounds=bench_config.rounds, iterations=1, warmup_rounds=1)
        else:
            benchmark(fn)
        info = benchmark.extra_info
        info.update(
            library=library,
            elements=elements,
            bytes=elements * itemsize,
            threads=bench_config.threads,
        )
        meta = benchmark.stats  # None under --benchmark-disable
        if meta is None:
            return
        median, best = meta.stats.median, meta.stats.min
        for key, t in (("", median), ("_best", best)):
            if t > 0:
                info[f"gsamples_s{key}"] = round(elements / t / 1e9, 4)
                info[f"gb_s{key}"] = round(elements * itemsize / t / 1e9, 3)
        pytestconfig.stash[_RESULTS].append(
            Result(benchmark.group, library, median, elements, itemsize)
        )

    return run


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """A compact throughput table after pytest-benchmark's timing table."""
    results = config.stash.get(_RESULTS, [])
    if not results:
        return
    groups: dict[str, dict[str, Result]] = {}
    for r in results:
        groups.setdefault(r.group, {})[r.library] = r
    libs = list(dict.fromkeys(r.library for r in results))
    others = [lib for lib in libs if lib != "fastinit"]
    w = {lib: max(10, len(lib) + 2) for lib in libs}
    wx = {lib: max(10, len(lib) + 4) for lib in others}
    head = (
        f"{'group':<28}"
        + "".join(f"{lib:>{w[lib]}}" for lib in libs)
        + "".join(f"{'x ' + lib:>{wx[lib]}}" for lib in others)
        + f"{'fastinit GB/s':>15}"
    )
    tw = terminalreporter
    tw.write_sep("-", "fastinit benchmarks: Gsamples/s from medians (higher is better)")
    tw.write_line(head)
    for group, row in groups.items():
        rate = {lib: r.elements / r.seconds / 1e9 for lib, r in row.items() if r.seconds > 0}
        line = f"{group:<28}" + "".join(
            f"{rate[lib]:>{w[lib]}.3f}" if lib in rate else f"{'-':>{w[lib]}}" for lib in libs
        )
        fi = rate.get("fastinit")
        for lib in others:
            line += f"{fi / rate[lib]:>{wx[lib]}.2f}" if fi and lib in rate else f"{'-':>{wx[lib]}}"
        gb = f"{fi * row['fastinit'].itemsize:.1f}" if fi else "-"
        tw.write_line(line + f"{gb:>15}")
    c = config.stash[_CONFIG]
    tw.write_line(
        f"'x lib': fastinit's rate over lib's. size={c.size}, threads={c.threads}, "
        f"{platform.machine()}"
    )
