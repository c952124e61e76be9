"""One measured build of ``fastinit bench --hf-model`` (fastinit/cli/hf_model.py), in a fresh
process so that first-touch page faults and peak memory are its own:

    python -m fastinit.cli._hf_child MODE THREADS VOCAB HIDDEN INTERMEDIATE LAYERS HEADS KV_HEADS

builds ``transformers.LlamaForCausalLM(config)`` and prints one JSON line: ``build`` (seconds),
``params``, ``peak_rss`` (bytes). MODE ``plain``: transformers' own init (torch's RNG);
``patch``: inside ``fastinit.torch.patch(seed=0)``, with where the time went: ``fills``
(seconds inside fastinit's fills, ``first_fills`` of them the first fill of a tensor, which
faults its pages in) and ``fill_count``; ``meta``: built on the meta device, then allocated and
initialized once by the model's own rules under ``patch(seed=0)``
(:func:`fastinit.torch.build_on_meta`).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

MODES = ("plain", "patch", "meta")


def _config(
    vocab: int, hidden: int, intermediate: int, layers: int, heads: int, kv_heads: int
) -> Any:
    import transformers

    return transformers.LlamaConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        tie_word_embeddings=False,
    )


def _instrument() -> dict[str, float]:
    """Time spent in fastinit's fills (wrapping fastinit.torch.functions._routed)."""
    from fastinit.torch import functions

    acc = {"fills": 0.0, "first_fills": 0.0, "fill_count": 0}
    seen: set[int] = set()
    routed = functions._routed

    def timed(name: str, run: Any, tensor: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return routed(name, run, tensor, *args, **kwargs)
        finally:
            dt = time.perf_counter() - t0
            acc["fills"] += dt
            acc["fill_count"] += 1
            ptr = tensor.data_ptr()
            if ptr not in seen:
                seen.add(ptr)
                acc["first_fills"] += dt

    functions._routed = timed
    return acc


def main(argv: list[str]) -> None:
    mode, threads = argv[0], int(argv[1])
    dims = [int(x) for x in argv[2:8]]
    if mode not in MODES:
        raise SystemExit(f"mode must be one of {MODES}")
    import torch
    import transformers

    import fastinit
    import fastinit.torch as ft

    torch.set_num_threads(threads)
    fastinit.set_num_threads(threads)
    config = _config(*dims)
    llama = transformers.LlamaForCausalLM  # imports the modeling module, outside the timing
    out: dict[str, Any] = {"mode": mode, "threads": threads}
    torch.manual_seed(0)
    if mode == "patch":
        acc = _instrument()
        t0 = time.perf_counter()
        with ft.patch(seed=0):
            model = llama(config)
        out["build"] = time.perf_counter() - t0
        out.update(acc)
    elif mode == "meta":
        t0 = time.perf_counter()
        model = ft.build_on_meta(lambda: llama(config), seed=0)
        out["build"] = time.perf_counter() - t0
    else:
        t0 = time.perf_counter()
        model = llama(config)
        out["build"] = time.perf_counter() - t0
    out["params"] = sum(p.numel() for p in model.parameters())
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
