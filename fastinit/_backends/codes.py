"""The contract between the Python layer and every backend, defined here once.

* :class:`Scheme`: what a fill writes (raw words, a constant, a uniform, a normal or a
  truncated normal), the first argument of every backend's ``fill``.
* :data:`DTYPE_CODES`: the output dtypes, by name, and their codes and item sizes.
* :data:`TRUNC_NORMAL_LAYOUT`: the order of the 22 float parameters of a truncated normal
  (``trunc_normal_params`` builds the list, the kernels read it).

``csrc/include/fastinit/codes.h`` is generated from this module by ``tools/gen_codes.py``; the
compiled core exports what it was built with (``fastinit._core.codes()``), and
``tests/test_contract.py`` checks that the header, the core, this module and the Numba port
agree. To change a code: edit this file, run ``python tools/gen_codes.py``, rebuild.
"""

from __future__ import annotations

import enum

__all__ = [
    "Scheme",
    "dtype_code",
    "DTYPE_CODES",
    "DTYPE_ITEMSIZE",
    "TRUNC_NORMAL_LAYOUT",
    "TRUNC_BRANCH_FIELDS",
    "TRUNC_NORMAL_PARAM_COUNT",
    "PARAM_COUNTS",
    "trunc_index",
]


class Scheme(enum.IntEnum):
    """What a backend's ``fill`` writes (``csrc``: ``enum class scheme``)."""

    RAW = 0
    CONSTANT = 1
    UNIFORM = 2
    NORMAL = 3
    TRUNC_NORMAL = 4


#: Output dtype name -> code (``csrc``: ``enum class dtype_code``).
DTYPE_CODES: dict[str, int] = {
    "float32": 0,
    "float64": 1,
    "float16": 2,
    "bfloat16": 3,
    "uint32": 4,
}

#: Output dtype name -> bytes per element.
DTYPE_ITEMSIZE: dict[str, int] = {
    "float32": 4,
    "float64": 8,
    "float16": 2,
    "bfloat16": 2,
    "uint32": 4,
}

#: The fields of one branch of a truncated normal (docs/stream.md section 7.1).
TRUNC_BRANCH_FIELDS = ("base", "centre", "th", "dd", "ld", "tau", "dir", "sgn")

#: The 22 parameters of a truncated normal, in the order the kernels read them: six shared
#: values, then branch 0's fields, then branch 1's (``br0_base`` ... ``br1_sgn``).
TRUNC_NORMAL_LAYOUT: tuple[str, ...] = (
    ("alpha", "beta", "mean", "std", "lo", "hi")
    + tuple(f"br0_{f}" for f in TRUNC_BRANCH_FIELDS)
    + tuple(f"br1_{f}" for f in TRUNC_BRANCH_FIELDS)
)
TRUNC_NORMAL_PARAM_COUNT = len(TRUNC_NORMAL_LAYOUT)

#: How many float parameters each scheme takes.
PARAM_COUNTS: dict[Scheme, int] = {
    Scheme.RAW: 0,
    Scheme.CONSTANT: 1,  # the value, exact in the output dtype
    Scheme.UNIFORM: 2,  # lo, hi
    Scheme.NORMAL: 2,  # mean, std
    Scheme.TRUNC_NORMAL: TRUNC_NORMAL_PARAM_COUNT,
}


def trunc_index(name: str) -> int:
    """Position of parameter `name` (``"mean"``, ``"br1_tau"``, ...) in the truncated normal's
    parameter list."""
    return TRUNC_NORMAL_LAYOUT.index(name)


def dtype_code(dtype: object) -> int:
    """The code of an output dtype (a ``numpy.dtype``; bfloat16 is ml_dtypes')."""
    return DTYPE_CODES[dtype.name]  # type: ignore[attr-defined]
