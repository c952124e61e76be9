"""The functions of :mod:`torch.nn.init`, with PyTorch's names, parameters, defaults and errors,
filled by fastinit: a NumPy view of a CPU tensor's memory, or the CUDA tensor itself through
``__cuda_array_interface__``. What fastinit cannot fill raises :class:`UnsupportedTensorError`
(or, inside :func:`fastinit.torch.patch`, goes to torch's own function)."""

from __future__ import annotations

import ctypes
import sys
import threading
import types
import warnings
from typing import Any, Union

import numpy as np
import torch

from .. import schemes as S
from .._backends.cuda import DeviceView
from .._input.dtypes import bfloat16
from .._random.fans import calculate_gain as _fi_calculate_gain
from .._random.fans import compute_fans
from .._random.generator import Generator
from . import distributed

GeneratorLike = Union[int, Generator, "torch.Generator", None]

#: The functions :func:`patch` replaces in ``torch.nn.init`` (calculate_gain is pure and left).
_PATCHED = (
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


def _copy_function(f: Any) -> Any:
    """A new function object running `f`'s code: patch() swaps the code of torch's own
    functions in place (fastinit/torch/patch.py), and the copy keeps torch's behaviour."""
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)
    g.__kwdefaults__ = f.__kwdefaults__
    g.__qualname__, g.__module__, g.__doc__ = f.__qualname__, f.__module__, f.__doc__
    return g


#: torch's own functions (copies of them: see _copy_function), for the fallbacks.
_ORIGINAL = {name: _copy_function(getattr(torch.nn.init, name)) for name in _PATCHED}
#: The function objects of torch.nn.init themselves, whose code patch() swaps.
_TORCH_INIT = {name: getattr(torch.nn.init, name) for name in _PATCHED}

_FLOATS = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16}

_patch_lock = threading.Lock()
# One entry per active patch() of any thread (fastinit/torch/patch.py): its Generator, or
# TORCH_DEFAULT. Non-empty: patched. Each thread also keeps its own blocks' entries
# (_patch_local.stack): a thread inside a block draws from its innermost one; a thread outside
# every block (the redirection of torch.nn.init is process-wide) from the newest block opened.
_patch_seed: list = []
_patch_local = threading.local()


def active_patch_seed() -> Any:
    """The generator of the patch() block that applies to this thread, or None."""
    stack = getattr(_patch_local, "stack", None)
    if stack:
        return stack[-1]
    try:
        return _patch_seed[-1]
    except IndexError:  # the last block (of another thread) has just closed
        return None


class UnsupportedTensorError(TypeError):
    """A tensor fastinit cannot fill: an integer or boolean dtype, a CUDA bfloat16 tensor for
    eye_, dirac_, orthogonal_ or sparse_, or a device other than CPU and CUDA. Raised by this
    module's functions outside :func:`patch`; inside it, such tensors are filled by torch's own
    function instead."""


# ---- tensors and generators --------------------------------------------------------------------


def _bfloat16() -> Any:
    return bfloat16()


#: The functions whose CUDA fills index the tensor with CuPy (no bfloat16 there).
_CUPY_INDEXED = ("eye_", "dirac_", "orthogonal_", "sparse_")


