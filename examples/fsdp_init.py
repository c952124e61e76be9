"""The torchtitan-style flow with fastinit: build on the meta device, shard with FSDP2, allocate,
then initialize every rank's shard in place. The result does not depend on the world size.

    torchrun --standalone --nproc-per-node=1 examples/fsdp_init.py
    torchrun --standalone --nproc-per-node=2 examples/fsdp_init.py
    torchrun --standalone --nproc-per-node=4 examples/fsdp_init.py

Each prints one checksum per parameter (SHA-256 of the full tensor's bytes, gathered once for
the printout); the three runs print the same lines. ``--own-init`` runs the model's own
``init_weights`` (torch.nn.init calls) under ``fastinit.torch.patch(seed=...)`` instead of
``fastinit.torch.init_module``: also the same at every world size. See docs/torch.md.
"""

from __future__ import annotations

import argparse
import hashlib
import math

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor

import fastinit.torch as ft


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int) -> None:
        super().__init__()
        head_dim = dim // heads
        self.wq = nn.Linear(dim, heads * head_dim, bias=False)
        self.wk = nn.Linear(dim, kv_heads * head_dim, bias=False)
        self.wv = nn.Linear(dim, kv_heads * head_dim, bias=False)
        self.wo = nn.Linear(heads * head_dim, dim, bias=False)


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int, hidden: int) -> None:
        super().__init__()
        self.attention_norm = nn.RMSNorm(dim)
        self.attention = Attention(dim, heads, kv_heads)
        self.ffn_norm = nn.RMSNorm(dim)
        self.feed_forward = FeedForward(dim, hidden)


class Llama(nn.Module):
    """The parameter layout of a Llama decoder (no forward needed to initialize it)."""

    def __init__(
        self,
        vocab: int = 1000,
        dim: int = 96,
        layers: int = 3,
        heads: int = 6,
        kv_heads: int = 2,
        hidden: int = 250,
    ) -> None:
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(Block(dim, heads, kv_heads, hidden) for _ in range(layers))
        self.norm = nn.RMSNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)

    def init_weights(self) -> None:
        """torchtitan's scheme: normal embeddings, truncated normals with a depth-scaled std
        for the output projections, ones for the norms."""
        nn.init.normal_(self.tok_embeddings.weight)
        depth_std = 0.02 / math.sqrt(2 * len(self.layers))
        for block in self.layers:
            for lin in (
                block.attention.wq,
                block.attention.wk,
                block.attention.wv,
                block.feed_forward.w1,
            ):
                nn.init.trunc_normal_(lin.weight, mean=0.0, std=0.02)
            for lin in (block.attention.wo, block.feed_forward.w2, block.feed_forward.w3):
                nn.init.trunc_normal_(lin.weight, mean=0.0, std=depth_std)
            for norm in (block.attention_norm, block.ffn_norm):
                nn.init.ones_(norm.weight)
        nn.init.ones_(self.norm.weight)
        cutoff = 3 * self.output.in_features**-0.5
        nn.init.trunc_normal_(
            self.output.weight, std=self.output.in_features**-0.5, a=-cutoff, b=cutoff
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--own-init",
        action="store_true",
        help="the model's init_weights under fastinit.torch.patch(seed=...)",
    )
    args = parser.parse_args()

    dist.init_process_group("gloo")
    world = dist.get_world_size()
    mesh = init_device_mesh("cpu", (world,))

    with torch.device("meta"):  # no memory yet
        model = Llama()
    for block in model.layers:
        fully_shard(block, mesh=mesh)
    fully_shard(model, mesh=mesh)
    model.to_empty(device="cpu")  # each rank allocates its shards only

    if args.own_init:
        with ft.patch(seed=args.seed):
            model.init_weights()
    else:
        ft.init_module(model, seed=args.seed)

    for name, p in model.named_parameters():
        full = p.full_tensor() if isinstance(p, DTensor) else p.detach()
        digest = hashlib.sha256(full.contiguous().view(torch.uint8).numpy().tobytes())
        if dist.get_rank() == 0:
            print(f"{name:42s} {tuple(full.shape)!s:14s} {digest.hexdigest()[:16]}")
    if dist.get_rank() == 0:
        print(f"world size {world}: {sum(p.numel() for p in model.parameters())} parameters")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
