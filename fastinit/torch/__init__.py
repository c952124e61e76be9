"""fastinit for PyTorch: a drop-in for :mod:`torch.nn.init`, whole-module init, and a patch.

Needs the optional extra ``torch`` (``pip install fastinit[torch]``); ``import fastinit`` never
imports torch, only ``import fastinit.torch`` does.

* The functions of :mod:`torch.nn.init` (``uniform_``, ``normal_``, ``trunc_normal_``,
  ``constant_``, ``ones_``, ``zeros_``, ``eye_``, ``dirac_``, ``xavier_uniform_``,
  ``xavier_normal_``, ``kaiming_uniform_``, ``kaiming_normal_``, ``orthogonal_``, ``sparse_``,
  ``calculate_gain``) with PyTorch's names, parameters and defaults. They fill the tensor in
  place with fastinit's kernels and return it. ``generator=`` takes what fastinit's ``seed=``
  takes (an int, a :class:`fastinit.Generator`, None: fastinit's global generator) or a
  :class:`torch.Generator` (see :func:`seed_from_torch_generator`).
* :func:`init_module`: re-initialize every parameter of a module tree with the distribution
  PyTorch's own ``reset_parameters`` uses for that layer type, from one seed.
* :func:`patch`: inside ``with fastinit.torch.patch():`` the functions of ``torch.nn.init``
  are fastinit's, so model constructors (``nn.Linear(...)`` calls ``init.kaiming_uniform_``)
  fill their weights at fastinit's speed.

Tensors: CPU float32, float64, float16 and bfloat16 tensors are filled through a NumPy view of
their memory (no copy; any strides), CUDA float32/float64/float16 tensors through fastinit's
CUDA path (``__cuda_array_interface__``), meta tensors are returned untouched (as PyTorch does).
Parameters that require grad are filled through ``detach()``. See docs/torch.md.
"""

from .functions import (
    UnsupportedTensorError,
    calculate_gain,
    constant_,
    dirac_,
    eye_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    ones_,
    orthogonal_,
    seed_from_torch_generator,
    sparse_,
    trunc_normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
from .modules import build_on_meta, init_module
from .patch import patch

__all__ = [
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
    "calculate_gain",
    "init_module",
    "build_on_meta",
    "patch",
    "seed_from_torch_generator",
    "UnsupportedTensorError",
]