def _target(tensor: Any, name: str) -> Any:
    """What fastinit's schemes fill for `tensor`: a NumPy view of its memory (CPU) or the
    detached tensor itself (CUDA, through ``__cuda_array_interface__``; bfloat16 through a
    DeviceView of its int16 view)."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name}: tensor must be a torch.Tensor, got {type(tensor).__name__}")
    t = tensor.detach()
    dev = t.device.type
    if dev == "cpu":
        if t.dtype in _FLOATS:
            _advise_huge_pages(t)
            return t.numpy()
        if t.dtype == torch.bfloat16:
            _advise_huge_pages(t)
            # NumPy has no bfloat16: view the same bytes as int16, then as ml_dtypes.bfloat16.
            return t.view(torch.int16).numpy().view(_bfloat16())
        raise UnsupportedTensorError(
            f"{name}: fastinit fills float32, float64, float16 and bfloat16 tensors, got {t.dtype}"
        )
    if dev == "cuda":
        if t.dtype == torch.bfloat16:
            if name in _CUPY_INDEXED:
                raise UnsupportedTensorError(
                    f"{name}: fastinit writes CUDA bfloat16 tensors with its stream kernels "
                    f"only; {name} indexes the tensor with CuPy, which has no bfloat16"
                )
            # The interface has no bfloat16 type string (or none in this torch): the kernels
            # write bfloat16 into the memory of an int16 view, told the type explicitly.
            return DeviceView(t.view(torch.int16), _bfloat16())
        if t.dtype not in _FLOATS:
            raise UnsupportedTensorError(
                f"{name}: fastinit fills float32, float64 and float16 CUDA tensors, got {t.dtype}"
            )
        return t
    raise UnsupportedTensorError(
        f"{name}: fastinit fills CPU and CUDA tensors, got device {t.device}"
    )


#: Tensors from this many bytes get transparent huge pages (see _advise_huge_pages).
HUGE_PAGE_MIN_BYTES = 8 << 20
_HUGE = 1 << 21
_MADV_HUGEPAGE = 14
_madvise: Any = None


def _advise_huge_pages(t: Any) -> None:
    """Ask Linux for transparent huge pages on a large CPU tensor's memory before fastinit
    writes it (``madvise(MADV_HUGEPAGE)`` on the 2 MiB-aligned part of its bytes).

    torch does not ask for them (NumPy does, for its own large arrays); where the kernel's THP
    mode is ``madvise``, a fresh tensor's first touch then faults 2 MiB pages instead of 4 KiB
    ones: about half the time of the first fill of fresh memory here (0.35 -> 0.17 s per GiB,
    docs/torch.md). Advice only: memory already touched is unchanged, the values never depend
    on it, and any failure (other systems, old kernels) is ignored."""
    global _madvise
    nbytes = t.numel() * t.element_size()
    if nbytes < HUGE_PAGE_MIN_BYTES or not sys.platform.startswith("linux"):
        return
    if not t.is_contiguous():  # only a dense tensor's bytes are [data_ptr, data_ptr + nbytes)
        return
    if _madvise is None:
        try:
            _madvise = ctypes.CDLL(None, use_errno=True).madvise
            _madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
        except (OSError, AttributeError):
            _madvise = False
    if not _madvise:
        return
    addr = t.data_ptr()
    start = (addr + _HUGE - 1) & ~(_HUGE - 1)
    end = (addr + nbytes) & ~(_HUGE - 1)
    if end > start:
        _madvise(start, end - start, _MADV_HUGEPAGE)


def _skip(tensor: Any) -> bool:
    """Meta tensors (no data) are returned as they are, as torch.nn.init does."""
    return isinstance(tensor, torch.Tensor) and tensor.is_meta


def seed_from_torch_generator(generator: torch.Generator) -> tuple[int, int]:
    """The fastinit ``(seed, stream)`` a call with ``generator=`` a :class:`torch.Generator`
    uses.

    ``seed = generator.initial_seed()`` (mod 2**64) and ``stream`` a 32-bit draw
    ``torch.randint(0, 2**32, (), generator=generator)``: deterministic for a generator in a
    given state (``manual_seed`` it to replay), and the draw advances the generator, so
    successive calls with the same generator differ. The values are fastinit's stream, not
    the numbers torch itself would draw.
    """
    draw = int(
        torch.randint(0, 2**32, (), generator=generator, dtype=torch.int64, device=generator.device)
    )
    return int(generator.initial_seed()) % 2**64, draw


#: In _patch_seed: the fill's stream is drawn from torch's default generator (patch() without
#: a seed), so that torch.manual_seed governs it as it governs torch's own init.
TORCH_DEFAULT = "torch.default_generator"


def _seed(generator: Any) -> Any:
    """fastinit's ``seed=`` for a torch-style ``generator=`` argument."""
    if isinstance(generator, torch.Generator):
        return seed_from_torch_generator(generator)
    if generator is None:
        active = active_patch_seed()
        if active is TORCH_DEFAULT:
            return seed_from_torch_generator(torch.default_generator)
        if active is not None:
            return active
    return generator


def _fallback(name: str, tensor: Any, *args: Any, **kwargs: Any) -> Any:
    return _ORIGINAL[name](tensor, *args, **kwargs)


