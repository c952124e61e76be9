"""One rank of tests/test_distributed.py, started by ``torchrun --standalone`` (gloo, loopback).

Every check compares what this rank holds after a fastinit fill of a DTensor (or of a sharded
model) with the same call on a plain tensor (or model) in this process, bit for bit: through
torch's own sharding of the plain result (``distribute_tensor(..., src_data_rank=None)``, no
communication) and through ``full_tensor()``. Results go to ``<out>/rank<r>.json``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Partial, Replicate, Shard, distribute_tensor
from torch.distributed.tensor.placement_types import _StridedShard

import fastinit
import fastinit.torch as ft

RESULTS: dict[str, object] = {}


def check(name: str, ok: object) -> None:
    RESULTS[name] = ok if isinstance(ok, (bool, str)) else bool(ok)


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Bit equality (bfloat16 and float16 compared as their bits)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.element_size() == 2:
        a, b = a.contiguous().view(torch.int16), b.contiguous().view(torch.int16)
    elif a.element_size() == 4:
        a, b = a.contiguous().view(torch.int32), b.contiguous().view(torch.int32)
    else:
        a, b = a.contiguous().view(torch.int64), b.contiguous().view(torch.int64)
    return bool(torch.equal(a, b))


# (name, call(tensor, generator)) for every fastinit.torch fill.
FILLS = [
    ("uniform_", lambda t, g: ft.uniform_(t, -0.5, 2.0, generator=g)),
    ("normal_", lambda t, g: ft.normal_(t, 0.1, 0.02, generator=g)),
    ("trunc_normal_", lambda t, g: ft.trunc_normal_(t, 0.0, 1.0, -1.5, 2.0, generator=g)),
    ("xavier_uniform_", lambda t, g: ft.xavier_uniform_(t, 1.3, generator=g)),
    ("xavier_normal_", lambda t, g: ft.xavier_normal_(t, generator=g)),
    ("kaiming_uniform_", lambda t, g: ft.kaiming_uniform_(t, math.sqrt(5), generator=g)),
    ("kaiming_normal_", lambda t, g: ft.kaiming_normal_(t, mode="fan_out", generator=g)),
    ("orthogonal_", lambda t, g: ft.orthogonal_(t, 0.5, generator=g)),
    ("sparse_", lambda t, g: ft.sparse_(t, 0.3, generator=g) if t.dim() == 2 else t),
    ("constant_", lambda t, g: ft.constant_(t, 0.25)),
    ("ones_", lambda t, g: ft.ones_(t)),
    ("zeros_", lambda t, g: ft.zeros_(t)),
    ("eye_", lambda t, g: ft.eye_(t) if t.dim() == 2 else t),
    ("dirac_", lambda t, g: ft.dirac_(t, 2) if t.dim() == 3 and t.shape[0] % 2 == 0 else t),
]


def direct_fills(meshes: dict, world: int) -> None:
    """Every fill, several placements, uneven shapes, float32 and bfloat16; an int generator,
    and two successive calls with a fastinit.Generator in the same state on every rank."""
    shapes = [(7, 5), (2 * world + 1, 3), (6, 4, 3)]
    for mesh_name, (mesh, placement_sets) in meshes.items():
        for placements in placement_sets:
            for shape in shapes:
                if any(p.is_shard() and p.dim >= len(shape) for p in placements):
                    continue
                for dtype in (torch.float32, torch.bfloat16):
                    for name, call in FILLS:
                        key = f"{mesh_name}/{placements}/{shape}/{dtype}/{name}"
                        try:
                            gen_dt, gen_ref = fastinit.Generator(11), fastinit.Generator(11)
                            dt = distribute_tensor(
                                torch.full(shape, float("nan"), dtype=dtype),
                                mesh,
                                placements,
                                src_data_rank=None,
                            )
                            ref = torch.full(shape, float("nan"), dtype=dtype)
                            for gen_a, gen_b in ((7, 7), (gen_dt, gen_ref), (gen_dt, gen_ref)):
                                out = call(dt, gen_a)
                                call(ref, gen_b)
                                assert out is dt
                                mine = dt.to_local()
                                torch_local = distribute_tensor(
                                    ref, mesh, placements, src_data_rank=None
                                ).to_local()
                                assert same(mine, torch_local), "local shard differs"
                                if mesh.ndim == 1:  # (gloo's sequential all-gathers of
                                    # uneven 2-D shards can mismatch: torch's, not fastinit's)
                                    assert same(dt.full_tensor(), ref), "full_tensor differs"
                            check(key, True)
                        except Exception:  # noqa: BLE001 - reported to the test
                            check(key, traceback.format_exc(limit=3))


def partial_is_refused(world: int) -> None:
    mesh = init_device_mesh("cpu", (world,))
    local = torch.full((4, 3), 5.0)
    dt = DTensor.from_local(local, mesh, [Partial()], run_check=False)
    try:
        ft.normal_(dt, generator=1)
        check("partial", "no error")
    except ValueError as exc:
        check("partial", "Partial" in str(exc) and bool((dt.to_local() == 5.0).all()))


class Block(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, 3 * dim)
        self.down = nn.Linear(3 * dim, dim, bias=False)


class Tiny(nn.Module):
    """A small Llama-shaped stack: embedding, blocks of LayerNorm + two Linears, a head."""

    def __init__(self, vocab: int = 37, dim: int = 10, layers: int = 3) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=1)
        self.layers = nn.ModuleList(Block(dim) for _ in range(layers))
        self.head = nn.Linear(dim, vocab, bias=False)

    def init_weights(self) -> None:  # a model's own init, as torchtitan's models have
        nn.init.normal_(self.embed.weight, std=0.02)
        for blk in self.layers:
            nn.init.trunc_normal_(blk.up.weight, std=0.02)
            nn.init.zeros_(blk.up.bias)
            nn.init.xavier_uniform_(blk.down.weight)
            nn.init.ones_(blk.norm.weight)
            nn.init.zeros_(blk.norm.bias)
        nn.init.kaiming_uniform_(self.head.weight, a=math.sqrt(5))


def compare_model(key: str, sharded: nn.Module, plain: nn.Module, mesh_local: bool = True) -> None:
    bad = []
    for (name, p), (_, q) in zip(sharded.named_parameters(), plain.named_parameters()):
        if isinstance(p, DTensor):
            if not same(p.full_tensor(), q.detach()):
                bad.append(name)
            torch_local = distribute_tensor(
                q.detach(), p.device_mesh, p.placements, src_data_rank=None
            ).to_local()
            if not same(p.to_local(), torch_local):
                bad.append(name + " (local)")
        elif not same(p.detach(), q.detach()):
            bad.append(name)
    check(key, not bad or f"differ: {bad}")


def models(world: int) -> None:
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor.parallel import (
        ColwiseParallel,
        RowwiseParallel,
        parallelize_module,
    )

    torch.manual_seed(0)
    plain = Tiny()
    ft.init_module(plain, seed=3)
    plain_own = Tiny()
    with ft.patch(seed=4):
        plain_own.init_weights()

    # FSDP2 on a 1-D mesh, built directly.
    mesh = init_device_mesh("cpu", (world,))
    m = Tiny()
    for blk in m.layers:
        fully_shard(blk, mesh=mesh)
    fully_shard(m, mesh=mesh)
    ft.init_module(m, seed=3)
    compare_model("fsdp2", m, plain)

    # The meta flow: meta -> fully_shard -> to_empty -> init_module / the model's init_weights.
    for label, init, ref in (
        ("meta/init_module", lambda x: ft.init_module(x, seed=3), plain),
        ("meta/patch", None, plain_own),
    ):
        with torch.device("meta"):
            m = Tiny()
        for blk in m.layers:
            fully_shard(blk, mesh=mesh)
        fully_shard(m, mesh=mesh)
        m.to_empty(device="cpu")
        if init is None:
            with ft.patch(seed=4):
                m.init_weights()
        else:
            init(m)
        compare_model(label, m, ref)

    # Tensor parallel (column- then row-wise) on a 1-D mesh.
    m = Tiny()
    for blk in m.layers:
        parallelize_module(blk, mesh, {"up": ColwiseParallel(), "down": RowwiseParallel()})
    ft.init_module(m, seed=3)
    compare_model("tp", m, plain)

    if world == 4:  # FSDP2 + TP on a 2-D mesh (dp, tp): _StridedShard on the weights
        mesh2 = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
        with torch.device("meta"):
            m = Tiny()
        for blk in m.layers:
            parallelize_module(
                blk, mesh2["tp"], {"up": ColwiseParallel(), "down": RowwiseParallel()}
            )
            fully_shard(blk, mesh=mesh2["dp"])
        fully_shard(m, mesh=mesh2["dp"])
        m.to_empty(device="cpu")
        placements = {str(p.placements) for p in m.parameters()}
        ft.init_module(m, seed=3)
        compare_model("fsdp2+tp", m, plain)
        check(
            "fsdp2+tp/strided",
            any("_StridedShard" in s or "_S(" in s for s in placements)
            or f"no _StridedShard among {placements}",
        )


def _rss_peak() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def memory(world: int) -> None:
    """A rank's peak RSS grows by its shard during a fill, not by the whole tensor."""
    mesh = init_device_mesh("cpu", (world,))
    rows, cols = 8192, 4096  # 128 MiB of float32 in all
    full_bytes = rows * cols * 4
    with torch.device("meta"):
        w = nn.Parameter(torch.empty(rows, cols))
    dt = distribute_tensor(w, mesh, [Shard(0)], src_data_rank=None)
    local = torch.empty(dt.to_local().shape)  # untouched pages: the fill touches them first
    dt = DTensor.from_local(
        local, mesh, [Shard(0)], run_check=False, shape=(rows, cols), stride=(cols, 1)
    )
    with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current RSS
        fh.write("5")
    before = _rss_peak()
    ft.normal_(dt, generator=1)
    grown = _rss_peak() - before
    shard_bytes = local.numel() * 4
    check(
        "memory",
        grown <= shard_bytes + 24 * 2**20
        or f"peak grew {grown / 2**20:.0f} MiB; shard {shard_bytes / 2**20:.0f} MiB, "
        f"whole {full_bytes / 2**20:.0f} MiB",
    )


def main() -> None:
    out_dir = sys.argv[1]
    dist.init_process_group("gloo")
    world, rank = dist.get_world_size(), dist.get_rank()
    torch.set_num_threads(1)
    fastinit.set_num_threads(1)
    meshes: dict = {
        "1d": (init_device_mesh("cpu", (world,)), [[Shard(0)], [Shard(1)], [Replicate()]])
    }
    if world >= 2:
        m2 = init_device_mesh("cpu", (2, world // 2))
        meshes["2d"] = (
            m2,
            [
                [Shard(0), Shard(1)],
                [Shard(0), Shard(0)],
                [Replicate(), Shard(1)],
                [_StridedShard(0, split_factor=world // 2), Shard(0)],
            ],
        )
    for part in (
        lambda: memory(world),
        lambda: direct_fills(meshes, world),
        lambda: partial_is_refused(world),
        lambda: models(world),
    ):
        try:
            part()
        except Exception:  # noqa: BLE001 - reported to the test
            check(f"crash/{len(RESULTS)}", traceback.format_exc())
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as fh:
        json.dump(RESULTS, fh)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
