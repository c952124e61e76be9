"""DTensor, FSDP2 and tensor parallel (fastinit/torch/distributed.py): every rank holds exactly
its part of the single-process result, at world sizes 1, 2 and 4, on the loopback with gloo.

Each world size is one ``torchrun --standalone`` of tests/dist_worker.py, which runs every
check on every rank and writes its results; this test asserts that every check of every rank
passed (a failing check carries its traceback)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():  # pragma: no cover - the CPU wheel has it
    pytest.skip("torch.distributed is not available", allow_module_level=True)

WORKER = Path(__file__).with_name("dist_worker.py")


def _torchrun() -> list[str]:
    exe = shutil.which("torchrun")
    return [exe] if exe else [sys.executable, "-m", "torch.distributed.run"]


@pytest.mark.parametrize("world", [1, 2, 4])
def test_every_rank_holds_its_part_of_the_single_process_result(world, tmp_path):
    env = dict(
        os.environ,
        GLOO_SOCKET_IFNAME="lo",
        OMP_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(WORKER.parent), os.environ.get("PYTHONPATH")])
        ),
    )
    proc = subprocess.run(
        [*_torchrun(), "--standalone", f"--nproc-per-node={world}", str(WORKER), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    files = sorted(tmp_path.glob("rank*.json"))
    assert proc.returncode == 0 and len(files) == world, (proc.stdout[-3000:], proc.stderr[-6000:])
    for f in files:
        results = json.loads(f.read_text())
        bad = {k: v for k, v in results.items() if v is not True}
        assert not bad, f"{f.name}: {len(bad)} of {len(results)} checks failed: " + "\n".join(
            f"{k}: {v}" for k, v in list(bad.items())[:5]
        )
        # What ran: every fill over several placements, the models, the memory bound.
        assert sum(k.startswith("1d/") for k in results) >= 14 * 3 * 3 * 2
        for key in ("memory", "partial", "fsdp2", "meta/init_module", "meta/patch", "tp"):
            assert key in results, key
        if world >= 2:
            assert any(k.startswith("2d/") and "_StridedShard" in k for k in results)
        if world == 4:
            assert results["fsdp2+tp"] is True and results["fsdp2+tp/strided"] is True
