"""Fills write into the caller's memory: no temporary copy of the array (peak RSS)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import fastinit

    def peak_mib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    n = 2**27  # 512 MiB of float32, 1 GiB of float64
    dt = np.dtype(sys.argv[1])
    w = np.ones(n, dt)  # pages touched
    fastinit.uniform(w[:1024], seed=0)  # warm-up: import-time allocations, thread pool
    before = peak_mib()
    fastinit.uniform(w, -1.0, 1.0, seed=1)
    fastinit.normal(w, 0.0, 0.02, seed=2)
    fastinit.trunc_normal(w, 0.0, 0.02, -0.04, 0.04, seed=3)
    fastinit.xavier_uniform(w.reshape(2**14, 2**13), seed=4)
    fastinit.kaiming_normal(w.reshape(2**14, 2**13), seed=5)
    fastinit.variance_scaling(w.reshape(2**14, 2**13), seed=6)
    fastinit.constant(w, 0.5)
    fastinit.uniform(w[::2], seed=7)  # strided
    print(peak_mib() - before)
""")


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_in_place_fill_raises_peak_rss_by_at_most_16_mib(dtype):
    # Outside the source tree, so the child imports the installed package, not ./fastinit.
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, dtype],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    growth = float(out.stdout.strip().splitlines()[-1])
    assert growth <= 16.0, f"peak RSS grew by {growth:.1f} MiB during in-place fills"
