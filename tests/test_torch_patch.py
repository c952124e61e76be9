"""fastinit.torch.patch() catches every init path (fastinit/torch/patch.py): torch.nn.init
through any reference, trunc_normal_ at its top level, the in-place Tensor methods, and seeds
as torch users expect; nothing stays patched."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402

nn = torch.nn
INIT_NAMES = (
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
)


def _np(t):
    return t.detach().numpy()


def test_references_taken_before_the_patch_are_caught():
    kept = {n: getattr(torch.nn.init, n) for n in INIT_NAMES}  # as transformers keeps them
    t = torch.empty(40, 30)
    with ft.patch(seed=5):
        kept["trunc_normal_"](t, std=0.02, a=-0.04, b=0.04)
        u = kept["uniform_"](torch.empty(40, 30), a=-1.0, b=2.0)
        k = kept["kaiming_normal_"](torch.empty(40, 30), mode="fan_out")
    g = fastinit.Generator(5)
    assert np.array_equal(_np(t), fastinit.trunc_normal((40, 30), 0.0, 0.02, -0.04, 0.04, seed=g))
    assert np.array_equal(_np(u), fastinit.uniform((40, 30), -1.0, 2.0, seed=g))
    assert np.array_equal(_np(k), fastinit.kaiming_normal((40, 30), mode="fan_out", seed=g))


def test_trunc_normal_is_caught_at_its_top_level():
    """torch's trunc_normal_ draws uniform_ then transforms; under patch() the whole call is
    fastinit's (its values lie in [a, b] and equal fastinit.trunc_normal), not a fastinit
    uniform_ fed into torch's loop."""
    t = torch.empty(1000)
    with ft.patch(seed=1):
        torch.nn.init.trunc_normal_(t, mean=1.0, std=2.0, a=0.5, b=1.5)
    assert np.array_equal(_np(t), fastinit.trunc_normal((1000,), 1.0, 2.0, 0.5, 1.5, seed=1))


@pytest.mark.parametrize(
    "call, ref",
    [
        (lambda t: t.normal_(0.5, 0.02), lambda g: fastinit.normal((64, 8), 0.5, 0.02, seed=g)),
        (
            lambda t: t.normal_(mean=0.0, std=3.0),
            lambda g: fastinit.normal((64, 8), 0.0, 3.0, seed=g),
        ),
        (lambda t: t.uniform_(-2, 3), lambda g: fastinit.uniform((64, 8), -2.0, 3.0, seed=g)),
        (
            lambda t: t.uniform_(**{"from": -1.0, "to": 0.5}),
            lambda g: fastinit.uniform((64, 8), -1.0, 0.5, seed=g),
        ),
        (lambda t: t.zero_(), lambda g: np.zeros((64, 8), np.float32)),
        (lambda t: t.fill_(0.25), lambda g: np.full((64, 8), 0.25, np.float32)),
    ],
)
def test_tensor_methods_are_caught(call, ref):
    t = torch.full((64, 8), float("nan"))
    with ft.patch(seed=9):
        assert call(t) is t
    assert np.array_equal(_np(t), ref(fastinit.Generator(9)))


def test_tensor_methods_on_views_and_parameters_through_data():
    lin = nn.Linear(16, 12)
    with ft.patch(seed=2):
        lin.weight.data.normal_(mean=0.0, std=0.02)  # HF v4 / timm style
        lin.weight.data[3].fill_(1.5)
    want = fastinit.normal((12, 16), 0.0, 0.02, seed=fastinit.Generator(2))
    want[3] = 1.5
    assert np.array_equal(_np(lin.weight), want)


def test_what_fastinit_cannot_fill_is_torchs():
    ints = torch.zeros(100, dtype=torch.int32)
    p = nn.Parameter(torch.zeros(10))
    with ft.patch(seed=0):
        ints.fill_(3)
        assert (ints == 3).all()
        c = torch.zeros(50, dtype=torch.complex64).normal_()
        assert c.abs().std() > 0.1
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            p.normal_()  # torch's own error, unchanged
        v = torch.zeros(5).fill_(torch.tensor(2.0))  # a tensor value: torch's fill_
        assert (v == 2).all()


def test_nothing_stays_patched_and_blocks_nest():
    code = {n: getattr(torch.nn.init, n).__code__ for n in INIT_NAMES}
    with ft.patch(seed=1):
        a1 = torch.nn.init.normal_(torch.empty(20))
        with ft.patch(seed=2):
            b1 = torch.nn.init.normal_(torch.empty(20))
            with ft.patch(seed=2):  # re-entering with an equal seed
                c1 = torch.nn.init.normal_(torch.empty(20))
        a2 = torch.nn.init.normal_(torch.empty(20))  # the outer block's generator again
    assert all(getattr(torch.nn.init, n).__code__ is code[n] for n in INIT_NAMES)
    g1, g2, g2b = fastinit.Generator(1), fastinit.Generator(2), fastinit.Generator(2)
    assert np.array_equal(_np(a1), fastinit.normal((20,), seed=g1))
    assert np.array_equal(_np(b1), fastinit.normal((20,), seed=g2))
    assert np.array_equal(_np(c1), fastinit.normal((20,), seed=g2b))
    assert np.array_equal(_np(a2), fastinit.normal((20,), seed=g1))
    t = torch.empty(20)
    t.normal_()  # torch's own after the block
    torch.manual_seed(0)
    x = torch.empty(20).normal_()
    torch.manual_seed(0)
    assert torch.equal(x, torch.empty(20).normal_())


