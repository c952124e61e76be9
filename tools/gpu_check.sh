#!/usr/bin/env bash
# One prepared check of fastinit's CUDA layer on a machine with an NVIDIA GPU, in under 8 minutes
# on an H100 or H200 (docs/cuda.md, "Verified here, and not"):
#
#   1. build fastinit with FASTINIT_CUDA=ON (nvcc; only the GPU's own architecture, for time);
#   2. run tests/test_cuda.py (bit equality with the CPU core for every scheme and dtype, CuPy
#      and PyTorch, bfloat16, strided views, shards, a non-default stream, a 2**31 + 3 element
#      float16 fill) and tests/test_cuda_emulated.py (the same kernels' code run on the CPU);
#   3. run `fastinit bench --device cuda --size 2**30` (float32 and float16; JSON);
#   4. write one summary, SUMMARY below: the machine, each step's status and time, the test
#      counts and failures, and each scheme's throughput as a fraction of cudaMemsetAsync
#      (targets: uniform >= 0.90, normal >= 0.70) and against CuPy and torch.
#
# Usage, from anywhere (it works in the repository root): tools/gpu_check.sh [OUTDIR]
#   OUTDIR: where the summary and the logs go (default: $OUT when set, else ./gpu_check_out).
#   Files: gpu_check_summary.txt (the one to read), build.log, pytest.log, bench.json.
#   Exit status: 0 when the build, the tests and the bench all succeeded.
#
# It installs only what the machine lacks: if a Python package it needs does not import, it is
# installed from wheels in .whl/ (prepare them beforehand on a machine with an index, e.g.
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
#     -d .whl NAME==VERSION
# ) into a private folder, never from the network (a lent GPU machine reaches no index). The
# lent machines' image has all of them (numpy, ml_dtypes, tqdm, pytest, cupy, torch,
# scikit-build-core, pybind11, cmake, ninja), so none is expected to be installed.
#
# Every step has its own time limit (build 210 s, tests 150 s, bench 90 s: 7.5 minutes in all at
# most; about 3 expected), so a hung step still leaves a summary. On the device tool, run it as
#   tools/gpu_check.sh        with timeout_s 540: the files land in $OUT and come back.
set -uo pipefail
export PYTHONUNBUFFERED=1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUTDIR="${1:-${OUT:-$ROOT/gpu_check_out}}"
mkdir -p "$OUTDIR"
SUMMARY="$OUTDIR/gpu_check_summary.txt"
PY="${PYTHON:-python3}"
T0=$SECONDS
status=0

say() { echo "$*" | tee -a "$SUMMARY"; }
: >"$SUMMARY"
say "fastinit GPU check, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)"

# ---- the machine ---------------------------------------------------------------------------
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  say "no NVIDIA GPU visible (nvidia-smi): nothing to check"
  exit 2
fi
say "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader | head -1)"
say "nvcc: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo 'not found')"
say "python: $("$PY" -c 'import sys; print(sys.version.split()[0], sys.executable)')"
ARCH="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"

# ---- what the machine lacks ----------------------------------------------------------------
missing="$("$PY" - <<'PY'
import importlib
need = ["numpy", "ml_dtypes", "tqdm", "pytest", "cupy", "torch", "scikit_build_core",
        "pybind11", "cmake", "ninja"]
out = []
for name in need:
    try:
        importlib.import_module(name)
    except Exception:
        out.append(name)
