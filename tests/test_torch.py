"""fastinit.torch: the torch.nn.init drop-in, init_module and patch() (docs/torch.md)."""

import math
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
stats = pytest.importorskip("scipy.stats")

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402

nn = torch.nn
TI = ft.functions._ORIGINAL  # torch's own functions
P_MIN = 1e-4  # KS two-sample p bound (fixed seeds: deterministic, not flaky)

# (name, args, kwargs, fastinit NumPy equivalent taking (arr, seed))
RANDOM = [
    ("uniform_", (-0.5, 2.0), {}, lambda a, s: fastinit.uniform(a, -0.5, 2.0, seed=s)),
    ("normal_", (0.3, 2.0), {}, lambda a, s: fastinit.normal(a, 0.3, 2.0, seed=s)),
    (
        "trunc_normal_",
        (0.0, 1.0, -1.0, 1.5),
        {},
        lambda a, s: fastinit.trunc_normal(a, 0.0, 1.0, -1.0, 1.5, seed=s),
    ),
    ("xavier_uniform_", (), {"gain": 2.0}, lambda a, s: fastinit.xavier_uniform(a, 2.0, seed=s)),
    ("xavier_normal_", (), {}, lambda a, s: fastinit.xavier_normal(a, seed=s)),
    (
        "kaiming_uniform_",
        (),
        {"a": math.sqrt(5)},
        lambda a, s: fastinit.kaiming_uniform(a, math.sqrt(5), seed=s),
    ),
    (
        "kaiming_normal_",
        (),
        {"mode": "fan_out", "nonlinearity": "relu"},
        lambda a, s: fastinit.kaiming_normal(a, 0, "fan_out", "relu", seed=s),
    ),
    ("orthogonal_", (), {"gain": 1.5}, lambda a, s: fastinit.orthogonal(a, 1.5, seed=s)),
    ("sparse_", (0.3,), {"std": 0.5}, lambda a, s: fastinit.sparse(a, 0.3, 0.5, seed=s)),
]
SHAPES = [(256, 300), (64, 16, 3, 3)]


def _shape_ok(name, shape):
    return not (name == "sparse_" and len(shape) != 2)


def _torch_draw(name, shape, args, kwargs, dtype=torch.float64):
    t = torch.empty(shape, dtype=dtype)
    return TI[name](t, *args, generator=torch.Generator().manual_seed(123), **kwargs)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name,args,kwargs,np_fill", RANDOM, ids=[r[0] for r in RANDOM])
def test_random_matches_torch_and_numpy(name, args, kwargs, np_fill, shape):
    if not _shape_ok(name, shape):
        pytest.skip("2-D only")
    t = torch.empty(shape, dtype=torch.float64)
    ptr = t.data_ptr()
    out = getattr(ft, name)(t, *args, generator=7, **kwargs)
    assert out is t and t.data_ptr() == ptr and t.shape == shape and t.dtype == torch.float64
    # bit equality with the NumPy fill of the same seed
    ref = np_fill(np.empty(shape, np.float64), 7)
    assert np.array_equal(t.numpy(), ref)
    # same distribution as torch's own draw
    ours, theirs = t.flatten().numpy(), _torch_draw(name, shape, args, kwargs).flatten().numpy()
    assert stats.ks_2samp(ours, theirs).pvalue > P_MIN
    assert abs(ours.std() / theirs.std() - 1) < 0.03
    assert abs(ours.mean() - theirs.mean()) < 0.05 * theirs.std() + 1e-12
    assert ours.min() >= theirs.min() - 0.05 * theirs.std() or name.endswith("normal_")


def test_formulas():
    t = torch.empty(512, 256, dtype=torch.float64)
    ft.kaiming_uniform_(t, a=math.sqrt(5), generator=1)
    assert t.abs().max() <= 1 / math.sqrt(256) and t.abs().max() > 0.99 / math.sqrt(256)
    ft.kaiming_normal_(t, nonlinearity="relu", generator=1)
    assert abs(t.std().item() / math.sqrt(2 / 256) - 1) < 0.01
    ft.xavier_uniform_(t, generator=1)
    assert t.abs().max() <= math.sqrt(6 / 768)
    ft.normal_(t, 1.0, 0.5, generator=2)
    assert abs(t.mean().item() - 1) < 0.005 and abs(t.std().item() - 0.5) < 0.005
    ft.trunc_normal_(t, std=0.02, a=-0.04, b=0.04, generator=3)
    assert t.min() >= -0.04 and t.max() <= 0.04
    ft.orthogonal_(t, generator=4)
    assert torch.allclose(t.T @ t, torch.eye(256, dtype=torch.float64), atol=1e-10)
    ft.sparse_(t, 0.25, generator=5)
    assert ((t == 0).sum(0) == math.ceil(0.25 * 512)).all()