def _routed(name: str, run: Any, tensor: Any, *args: Any, **kwargs: Any) -> Any:
    """Run fastinit's fill ``run(target, seed=...)``, or hand the call to torch where fastinit
    cannot fill `tensor` (only inside patch(), or for the deterministic fills). A DTensor's
    local tensor is filled with its own elements (fastinit/torch/distributed.py)."""
    dtensor = distributed.is_dtensor(tensor)
    try:
        target = _target(tensor._local_tensor if dtensor else tensor, name)
    except UnsupportedTensorError:
        if _patch_seed or name in _DETERMINISTIC:  # inside patch(): torch's own
            return _fallback(name, tensor, *args, **kwargs)
        raise
    extra = {"seed": _seed(kwargs["generator"])} if "generator" in kwargs else {}
    with torch.no_grad():
        if dtensor:
            if name == "dirac_":
                extra["groups"] = args[0]
            distributed.fill(name, run, tensor, target, extra)
        else:
            run(target, **extra)
    _written(tensor._local_tensor if dtensor else tensor)
    return tensor


def _written(tensor: Any) -> None:
    """Tell autograd the tensor was modified in place (fastinit writes its memory directly, not
    through a torch op), as torch's own in-place fill would: a tensor saved for backward then
    raises at backward instead of giving wrong gradients."""
    try:
        torch.autograd.graph.increment_version(tensor)
    except RuntimeError:  # inference tensors have no version counter
        pass


_DETERMINISTIC = ("constant_", "ones_", "zeros_", "eye_", "dirac_")


_PLAIN_TORCH_FUNCTION = (
    torch.Tensor.__torch_function__.__func__,
    torch._C._disabled_torch_function_impl,
)


def _torch_function(tensor: Any) -> bool:
    """A tensor subclass that overrides torch functions (but a DTensor, which fastinit fills):
    torch's own. (Not a mode: patch()'s own mode is active inside the block.)"""
    f = getattr(type(tensor), "__torch_function__", None)
    return getattr(f, "__func__", f) not in _PLAIN_TORCH_FUNCTION and not distributed.is_dtensor(
        tensor
    )


def _fans(tensor: Any) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    return compute_fans(tuple(tensor.shape))


# ---- torch.nn.init's functions -----------------------------------------------------------------


def calculate_gain(nonlinearity: str, param: Union[int, float, None] = None) -> float:
    """The recommended gain for a nonlinearity, as :func:`torch.nn.init.calculate_gain` (a
    float always; torch returns the int 1 for the unit-gain family, equal in value)."""
    try:
        return _fi_calculate_gain(nonlinearity, param)
    except ValueError as exc:
        if str(exc).startswith("unsupported"):
            raise ValueError(f"Unsupported nonlinearity {nonlinearity}") from None
        raise ValueError(f"negative_slope {param} not a valid number") from None


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0, generator: GeneratorLike = None) -> Any:
    """U(a, b) in place, as :func:`torch.nn.init.uniform_`; `generator`: int, fastinit or
    torch Generator, or None (fastinit's global generator)."""
    if _skip(tensor):
        return tensor
    if _torch_function(tensor):
        return _fallback("uniform_", tensor, a, b, generator=generator)
    return _routed(
        "uniform_", lambda x, **kw: S.uniform(x, a, b, **kw), tensor, a, b, generator=generator
    )


def normal_(
    tensor: Any, mean: float = 0.0, std: float = 1.0, generator: GeneratorLike = None
) -> Any:
    """N(mean, std**2) in place, as :func:`torch.nn.init.normal_`."""
    if _skip(tensor):
        return tensor
    if _torch_function(tensor):
        return _fallback("normal_", tensor, mean, std, generator=generator)
    return _routed(
        "normal_",
        lambda x, **kw: S.normal(x, mean, std, **kw),
        tensor,
        mean,
        std,
        generator=generator,
    )


def trunc_normal_(
    tensor: Any,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: GeneratorLike = None,
) -> Any:
    """N(mean, std**2) truncated to the absolute bounds [a, b], as
    :func:`torch.nn.init.trunc_normal_` (exact inverse CDF, no rejection)."""
    if _skip(tensor):
        return tensor
    return _routed(
        "trunc_normal_",
        lambda x, **kw: S.trunc_normal(x, mean, std, a, b, **kw),
        tensor,
        mean,
        std,
        a,
        b,
        generator=generator,
    )


def constant_(tensor: Any, val: float) -> Any:
    """Fill with `val`, as :func:`torch.nn.init.constant_` (other dtypes: torch's fill)."""
    if _skip(tensor):
        return tensor
    if _torch_function(tensor):
        return _fallback("constant_", tensor, val)
    return _routed("constant_", lambda x: S.constant(x, val), tensor, val)


