"""``fastinit bench --torch-model``: a Llama-style model of plain ``torch.nn`` modules (about
1B parameters by default), re-initialized with ``fastinit.torch.init_module`` against every
module's own ``reset_parameters``, and built under ``fastinit.torch.patch()`` against built
plainly. Builds run in fresh subprocesses (``python -m fastinit.cli._torch_child``), so
first-touch page faults and peak memory are each build's own."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from typing import Any

__all__ = ["bench_torch_model", "format_torch_model"]

# d_model, ffn, layers, vocab: 0.95e9 parameters.
DEFAULT_DIMS = (2048, 5632, 16, 32000)


def run_child(module: str, args: list[str], what: str) -> dict[str, Any]:
    """Run ``python -m <module> <args>`` in a fresh process (outside the source tree) and parse
    the JSON line it prints last; SystemExit naming `what` if it fails. The children of
    --torch-model and --hf-model, so that first-touch page faults and peak memory are each
    run's own."""
    r = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        check=False,
    )
    if r.returncode != 0:
        raise SystemExit(f"fastinit bench: {what} failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _child(dims: tuple[int, int, int, int], threads: int, mode: str, repeat: int) -> dict[str, Any]:
    """One run of fastinit/cli/_torch_child.py in a fresh process: its JSON line, parsed."""
    args = [str(x) for x in (*dims, threads, mode, repeat)]
    return run_child("fastinit.cli._torch_child", args, f"--torch-model's {mode} run")


def bench_torch_model(
    threads: int, repeat: int = 3, dims: tuple[int, int, int, int] = DEFAULT_DIMS
) -> dict[str, Any]:
    """Medians (s) and peak RSS (bytes) of the four ways, each build in its own process."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SystemExit("fastinit bench --torch-model needs PyTorch (pip install torch)") from None
    reinit = _child(dims, threads, "reinit", repeat)
    plain = _child(dims, threads, "build_plain", 1)
    patched = _child(dims, threads, "build_patch", 1)
    return {
        "params": reinit["params"],
        "threads": threads,
        "dims": list(dims),
        "reset_parameters": statistics.median(reinit["reset_parameters"]),
        "init_module": statistics.median(reinit["init_module"]),
        "build_plain": plain["build"],
        "build_patch": patched["build"],
        "peak_rss_plain": plain["peak_rss"],
        "peak_rss_patch": patched["peak_rss"],
        "peak_rss_reinit": reinit["peak_rss"],
    }


def format_torch_model(r: dict[str, Any]) -> str:
    gib = 2.0**30
    return "\n".join(
        [
            f"Llama-style model, {r['params'] / 1e9:.3f}B float32 parameters "
            f"(d={r['dims'][0]}, ffn={r['dims'][1]}, layers={r['dims'][2]}, vocab={r['dims'][3]}), "
            f"{r['threads']} threads",
            f"  every module's reset_parameters  {r['reset_parameters']:8.3f} s (median)",
            f"  fastinit.torch.init_module       {r['init_module']:8.3f} s (median)   "
            f"x{r['reset_parameters'] / r['init_module']:.1f}",
            f"  build plainly                    {r['build_plain']:8.3f} s   peak RSS "
            f"{r['peak_rss_plain'] / gib:.2f} GiB",
            f"  build under fastinit.torch.patch {r['build_patch']:8.3f} s   peak RSS "
            f"{r['peak_rss_patch'] / gib:.2f} GiB   x{r['build_plain'] / r['build_patch']:.1f}",
            "  (builds include allocation and first-touch page faults; each ran in its own process)",
        ]
    )