def test_init_functions_are_redirected_in_other_threads_while_open():
    """The redirection of torch.nn.init is process-wide (docs/torch.md); the Tensor methods
    are intercepted in the thread that entered the block."""
    out = {}
    started, done = threading.Event(), threading.Event()

    def worker():
        started.wait(30)
        out["init"] = torch.nn.init.uniform_(torch.empty(10), generator=3)
        torch.manual_seed(0)
        out["method"] = torch.empty(10).uniform_()
        done.set()

    th = threading.Thread(target=worker)
    th.start()
    with ft.patch(seed=0):
        started.set()
        assert done.wait(30)
    th.join()
    assert np.array_equal(_np(out["init"]), fastinit.uniform((10,), seed=3))
    torch.manual_seed(0)
    assert torch.equal(out["method"], torch.empty(10).uniform_())


def test_without_a_seed_torch_manual_seed_governs():
    def build():
        return nn.Sequential(nn.Linear(20, 30), nn.Linear(30, 5))

    def state(m):
        return [p.detach().clone() for p in m.parameters()]

    torch.manual_seed(5)
    with ft.patch():
        a = state(build())
    torch.manual_seed(5)
    with ft.patch():
        b = state(build())
    torch.manual_seed(6)
    with ft.patch():
        c = state(build())
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not any(torch.equal(x, y) for x, y in zip(a, c))
    # The stream of each fill: (torch's initial seed, a 32-bit draw from torch's generator).
    torch.manual_seed(5)
    with ft.patch():
        w = torch.nn.init.normal_(torch.empty(7))
    torch.manual_seed(5)
    pair = ft.seed_from_torch_generator(torch.default_generator)
    assert np.array_equal(_np(w), fastinit.normal((7,), seed=pair))


def test_torch_generator_matches_manual_seed_as_pytorchs_own_test_expects():
    """PyTorch's test_trunc_normal_generator: a Generator seeded 42 and torch.manual_seed(42)
    give the same values."""
    with ft.patch():
        gen = torch.Generator().manual_seed(42)
        a = torch.nn.init.trunc_normal_(torch.empty(100), generator=gen)
        torch.manual_seed(42)
        b = torch.nn.init.trunc_normal_(torch.empty(100))
    assert torch.equal(a, b)


def test_with_a_seed_torchs_rng_is_not_used():
    torch.manual_seed(1)
    with ft.patch(seed=3):
        a = nn.Linear(8, 8).weight.detach().clone()
    torch.manual_seed(2)
    with ft.patch(seed=3):
        b = nn.Linear(8, 8).weight.detach().clone()
    assert torch.equal(a, b)
    assert np.array_equal(_np(a), fastinit.kaiming_uniform((8, 8), math.sqrt(5), seed=3))


def test_patch_rejects_a_bad_seed():
    with pytest.raises(TypeError, match="seed must be an int, a fastinit.Generator or None"):
        with ft.patch(seed=1.5):
            pass
    assert ft.patch.__module__ == "fastinit.torch.patch"


def test_autograd_sees_in_place_fills():
    """An in-place op on a tensor that requires grad stays torch's (recorded in the graph), and
    a fastinit fill bumps the version counter, so a tensor saved for backward raises there."""
    w = torch.ones(3, requires_grad=True)
    with ft.patch(seed=0):
        y = w * 2
        y.zero_()  # non-leaf: torch's own zero_, recorded
        y.sum().backward()
    assert torch.equal(w.grad, torch.zeros(3))
    a = torch.ones(4, requires_grad=True)
    b = a.sigmoid()  # saves its output for backward
    v = b._version
    with torch.no_grad():
        ft.normal_(b, generator=0)
    assert b._version > v
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_a_thread_in_its_own_block_keeps_its_seed():
    """Seeds are per thread: a thread inside patch(seed=1) draws from its own block while
    another thread opens patch(seed=2)."""
    entered, go = threading.Event(), threading.Event()
    out = {}

    def other():
        with ft.patch(seed=2):
            entered.set()
            go.wait(30)

    th = threading.Thread(target=other)
    with ft.patch(seed=1):
        th.start()
        assert entered.wait(30)
        out["w"] = torch.nn.init.normal_(torch.empty(16))
        go.set()
    th.join()
    assert np.array_equal(_np(out["w"]), fastinit.normal((16,), seed=fastinit.Generator(1)))
