"""``patch()``: inside the block, ``torch.nn.init``'s functions are fastinit's."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any, Union

from .._input.values import is_int
from .._random.generator import Generator
from . import functions
from .functions import _ORIGINAL, _PATCHED, _patch_lock, _patch_seed

_REPLACEMENT = {name: getattr(functions, name) for name in _PATCHED}


@contextlib.contextmanager
def patch(seed: Union[int, Generator, None] = None) -> Iterator[None]:
    """Inside the block, ``torch.nn.init``'s functions are fastinit's.

    Replaced: the 14 filling functions of ``torch.nn.init`` (not ``calculate_gain``), and the
    same names in every loaded module that imported them directly (``from torch.nn.init import
    xavier_uniform_``, as ``torch.nn.modules.activation`` does for MultiheadAttention). Model
    code calling ``nn.init.*`` (e.g. ``nn.Linear.reset_parameters``, which looks up
    ``init.kaiming_uniform_`` at call time) then fills with fastinit. Tensors fastinit cannot
    fill (integer dtypes, other devices, CUDA bfloat16, tensor subclasses) go to torch's own
    function. Calls with ``generator=None`` use `seed` (an int: a fastinit Generator(seed) for
    the block; a Generator; None: fastinit's global generator). Everything is restored on exit,
    also on an exception. Patches process-wide state: not for threads that build models
    concurrently with torch's own init.
    """
    gen = Generator(seed) if is_int(seed) else seed
    with _patch_lock:
        saved: list[tuple[Any, str, Any]] = []
        originals = {id(f): name for name, f in _ORIGINAL.items()}
        for mod in list(sys.modules.values()):
            d = getattr(mod, "__dict__", None)
            if d is None or mod is sys.modules[__name__]:
                continue
            for name in _PATCHED:
                f = d.get(name)
                if f is not None and originals.get(id(f)) == name:
                    saved.append((mod, name, f))
        for mod, name, _ in saved:
            setattr(mod, name, _REPLACEMENT[name])
        _patch_seed.append(gen)
    try:
        yield
    finally:
        with _patch_lock:
            _patch_seed.pop()
            for mod, name, f in saved:
                setattr(mod, name, f)
