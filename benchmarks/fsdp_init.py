"""Initializing a sharded ~1B-parameter Llama-style model: fastinit against the alternatives, per
rank, on CPU ranks with gloo (docs/torch.md, "DTensors").

    torchrun --standalone --nproc-per-node=2 benchmarks/fsdp_init.py [--json out.json]

Every method starts from the same meta flow (meta device -> FSDP2 ``fully_shard`` -> ``to_empty``;
the parameters' pages are untouched until the method writes them) and is timed on every rank,
with the rank's peak RSS during the method (``VmHWM``, reset before it):

* ``fastinit.init_module``: each rank computes only its shard.
* ``reset_parameters``: every module's own ``reset_parameters()`` on the sharded model (torch's
  DTensor random ops).
* ``full then slice``: Megatron-style; for each parameter, the whole tensor is built and filled
  with torch's rule on every rank, then the rank keeps its slice.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import time
from collections.abc import Callable

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor, distribute_tensor

import fastinit
import fastinit.torch as ft


class Block(nn.Module):
    def __init__(self, dim: int, hidden: int, kv_dim: int) -> None:
        super().__init__()
        self.attention_norm = nn.RMSNorm(dim)
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, kv_dim, bias=False)
        self.wv = nn.Linear(dim, kv_dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.ffn_norm = nn.RMSNorm(dim)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)


class Llama(nn.Module):
    def __init__(self, vocab: int, dim: int, layers: int, hidden: int, kv_dim: int) -> None:
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(Block(dim, hidden, kv_dim) for _ in range(layers))
        self.norm = nn.RMSNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)


def _peak_reset() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _peak() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def _torch_rule(name: str, t: torch.Tensor) -> None:
    """What each module's reset_parameters does to this parameter (Linear: kaiming_uniform_
    with a=sqrt(5); Embedding: normal; RMSNorm: ones)."""
    if name.endswith("norm.weight"):
        nn.init.ones_(t)
    elif "tok_embeddings" in name:
        nn.init.normal_(t)
    else:
        nn.init.kaiming_uniform_(t, a=math.sqrt(5))


def full_then_slice(model: nn.Module) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            full = torch.empty(p.shape)
            _torch_rule(name, full)
            mine = distribute_tensor(full, p.device_mesh, p.placements, src_data_rank=None)
            p.to_local().copy_(mine.to_local())
            del full, mine


def reset_parameters(model: nn.Module) -> None:
    for m in model.modules():
        if callable(getattr(m, "reset_parameters", None)):
            m.reset_parameters()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=5632)
    parser.add_argument("--kv-dim", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=1, help="per rank")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(args.threads)
    fastinit.set_num_threads(args.threads)
    mesh = init_device_mesh("cpu", (world,))

    def build() -> nn.Module:
        with torch.device("meta"):
            m = Llama(args.vocab, args.dim, args.layers, args.hidden, args.kv_dim)
        for block in m.layers:
            fully_shard(block, mesh=mesh)
        fully_shard(m, mesh=mesh)
        m.to_empty(device="cpu")
        return m

    methods: list[tuple[str, Callable[[nn.Module], object]]] = [
        ("fastinit.init_module", lambda m: ft.init_module(m, seed=0)),
        ("reset_parameters", reset_parameters),
        ("full then slice", full_then_slice),
    ]
    rows = []
    n_params = shard_bytes = 0
    for label, run in methods:
        model = build()
        n_params = sum(p.numel() for p in model.parameters())
        shard_bytes = sum(
            p.to_local().numel() * 4 for p in model.parameters() if isinstance(p, DTensor)
        )
        gc.collect()
        dist.barrier()
        _peak_reset()
        base = _peak()
        t0 = time.perf_counter()
        error = None
        try:
            run(model)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            error = f"{type(exc).__name__}: {exc}"[:200]
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "method": label,
                "seconds": seconds,
                "peak_rss": _peak(),
                "rss_growth": _peak() - base,
                "error": error,
            }
        )
        del model
        gc.collect()
        dist.barrier()
    everyone = [None] * world
    dist.all_gather_object(everyone, rows)
    if rank == 0:
        print(
            f"{n_params / 1e9:.3f}B parameters (float32, {4 * n_params / 2**30:.2f} GiB), "
            f"FSDP2 on {world} CPU ranks, {args.threads} thread(s) each; shard per rank "
            f"{shard_bytes / 2**30:.2f} GiB"
        )
        print(f"{'method':24s} {'rank':>4s} {'seconds':>8s} {'RSS growth':>11s} {'peak RSS':>9s}")
        for r, rank_rows in enumerate(everyone):
            for row in rank_rows:
                note = f"  ({row['error']})" if row["error"] else ""
                print(
                    f"{row['method']:24s} {r:4d} {row['seconds']:8.2f} "
                    f"{row['rss_growth'] / 2**30:9.2f} G {row['peak_rss'] / 2**30:7.2f} G"
                    f"{note}"
                )
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(
                    {
                        "parameters": n_params,
                        "world": world,
                        "threads": args.threads,
                        "shard_bytes": shard_bytes,
                        "ranks": everyone,
                    },
                    fh,
                    indent=1,
                )
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
