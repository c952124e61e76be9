"""The fastinit command: 'fastinit bench' measures fills against NumPy and PyTorch;
'fastinit init SPEC -o FILE.safetensors' writes an initialized checkpoint."""

# The arguments and the wiring only: the benchmark engine is bench.py (cuda.py, torch_model.py
# for --device cuda and --torch-model), the checkpoint writer fastinit.checkpoint; progress
# bars (tqdm, on stderr) are _bar.py's. The library below never imports this package.

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

__all__ = ["main"]


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


def _run_init(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``fastinit init``: the checkpoint, a byte bar on stderr, one summary line on stdout."""
    import fastinit

    from ..checkpoint import SpecError, init_checkpoint
    from ._bar import Bar, progress_bar

    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be >= 1")
        fastinit.set_num_threads(args.threads)
    if not args.chunk_mib > 0:
        parser.error("--chunk-mib must be > 0")
    bar: Bar | None = None

    def progress(done: int, total: int, label: str) -> None:
        nonlocal bar
        if bar is None:  # the first call: the spec is checked, the total known
            bar = progress_bar(total, "init", unit="B", unit_scale=True)
        bar.set_postfix_str(label, refresh=False)
        bar.update(done - bar.n)

    t0 = time.perf_counter()
    try:
        header = init_checkpoint(args.spec, args.output,
                                 progress=None if args.no_progress else progress,
                                 chunk_bytes=max(1, int(args.chunk_mib * 2**20)))
    except SpecError as exc:
        print(f"fastinit init: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    n = sum(1 for k in header if k != "__metadata__")
    size = os.path.getsize(args.output)
    print(f"wrote {args.output}: {n} tensors, {size / 1e9:.3f} GB in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    return 0


def _run_bench(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``fastinit bench``: the report on stdout (stderr with --json -), a step bar on stderr."""
    import numpy as np

    import fastinit

    from . import bench as _bench

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

        cuda_rows = bench_cuda(args.schemes, args.dtype, args.size, max(args.repeat, 3),
                               progress=not args.no_progress)
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
    rows = _bench.bench(args.schemes, args.dtype, sizes, args.threads, args.repeat,
                        peers=not args.no_peers, progress=not args.no_progress)
    print(_bench.format_table([r for r in rows if r.size == args.size]), file=report)
    first = _bench.format_first_calls(rows)
    if first:
        print(first, file=report)
    _write_json(args.json, {"info": info, "rows": [asdict(r) for r in rows]})
    if args.plot:
        _bench.plot(rows, args.plot)
        print(f"plot written to {args.plot}", file=report)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import fastinit

    # Imported here, not at the top: `python -m fastinit.cli._torch_child` imports this
    # package, and its measured runs should load no more than fastinit and torch.
    from .bench import ALL_SCHEMES, DEFAULT_SCHEMES

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
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
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
        return _run_init(args, parser)
    return _run_bench(args, parser)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
