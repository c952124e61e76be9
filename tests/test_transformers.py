"""Hugging Face transformers (v5) under fastinit.torch.patch(): the model's own init rules, with
fastinit's values, reproducible from the seed, whatever the import order; torch's init again
after the block. Tiny configs built in memory (no download)."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import fastinit.torch as ft  # noqa: E402

TINY = {
    "llama": (
        "LlamaConfig",
        dict(
            vocab_size=256,
            hidden_size=64,
            intermediate_size=96,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
        ),
    ),
    "gpt2": (
        "GPT2Config",
        dict(
            vocab_size=256,
            n_embd=64,
            n_layer=2,
            n_head=4,
            n_positions=64,
            bos_token_id=0,
            eos_token_id=0,
        ),
    ),
    "bert": (
        "BertConfig",
        dict(
            vocab_size=256,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=96,
            max_position_embeddings=64,
        ),
    ),
}


def _build(kind: str):
    name, kwargs = TINY[kind]
    config = getattr(transformers, name)(**kwargs)
    if kind == "bert":
        return transformers.AutoModel.from_config(config)
    return transformers.AutoModelForCausalLM.from_config(config)


def _params(model) -> dict:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


@pytest.fixture(scope="module", params=sorted(TINY))
def builds(request):
    kind = request.param
    with ft.patch(seed=0):
        a = _params(_build(kind))
    torch.manual_seed(123)  # torch's RNG must not matter with a seed
    with ft.patch(seed=0):
        b = _params(_build(kind))
    with ft.patch(seed=1):
        c = _params(_build(kind))
    torch.manual_seed(0)
    hf = _params(_build(kind))
    return kind, a, b, c, hf


def test_same_seed_same_model_other_seed_other_model(builds):
    kind, a, b, c, _ = builds
    assert a.keys() == b.keys() == c.keys()
    for n in a:
        assert torch.equal(a[n], b[n]), f"{kind}: {n} differs between two builds with seed 0"
        if a[n].std() > 0:
            assert not torch.equal(a[n], c[n]), f"{kind}: {n} is the same for seeds 0 and 1"


def test_the_models_own_rules_with_fastinits_values(builds):
    """Each parameter has the moments of HF's own init (normal(0, initializer_range), zeros,
    ones, scaled projections, ...) but not its values."""
    kind, a, _, _, hf = builds
    for n, x in a.items():
        y = hf[n]
        if y.std() == 0:  # a constant rule (ones, zeros): the same constant
            assert torch.equal(x, y), f"{kind}: {n}"
            continue
        assert not torch.equal(x, y), f"{kind}: {n} holds torch's values"
        k = x.numel()
        # std within 4 standard errors of a std estimate (sqrt(1 / (2n)) relative), mean
        # within 4 standard errors of the std
        tol = 4 / (2 * k) ** 0.5
        assert abs(x.std().item() / y.std().item() - 1) < 2 * tol + 0.02, f"{kind}: {n}"
        assert abs(x.mean().item()) < 4 * y.std().item() / k**0.5 + 1e-6, f"{kind}: {n}"


def test_hf_init_is_torchs_again_after_the_block():
    torch.manual_seed(7)
    before = _params(_build("llama"))
    with ft.patch(seed=0):
        _build("llama")
    torch.manual_seed(7)
    after = _params(_build("llama"))
    assert all(torch.equal(before[n], after[n]) for n in before)


_SCRIPT = r"""
import hashlib, sys, torch
import fastinit.torch as ft
def digest(m):
    h = hashlib.sha256()
    for p in m.parameters():
        h.update(p.detach().numpy().tobytes())
    return h.hexdigest()[:16]
def build():
    import transformers
    cfg = transformers.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=96,
                                   num_hidden_layers=2, num_attention_heads=4,
                                   num_key_value_heads=2)
    return transformers.LlamaForCausalLM(cfg)
if sys.argv[1] == "import-inside":
    with ft.patch(seed=0):
        import transformers.models.llama.modeling_llama  # first import inside the block
        patched = digest(build())
else:
    import transformers.models.llama.modeling_llama
    with ft.patch(seed=0):
        patched = digest(build())
torch.manual_seed(11)
print(patched, digest(build()))
"""


def test_independent_of_import_order():
    """transformers keeps torch's init functions in a dict taken at import; whether it is
    imported before or inside the block, the patched build is the same and a later plain
    build is torch's."""
    out = {}
    for mode in ("import-inside", "import-before"):
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        out[mode] = proc.stdout.split()
    assert out["import-inside"] == out["import-before"]
    assert hashlib.sha256(b"").hexdigest()[:16] not in out["import-inside"]


def test_build_on_meta_fills_once_by_the_models_own_rules():
    """fastinit.torch.build_on_meta: meta device, to_empty, then the model's init_weights once
    under patch(): reproducible, HF's rules and moments, and the buffers it recomputes (the
    rotary inv_freq) equal a plain build's."""
    a = ft.build_on_meta(lambda: _build("llama"), seed=0)
    b = ft.build_on_meta(lambda: _build("llama"), seed=0)
    torch.manual_seed(0)
    hf = _build("llama")
    pa, pb, ph = _params(a), _params(b), _params(hf)
    assert all(torch.equal(pa[n], pb[n]) for n in pa)
    for n, x in pa.items():
        y = ph[n]
        if y.std() == 0:
            assert torch.equal(x, y), n
        else:
            assert abs(x.std().item() / y.std().item() - 1) < 0.15, n
    ba, bh = dict(a.named_buffers()), dict(hf.named_buffers())
    assert ba.keys() == bh.keys() and all(torch.equal(ba[k], bh[k]) for k in ba)
    assert all(p.device.type == "cpu" for p in a.parameters())


def test_bench_hf_model_runs_on_a_tiny_config():
    from fastinit.cli.hf_model import bench_hf_model, format_hf_model

    r = bench_hf_model(1, config=(256, 64, 96, 2, 4, 2))
    assert r["params"] == r["patch"]["params"] == r["meta"]["params"] > 0
    assert r["patch"]["fill_count"] > 0 and 0 < r["patch"]["fills"] < r["patch"]["build"]
    text = format_hf_model(r)
    assert "inside fastinit.torch.patch(seed=0)" in text and "build_on_meta" in text
