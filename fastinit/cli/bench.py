"""The benchmark engine of ``fastinit bench``: fills timed against NumPy and PyTorch
(medians, short calls timed in batches), the text table, the first-call line and the plot."""

from __future__ import annotations

import functools
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._input.dtypes import dtype_name, resolve_dtype
from ._bar import progress_bar
from .peers import _fastinit_call, _matrix_shape, _numpy_call, _torch_call

__all__ = [
    "bench",
    "BenchRow",
    "format_table",
    "format_first_calls",
    "plot",
    "DEFAULT_SCHEMES",
    "ALL_SCHEMES",
]

DEFAULT_SCHEMES = (
    "constant",
    "uniform",
    "normal",
    "trunc_normal",
    "xavier_uniform",
    "kaiming_normal",
    "variance_scaling",
)
ALL_SCHEMES = DEFAULT_SCHEMES + (
    "xavier_normal",
    "kaiming_uniform",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "sparse",
)


@dataclass
class BenchRow:
    """One measurement: a scheme and dtype at a size, for every library, medians of repeats."""

    scheme: str
    dtype: str
    size: int
    threads: int
    seconds: dict[str, float] = field(default_factory=dict)  # library -> median seconds
    backend: str = "core"
    first_call: float | None = None  # seconds of the first call (Numba: compile or cache load)

    def gsamples(self, lib: str) -> float | None:
        t = self.seconds.get(lib)
        return None if t is None or t <= 0 else self.size / t / 1e9

    def gbytes(self, lib: str, itemsize: int) -> float | None:
        g = self.gsamples(lib)
        return None if g is None else g * itemsize


# A timed sample lasts at least this long: a call shorter than that is timed as the mean of a
# batch of back-to-back calls (as timeit does), so small fills measure the call, not the timer
# and the cold caches of one isolated call.
_MIN_SAMPLE_S = 2e-3


def _median_time(fn: Callable[[], Any], repeat: int) -> float:
    """Median seconds per call of `repeat` samples (each one call, or a batch of short ones)."""
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    if once >= _MIN_SAMPLE_S:  # long calls: that first call is the first sample
        times = [once]
        for _ in range(repeat - 1):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)
    batch = min(100_000, int(_MIN_SAMPLE_S / max(once, 1e-7)) + 1)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        times.append((time.perf_counter() - t0) / batch)
    return statistics.median(times)


