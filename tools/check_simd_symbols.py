"""Fail if a SIMD translation unit can run its ISA's instructions on a CPU that lacks them:

- an inline (weak) symbol that another unit (baseline or another ISA's) also defines: the
  linker keeps one copy of each, and if it kept the AVX2-compiled copy, CPUs without AVX2 would
  run AVX2 instructions on the baseline path;
- a static initializer (``_GLOBAL__sub_I_*``, run on every CPU when the module loads) that uses
  ymm or zmm registers, as a vectorized table constructor did.

Usage: python tools/check_simd_symbols.py BUILD_DIR (the CMake build folder, e.g.
build/cp311-cp311-linux_x86_64)."""

from __future__ import annotations

import pathlib
import subprocess
import sys


def weak_symbols(obj: pathlib.Path) -> set[str]:
    out = subprocess.run(
        ["nm", "--defined-only", str(obj)], capture_output=True, text=True, check=True
    ).stdout
    return {
        line.split()[-1]
        for line in out.splitlines()
        if len(line.split()) >= 3 and line.split()[1] in ("W", "V", "u")
    }


def wide_initializer_lines(obj: pathlib.Path) -> list[str]:
    """The instructions of obj's static initializers that use ymm or zmm registers."""
    out = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(obj)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    bad, inside = [], False
    for line in out.splitlines():
        if line.endswith(">:"):
            inside = "<_GLOBAL__sub_I" in line
        elif inside and ("%ymm" in line or "%zmm" in line):
            bad.append(line.strip())
    return bad


def main(build_dir: str) -> int:
    objs = sorted(pathlib.Path(build_dir).rglob("*.cpp.o"))
    if not objs:
        print(f"check_simd_symbols: no object files under {build_dir}")
        return 1
    simd = [o for o in objs if "simd_" in o.name]
    base = [o for o in objs if "simd_" not in o.name]
    base_syms: set[str] = set()
    for o in base:
        base_syms |= weak_symbols(o)
    bad = 0
    simd_syms = {o: weak_symbols(o) for o in simd}
    for o in simd:
        others = set(base_syms)
        for p in simd:
            if p != o:
                others |= simd_syms[p]
        shared = simd_syms[o] & others
        for sym in sorted(shared):
            print(f"{o.name}: also defined by another unit: {sym}")
        bad += len(shared)
    wide = 0
    for o in simd:
        lines = wide_initializer_lines(o)
        for line in lines[:5]:
            print(f"{o.name}: static initializer uses a wide register: {line}")
        wide += len(lines)
    print(
        f"check_simd_symbols: {len(simd)} SIMD and {len(base)} baseline objects, "
        f"{bad} shared inline symbols, {wide} wide instructions in static initializers"
    )
    return 1 if bad or wide else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