@pytest.mark.parametrize(
    "dtype,npdt",
    [(torch.float32, np.float32), (torch.float16, np.float16), (torch.bfloat16, "bfloat16")],
)
def test_half_dtypes_zero_copy(dtype, npdt):
    t = torch.empty(300, 200, dtype=dtype)
    view = ft.functions._target(t, "x")
    assert np.shares_memory(
        view, t.view(torch.int16).numpy() if dtype == torch.bfloat16 else t.numpy()
    )
    ptr = t.data_ptr()
    assert ft.normal_(t, 0.0, 0.02, generator=3) is t and t.data_ptr() == ptr
    ref = fastinit.normal((300, 200), 0.0, 0.02, dtype=npdt, seed=3)
    assert np.array_equal(t.view(torch.int16).numpy(), ref.view(np.int16))
    assert abs(t.float().std().item() / 0.02 - 1) < 0.02
    theirs = TI["normal_"](
        torch.empty(300, 200, dtype=dtype), 0.0, 0.02, generator=torch.Generator().manual_seed(0)
    )
    assert (
        stats.ks_2samp(t.float().flatten().numpy(), theirs.float().flatten().numpy()).pvalue > P_MIN
    )


def test_non_contiguous_and_parameters():
    base = torch.zeros(40, 60)
    t = base[:, ::3].T  # strided and transposed
    ft.uniform_(t, -1.0, 1.0, generator=9)
    assert np.array_equal(
        t.numpy(), fastinit.uniform(np.empty(t.shape, np.float32), -1.0, 1.0, seed=9)
    )
    assert (base[:, 1::3] == 0).all() and (base[:, 2::3] == 0).all()
    cl = torch.empty(8, 4, 3, 3).to(memory_format=torch.channels_last)
    ft.kaiming_uniform_(cl, generator=1)
    assert np.array_equal(cl.numpy(), fastinit.kaiming_uniform((8, 4, 3, 3), seed=1))
    p = nn.Parameter(torch.empty(30, 20))
    assert ft.xavier_normal_(p, generator=1) is p and p.requires_grad
    assert p.grad_fn is None and abs(p.std().item() / math.sqrt(2 / 50) - 1) < 0.1


def test_deterministic_fills():
    t = torch.empty(5, 7)
    assert ft.constant_(t, 2.5) is t and (t == 2.5).all()
    assert (ft.ones_(t) == 1).all() and (ft.zeros_(t) == 0).all()
    assert torch.equal(ft.eye_(t), TI["eye_"](torch.empty(5, 7)))
    w = torch.empty(6, 3, 3, 3, dtype=torch.bfloat16)
    assert torch.equal(ft.dirac_(w, 2), TI["dirac_"](torch.empty_like(w), 2))
    i = torch.empty(4, dtype=torch.int64)  # dtypes fastinit does not fill: torch's own
    assert (ft.constant_(i, 3) == 3).all()
    with pytest.raises(
        ft.UnsupportedTensorError,
        match=r"uniform_: fastinit fills float32, "
        r"float64, float16 and bfloat16 tensors, got torch.int64",
    ):
        ft.uniform_(i)
    assert issubclass(ft.UnsupportedTensorError, TypeError)
    assert torch.equal(i, torch.full((4,), 3))  # left as it was


def test_torch_generator():
    g = torch.Generator().manual_seed(11)
    a = ft.normal_(torch.empty(100), generator=g).clone()
    b = ft.normal_(torch.empty(100), generator=g).clone()
    assert not torch.equal(a, b)  # the draw advances the generator
    g.manual_seed(11)
    assert torch.equal(ft.normal_(torch.empty(100), generator=g), a)
    fg = fastinit.Generator(5)
    c = ft.uniform_(torch.empty(50), generator=fg).clone()
    assert torch.equal(c, torch.from_numpy(fastinit.uniform((50,), seed=(fastinit.Generator(5)))))
    fastinit.manual_seed(3)
    d = ft.uniform_(torch.empty(50)).clone()
    fastinit.manual_seed(3)
    assert torch.equal(ft.uniform_(torch.empty(50)), d)


