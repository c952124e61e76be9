"""One measured run of ``fastinit bench --torch-model`` (fastinit/cli/torch_model.py), in a
fresh process so that first-touch page faults and peak memory are its own:

    python -m fastinit.cli._torch_child D FFN LAYERS VOCAB THREADS MODE REPEAT

builds a Llama-style model of plain ``torch.nn`` modules (`D` wide, `FFN` in the MLPs, `LAYERS`
blocks, `VOCAB` embeddings) and prints one JSON line on stdout: ``build`` (seconds),
``params``, ``peak_rss`` (bytes) and, for MODE ``reinit``, ``reset_parameters`` and
``init_module``: `REPEAT` timed re-initializations each (after a warm-up). MODE
``build_patch`` builds under ``fastinit.torch.patch(seed=0)``, ``build_plain`` and
``reinit`` build plainly.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable, Sequence
from typing import Any

MODES = ("reinit", "build_plain", "build_patch")


def build(d: int, ffn: int, layers: int, vocab: int) -> Any:
    """The model: embedding, `layers` blocks (RMSNorm, q/k/v/o, RMSNorm, gate/up/down), RMSNorm,
    head; no bias anywhere."""
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn_norm = nn.RMSNorm(d)
            self.q, self.k = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
            self.v, self.o = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
            self.mlp_norm = nn.RMSNorm(d)
            self.gate, self.up = nn.Linear(d, ffn, bias=False), nn.Linear(d, ffn, bias=False)
            self.down = nn.Linear(ffn, d, bias=False)

    return nn.Sequential(
        nn.Embedding(vocab, d),
        *[Block() for _ in range(layers)],
        nn.RMSNorm(d),
        nn.Linear(d, vocab, bias=False),
    )


def reset(model: Any) -> None:
    """Every module's own ``reset_parameters``: torch's default initialization."""
    for m in model.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()


def _times(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def run(
    d: int, ffn: int, layers: int, vocab: int, threads: int, mode: str, repeat: int
) -> dict[str, Any]:
    import torch

    import fastinit
    import fastinit.torch as ft

    torch.set_num_threads(threads)
    fastinit.set_num_threads(threads)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    if mode == "build_patch":
        with ft.patch(seed=0):
            model = build(d, ffn, layers, vocab)
    else:
        model = build(d, ffn, layers, vocab)
    out["build"] = time.perf_counter() - t0
    if mode == "reinit":
        out["reset_parameters"] = _times(lambda: reset(model), repeat)
        out["init_module"] = _times(lambda: ft.init_module(model, seed=0), repeat)
    out["params"] = sum(p.numel() for p in model.parameters())
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fastinit.cli._torch_child", description=__doc__.split("\n\n")[0]
    )
    for name in ("d", "ffn", "layers", "vocab", "threads"):
        parser.add_argument(name, type=int)
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("repeat", type=int)
    a = parser.parse_args(argv)
    result = run(a.d, a.ffn, a.layers, a.vocab, a.threads, a.mode, a.repeat)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