def ones_(tensor: Any) -> Any:
    """Fill with 1, as :func:`torch.nn.init.ones_`."""
    if _skip(tensor):
        return tensor
    return _routed("ones_", S.ones, tensor)


def zeros_(tensor: Any) -> Any:
    """Fill with 0, as :func:`torch.nn.init.zeros_`."""
    if _skip(tensor):
        return tensor
    return _routed("zeros_", S.zeros, tensor)


def eye_(tensor: Any) -> Any:
    """The identity matrix in a 2-D tensor, as :func:`torch.nn.init.eye_`."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if _skip(tensor):
        return tensor
    return _routed("eye_", S.eye, tensor)


def dirac_(tensor: Any, groups: int = 1) -> Any:
    """The Dirac delta in a 3-, 4- or 5-D tensor, as :func:`torch.nn.init.dirac_`."""
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.size(0) % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    if _skip(tensor):
        return tensor
    return _routed("dirac_", lambda x: S.dirac(x, groups), tensor, groups)


def xavier_uniform_(tensor: Any, gain: float = 1.0, generator: GeneratorLike = None) -> Any:
    """U(-l, l), ``l = gain * sqrt(6 / (fan_in + fan_out))``, as
    :func:`torch.nn.init.xavier_uniform_`."""
    _fans(tensor)
    if _skip(tensor) or tensor.numel() == 0:
        return tensor
    return _routed(
        "xavier_uniform_",
        lambda x, **kw: S.xavier_uniform(x, gain, **kw),
        tensor,
        gain,
        generator=generator,
    )


def xavier_normal_(tensor: Any, gain: float = 1.0, generator: GeneratorLike = None) -> Any:
    """N(0, s**2), ``s = gain * sqrt(2 / (fan_in + fan_out))``, as
    :func:`torch.nn.init.xavier_normal_`."""
    _fans(tensor)
    if _skip(tensor) or tensor.numel() == 0:
        return tensor
    return _routed(
        "xavier_normal_",
        lambda x, **kw: S.xavier_normal(x, gain, **kw),
        tensor,
        gain,
        generator=generator,
    )


def _kaiming(
    name: str, fill: Any, tensor: Any, a: float, mode: str, nonlinearity: str, generator: Any
) -> Any:
    if _skip(tensor):
        return tensor
    if _torch_function(tensor):
        return _fallback(name, tensor, a, mode, nonlinearity, generator=generator)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return tensor
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    _fans(tensor)
    calculate_gain(nonlinearity, a)  # torch's errors for a bad nonlinearity or slope
    return _routed(
        name,
        lambda x, **kw: fill(x, a, mode, nonlinearity, **kw),
        tensor,
        a,
        mode,
        nonlinearity,
        generator=generator,
    )


def kaiming_uniform_(
    tensor: Any,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: GeneratorLike = None,
) -> Any:
    """U(-l, l), ``l = gain * sqrt(3 / fan)``, as :func:`torch.nn.init.kaiming_uniform_`."""
    return _kaiming("kaiming_uniform_", S.kaiming_uniform, tensor, a, mode, nonlinearity, generator)


def kaiming_normal_(
    tensor: Any,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: GeneratorLike = None,
) -> Any:
    """N(0, s**2), ``s = gain / sqrt(fan)``, as :func:`torch.nn.init.kaiming_normal_`."""
    return _kaiming("kaiming_normal_", S.kaiming_normal, tensor, a, mode, nonlinearity, generator)


def orthogonal_(tensor: Any, gain: float = 1, generator: GeneratorLike = None) -> Any:
    """A (semi-)orthogonal matrix, as :func:`torch.nn.init.orthogonal_` (fastinit's own QR of
    its normal stream: not torch's numbers)."""
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if _skip(tensor) or tensor.numel() == 0:
        return tensor
    return _routed(
        "orthogonal_",
        lambda x, **kw: S.orthogonal(x, gain, **kw),
        tensor,
        gain,
        generator=generator,
    )


def sparse_(
    tensor: Any, sparsity: float, std: float = 0.01, generator: GeneratorLike = None
) -> Any:
    """N(0, std**2) with ``ceil(sparsity * rows)`` zeros per column, as
    :func:`torch.nn.init.sparse_`."""
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if _skip(tensor):
        return tensor
    return _routed(
        "sparse_",
        lambda x, **kw: S.sparse(x, sparsity, std, **kw),
        tensor,
        sparsity,
        std,
        generator=generator,
    )