def test_meta_and_empty():
    for name, args, kwargs, _ in RANDOM:
        m = torch.empty(6, 4, device="meta")
        assert getattr(ft, name)(m, *args, **kwargs) is m
    m = torch.empty(3, 4, 5, device="meta")
    assert ft.dirac_(m) is m and ft.constant_(m, 1.0) is m
    with pytest.warns(UserWarning, match="zero-element"):
        ft.kaiming_uniform_(torch.empty(0, 3))
    assert ft.xavier_uniform_(torch.empty(0, 3)).shape == (0, 3)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda f: f["eye_"](torch.empty(3)), "2 dimensions"),
        (lambda f: f["dirac_"](torch.empty(3, 3)), "3, 4, or 5"),
        (lambda f: f["dirac_"](torch.empty(3, 3, 3), 2), "divisible by groups"),
        (lambda f: f["xavier_uniform_"](torch.empty(3)), "fewer than 2 dimensions"),
        (lambda f: f["kaiming_normal_"](torch.empty(3, 3), mode="fan_avg"), "Mode fan_avg"),
        (lambda f: f["kaiming_normal_"](torch.empty(3, 3), nonlinearity="foo"), "nonlinearity"),
        (lambda f: f["orthogonal_"](torch.empty(3)), "2 or more dimensions"),
        (lambda f: f["sparse_"](torch.empty(3, 3, 3), 0.1), "2 dimensions"),
    ],
)
def test_errors_match_torch(call, match):
    ours = {n: getattr(ft, n) for n in ft.__all__}
    with pytest.raises(ValueError, match=match):
        call(TI | {"kaiming_normal_": TI["kaiming_normal_"]})
    with pytest.raises(ValueError, match=match):
        call(ours)


def test_calculate_gain():
    for nl in ("linear", "conv2d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"):
        assert ft.calculate_gain(nl) == torch.nn.init.calculate_gain(nl)
    assert ft.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        ft.calculate_gain("swish")


# ---- init_module ---------------------------------------------------------------------------------

LAYERS = [
    lambda: nn.Linear(400, 300),
    lambda: nn.Conv2d(16, 32, 3),
    lambda: nn.Conv1d(8, 12, 5, groups=4),
    lambda: nn.ConvTranspose2d(16, 24, 3),
    lambda: nn.Bilinear(20, 30, 40),
    lambda: nn.Embedding(500, 64, padding_idx=3),
    lambda: nn.LSTM(32, 48),
    lambda: nn.MultiheadAttention(64, 4),
    lambda: nn.MultiheadAttention(64, 4, kdim=32, vdim=48, add_bias_kv=True),
]


@pytest.mark.parametrize("make", LAYERS, ids=lambda f: "")
def test_init_module_matches_reset_parameters(make):
    torch.manual_seed(0)
    theirs = make()  # torch's own init
    ours = make()
    before = {n: p.data_ptr() for n, p in ours.named_parameters()}
    assert ft.init_module(ours, seed=1) is ours
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.data_ptr() == before[n]
        a, b = p.detach().flatten().numpy(), q.detach().flatten().numpy()
        if b.std() == 0:
            assert np.array_equal(a, b), n
            continue
        tol = max(0.05, 2.5 / math.sqrt(a.size))  # std of a sample std: ~1/sqrt(2n)
        assert abs(a.std() / b.std() - 1) < tol, n
        if a.size > 1000:  # bounded draws: torch's sample maximum is next to the bound
            assert abs(a).max() <= 1.02 * abs(b).max(), n
        if a.size > 1000:
            assert stats.ks_2samp(a, b).pvalue > P_MIN, n
    if isinstance(ours, nn.Embedding):
        assert (ours.weight[3] == 0).all()


def test_init_module_norms_and_determinism():
    model = nn.Sequential(
        nn.Linear(8, 8),
        nn.LayerNorm(8),
        nn.GroupNorm(2, 8),
        nn.BatchNorm1d(8),
        nn.RMSNorm(8),
        nn.Linear(8, 4),
    )
    for p in model.parameters():
        p.data.fill_(7)
    model[3].running_mean.fill_(3)
    model[3].num_batches_tracked.fill_(5)
    ft.init_module(model, seed=42)
    for i in (1, 2, 3, 4):
        assert (model[i].weight == 1).all()
        if getattr(model[i], "bias", None) is not None:
            assert (model[i].bias == 0).all()
    assert (model[3].running_mean == 0).all() and (model[3].running_var == 1).all()
    assert model[3].num_batches_tracked.item() == 0
    first = [p.clone() for p in model.parameters()]
    ft.init_module(model, seed=42)
    assert all(torch.equal(a, b) for a, b in zip(first, model.parameters()))
    ft.init_module(model, seed=43)
    assert not torch.equal(first[0], model[0].weight)


