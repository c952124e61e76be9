"""Ctrl-C during a long fill raises KeyboardInterrupt promptly and leaves the process usable;
impossible sizes give clear errors, never a crash or a wrapped size."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap

import pytest

import fastinit

pytest.importorskip("fastinit._core")

SCRIPT = textwrap.dedent("""
    import os, signal, threading, time
    import numpy as np
    import fastinit
    fastinit.set_backend("core")
    w = np.empty(2**28, np.float32)      # 1 GiB
    fastinit.zeros(w)
    fired = []
    def fire():
        time.sleep(0.3)
        fired.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)
    threading.Thread(target=fire, daemon=True).start()
    start = time.perf_counter()
    try:
        for _ in range(200):                 # ~100 s if never interrupted
            fastinit.trunc_normal(w, seed=1)
        print("NOT INTERRUPTED")
    except KeyboardInterrupt:
        print("latency", time.perf_counter() - fired[0])
    small = fastinit.uniform(np.empty(1000, np.float32), seed=3)   # the process still works
    assert np.array_equal(small, fastinit.uniform((1000,), seed=3))
    print("ok")
""")


def test_ctrl_c_interrupts_a_long_fill_within_half_a_second():
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                       timeout=120, cwd=tempfile.gettempdir())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert "NOT" not in lines and lines[-1] == "ok", r.stdout
    latency = float(lines[lines.index("latency") + 1])
    assert latency < 0.5, f"KeyboardInterrupt came {latency:.3f} s after SIGINT"


def test_shape_overflowing_64_bits_is_a_clear_error():
    with pytest.raises(ValueError, match="more than 2\\*\\*63 - 1"):
        fastinit.uniform((2**32, 2**32, 4), seed=0)


def test_allocation_larger_than_memory_is_a_clear_error():
    with pytest.raises(MemoryError, match="cannot allocate an array of shape"):
        fastinit.normal((2**42,), seed=0)   # 16 TiB of float32