print(" ".join(out))
PY
)"
if [ -n "$missing" ]; then
  say "missing Python packages: $missing"
  if ls "$ROOT"/.whl/*.whl >/dev/null 2>&1; then
    site="$(mktemp -d)/site"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" \
      "$ROOT"/.whl/*.whl && export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" &&
      export PATH="$site/bin:$PATH" && say "installed from .whl/ into $site"
  else
    say "no wheels in .whl/ to install them from (see this script's header); going on"
  fi
else
  say "packages: all present ($("$PY" -c 'import torch, cupy, numpy; print("torch", torch.__version__, "cupy", cupy.__version__, "numpy", numpy.__version__)' 2>/dev/null))"
fi

# ---- 1. build ------------------------------------------------------------------------------
build_dir="$(mktemp -d)/build"
target="$(mktemp -d)/fastinit-install"
t=$SECONDS
say ""
say "== build: FASTINIT_CUDA=ON, CUDA architecture ${ARCH:-default}"
arch_arg=()
[ -n "$ARCH" ] && arch_arg=(--config-settings=cmake.define.CMAKE_CUDA_ARCHITECTURES="$ARCH")
if FASTINIT_CUDA=ON CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" timeout 210 \
    "$PY" -m pip install --no-build-isolation --no-deps --no-index --target "$target" \
    --config-settings=build-dir="$build_dir" "${arch_arg[@]}" "$ROOT" >"$OUTDIR/build.log" 2>&1 &&
    cp "$target"/fastinit/_core*.so "$target"/fastinit/_cuda*.so "$ROOT/fastinit/"; then
  say "build: ok in $((SECONDS - t)) s ($(ls "$ROOT"/fastinit/_cuda*.so | xargs -n1 basename))"
  say "$(PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PY" -c 'import fastinit._cuda as c; print("fastinit._cuda: CUDA runtime", c.runtime_version(), "-", c.device_count(), "device(s)")' 2>&1 | tail -1)"
else
  say "build: FAILED after $((SECONDS - t)) s; the end of build.log:"
  tail -40 "$OUTDIR/build.log" | tee -a "$SUMMARY"
  exit 1
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

# ---- 2. tests ------------------------------------------------------------------------------
t=$SECONDS
say ""
say "== tests: tests/test_cuda.py tests/test_cuda_emulated.py"
# Third-party deprecation and user warnings stay warnings here (the suite turns warnings into
# errors): a library's notice on this image must not fail a GPU check that cannot be rerun.
timeout 150 "$PY" -m pytest tests/test_cuda.py tests/test_cuda_emulated.py -q -rfEs \
  -p no:cacheprovider -W default::DeprecationWarning -W default::FutureWarning \
  -W default::UserWarning >"$OUTDIR/pytest.log" 2>&1
rc=$?
[ $rc -ne 0 ] && status=1
say "pytest: exit $rc in $((SECONDS - t)) s: $(grep -E '[0-9]+ (passed|failed)' "$OUTDIR/pytest.log" | tail -1)"
grep -E '^(FAILED|ERROR)' "$OUTDIR/pytest.log" | head -40 | tee -a "$SUMMARY"
skips="$(grep -c '^SKIPPED' "$OUTDIR/pytest.log")"
if [ "$skips" -gt 0 ]; then
  say "skipped (should be none but the no-GPU error test on a GPU machine):"
  grep '^SKIPPED' "$OUTDIR/pytest.log" | head -20 | tee -a "$SUMMARY"
fi
if [ $rc -ne 0 ]; then
  say "the end of pytest.log:"
  tail -60 "$OUTDIR/pytest.log" | tee -a "$SUMMARY"
fi

# ---- 3. bench ------------------------------------------------------------------------------
t=$SECONDS
say ""
say "== bench: fastinit bench --device cuda --size 2**30 --dtype float32,float16"
timeout 90 "$PY" -m fastinit bench --device cuda --size '2**30' --dtype float32,float16 \
  --repeat 5 --no-progress --json "$OUTDIR/bench.json" >"$OUTDIR/bench.txt" 2>&1
rc=$?
[ $rc -ne 0 ] && status=1
say "bench: exit $rc in $((SECONDS - t)) s"
tee -a "$SUMMARY" <"$OUTDIR/bench.txt" | tail -30
if [ -s "$OUTDIR/bench.json" ]; then
  "$PY" - "$OUTDIR/bench.json" <<'PY' | tee -a "$SUMMARY"
import json, sys

rows = json.load(open(sys.argv[1]))["rows"]
targets = {"uniform": 0.90, "normal": 0.70}
print()
print("fraction of cudaMemsetAsync (memset time / fastinit time) and speed-ups:")
for r in rows:
    s = r["seconds"]
    frac = s["memset"] / s["fastinit"]
    vs = "  ".join(f"x{s[k] / s['fastinit']:.2f} vs {k}" for k in ("cupy", "torch") if k in s)
    want = targets.get(r["scheme"])
    mark = "" if want is None else f"  target {want:.2f}: {'met' if frac >= want else 'MISSED'}"
    print(f"  {r['scheme']:<17}{r['dtype']:<9}{frac:6.2f} of memset{mark}  {vs}")
PY
fi

rm -rf "$build_dir" "$target"
say ""
say "total: $((SECONDS - T0)) s; status $status (0: build, tests and bench all succeeded)"
exit $status