def bench(
    schemes: Sequence[str],
    dtypes: Sequence[str],
    sizes: Sequence[int],
    threads: int,
    repeat: int = 3,
    peers: bool = True,
    progress: bool = True,
    backend: str | None = None,
) -> list[BenchRow]:
    """Measure every (scheme, dtype, size): fastinit, NumPy and PyTorch (when installed).

    Buffers are allocated and their pages touched before timing; each figure is the median of
    `repeat` runs. `backend` (``"core"`` or ``"numba"``; default: the one in use) writes the
    fastinit values; each scheme's first call is timed on its own (``BenchRow.first_call``:
    with Numba it includes the JIT compile, or the load from Numba's on-disk cache).
    Returns one :class:`BenchRow` per combination. `progress`: a tqdm bar on stderr, one
    step per row.
    """
    import fastinit

    if backend is not None:
        fastinit.set_backend(backend)
    backend_used = fastinit.info()["backend"]
    fastinit.set_num_threads(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
    rows: list[BenchRow] = []
    total = len(schemes) * len(dtypes) * len(sizes)
    first_calls: dict[tuple[str, str], float] = {}

    def first_call(scheme: str, dname: str, fn: Callable[[], Any]) -> None:
        # The first call of a scheme and dtype, timed on its own (Numba compiles here).
        if (scheme, dname) not in first_calls:
            t0 = time.perf_counter()
            fn()
            first_calls[(scheme, dname)] = time.perf_counter() - t0

    with progress_bar(total, "bench", enabled=progress, unit="step") as bar:
        for dname in dtypes:
            dt = resolve_dtype(dname)
            for size in sizes:
                shape = _matrix_shape(size)
                buf = np.empty(shape, dt)
                buf.view(np.uint8).fill(0)  # touch the pages: first calls exclude page faults
                first_call("constant", dname, functools.partial(fastinit.zeros, buf))
                # The store-bandwidth reference of this buffer, timed once, first: on this
                # project's VM a constant fill timed after a random one sometimes ran at twice
                # the memory's rate, so a reference per row would wander.
                fill = _median_time(_fastinit_call("constant", buf), repeat)
                # fastinit's figures first, then the peers': PyTorch's OpenMP threads keep
                # spinning for a while after each call and would take the second core from
                # the fill that follows them.
                size_rows = []
                for scheme in schemes:
                    bar.note(f"{scheme} {dtype_name(dt)} n={size}: fastinit")
                    first_call(scheme, dname, _fastinit_call(scheme, buf))
                    row = BenchRow(
                        scheme,
                        dtype_name(dt),
                        size,
                        threads,
                        backend=backend_used,
                        first_call=first_calls[(scheme, dname)],
                    )
                    if scheme == "constant":
                        row.seconds["fastinit"] = fill
                    else:
                        row.seconds["fastinit"] = _median_time(_fastinit_call(scheme, buf), repeat)
                        row.seconds["fill"] = fill
                    size_rows.append(row)
                for row in size_rows:
                    if peers:
                        bar.note(f"{row.scheme} {dtype_name(dt)} n={size}: NumPy, PyTorch")
                        np_call = _numpy_call(row.scheme, buf)
                        if np_call is not None:
                            row.seconds["numpy"] = _median_time(np_call, repeat)
                        torch_call = _torch_call(row.scheme, buf)
                        if torch_call is not None:
                            row.seconds["torch"] = _median_time(torch_call, repeat)
                    rows.append(row)
                    bar.set_postfix_str(f"{row.scheme} {dtype_name(dt)} n={size}", refresh=False)
                    bar.update()
                del buf
    return rows


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def format_table(rows: Sequence[BenchRow]) -> str:
    head = (
        f"{'scheme':<17}{'dtype':<9}{'size':>12}  {'fastinit':>9}{'GB/s':>7}"
        f"{'numpy':>8}{'torch':>8}  {'x numpy':>8}{'x torch':>8}{'of fill':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        isz = resolve_dtype(r.dtype).itemsize
        fi, npy, tch = r.gsamples("fastinit"), r.gsamples("numpy"), r.gsamples("torch")
        fill = r.gsamples("fill") if r.scheme != "constant" else fi
        lines.append(
            f"{r.scheme:<17}{r.dtype:<9}{r.size:>12}  {_fmt(fi):>9}{_fmt(r.gbytes('fastinit', isz), '.1f'):>7}"
            f"{_fmt(npy):>8}{_fmt(tch):>8}  "
            f"{_fmt(fi / npy if fi and npy else None, '.1f'):>8}"
            f"{_fmt(fi / tch if fi and tch else None, '.1f'):>8}"
            f"{_fmt(fi / fill if fi and fill else None, '.2f'):>8}"
        )
    lines.append(
        "Gsamples/s, medians. 'of fill': fraction of fastinit.constant's rate on the "
        "same buffer, timed once per buffer (the store bandwidth)."
    )
    return "\n".join(lines)


def format_first_calls(rows: Sequence[BenchRow]) -> str:
    """One line: each (scheme, dtype)'s first call, less a timed call: with Numba, the JIT
    compile (or the load from Numba's on-disk cache)."""
    seen: dict[tuple[str, str], float] = {}
    for r in rows:
        t = r.seconds.get("fastinit")
        if r.first_call is not None and t is not None:
            seen.setdefault((r.scheme, r.dtype), max(0.0, r.first_call - t))
    if not seen:
        return ""
    items = ", ".join(f"{s} {d} {t:.2f}" for (s, d), t in seen.items())
    what = (
        "JIT compile, or load from the on-disk cache"
        if rows[0].backend == "numba"
        else "first call overhead"
    )
    return (
        f"{rows[0].backend} {what} (first call minus a timed one), s: {items}; "
        f"total {sum(seen.values()):.2f} s"
    )


def plot(rows: Sequence[BenchRow], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    schemes = list(dict.fromkeys(r.scheme for r in rows))
    dtypes = list(dict.fromkeys(r.dtype for r in rows))
    fig, axes = plt.subplots(1, len(schemes), figsize=(4.2 * len(schemes), 3.6), squeeze=False)
    for ax, scheme in zip(axes[0], schemes):
        for dname in dtypes:
            sel = [r for r in rows if r.scheme == scheme and r.dtype == dname]
            for lib, style, color in (
                ("fastinit", "-o", "C0"),
                ("numpy", "--s", "C1"),
                ("torch", ":^", "C2"),
            ):
                pts = [(r.size, r.gsamples(lib)) for r in sel if r.gsamples(lib)]
                if pts:
                    xs, ys = zip(*pts)
                    ax.plot(
                        xs,
                        ys,
                        style,
                        color=color,
                        label=f"{lib} {dname}" if len(dtypes) > 1 else lib,
                    )
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(scheme)
        ax.set_xlabel("elements")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("Gsamples/s (median)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"fastinit bench, {rows[0].threads} threads, {platform.machine()}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
