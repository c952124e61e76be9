"""``fastinit bench --hf-model``: Hugging Face transformers' ``LlamaForCausalLM(config)`` (0.886B
parameters by default: vocab 32000, hidden 2048, intermediate 5632, 16 layers, 16 heads, 8 KV
heads, untied) built plainly, inside ``fastinit.torch.patch(seed=0)``, and with
``fastinit.torch.build_on_meta``, each in a fresh process (``python -m
fastinit.cli._hf_child``), with peak memory and where the patched build's time goes."""

from __future__ import annotations

from typing import Any

from .torch_model import run_child

__all__ = ["DEFAULT_CONFIG", "bench_hf_model", "format_hf_model"]

# vocab, hidden, intermediate, layers, heads, kv_heads
DEFAULT_CONFIG = (32000, 2048, 5632, 16, 16, 8)


def _child(mode: str, threads: int, config: tuple[int, ...]) -> dict[str, Any]:
    args = [mode, str(threads), *(str(x) for x in config)]
    return run_child("fastinit.cli._hf_child", args, f"--hf-model's {mode} build")


def bench_hf_model(threads: int, config: tuple[int, ...] = DEFAULT_CONFIG) -> dict[str, Any]:
    """The three builds, each in its own process."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise SystemExit(
            "fastinit bench --hf-model needs PyTorch and transformers "
            "(pip install torch transformers)"
        ) from None
    runs = {mode: _child(mode, threads, config) for mode in ("plain", "patch", "meta")}
    return {"threads": threads, "config": list(config), "params": runs["plain"]["params"], **runs}


def format_hf_model(r: dict[str, Any]) -> str:
    gib = 2.0**30
    plain, patched, meta = r["plain"], r["patch"], r["meta"]
    v, h, i, n, heads, kv = r["config"]
    rest = patched["build"] - patched["fills"]
    return "\n".join(
        [
            f"transformers LlamaForCausalLM, {r['params'] / 1e9:.3f}B float32 parameters (vocab {v}, "
            f"hidden {h}, intermediate {i}, {n} layers, {heads}/{kv} heads), {r['threads']} threads,"
            f" each build in its own process",
            f"  plainly (transformers' init)          {plain['build']:7.2f} s   peak RSS "
            f"{plain['peak_rss'] / gib:5.2f} GiB",
            f"  inside fastinit.torch.patch(seed=0)   {patched['build']:7.2f} s   peak RSS "
            f"{patched['peak_rss'] / gib:5.2f} GiB   x{plain['build'] / patched['build']:.1f}",
            f"    fastinit fills: {patched['fill_count']} calls, {patched['fills']:.2f} s "
            f"({patched['first_fills']:.2f} s of them first fills, which fault the pages in); "
            f"the rest (construction, transformers) {rest:.2f} s",
            f"  fastinit.torch.build_on_meta(seed=0)  {meta['build']:7.2f} s   peak RSS "
            f"{meta['peak_rss'] / gib:5.2f} GiB   x{plain['build'] / meta['build']:.1f}",
        ]
    )
