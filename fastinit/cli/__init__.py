"""The fastinit command: 'fastinit bench' measures fills against NumPy and PyTorch;
'fastinit init SPEC -o FILE.safetensors' writes an initialized checkpoint."""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .._input.dtypes import dtype_name, resolve_dtype
from .peers import _fastinit_call, _matrix_shape, _numpy_call, _torch_call
from .progress import Progress

__all__ = ["main", "bench", "BenchRow"]

DEFAULT_SCHEMES = ("constant", "uniform", "normal", "trunc_normal", "xavier_uniform",
                   "kaiming_normal", "variance_scaling")
ALL_SCHEMES = DEFAULT_SCHEMES + ("xavier_normal", "kaiming_uniform", "lecun_uniform",
                                 "lecun_normal", "orthogonal", "sparse")


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


def bench(schemes: Sequence[str], dtypes: Sequence[str], sizes: Sequence[int], threads: int,
          repeat: int = 3, peers: bool = True, progress: bool = True,
          backend: str | None = None) -> list[BenchRow]:
    """Measure every (scheme, dtype, size): fastinit, NumPy and PyTorch (when installed).

    Buffers are allocated and their pages touched before timing; each figure is the median of
    `repeat` runs. `backend` (``"core"`` or ``"numba"``; default: the one in use) writes the
    fastinit values; each scheme's first call is timed on its own (``BenchRow.first_call``:
    with Numba it includes the JIT compile, or the load from Numba's on-disk cache).
    Returns one :class:`BenchRow` per combination.
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

    with Progress(total, "bench", enabled=progress) as bar:
        for dname in dtypes:
            dt = resolve_dtype(dname)
            for size in sizes:
                shape = _matrix_shape(size)
                buf = np.empty(shape, dt)
                buf.view(np.uint8).fill(0)  # touch the pages: first calls exclude page faults
                first_call("constant", dname, lambda: fastinit.zeros(buf))
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
                    row = BenchRow(scheme, dtype_name(dt), size, threads, backend=backend_used,
                                   first_call=first_calls[(scheme, dname)])
                    if scheme == "constant":
                        row.seconds["fastinit"] = fill
                    else:
                        row.seconds["fastinit"] = _median_time(_fastinit_call(scheme, buf),
                                                               repeat)
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
                    bar.advance(f"{row.scheme} {dtype_name(dt)} n={size}")
                del buf
    return rows


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def format_table(rows: Sequence[BenchRow]) -> str:
    head = (f"{'scheme':<17}{'dtype':<9}{'size':>12}  {'fastinit':>9}{'GB/s':>7}"
            f"{'numpy':>8}{'torch':>8}  {'x numpy':>8}{'x torch':>8}{'of fill':>8}")
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
            f"{_fmt(fi / fill if fi and fill else None, '.2f'):>8}")
    lines.append("Gsamples/s, medians. 'of fill': fraction of fastinit.constant's rate on the "
                 "same buffer, timed once per buffer (the store bandwidth).")
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
    what = ("JIT compile, or load from the on-disk cache"
            if rows[0].backend == "numba" else "first call overhead")
    return (f"{rows[0].backend} {what} (first call minus a timed one), s: {items}; "
            f"total {sum(seen.values()):.2f} s")


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
            for lib, style, color in (("fastinit", "-o", "C0"), ("numpy", "--s", "C1"),
                                      ("torch", ":^", "C2")):
                pts = [(r.size, r.gsamples(lib)) for r in sel if r.gsamples(lib)]
                if pts:
                    xs, ys = zip(*pts)
                    ax.plot(xs, ys, style, color=color,
                            label=f"{lib} {dname}" if len(dtypes) > 1 else lib)
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


def _size(text: str) -> int:
    try:
        if "**" in text:
            base, exp = text.split("**")
            value = float(int(base) ** int(exp))
        else:
            value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1e8 or 2**28)") from None
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"size must be a positive integer, got {text!r}")
    return int(value)


def _list(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [s.strip() for s in text.split(",") if s.strip()]
        bad = [s for s in items if s not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {', '.join(allowed)}")
        return items
    return parse


def _write_json(path: str | None, payload: dict[str, Any]) -> None:
    """--json: the results to a file, or to stdout for '-' (the text report then goes to
    stderr, so stdout is JSON only); nothing without the option."""
    if not path:
        return
    text = json.dumps(payload, indent=1)
    if path == "-":
        print(text, flush=True)
    else:
        with open(path, "w") as fh:
            fh.write(text)


def main(argv: Sequence[str] | None = None) -> int:
    import fastinit

    parser = argparse.ArgumentParser(prog="fastinit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench", help="measure fills against NumPy and PyTorch")
    b.add_argument("--size", type=_size, default=2**26,
                   help="elements per buffer (e.g. 1e9 or 2**28; default 2**26)")
    b.add_argument("--threads", type=int, default=fastinit.get_num_threads(),
                   help="threads for fastinit and PyTorch (default: all this process may use)")
    b.add_argument("--schemes", type=_list(ALL_SCHEMES), default=list(DEFAULT_SCHEMES),
                   help=f"comma-separated, from {','.join(ALL_SCHEMES)}")
    b.add_argument("--dtype", type=_list(("float32", "float64", "float16", "bfloat16")),
                   default=["float32"], help="comma-separated dtypes (default float32)")
    b.add_argument("--repeat", type=int, default=3, help="runs per figure; medians (default 3)")
    b.add_argument("--no-peers", action="store_true", help="skip NumPy and PyTorch")
    b.add_argument("--backend", choices=("core", "numba"), default=None,
                   help="fastinit backend to measure (default: the one in use, see "
                        "docs/backends.md); the first calls are timed separately")
    b.add_argument("--torch-model", action="store_true",
                   help="time a ~1B-parameter Llama-style torch.nn model: init_module against "
                        "reset_parameters, and building under fastinit.torch.patch() against "
                        "building plainly (needs PyTorch)")
    b.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cuda: fill CuPy arrays on the GPU (needs CuPy and a CUDA device), "
                        "against cudaMemsetAsync, CuPy and torch.nn.init on CUDA")
    b.add_argument("--json", metavar="FILE", help="also write the results as JSON ('-': stdout)")
    b.add_argument("--plot", metavar="FILE.png",
                   help="plot throughput against size (sizes 2**12 .. --size), needs matplotlib")
    i = sub.add_parser("init", help="write an initialized safetensors checkpoint from a spec",
                       description="Fill every tensor of a JSON or TOML spec straight into a "
                                   "memory map of FILE.safetensors, in row chunks, never "
                                   "holding the model in memory (docs/sharding.md, "
                                   "'Checkpoints').")
    i.add_argument("spec", metavar="SPEC", help="the spec: a .json or .toml file")
    i.add_argument("-o", "--output", metavar="FILE.safetensors", required=True,
                   help="the checkpoint to write (written as FILE.partial, then renamed)")
    i.add_argument("--chunk-mib", type=float, default=64.0,
                   help="largest piece filled at once, MiB (default 64)")
    i.add_argument("--threads", type=int, default=None,
                   help="fill threads (default: all this process may use)")
    i.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command == "init":
        from ..checkpoint import SpecError, main_init

        if args.threads is not None:
            if args.threads < 1:
                parser.error("--threads must be >= 1")
            fastinit.set_num_threads(args.threads)
        if not args.chunk_mib > 0:
            parser.error("--chunk-mib must be > 0")
        try:
            return main_init(args.spec, args.output, progress=not args.no_progress,
                             chunk_mib=args.chunk_mib)
        except SpecError as exc:
            print(f"fastinit init: error: {exc}", file=sys.stderr)
            return 2
    if args.threads < 1 or args.repeat < 1:
        parser.error("--threads and --repeat must be >= 1")
    plotting = args.plot and not args.torch_model and args.device == "cpu"
    if plotting and importlib.util.find_spec("matplotlib") is None:
        parser.error("--plot needs matplotlib: pip install 'fastinit[bench]' "
                     "(or pip install matplotlib)")
    # The human-readable report: stdout, or stderr when --json - takes stdout.
    report = sys.stderr if args.json == "-" else sys.stdout

    if args.torch_model:
        from .torch_model import bench_torch_model, format_torch_model

        result = bench_torch_model(args.threads, max(args.repeat, 1))
        print(format_torch_model(result), file=report)
        _write_json(args.json, {"info": fastinit.info(), "torch_model": result})
        return 0
    if args.device == "cuda":
        from .cuda import bench_cuda, format_cuda_table

        cuda_rows = bench_cuda(args.schemes, args.dtype, args.size, max(args.repeat, 3))
        print(format_cuda_table(cuda_rows), file=report)
        _write_json(args.json, {"info": fastinit.info(), "rows": cuda_rows})
        return 0
    if args.backend is not None:
        fastinit.set_backend(args.backend)
    sizes = [args.size]
    if args.plot:
        sizes = sorted({min(args.size, 1 << k) for k in range(12, 64, 3)
                        if (1 << k) <= args.size} | {args.size})
    info = fastinit.info()
    print(f"fastinit {info['version']} ({info['backend']}, {info['simd']}), {args.threads} "
          f"threads, {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, NumPy {np.__version__}", file=report, flush=True)
    rows = bench(args.schemes, args.dtype, sizes, args.threads, args.repeat,
                 peers=not args.no_peers)
    print(format_table([r for r in rows if r.size == args.size]), file=report)
    first = format_first_calls(rows)
    if first:
        print(first, file=report)
    _write_json(args.json, {"info": info, "rows": [asdict(r) for r in rows]})
    if args.plot:
        plot(rows, args.plot)
        print(f"plot written to {args.plot}", file=report)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