def test_init_module_fallback_and_tied():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.full((10, 10), 5.0))

        def reset_parameters(self):
            nn.init.xavier_uniform_(self.w)

    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.full((3,), 5.0))

    m = nn.Sequential(Custom(), Plain())
    ft.init_module(m, seed=0)
    assert np.array_equal(m[0].w.detach().numpy(), fastinit.xavier_uniform((10, 10), seed=0))
    assert (m[1].w == 5).all()
    emb, head = nn.Embedding(50, 8), nn.Linear(8, 50, bias=False)
    head.weight = emb.weight
    ft.init_module(nn.Sequential(emb, head), seed=0)
    assert abs(emb.weight.std().item() - 1) < 0.15  # the Embedding's rule, once


# ---- patch() -------------------------------------------------------------------------------------


def test_patch_routes_and_restores():
    orig = torch.nn.init.uniform_
    code = {n: getattr(torch.nn.init, n).__code__ for n in TI}
    with ft.patch(seed=0):
        assert torch.nn.init.uniform_ is orig  # the same object, redirected (patch.py)
        assert torch.nn.init.uniform_.__code__ is not code["uniform_"]
        lin = nn.Linear(64, 32)
        c = torch.zeros(300, dtype=torch.complex64)
        torch.nn.init.normal_(c)  # a dtype fastinit does not fill: torch's own
        assert c.abs().std() > 0.1
    assert all(getattr(torch.nn.init, n).__code__ is code[n] for n in TI)
    assert torch.nn.modules.activation.xavier_uniform_ is torch.nn.init.xavier_uniform_
    g = fastinit.Generator(0)
    ref_w = fastinit.kaiming_uniform((32, 64), math.sqrt(5), seed=g)
    ref_b = fastinit.uniform((32,), -1 / 8, 1 / 8, seed=g)
    assert np.array_equal(lin.weight.detach().numpy(), ref_w)
    assert np.array_equal(lin.bias.detach().numpy(), ref_b)
    with pytest.raises(RuntimeError, match="boom"):
        with ft.patch():
            raise RuntimeError("boom")
    assert all(getattr(torch.nn.init, n).__code__ is code[n] for n in TI)
    torch.manual_seed(3)
    after = torch.nn.init.uniform_(torch.empty(50))
    torch.manual_seed(3)
    assert torch.equal(after, TI["uniform_"](torch.empty(50)))  # torch's own again


def test_import_fastinit_does_not_import_torch():
    code = "import sys, fastinit; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bench_torch_model_runs_on_a_tiny_model():
    pytest.importorskip("torch")
    from fastinit.cli.torch_model import bench_torch_model, format_torch_model

    r = bench_torch_model(threads=1, repeat=1, dims=(64, 128, 2, 100))
    assert r["params"] == 100 * 64 + 2 * (2 * 64 + 4 * 64 * 64 + 3 * 64 * 128) + 64 + 64 * 100
    assert r["init_module"] > 0 and r["reset_parameters"] > 0
    assert "init_module" in format_torch_model(r)


def _thp_mode() -> str:
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as fh:
            return fh.read().split("[")[1].split("]")[0]
    except (OSError, IndexError):
        return "unavailable"


@pytest.mark.skipif(_thp_mode() not in ("madvise", "always"), reason="no transparent huge pages")
def test_large_cpu_tensors_get_huge_pages_before_their_first_fill():
    """fastinit.torch asks for transparent huge pages on a large tensor it fills (torch does
    not), so the first touch of fresh memory faults 2 MiB pages (docs/torch.md)."""
    t = torch.empty(2**24)  # 64 MiB, untouched
    ft.uniform_(t, generator=0)
    lo_t, hi_t = t.data_ptr(), t.data_ptr() + t.numel() * 4
    huge_kb, inside = 0, False  # summed over the mappings the tensor's bytes lie in
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                lo, hi = (int(x, 16) for x in head.split("-"))
                inside = lo < hi_t and lo_t < hi
            elif inside and line.startswith("AnonHugePages:"):
                huge_kb += int(line.split()[1])
    assert huge_kb >= 32 * 1024, huge_kb
    assert np.array_equal(t.numpy(), fastinit.uniform((2**24,), seed=0))


def test_init_module_skips_lazy_modules():
    m = nn.Sequential(nn.LazyLinear(3), nn.Linear(4, 2))
    ft.init_module(m, seed=0)  # the lazy layer has nothing to fill yet, not even fans
    assert isinstance(m[0].weight, nn.parameter.UninitializedParameter)
    g = fastinit.Generator(0)
    assert np.array_equal(
        m[1].weight.detach().numpy(), fastinit.kaiming_uniform((2, 4), math.sqrt(5), seed=g)
    )
