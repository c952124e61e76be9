"""``init_module``: re-initialize a module tree with the rule PyTorch's own ``reset_parameters``
uses for each layer type, drawn by fastinit from one seed."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, Union

import torch

from .._random.generator import Generator, default_generator
from .distributed import zero_row
from .functions import (
    _fans,
    kaiming_uniform_,
    normal_,
    ones_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
from .patch import patch


def _generator(seed: Union[int, Generator, None]) -> Generator:
    """The generator a module-wide init draws its streams from: `seed` itself if it is a
    Generator, ``Generator(seed)`` for an int, fastinit's global generator for None."""
    if isinstance(seed, Generator):
        return seed
    return Generator(seed) if seed is not None else default_generator()


def _linear_like(m: Any, gen: Generator, fill: Any) -> None:
    """nn.Linear, nn.ConvNd, nn.ConvTransposeNd: kaiming_uniform_(w, a=sqrt(5)) (that is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))), bias U(-b, b) with b = 1/sqrt(fan_in) (0 if fan_in
    is 0), fan_in from the weight as torch computes it (dim 1 times the kernel: for a
    transposed conv, out_channels/groups times the kernel)."""
    w = m.weight
    if isinstance(w, torch.nn.parameter.UninitializedParameter):
        return  # a lazy module before its first forward: nothing to fill yet (nor fans)
    fill(w, lambda t: kaiming_uniform_(t, a=math.sqrt(5), generator=gen) if t.numel() else None)
    if getattr(m, "bias", None) is not None:
        fan_in = _fans(w)[0]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        fill(m.bias, lambda t: uniform_(t, -bound, bound, generator=gen))


def _bilinear(m: Any, gen: Generator, fill: Any) -> None:
    bound = 1 / math.sqrt(m.weight.size(1))
    fill(m.weight, lambda t: uniform_(t, -bound, bound, generator=gen))
    if m.bias is not None:
        fill(m.bias, lambda t: uniform_(t, -bound, bound, generator=gen))


def _embedding(m: Any, gen: Generator, fill: Any) -> None:
    def run(t: Any) -> None:
        normal_(t, generator=gen)
        if m.padding_idx is not None:
            with torch.no_grad():
                zero_row(t, m.padding_idx)

    fill(m.weight, run)


def _norm(m: Any, gen: Generator, fill: Any) -> None:
    if hasattr(m, "reset_running_stats"):
        m.reset_running_stats()
    if getattr(m, "weight", None) is not None:
        fill(m.weight, ones_)
    if getattr(m, "bias", None) is not None:
        fill(m.bias, zeros_)


def _rnn(m: Any, gen: Generator, fill: Any) -> None:
    stdv = 1.0 / math.sqrt(m.hidden_size) if m.hidden_size > 0 else 0
    for p in m.parameters(recurse=False):
        fill(p, lambda t: uniform_(t, -stdv, stdv, generator=gen))


def _mha(m: Any, gen: Generator, fill: Any) -> None:
    """As MultiheadAttention._reset_parameters: xavier_uniform_ on in_proj_weight (or q/k/v),
    zeros on in_proj_bias and out_proj.bias, xavier_normal_ on bias_k/bias_v; out_proj.weight
    keeps its Linear init (done before, as its child)."""
    for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
        p = getattr(m, name, None)
        if p is not None:
            fill(p, lambda t: xavier_uniform_(t, generator=gen))
    if m.in_proj_bias is not None:
        fill(m.in_proj_bias, zeros_)
        zeros_(m.out_proj.bias)  # torch overrides the Linear bias it gave out_proj
    for name in ("bias_k", "bias_v"):
        p = getattr(m, name, None)
        if p is not None:
            fill(p, lambda t: xavier_normal_(t, generator=gen))


def _rules() -> list:
    nn = torch.nn
    conv = (nn.modules.conv._ConvNd,)
    norms = [nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase]
    if hasattr(nn, "RMSNorm"):
        norms.append(nn.RMSNorm)
    return [
        ((nn.Linear,) + conv, _linear_like),
        ((nn.Bilinear,), _bilinear),
        ((nn.Embedding, nn.EmbeddingBag), _embedding),
        (tuple(norms), _norm),
        ((nn.RNNBase, nn.RNNCellBase), _rnn),
        ((nn.MultiheadAttention,), _mha),
    ]


