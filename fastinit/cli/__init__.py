"""The fastinit command: 'fastinit bench' measures fills against NumPy and PyTorch;
'fastinit init SPEC -o FILE.safetensors' writes an initialized checkpoint."""

# The arguments and the wiring only: the benchmark engine is bench.py (cuda.py, torch_model.py
# and hf_model.py for --device cuda, --torch-model and --hf-model), the checkpoint writer
# fastinit.checkpoint; progress bars (tqdm, on stderr) are _bar.py's. The library below never imports this package.

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

__all__ = ["main", "Interrupted"]

# SIGINT and SIGTERM end a command with the shell's code for them (128 + the signal number)
# and one line on stderr, never a traceback (docs/sharding.md, "Writing safely").
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
# After a signal, how long the main thread has to stop by itself (unwinding, so that the
# checkpoint's temporary file is removed) before the watchdog ends the process: a fill of
# NumPy's or PyTorch's (fastinit bench's peers) does not look at signals until it returns.
GRACE_S = 0.3


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM, raised in the main thread while a command runs (a KeyboardInterrupt,
    so that code which stops cleanly on Ctrl-C does the same on SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Signals:
    """SIGINT and SIGTERM while a command runs (a context manager, in the main thread).

    The first signal raises :class:`Interrupted` in the main thread: the command unwinds (the
    checkpoint writer removes its temporary file), the caller :meth:`say`s one line and
    returns ``EXIT_CODES[signum]``. Later signals are ignored while it does. A watchdog thread
    wakes on the signal itself (``signal.set_wakeup_fd``), so that a main thread stuck in a
    long C call that releases the GIL but never looks at signals (NumPy's generators) cannot
    delay the exit: after ``GRACE_S`` it says the line and ends the process with the same
    code. A signal that was ignored when the command started (``nohup``, a background job)
    stays ignored. Outside the main thread nothing is installed.
    """

    def __init__(self, command: str, describe: Callable[[], str] = lambda: "") -> None:
        self.command = command
        self.describe = describe  # what became of the output, for the line
        self.signum: int | None = None
        self._said = threading.Lock()
        self._done = threading.Event()
        self._old: dict[int, Any] = {}
        self._wakeup: tuple[int, int, int] | None = None  # read end, write end, previous fd

    def __enter__(self) -> _Signals:
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in EXIT_CODES:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self._old[signum] = signal.signal(signum, self._handler)
        if self._old:
            r, w = os.pipe()
            os.set_blocking(w, False)
            previous = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
            self._wakeup = (r, w, previous)
            threading.Thread(
                target=self._watch, args=(r,), name="fastinit-signals", daemon=True
            ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        for signum, old in self._old.items():
            signal.signal(signum, old)
        if self._wakeup is not None:
            r, w, previous = self._wakeup
            signal.set_wakeup_fd(previous)
            os.close(w)  # the watchdog reads the end of the pipe and returns

    def _handler(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
            raise Interrupted(signum)

    def _watch(self, r: int) -> None:
        try:
            while True:
                data = os.read(r, 64)
                if not data:
                    return
                signums = [b for b in data if b in EXIT_CODES and b in self._old]
                if signums:
                    break
            if self._done.wait(GRACE_S):
                return
            if self.say(signums[0]):
                os._exit(EXIT_CODES[signal.Signals(signums[0])])
        finally:
            os.close(r)

    def say(self, signum: int) -> bool:
        """Write the one line, once (from whichever thread comes first): True if this call
        wrote it."""
        if not self._said.acquire(blocking=False):
            return False
        name = signal.Signals(signum).name
        line = f"fastinit {self.command}: interrupted ({name}){self.describe()}\n"
        try:
            os.write(2, line.encode("utf-8", "replace"))
        except OSError:
            pass
        return True

    def run(self, command: Callable[[], int]) -> int:
        """``command()``, or on SIGINT / SIGTERM the line and 130 / 143."""
        with self:
            try:
                return command()
            except Interrupted as exc:
                self.say(exc.signum)
                return EXIT_CODES[signal.Signals(exc.signum)]


def _identity(path: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


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
        header = init_checkpoint(
            args.spec,
            args.output,
            progress=None if args.no_progress else progress,
            chunk_bytes=max(1, int(args.chunk_mib * 2**20)),
        )
    except SpecError as exc:
        print(f"fastinit init: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk (ENOSPC: the bytes needed and available), EACCES, ...
        reason = exc.strerror or str(exc)
        print(
            f"fastinit init: error: {reason}" + (f": {exc.filename}" if exc.filename else ""),
            file=sys.stderr,
        )
        return 1
    finally:
        if bar is not None:
            bar.close()
    n = sum(1 for k in header if k != "__metadata__")
    size = os.path.getsize(args.output)
    print(
        f"wrote {args.output}: {n} tensors, {size / 1e9:.3f} GB in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return 0


def _run_bench(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``fastinit bench``: the report on stdout (stderr with --json -), a step bar on stderr."""
    import numpy as np

    import fastinit

    from . import bench as _bench

    if args.threads < 1 or args.repeat < 1:
        parser.error("--threads and --repeat must be >= 1")
    plotting = args.plot and not args.torch_model and not args.hf_model and args.device == "cpu"
    if plotting and importlib.util.find_spec("matplotlib") is None:
        parser.error(
            "--plot needs matplotlib: pip install 'fastinit[bench]' (or pip install matplotlib)"
        )
    # The human-readable report: stdout, or stderr when --json - takes stdout.
    report = sys.stderr if args.json == "-" else sys.stdout

    if args.hf_model:
        from .hf_model import bench_hf_model, format_hf_model

        result = bench_hf_model(args.threads)
        print(format_hf_model(result), file=report)
        _write_json(args.json, {"info": fastinit.info(), "hf_model": result})
        return 0
    if args.torch_model:
        from .torch_model import bench_torch_model, format_torch_model

        result = bench_torch_model(args.threads, max(args.repeat, 1))
        print(format_torch_model(result), file=report)
        _write_json(args.json, {"info": fastinit.info(), "torch_model": result})
        return 0
    if args.device == "cuda":
        from .cuda import bench_cuda, format_cuda_table

        cuda_rows = bench_cuda(
            args.schemes, args.dtype, args.size, max(args.repeat, 3), progress=not args.no_progress
        )
        print(format_cuda_table(cuda_rows), file=report)
        _write_json(args.json, {"info": fastinit.info(), "rows": cuda_rows})
        return 0
    if args.backend is not None:
        fastinit.set_backend(args.backend)
    sizes = [args.size]
    if args.plot:
        sizes = sorted(
            {min(args.size, 1 << k) for k in range(12, 64, 3) if (1 << k) <= args.size}
            | {args.size}
        )
    info = fastinit.info()
    print(
        f"fastinit {info['version']} ({info['backend']}, {info['simd']}), {args.threads} "
        f"threads, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, NumPy {np.__version__}",
        file=report,
        flush=True,
    )
    rows = _bench.bench(
        args.schemes,
        args.dtype,
        sizes,
        args.threads,
        args.repeat,
        peers=not args.no_peers,
        progress=not args.no_progress,
    )
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
    b.add_argument(
        "--size",
        type=_size,
        default=2**26,
        help="elements per buffer (e.g. 1e9 or 2**28; default 2**26)",
    )
    b.add_argument(
        "--threads",
        type=int,
        default=fastinit.get_num_threads(),
        help="threads for fastinit and PyTorch (default: all this process may use)",
    )
    b.add_argument(
        "--schemes",
        type=_list(ALL_SCHEMES),
        default=list(DEFAULT_SCHEMES),
        help=f"comma-separated, from {','.join(ALL_SCHEMES)}",
    )
    b.add_argument(
        "--dtype",
        type=_list(("float32", "float64", "float16", "bfloat16")),
        default=["float32"],
        help="comma-separated dtypes (default float32)",
    )
    b.add_argument("--repeat", type=int, default=3, help="runs per figure; medians (default 3)")
    b.add_argument("--no-peers", action="store_true", help="skip NumPy and PyTorch")
    b.add_argument(
        "--backend",
        choices=("core", "numba"),
        default=None,
        help="fastinit backend to measure (default: the one in use, see "
        "docs/backends.md); the first calls are timed separately",
    )
    b.add_argument(
        "--torch-model",
        action="store_true",
        help="time a ~1B-parameter Llama-style torch.nn model: init_module against "
        "reset_parameters, and building under fastinit.torch.patch() against "
        "building plainly (needs PyTorch)",
    )
    b.add_argument(
        "--hf-model",
        action="store_true",
        help="time transformers' LlamaForCausalLM (0.886B parameters) built plainly, inside "
        "fastinit.torch.patch(seed=0) and with fastinit.torch.build_on_meta, each in a fresh "
        "process, with peak memory (needs PyTorch and transformers)",
    )
    b.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="cuda: fill CuPy arrays on the GPU (needs CuPy and a CUDA device), "
        "against cudaMemsetAsync, CuPy and torch.nn.init on CUDA",
    )
    b.add_argument("--json", metavar="FILE", help="also write the results as JSON ('-': stdout)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument(
        "--plot",
        metavar="FILE.png",
        help="plot throughput against size (sizes 2**12 .. --size), needs matplotlib",
    )
    i = sub.add_parser(
        "init",
        help="write an initialized safetensors checkpoint from a spec",
        description="Fill every tensor of a JSON or TOML spec and write it to "
        "FILE.safetensors, in row chunks, never holding the model "
        "in memory. The file's space is reserved first; it is "
        "written as a temporary file, synced to disk and renamed "
        "over FILE only when complete (docs/sharding.md, "
        "'Checkpoints'). Exit status: 0 written, 1 not written "
        "(e.g. not enough space), 2 bad spec or arguments, "
        "130 / 143 interrupted by SIGINT / SIGTERM.",
    )
    i.add_argument("spec", metavar="SPEC", help="the spec: a .json or .toml file")
    i.add_argument(
        "-o",
        "--output",
        metavar="FILE.safetensors",
        required=True,
        help="the checkpoint to write (replaced only once the new one is complete and on disk)",
    )
    i.add_argument(
        "--chunk-mib",
        type=float,
        default=64.0,
        help="largest piece filled at once, MiB (default 64)",
    )
    i.add_argument(
        "--threads", type=int, default=None, help="fill threads (default: all this process may use)"
    )
    i.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command == "init":
        before = _identity(args.output)

        def outcome() -> str:
            if _identity(args.output) not in (before, None):  # the rename came first
                return f": {args.output} was written before it"
            return f": nothing written, {args.output} unchanged"

        return _Signals("init", outcome).run(lambda: _run_init(args, parser))
    return _Signals("bench", lambda: ": no results").run(lambda: _run_bench(args, parser))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
