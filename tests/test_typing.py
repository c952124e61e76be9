"""The public type hints, as a type checker reads them: a shape in place of `out` gives a new
``numpy.ndarray``, an array is returned as itself (fastinit/schemes/'s overloads).

One mypy run over a generated snippet of ``assert_type`` calls; skipped without mypy (in the
test extra). The snippet is only type-checked, never run.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest

import fastinit
import fastinit.schemes as S

# Every public scheme (aliases included) with the arguments it needs after `out`, and a shape
# it accepts at runtime.
CALLS = {
    "zeros": ("", "(3, 4)"),
    "ones": ("", "(3, 4)"),
    "constant": (", 0.5", "(3, 4)"),
    "uniform": (", -1.0, 1.0, seed=0", "(3, 4)"),
    "normal": (", 0.0, 0.02", "(3, 4)"),
    "trunc_normal": (", std=0.02", "(3, 4)"),
    "xavier_uniform": ("", "(3, 4)"),
    "xavier_normal": ("", "(3, 4)"),
    "kaiming_uniform": (", nonlinearity='relu'", "(3, 4)"),
    "kaiming_normal": ("", "(3, 4)"),
    "lecun_uniform": ("", "(3, 4)"),
    "lecun_normal": ("", "(3, 4)"),
    "variance_scaling": (", 2.0, 'fan_avg'", "(3, 4)"),
    "orthogonal": ("", "(3, 4)"),
    "sparse": (", 0.5", "(3, 4)"),
    "eye": ("", "(3, 4)"),
    "dirac": (", 1", "(2, 2, 3)"),
    "random_raw": (", seed=0", "(3, 4)"),
    "glorot_uniform": ("", "(3, 4)"),
    "glorot_normal": ("", "(3, 4)"),
    "he_uniform": ("", "(3, 4)"),
    "he_normal": ("", "(3, 4)"),
}
SCHEMES = sorted(CALLS)


def _snippet() -> str:
    head = textwrap.dedent("""\
        import array
        from typing import Any

        import numpy as np
        import numpy.typing as npt
        from typing_extensions import assert_type

        import fastinit


        class Device:  # a GPU array: fastinit only reads its interface
            __cuda_array_interface__: dict[str, Any] = {}


        w32: npt.NDArray[np.float32] = np.empty((3, 4), np.float32)
        w64: npt.NDArray[np.float64] = np.empty((3, 4), np.float64)
        raw: npt.NDArray[np.uint32] = np.empty((3, 4), np.uint32)
        buf = array.array("f", [0.0] * 12)  # the buffer protocol
        dev = Device()

        # every spelling of a shape as_output accepts
        assert_type(fastinit.uniform(3), np.ndarray)
        assert_type(fastinit.uniform(np.int64(3)), np.ndarray)
        assert_type(fastinit.uniform((3, np.intp(4))), np.ndarray)
        assert_type(fastinit.uniform(()), np.ndarray)
        assert_type(fastinit.uniform((3, 4), dtype="bfloat16"), np.ndarray)
        shape: tuple[int, ...] = (3, 4)
        assert_type(fastinit.normal(shape), np.ndarray)
        """)
    lines = [head]
    for name in SCHEMES:
        args, shape = CALLS[name]
        f = f"fastinit.{name}"
        if name == "random_raw":
            lines.append(f"assert_type({f}({shape}{args}), npt.NDArray[np.uint32])")
            lines.append(f"assert_type({f}(raw{args}), npt.NDArray[np.uint32])")
        else:
            lines.append(f"assert_type({f}({shape}{args}), np.ndarray)")
            lines.append(f"assert_type({f}(w32{args}), npt.NDArray[np.float32])")
            lines.append(f"assert_type({f}(w64{args}), npt.NDArray[np.float64])")
        lines.append(f"assert_type({f}(buf{args}), array.array[float])")
        lines.append(f"assert_type({f}(dev{args}), Device)")
    return "\n".join(lines) + "\n"


def test_snippet_covers_every_scheme():
    assert set(CALLS) == set(S.__all__)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is Python 3.11+")
@pytest.mark.parametrize("name", SCHEMES)
def test_overloads_match_the_implementation(name):
    """Both overloads (shape, then array) take exactly the implementation's parameters."""
    fn = getattr(fastinit, name)
    overloads = typing.get_overloads(fn)
    assert len(overloads) == 2, f"{name}: {len(overloads)} overloads, expected 2"
    impl = inspect.signature(fn).parameters
    for ov, out in zip(overloads, ("ShapeLike", "A")):
        params = inspect.signature(ov).parameters
        assert [(p.name, p.kind, p.default is p.empty) for p in params.values()] == [
            (p.name, p.kind, p.default is p.empty) for p in impl.values()
        ], name
        assert params["out"].annotation == out, name
        assert all(params[p].annotation == impl[p].annotation for p in impl if p != "out"), name


def test_mypy_infers_the_return_types(tmp_path: Path):
    pytest.importorskip("mypy")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(_snippet())
    # mypy never loads the compiled core: a sanitizer runtime preloaded for it
    # (tools/sanitize.sh) is not for mypy.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    # The fastinit this suite imports: a source tree on sys.path (PYTHONPATH, which mypy does
    # not read) goes on MYPYPATH; an installed one (editable ones too) mypy finds itself.
    root = str(Path(fastinit.__file__).resolve().parent.parent)
    if "site-packages" not in root:
        env["MYPYPATH"] = root
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--follow-imports=silent",
        "--no-error-summary",
        "--hide-error-context",
        str(snippet),
    ]
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, f"mypy failed ({res.returncode}):\n{out}"