def init_module(module: Any, seed: Union[int, Generator, None] = None) -> Any:
    """Re-initialize every parameter of `module` and its submodules, in place, with the
    distribution PyTorch's own ``reset_parameters`` uses for the layer type, drawn by fastinit.

    Rules (as torch 2.x): Linear, Conv{1,2,3}d, ConvTranspose{1,2,3}d: weight
    ``kaiming_uniform_(a=sqrt(5))``, bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in of
    the weight as stored; Bilinear: U(-1/sqrt(in1), 1/sqrt(in1)); Embedding, EmbeddingBag:
    N(0, 1), the padding_idx row zero; LayerNorm, RMSNorm, GroupNorm, BatchNorm and
    InstanceNorm: weight ones, bias zeros, running statistics reset; RNN/LSTM/GRU and cells:
    U(-1/sqrt(hidden), 1/sqrt(hidden)); MultiheadAttention: xavier_uniform_ projections, zero
    biases (out_proj.bias too), xavier_normal_ bias_k/bias_v, out_proj.weight as a Linear.

    Other modules with parameters of their own: their ``reset_parameters()`` is called, if
    they have one, inside :func:`patch` with the same generator (so its ``torch.nn.init`` calls
    are fastinit's and seeded; anything else it draws comes from torch's RNG); without one
    their parameters are left as they are.

    Modules are visited children first (as constructors run), in ``named_modules`` order; a
    parameter shared by several modules is initialized once, by the first. Each random fill
    takes the next stream of ``Generator(seed)``, so a given seed gives the same values on
    every run. `seed`: an int, a :class:`fastinit.Generator` (its next streams), or None (the
    global generator). Returns `module`.
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            f"init_module: module must be a torch.nn.Module, got {type(module).__name__}"
        )
    gen = _generator(seed)
    rules = _rules()
    seen: set[int] = set()

    def fill(p: Any, run: Any) -> None:
        if p is None or id(p) in seen:
            return
        seen.add(id(p))
        if isinstance(p, torch.nn.parameter.UninitializedParameter):
            return  # a lazy module before its first forward: nothing to fill yet
        run(p)

    for m in _post_order(module):
        for types, rule in rules:
            if isinstance(m, types):
                rule(m, gen, fill)
                break
        else:
            own = [p for p in m.parameters(recurse=False) if id(p) not in seen]
            if own and callable(getattr(m, "reset_parameters", None)):
                seen.update(id(p) for p in own)
                with patch(seed=gen):
                    m.reset_parameters()
    return module


def _post_order(module: Any) -> Iterator[Any]:
    seen: set[int] = set()

    def walk(m: Any) -> Iterator[Any]:
        if id(m) in seen:
            return
        seen.add(id(m))
        for child in m.children():
            yield from walk(child)
        yield m

    return walk(module)


def build_on_meta(
    factory: Callable[[], Any], *, seed: Union[int, Generator, None] = None, device: Any = "cpu"
) -> Any:
    """Build a model with one fill per parameter: construct it on the meta device (its
    constructor's fills cost nothing there), allocate it on `device` (``to_empty``), then
    initialize it once, by its own rules, with fastinit.

    The rules: the model's ``init_weights()`` if it has one (Hugging Face transformers models,
    torchtitan's models), run inside :func:`patch` with the generator of `seed`; otherwise
    :func:`init_module`. A plain build fills a weight twice when the model re-initializes what
    its layers' constructors filled (transformers' ``_init_weights`` does), and faults its
    pages in during the first fill; here each parameter is written once.

    The model's ``init_weights`` must set every parameter and buffer: ``to_empty`` leaves
    buffers computed at construction uninitialized (transformers' ``_init_weights`` recomputes
    its rotary ``inv_freq``; a custom buffer it does not know stays garbage).

    Parameters
    ----------
    factory : callable
        Builds the model, e.g. ``lambda: LlamaForCausalLM(config)``.
    seed : int, fastinit.Generator or None
        As :func:`init_module` (None: fastinit's global generator).
    device : torch.device or str
        Where the parameters are allocated.

    Returns
    -------
    torch.nn.Module
        The model, initialized.
    """
    with torch.device("meta"):
        model = factory()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"build_on_meta: factory must return a torch.nn.Module, got {type(model).__name__}"
        )
    model.to_empty(device=device)
    gen = _generator(seed)
    own = getattr(model, "init_weights", None)
    if callable(own):
        with torch.no_grad(), patch(seed=gen):
            own()
    else:
        init_module(model, seed=gen)
    return model
