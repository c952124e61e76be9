"""``fastinit bench --torch-model``: a Llama-style model of plain ``torch.nn`` modules (about
1B parameters by default), re-initialized with ``fastinit.torch.init_module`` against every
module's own ``reset_parameters``, and built under ``fastinit.torch.patch()`` against built
plainly. Builds run in fresh subprocesses, so first-touch page faults and peak memory are each
build's own."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

__all__ = ["bench_torch_model", "format_torch_model"]

# d_model, ffn, layers, vocab: 0.95e9 parameters.
DEFAULT_DIMS = (2048, 5632, 16, 32000)

_CHILD = r"""
import json, resource, sys, time
import torch, torch.nn as nn
import fastinit, fastinit.torch as ft
D, F, L, V, threads, mode, repeat = json.loads(sys.argv[1])
torch.set_num_threads(threads); fastinit.set_num_threads(threads)

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm = nn.RMSNorm(D)
        self.q, self.k = nn.Linear(D, D, bias=False), nn.Linear(D, D, bias=False)
        self.v, self.o = nn.Linear(D, D, bias=False), nn.Linear(D, D, bias=False)
        self.mlp_norm = nn.RMSNorm(D)
        self.gate, self.up = nn.Linear(D, F, bias=False), nn.Linear(D, F, bias=False)
        self.down = nn.Linear(F, D, bias=False)

def build():
    return nn.Sequential(nn.Embedding(V, D), *[Block() for _ in range(L)], nn.RMSNorm(D),
                         nn.Linear(D, V, bias=False))

def reset(m):
    for x in m.modules():
        if hasattr(x, "reset_parameters"):
            x.reset_parameters()

out = {}
t0 = time.perf_counter()
if mode == "build_patch":
    with ft.patch(seed=0):
        m = build()
else:
    m = build()
out["build"] = time.perf_counter() - t0
if mode == "reinit":
    for name, fn in (("reset_parameters", lambda: reset(m)), ("init_module", lambda: ft.init_module(m, seed=0))):
        fn()  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
        out[name] = times
out["params"] = sum(p.numel() for p in m.parameters())
out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out))
"""


def _child(dims: tuple[int, int, int, int], threads: int, mode: str, repeat: int) -> dict[str, Any]:
    arg = json.dumps([*dims, threads, mode, repeat])
    r = subprocess.run([sys.executable, "-c", _CHILD, arg], capture_output=True, text=True,
                       cwd=tempfile.gettempdir(), check=False)
    if r.returncode != 0:
        raise SystemExit(f"fastinit bench --torch-model: the {mode} run failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_torch_model(threads: int, repeat: int = 3,
                      dims: tuple[int, int, int, int] = DEFAULT_DIMS) -> dict[str, Any]:
    """Medians (s) and peak RSS (bytes) of the four ways, each build in its own process."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SystemExit("fastinit bench --torch-model needs PyTorch (pip install torch)")
    reinit = _child(dims, threads, "reinit", repeat)
    plain = _child(dims, threads, "build_plain", 1)
    patched = _child(dims, threads, "build_patch", 1)
    return {
        "params": reinit["params"], "threads": threads, "dims": list(dims),
        "reset_parameters": statistics.median(reinit["reset_parameters"]),
        "init_module": statistics.median(reinit["init_module"]),
        "build_plain": plain["build"], "build_patch": patched["build"],
        "peak_rss_plain": plain["peak_rss"], "peak_rss_patch": patched["peak_rss"],
        "peak_rss_reinit": reinit["peak_rss"],
    }


def format_torch_model(r: dict[str, Any]) -> str:
    gib = 2.0 ** 30
    return "\n".join([
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
    ])
