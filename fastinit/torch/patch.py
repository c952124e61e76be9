"""``patch()``: inside the block, every way of initializing a tensor with torch's init comes to
fastinit.

Two interceptions, both undone when the outermost block exits:

* **The functions of torch.nn.init**, however they are reached: by name, through
  ``from torch.nn.init import xavier_uniform_``, or through references taken long before (as
  Hugging Face transformers keeps them in ``TORCH_INIT_FUNCTIONS``). The function objects
  themselves are redirected: their code is swapped for a trampoline with the same signature that
  calls fastinit's function of the same name, so every reference sees the patch, and
  ``trunc_normal_`` is caught at its top level (it has no ``__torch_function__`` hook). Their
  defaults stay torch's. Process-wide: calls from any thread come to fastinit while a block is
  open.
* **The in-place Tensor methods** ``normal_``, ``uniform_``, ``zero_`` and ``fill_`` (older
  model code: ``module.weight.data.normal_(mean=0.0, std=std)``), through a
  ``torch.overrides.TorchFunctionMode``. Torch function modes are per thread: the methods are
  intercepted in the thread that entered the block.

Whatever fastinit cannot fill (integer dtypes, other devices, ``fill_`` with a tensor value, an
in-place op on a leaf that requires grad with grad enabled) goes to torch's own code unchanged.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any, Union

import torch
from torch.overrides import TorchFunctionMode

from .._input.values import is_int
from .._random.generator import Generator
from . import functions
from .functions import (
    _ORIGINAL,
    _TORCH_INIT,
    TORCH_DEFAULT,
    _patch_local,
    _patch_lock,
    _patch_seed,
)

__all__ = ["patch"]

_depth = 0  # open patch() blocks, all threads (the code swap is process-wide)
_saved_code: dict[str, Any] = {}


def _intercepted(name: str, **kwargs: Any) -> Any:
    """What a redirected torch.nn.init function runs: fastinit's function of that name."""
    if not _patch_seed:  # a call racing with the end of the block: torch's own
        return _ORIGINAL[name](**kwargs)
    return getattr(functions, name)(**kwargs)


def _trampoline_code(name: str, f: Any) -> Any:
    """A code object with `f`'s parameters that calls _intercepted(name, ...). It runs with
    torch.nn.init's globals, so it reaches this module through ``__import__`` only."""
    params = list(inspect.signature(f).parameters)
    src = (
        f"def {name}({', '.join(params)}):\n"
        f"    return __import__({__name__!r}, fromlist=('_intercepted',))._intercepted("
        f"{name!r}, {', '.join(f'{p}={p}' for p in params)})\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(src, f"<fastinit.torch.patch: {name}>", "exec"), namespace)
    return namespace[name].__code__


_TRAMPOLINES = {name: _trampoline_code(name, f) for name, f in _TORCH_INIT.items()}


def _redirect() -> None:
    for name, f in _TORCH_INIT.items():
        _saved_code[name] = f.__code__
        f.__code__ = _TRAMPOLINES[name]


def _restore() -> None:
    for name, f in _TORCH_INIT.items():
        f.__code__ = _saved_code.pop(name)


def _grad_blocks(tensor: Any) -> bool:
    """An in-place op on a tensor that requires grad, with grad enabled, is autograd's business
    (recorded in the graph, or refused on a leaf): torch's own code does it."""
    return bool(tensor.requires_grad and torch.is_grad_enabled())


def _normal(t: Any, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
    return functions.normal_(t, mean, std, generator=generator)


def _uniform(t: Any, a: float = 0.0, b: float = 1.0, *, generator: Any = None, **kw: Any) -> Any:
    if kw:  # Tensor.uniform_'s own names: from, to
        a, b = kw.pop("from", a), kw.pop("to", b)
    return functions.uniform_(t, a, b, generator=generator)


def _fill(t: Any, value: Any) -> Any:
    if isinstance(value, torch.Tensor) or not isinstance(value, (int, float)):
        return NotImplemented
    return functions.constant_(t, value)


_METHODS = {
    torch.Tensor.normal_: _normal,
    torch.Tensor.uniform_: _uniform,
    torch.Tensor.zero_: lambda t: functions.zeros_(t),
    torch.Tensor.fill_: _fill,
}
_TORCH_INIT_IDS = {id(f): name for name, f in _TORCH_INIT.items()}


class _InitMode(TorchFunctionMode):
    """Routes the in-place Tensor methods to fastinit (inside the handler the mode is off, so
    fastinit's own tensor operations are torch's)."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: Any = None):
        kwargs = kwargs or {}
        handler = _METHODS.get(func)
        if (
            handler is not None
            and args
            and isinstance(args[0], torch.Tensor)
            and args[0].is_floating_point()
            and not _grad_blocks(args[0])
        ):
            try:
                result = handler(*args, **kwargs)
            except TypeError:  # arguments torch's method takes and fastinit's does not
                result = NotImplemented
            if result is not NotImplemented:
                return result
        name = _TORCH_INIT_IDS.get(id(func))
        if name is not None:  # a fallback asked torch's function: run torch's own code
            return _ORIGINAL[name](*args, **kwargs)
        return func(*args, **kwargs)


@contextlib.contextmanager
def patch(seed: Union[int, Generator, None] = None) -> Iterator[None]:
    """Inside the block, torch's initialization is fastinit's.

    Caught: the 14 fill functions of ``torch.nn.init`` (not ``calculate_gain``), also through
    references taken before the block (Hugging Face transformers' ``TORCH_INIT_FUNCTIONS``) and
    names imported by value, and the in-place Tensor methods ``normal_``, ``uniform_``,
    ``zero_`` and ``fill_`` in this thread. CPU and CUDA tensors and DTensors are filled by
    fastinit; anything else goes to torch's own code. See docs/torch.md.

    Parameters
    ----------
    seed : int, fastinit.Generator or None
        An int: the fills draw the successive streams of ``fastinit.Generator(seed)``,
        independent of torch's RNG. A Generator: its next streams. None: each fill's stream is
        drawn from torch's default generator (``fastinit.torch.seed_from_torch_generator``),
        so ``torch.manual_seed(s)`` before the block governs the values as it governs torch's
        own init. A call's own ``generator=`` (int, fastinit or torch Generator) wins.

    Notes
    -----
    Blocks nest and re-enter (the innermost seed applies). Everything is restored when the
    outermost block exits, also on an exception. The redirection of ``torch.nn.init`` is
    process-wide while any block is open; the Tensor methods are intercepted only in threads
    inside a block.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> with ft.patch(seed=0):
    ...     a = torch.nn.Linear(4, 3)
    >>> with ft.patch(seed=0):
    ...     b = torch.nn.Linear(4, 3)
    >>> bool(torch.equal(a.weight, b.weight))
    True
    """
    global _depth
    if seed is None:
        gen: Any = TORCH_DEFAULT
    elif isinstance(seed, Generator):
        gen = seed
    elif is_int(seed):
        gen = Generator(seed)
    else:
        raise TypeError(
            f"seed must be an int, a fastinit.Generator or None, got {type(seed).__name__}"
        )
    with _patch_lock:
        if _depth == 0:
            _redirect()
        _depth += 1
        _patch_seed.append(gen)
    stack = _patch_local.__dict__.setdefault("stack", [])
    stack.append(gen)
    try:
        with _InitMode():
            yield
    finally:
        stack.pop()
        with _patch_lock:
            _patch_seed.remove(gen)  # this block's entry (blocks of other threads may follow)
            _depth -= 1
            if _depth == 0:
                _restore()


def patched() -> bool:
    """Whether a patch() block is open (in any thread)."""
    return _depth > 0
