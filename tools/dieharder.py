#!/usr/bin/env python3
"""Feed fastinit's raw Philox words to dieharder (docs/reliability.md, "Random stream quality").

    python tools/dieharder.py --seed 20261201 -- -a          # the whole battery
    python tools/dieharder.py --seed 1 -- -d 0 -d 2          # chosen tests

Writes one stream, ``random_raw`` words 0, 1, 2, ... of ``seed`` (as shards of one huge logical
tensor, so the bytes are exactly that stream, never a restart), as little-endian uint32 bytes,
into ``dieharder -g 200`` (stdin_input_raw). Arguments after ``--`` go to dieharder.
``--stdout`` writes the bytes to stdout instead (for ``| dieharder -g 200 ...`` by hand).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

import numpy as np

import fastinit

# The logical tensor whose shards are streamed: 2**62 words, far more than any run reads.
TOTAL = 2**62


def chunks(seed: int, chunk: int):
    start = 0
    out = np.empty(chunk, dtype=np.uint32)
    while start + chunk <= TOTAL:
        fastinit.random_raw(
            out, seed=seed, full_shape=(TOTAL,), index=(slice(start, start + chunk),)
        )
        yield out.astype("<u4", copy=False).tobytes()
        start += chunk


def pump(seed: int, chunk: int, sink) -> None:
    try:
        for data in chunks(seed, chunk):
            sink.write(data)
    except (BrokenPipeError, OSError):
        pass  # dieharder read what it needed and closed the pipe


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=20261201, help="Philox key (default %(default)s)")
    p.add_argument("--chunk", type=int, default=1 << 22, help="words per fill (default 4 Mi)")
    p.add_argument("--stdout", action="store_true", help="write raw bytes to stdout, no dieharder")
    p.add_argument("dieharder_args", nargs="*", help="after --: arguments for dieharder")
    a = p.parse_args(argv)

    if a.stdout:
        pump(a.seed, a.chunk, sys.stdout.buffer)
        return 0
    exe = shutil.which("dieharder")
    if exe is None:
        print("dieharder is not installed (Debian: apt-get install -y dieharder)", file=sys.stderr)
        return 2
    args = a.dieharder_args or ["-a"]
    print(
        f"# fastinit {fastinit.__version__} ({fastinit.info()['backend']}, "
        f"{fastinit.info()['simd']}), random_raw seed={a.seed}, one stream; "
        f"dieharder -g 200 {' '.join(args)}",
        flush=True,
    )
    proc = subprocess.Popen([exe, "-g", "200", *args], stdin=subprocess.PIPE)
    pump(a.seed, a.chunk, proc.stdin)
    try:
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
