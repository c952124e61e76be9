"""The contract between the Python layer and the backends is defined once, in
fastinit/_backends/codes.py (scheme codes, dtype codes and item sizes, the truncated normal's
22-parameter layout), and everything else agrees with it:

* csrc/include/fastinit/codes.h is what tools/gen_codes.py generates from it (up to date);
* the compiled core (and the CUDA module, where built) exports the codes it was built with,
  fastinit._core.codes(), equal to codes.py's;
* the Numba port writes the core's bytes for every scheme and output dtype, the truncated
  normal's parameters placed by name through TRUNC_NORMAL_LAYOUT (a reordered layout that one
  side does not follow fails here);
* the plans build the truncated normal's list in layout order.
"""

from __future__ import annotations

import math
import os
import struct
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

from fastinit._backends.codes import (
    DTYPE_CODES,
    DTYPE_ITEMSIZE,
    PARAM_COUNTS,
    TRUNC_BRANCH_FIELDS,
    TRUNC_NORMAL_LAYOUT,
    TRUNC_NORMAL_PARAM_COUNT,
    Scheme,
    trunc_index,
)
from fastinit._random.plans import trunc_normal_constants, trunc_normal_params

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN_CODES = os.path.join(ROOT, "tools", "gen_codes.py")

# A truncated normal whose 22 values tell each other apart where it matters: mean != std,
# alpha != beta, both branches in their tail form (every branch field is read), sgn_0 = -sgn_1.
TRUNC = dict(mean=0.25, std=1.5, a=0.25 - 1.5 * 2.5, b=0.25 + 1.5 * 1.8)


def _np_dtype(name: str) -> np.dtype:
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def _trunc_constants(dt: np.dtype) -> dict:
    return trunc_normal_constants(TRUNC["mean"], TRUNC["std"], TRUNC["a"], TRUNC["b"], dt)


def _by_name(consts: dict) -> dict[str, float]:
    """The truncated normal's constants keyed by their layout names (br0_base, ...)."""
    named = {k: consts[k] for k in ("alpha", "beta", "mean", "std", "lo", "hi")}
    for k, branch in enumerate(consts["branches"]):
        named.update({f"br{k}_{f}": branch[f] for f in TRUNC_BRANCH_FIELDS})
    return named


def _trunc_params(dt: np.dtype) -> list[float]:
    """The kernels' list, placed by name through TRUNC_NORMAL_LAYOUT (not by the plans)."""
    named = _by_name(_trunc_constants(dt))
    return [float(named[name]) for name in TRUNC_NORMAL_LAYOUT]


# One parameter list per scheme (values exact in every output dtype, where that matters).
PARAMS = {
    Scheme.RAW: lambda dt: [],
    Scheme.CONSTANT: lambda dt: [0.375],
    Scheme.UNIFORM: lambda dt: [-0.75, 1.25],
    Scheme.NORMAL: lambda dt: [0.25, 1.5],
    Scheme.TRUNC_NORMAL: _trunc_params,
}


def _cases():
    floats = [n for n in DTYPE_CODES if n != "uint32"]
    for scheme in Scheme:
        for name in ["uint32"] if scheme == Scheme.RAW else floats:
            yield pytest.param(scheme, name, id=f"{scheme.name.lower()}-{name}")


def _bytes(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


# ---- (a) the header is generated from codes.py -------------------------------------------------


def test_header_is_up_to_date():
    if not os.path.exists(GEN_CODES):  # e.g. tools/sanitize.sh, which copies tests/ alone
        pytest.skip("tools/gen_codes.py is not next to these tests")
    r = subprocess.run(
        [sys.executable, GEN_CODES, "--check"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stdout + r.stderr


# ---- (b) the compiled modules were built with codes.py's codes ---------------------------------


def _expected_codes() -> dict:
    return {
        "scheme": {s.name.lower(): int(s) for s in Scheme},
        "dtype": dict(DTYPE_CODES),
        "itemsize": dict(DTYPE_ITEMSIZE),
        "param_count": {s.name.lower(): int(n) for s, n in PARAM_COUNTS.items()},
        "trunc_normal_layout": list(TRUNC_NORMAL_LAYOUT),
    }


@pytest.mark.parametrize("module", ["fastinit._core", "fastinit._cuda"])
def test_compiled_codes_match(module):
    mod = pytest.importorskip(module)
    assert mod.codes() == _expected_codes()


# ---- (c) the Numba port writes the core's bytes -------------------------------------------------


def test_every_scheme_and_dtype_has_a_case():
    assert set(PARAMS) == set(Scheme)
    assert {c.values[1] for c in _cases()} == set(DTYPE_CODES)


@pytest.mark.parametrize("scheme,name", list(_cases()))
def test_numba_writes_the_core_bytes(scheme, name):
    core = pytest.importorskip("fastinit._core")
    pytest.importorskip("numba")
    from fastinit._backends import numba as N

    dt = _np_dtype(name)
    params = PARAMS[scheme](dt)
    assert len(params) == PARAM_COUNTS[scheme]
    n, seed, stream, first = 1031, 12345, 7, 5
    want, got = np.zeros(n, dt), np.zeros(n, dt)
    got.view(np.uint8)[:] = 0xA5  # an unwritten element differs from the core's
    core.fill(int(scheme), DTYPE_CODES[name], want, seed, stream, 0, first, params)
    N.fill(int(scheme), got, seed, stream, params, extra=0, first=first, threads=1)
    assert _bytes(got) == _bytes(want), f"{scheme.name} {name}: Numba and the core differ"
    if scheme not in (Scheme.RAW, Scheme.CONSTANT):
        assert len(np.unique(want.astype(np.float64))) > n // 2  # the core did fill it


# ---- (d) the plans build the truncated normal's list in layout order ---------------------------


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_trunc_normal_params_follow_the_layout(name):
    consts = _trunc_constants(_np_dtype(name))
    params = trunc_normal_params(consts)
    assert len(params) == TRUNC_NORMAL_PARAM_COUNT == len(TRUNC_NORMAL_LAYOUT)
    assert params[trunc_index("mean")] == TRUNC["mean"]
    assert params[trunc_index("std")] == TRUNC["std"]
    assert params[trunc_index("br0_dir")] == consts["branches"][0]["dir"]
    assert params[trunc_index("br1_sgn")] == consts["branches"][1]["sgn"] == -1.0
    assert params[trunc_index("br1_dir")] == 1.0  # (so br1_sgn != br1_dir: order tells)
    named = _by_name(consts)
    for i, key in enumerate(TRUNC_NORMAL_LAYOUT):  # every entry, bit for bit (signed zeros)
        assert struct.pack("d", params[i]) == struct.pack("d", float(named[key])), key
    assert not any(math.isnan(v) for v in params)
