"""A fill of more than 2**31 elements (4 GiB of float16): element indices past the int32 range.

Element i of the stream is checked against the independent NumPy reference
(``tests/reference.py``, which computes any element range from its start index), at both ends of
the array and across the 2**31 boundary, so an index that wraps or truncates to 32 bits, or a
thread share that restarts the stream, shows up as a mismatch.

Memory: the array is 4 GiB (the test machine has 24 GiB); the checks only copy small slices.
"""

from __future__ import annotations

import gc
import os
import sys

import numpy as np
import pytest

import fastinit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402

N = 2**31 + 3
SEED = 20240601


def _available_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 1 << 62


@pytest.fixture(scope="module")
def huge():
    if _available_bytes() < 6 * 2**30:
        pytest.skip("needs 6 GiB of free memory for a 4 GiB array")
    w = np.empty(N, np.float16)
    yield w
    del w
    gc.collect()


def _windows():
    """(start, length) of the checked slices: both ends, around 2**31, 2**30 and a middle
    spot whose index is odd (pairs of the normal straddle it)."""
    return [
        (0, 4099),
        (2**30 - 5, 10),
        (2**31 - 4096, 4096 + 3),
        (N - 4099, 4099),
        (1_234_567_891, 17),
    ]


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.uint16)


@pytest.mark.slow
def test_huge_float16_uniform(huge) -> None:
    w = huge
    assert fastinit.uniform(w, -1.0, 1.0, seed=SEED) is w
    for start, n in _windows():
        want = R.uniform(n, -1.0, 1.0, "float16", SEED, 0, start)
        got = w[start : start + n]
        assert np.array_equal(_bits(got), _bits(want)), (start, int((got != want).sum()))
    # the start of the huge fill is the small fill of the same seed
    small = fastinit.uniform(np.empty(4099, np.float16), -1.0, 1.0, seed=SEED)
    assert np.array_equal(_bits(w[:4099]), _bits(small))
    # past 2**31 the values are new ones, not the stream restarted at 0
    assert not np.array_equal(_bits(w[2**31 : 2**31 + 3]), _bits(w[:3]))
    # bounds and finiteness on a sparse sample of the whole array
    s = w[::65537].astype(np.float32)
    assert np.isfinite(s).all() and s.min() >= -1.0 and s.max() <= 1.0


@pytest.mark.slow
def test_huge_float16_normal(huge) -> None:
    w = huge
    assert fastinit.normal(w, 0.0, 0.5, seed=SEED + 1) is w
    for start, n in _windows():
        want = R.normal(n, 0.0, 0.5, "float16", SEED + 1, 0, start)
        got = w[start : start + n]
        assert np.array_equal(_bits(got), _bits(want)), (start, int((got != want).sum()))
    # N = 2**31 + 3 is odd: the last element is the first output of the last pair
    last = R.normal(2, 0.0, 0.5, "float16", SEED + 1, 0, N - 1)
    assert _bits(w[-1:])[0] == _bits(last)[0]
