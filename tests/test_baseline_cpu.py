"""The compiled core on an x86-64 CPU without AVX2: it must import, pick the scalar path, and
give the bits of the native SIMD paths. The CPU is emulated by qemu-user (`qemu-x86_64 -cpu
Nehalem`: SSE4.2, no AVX); the test skips where qemu-x86_64 is not installed (`.ci/run`
installs Debian's qemu-user).

This catches SIMD instructions that run before dispatch, for example a table constructor of an
AVX2 unit that the compiler vectorized: such a build dies with SIGILL on import."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fastinit

pytest.importorskip("fastinit._core")

QEMU = shutil.which("qemu-x86_64")
pytestmark = pytest.mark.skipif(
    QEMU is None or platform.machine() != "x86_64",
    reason="needs qemu-x86_64 (Debian's qemu-user) on x86-64",
)

# (scheme, dtype, call) run on both sides; small sizes keep the emulated run to seconds
CALLS = [
    ("uniform", "float32", "fastinit.uniform(np.empty(1003, np.float32), -1.0, 2.0, seed=5)"),
    ("normal", "float64", "fastinit.normal(np.empty(1003, np.float64), 0.5, 2.0, seed=5)"),
    ("trunc_normal", "float32", "fastinit.trunc_normal(np.empty(3001, np.float32), seed=5)"),
    (
        "trunc_normal",
        "float64",
        "fastinit.trunc_normal(np.empty(1003, np.float64), 0.0, 1.0, -0.3, 5.0, seed=5)",
    ),
    ("uniform", "bfloat16", "fastinit.uniform((999,), seed=5, dtype='bfloat16')"),
]

SCRIPT = """
import sys, numpy as np, fastinit
print(fastinit.info()["simd"])
for call in sys.argv[1:]:
    print(eval(call).view(np.uint8).tobytes().hex())
"""


def test_runs_without_avx2_with_the_same_bits(tmp_path):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("FASTINIT_BACKEND", None)
    proc = subprocess.run(
        [QEMU, "-cpu", "Nehalem", sys.executable, "-c", SCRIPT, *[c for _, _, c in CALLS]],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.split()
    assert lines[0] == "scalar"  # no AVX2 seen, none used
    for (scheme, dtype, call), got in zip(CALLS, lines[1:]):
        want = eval(call, {"fastinit": fastinit, "np": np}).view(np.uint8).tobytes().hex()
        assert got == want, (scheme, dtype)
