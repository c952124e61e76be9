"""Ctrl-C during a long fill raises KeyboardInterrupt promptly and leaves the process usable;
impossible sizes give clear errors, never a crash or a wrapped size; `fastinit init` and
`fastinit bench` stop on SIGINT / SIGTERM with one line on stderr and exit 130 / 143, the
checkpoint's destination untouched and no temporary file left (issue 18)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

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
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tempfile.gettempdir(),
    )
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
        fastinit.normal((2**42,), seed=0)  # 16 TiB of float32


# ---- the commands: SIGINT and SIGTERM -----------------------------------------------------------

# The issue asks for a stop within 0.5 s of the signal; measured here, 0.09-0.35 s (the largest
# part is the kernel freeing what was written, 0.25 s per GiB on this machine's ext4). The
# tests allow 5 s because the machine is a shared 2-vCPU VM that stalls for whole seconds under
# load. What proves that the signal stopped the work is not the time but the outcome: exit
# 130 / 143 (a run that went on would exit 0) with the destination unchanged (a stop only at
# the end would have replaced it), and the process still running when the signal was sent.
BOUND_S = 5.0
# 1 GiB of float32: about 2 s to write with one thread here, never done 0.2 s after it begins
BIG = {
    "seed": 0,
    "tensors": [
        {
            "repeat": 4,
            "tensors": [{"name": "w{i}", "shape": [8192, 8192], "scheme": "trunc_normal"}],
        }
    ],
}
OLD = b"the previous checkpoint\n" * 100
SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143)]


def _read_until(stream, marker: bytes, timeout: float = 120.0) -> bytes:
    """What `stream` (a pipe) gives until `marker` has appeared."""
    fd, got, deadline = stream.fileno(), b"", time.monotonic() + timeout
    while marker not in got:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {timeout} s: {got!r}"
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 1 << 16)
            assert chunk, f"the process ended before {marker!r}: {got!r}"
            got += chunk
    return got


def _interrupt(p: subprocess.Popen, signum: int) -> tuple[bytes, bytes, float]:
    time.sleep(0.2)
    assert p.poll() is None, "the work ended before the signal: it must be longer"
    t0 = time.monotonic()
    p.send_signal(signum)
    out, err = p.communicate(timeout=120)
    return out, err, time.monotonic() - t0


def _lines(err: bytes, bar: str) -> list[str]:
    """stderr's lines, the progress bar's redraws left out."""
    text = err.decode()
    return [
        ln for ln in text.replace("\r", "\n").split("\n") if ln.strip() and not ln.startswith(bar)
    ]


@pytest.mark.parametrize("signum, code", SIGNALS)
def test_init_stops_with_one_line_and_keeps_the_old_file(tmp_path, signum, code):
    spec = tmp_path / "big.json"
    spec.write_text(json.dumps(BIG))
    dest = tmp_path / "model.safetensors"
    dest.write_bytes(OLD)
    cmd = ["init", str(spec), "-o", str(dest), *"--threads 1 --chunk-mib 8".split()]
    p = subprocess.Popen(
        [sys.executable, "-m", "fastinit", *cmd],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # the bar appears once the spec is checked: the file is being written
    err = _read_until(p.stderr, b"init:")
    out, rest, elapsed = _interrupt(p, signum)
    err += rest
    name = signal.Signals(signum).name
    assert p.returncode == code, err
    assert _lines(err, "init:") == [
        f"fastinit init: interrupted ({name}): nothing written, {dest} unchanged"
    ]
    assert b"Traceback" not in err and out == b""
    assert elapsed < BOUND_S, f"{elapsed:.2f} s after {name}"
    assert sorted(os.listdir(tmp_path)) == ["big.json", "model.safetensors"]  # no temp file
    assert dest.read_bytes() == OLD


@pytest.mark.parametrize("signum, code", SIGNALS)
def test_bench_stops_with_one_line(tmp_path, signum, code):
    out_json = tmp_path / "b.json"
    cmd = "bench --size 2**22 --schemes trunc_normal --repeat 100000 --no-peers --no-progress"
    p = subprocess.Popen(
        [sys.executable, "-m", "fastinit", *cmd.split(), "--json", str(out_json)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _read_until(p.stdout, b"threads")  # its first line: measuring begins
    out, err, elapsed = _interrupt(p, signum)
    name = signal.Signals(signum).name
    assert p.returncode == code, err
    assert err.decode().splitlines() == [f"fastinit bench: interrupted ({name}): no results"]
    assert elapsed < BOUND_S, f"{elapsed:.2f} s after {name}"
    assert not out_json.exists()


WATCHED = textwrap.dedent("""
    import os, signal, sys
    from fastinit import cli
    def stuck():
        # Blocked in a system call that the kernel restarts after the signal (SA_RESTART):
        # Python's handler never runs, as in a long C call that releases the GIL but never
        # looks at signals (NumPy's and PyTorch's generators in `fastinit bench`).
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.siginterrupt(s, False)
        r, w = os.pipe()
        print("ready", flush=True)
        os.read(r, 1)
        return 0
    sys.exit(cli._Signals("test", lambda: ": nothing written").run(stuck))
""")


@pytest.mark.parametrize("signum, code", SIGNALS)
def test_watchdog_ends_a_main_thread_that_never_sees_the_signal(signum, code):
    p = subprocess.Popen(
        [sys.executable, "-c", WATCHED],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tempfile.gettempdir(),
    )
    _read_until(p.stdout, b"ready")
    out, err, elapsed = _interrupt(p, signum)
    # without the watchdog this would block forever (communicate's timeout would fail it)
    assert p.returncode == code, err
    name = signal.Signals(signum).name
    assert err.decode().splitlines() == [f"fastinit test: interrupted ({name}): nothing written"]
    assert elapsed < BOUND_S
