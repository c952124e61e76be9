"""Checkpoints (fastinit/checkpoint/): ``fastinit init SPEC -o FILE.safetensors`` and
:func:`fastinit.init_checkpoint`: the safetensors layout, loading with the safetensors
package, bit equality with in-memory fills, chunked fills, spec errors, memmaps as ``out``.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastinit
from fastinit import checkpoint as ck
from fastinit.checkpoint import SpecError, init_checkpoint, parse_spec

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "examples" / "tiny.json"
LLAMA = ROOT / "examples" / "llama-7b.toml"
DT = {
    "float32": np.float32,
    "float16": np.float16,
    "float64": np.float64,
    "bfloat16": fastinit._input.dtypes.BFLOAT16,
}
DT_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}


def expected(name, shape, dtype, scheme, params, seed, stream):
    """The in-memory fill, written independently of the checkpoint code."""
    out = np.empty(shape, DT[dtype])
    fn = getattr(fastinit, scheme)
    if scheme in ("zeros", "ones", "constant", "eye", "dirac"):
        return fn(out, **params)
    return fn(out, **params, seed=fastinit.Generator(seed, stream=stream))


def read_header(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    head = json.loads(raw[8 : 8 + n].decode("utf-8"))
    return n, head, raw


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(f"u{a.dtype.itemsize}")


def assert_bits_equal(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(bits(a), bits(b))


# ---- the tiny spec: CLI, API, layout, loading, values ------------------------------------------


def tiny_expectations():
    spec = json.loads(TINY.read_text())
    exp = {
        "embed.weight": expected(
            "embed.weight", (64, 16), "float32", "normal", {"std": 0.02}, 1234, 0
        ),
        # position 6 in file order (groups expanded): layers.1.mlp.weight
        "layers.1.mlp.weight": expected(
            "", (32, 16), "bfloat16", "kaiming_uniform", {"a": 2.23606797749979}, 1234, 6
        ),
        "layers.0.mlp.bias": np.zeros(32, np.float16),
        "layers.1.norm.weight": np.ones(16, np.float32),
        "head.weight": expected(
            "",
            (64, 16),
            "float64",
            "trunc_normal",
            {"std": 0.02, "a": -0.04, "b": 0.04},
            1234,
            1000,
        ),
        "proj.weight": expected("", (8, 8), "float32", "orthogonal", {}, 1234, 10),
    }
    return spec, exp


def check_file(path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    spec, exp = tiny_expectations()
    loaded = safetensors_numpy.load_file(str(path))
    tensors, _ = parse_spec(TINY)
    assert list(loaded) != [] and set(loaded) == {t.name for t in tensors}
    for name, want in exp.items():
        assert_bits_equal(loaded[name], want)
    for pos, t in enumerate(tensors):  # every tensor against its in-memory fill
        stream = 1000 if t.name == "head.weight" else pos
        want = expected(
            t.name,
            t.shape,
            fastinit._input.dtypes.dtype_name(t.dtype),
            t.scheme,
            t.params,
            1234,
            stream,
        )
        assert_bits_equal(loaded[t.name], want)
    n, head, raw = read_header(path)
    assert (8 + n) % 8 == 0
    assert head["__metadata__"] == {"format": "np", "model": "tiny-test"}
    names = [k for k in head if k != "__metadata__"]
    # data order: by itemsize, largest first, then spec order (every tensor aligned)
    assert names == [t.name for t in sorted(tensors, key=lambda t: -t.dtype.itemsize)]
    assert names[0] == "head.weight" and names[-1] == "layers.1.mlp.bias"
    for k in names:
        assert (8 + n + head[k]["data_offsets"][0]) % DT_SIZE[head[k]["dtype"]] == 0
    end = 0
    for k in names:
        begin, stop = head[k]["data_offsets"]
        assert begin == end
        end = stop
    assert len(raw) == 8 + n + end
    assert head["layers.0.mlp.weight"]["dtype"] == "BF16"
    assert head["layers.0.mlp.bias"]["dtype"] == "F16"
    assert head["head.weight"]["dtype"] == "F64"
    assert head["embed.weight"] == {
        "dtype": "F32",
        "shape": [64, 16],
        "data_offsets": [64 * 16 * 8, 64 * 16 * 12],
    }


def test_cli_round_trip_outside_the_source_tree(tmp_path):
    out = tmp_path / "tiny.safetensors"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fastinit",
            "init",
            str(TINY),
            "-o",
            "tiny.safetensors",
            "--chunk-mib",
            "0.001",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote tiny.safetensors: 11 tensors" in proc.stdout
    # the tqdm bar on stderr (drawn off a terminal too, in ASCII): it reached the end, in
    # bytes, labelled with the tensor last written
    assert "init: 100%|##########|" in proc.stderr and "B/s" in proc.stderr
    assert "layers.1.mlp.bias" in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.safetensors"]  # no temporary file
    check_file(out)


def test_cli_bad_spec_exits_2_with_the_reason(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tensors": [{"name": "w", "shape": [2, 2], "scheme": "glorious"}]}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fastinit",
            "init",
            str(bad),
            "-o",
            "x.safetensors",
            "--no-progress",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown scheme 'glorious'" in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("x.safetensors*"))


def test_api_json_path_and_dict(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    head = init_checkpoint(TINY, a)
    assert head["embed.weight"]["shape"] == [64, 16]
    check_file(a)
    init_checkpoint(json.loads(TINY.read_text()), str(b), chunk_bytes=100)
    assert a.read_bytes() == b.read_bytes()  # chunking changes nothing


def test_api_toml_equals_json(tmp_path):
    pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    toml = tmp_path / "tiny.toml"
    toml.write_text("""
seed = 1234
dtype = "float32"
[metadata]
format = "np"
model = "tiny-test"
[[tensors]]
name = "embed.weight"
shape = [64, 16]
scheme = "normal"
params = { std = 0.02 }
[[tensors]]
repeat = 2
  [[tensors.tensors]]
  name = "layers.{i}.attn.weight"
  shape = [16, 16]
  scheme = "xavier_uniform"
  [[tensors.tensors]]
  name = "layers.{i}.mlp.weight"
  shape = [32, 16]
  scheme = "kaiming_uniform"
  params = { a = 2.23606797749979 }
  dtype = "bfloat16"
  [[tensors.tensors]]
  name = "layers.{i}.mlp.bias"
  shape = [32]
  scheme = "zeros"
  dtype = "float16"
  [[tensors.tensors]]
  name = "layers.{i}.norm.weight"
  shape = [16]
  scheme = "ones"
[[tensors]]
name = "head.weight"
shape = [64, 16]
scheme = "trunc_normal"
params = { std = 0.02, a = -0.04, b = 0.04 }
dtype = "float64"
stream = 1000
[[tensors]]
name = "proj.weight"
shape = [8, 8]
scheme = "orthogonal"
""")
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    init_checkpoint(toml, a)
    init_checkpoint(TINY, b)
    assert a.read_bytes() == b.read_bytes()


def test_toml_without_tomllib_or_tomli_says_what_to_install(tmp_path, monkeypatch):
    toml = tmp_path / "s.toml"
    toml.write_text('[[tensors]]\nname = "w"\nshape = [2]\nscheme = "zeros"\n')
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", None)
    with pytest.raises(SpecError, match="tomli"):
        init_checkpoint(toml, tmp_path / "x.safetensors")


def test_progress_callback_reports_bytes_and_the_library_prints_nothing(tmp_path, capsys):
    calls = []
    path = tmp_path / "p.safetensors"
    head = init_checkpoint(TINY, path, progress=lambda *a: calls.append(a), chunk_bytes=512)
    out, err = capsys.readouterr()
    assert out == "" and err == ""  # the library never prints; the CLI draws the bar
    n, _, raw = read_header(path)
    total = len(raw) - 8 - n  # bytes of tensor data
    assert calls[0] == (0, total, "")
    assert calls[-1][:2] == (total, total)
    assert all(t == total and isinstance(d, int) for d, t, _ in calls)
    dones = [d for d, _, _ in calls]
    assert dones == sorted(dones)
    # one call per chunk: head.weight (64 x 16 float64, 8 KiB) in 16 chunks of 512 bytes
    labels = [label for _, _, label in calls[1:]]
    assert labels.count("head.weight") == 16 and labels.count("proj.weight") == 1
    assert set(labels) == {k for k in head if k != "__metadata__"}
    # each call: the bytes written so far, the tensor just written ending there
    for d, _, label in calls[1:]:
        if label in ("proj.weight", "layers.1.mlp.bias"):  # filled whole
            assert d == head[label]["data_offsets"][1]


def test_progress_must_be_a_callable_or_none(tmp_path):
    with pytest.raises(TypeError, match=r"progress must be a callable progress\(done, total"):
        init_checkpoint(TINY, tmp_path / "x.safetensors", progress=True)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("unnamed", [True, False])
def test_progress_callback_exception_stops_the_write_and_removes_the_temporary(
    tmp_path, monkeypatch, unnamed
):
    # both kinds of temporary file: O_TMPFILE (unnamed) and NAME.xxxxxxxx.partial
    monkeypatch.setattr(ck.output, "_use_tmpfile", unnamed and ck.output._use_tmpfile)

    def stop(done, total, label):
        if done:
            raise KeyboardInterrupt

    (tmp_path / "x.safetensors").write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        init_checkpoint(TINY, tmp_path / "x.safetensors", progress=stop)
    assert [p.name for p in tmp_path.iterdir()] == ["x.safetensors"]
    assert (tmp_path / "x.safetensors").read_bytes() == b"old"


def test_llama_example_parses():
    tensors, meta = parse_spec(LLAMA)
    assert len(tensors) == 1 + 32 * 9 + 2
    assert sum(math_prod(t.shape) for t in tensors) == 6_738_415_616
    assert {fastinit._input.dtypes.dtype_name(t.dtype) for t in tensors} == {"bfloat16"}
    assert [t.stream for t in tensors if t.scheme != "ones"][:3] == [0, 2, 3]
    assert meta["format"] == "pt"


def math_prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# ---- chunked fills equal the whole ------------------------------------------------------------


@pytest.mark.parametrize(
    "scheme, params, shape, dtype",
    [
        ("normal", {"std": 0.02}, (1000, 37), "float32"),
        ("uniform", {"low": -1.0, "high": 2.0}, (777, 5, 3), "bfloat16"),
        ("trunc_normal", {"std": 1.0}, (5003,), "float64"),
        ("kaiming_uniform", {"a": 0.0}, (301, 64), "float16"),
        ("xavier_normal", {}, (129, 17, 3), "float32"),
        ("variance_scaling", {"scale": 2.0, "mode": "fan_avg"}, (400, 30), "float32"),
        ("lecun_normal", {}, (257, 33), "bfloat16"),
        ("constant", {"value": 0.5}, (999, 7), "float32"),
    ],
)
def test_chunked_fill_equals_the_whole(tmp_path, scheme, params, shape, dtype):
    spec = {
        "seed": 7,
        "tensors": [
            {"name": "small", "shape": [3], "scheme": "normal"},
            {
                "name": "big",
                "shape": list(shape),
                "scheme": scheme,
                "params": params,
                "dtype": dtype,
            },
        ],
    }
    path = tmp_path / "c.safetensors"
    big = parse_spec(spec)[0][1]
    chunks = ck.writer._chunks(big, 4096)
    assert len(chunks) > 3 and chunks[0][0] == 0 and chunks[-1][1] == shape[0]
    init_checkpoint(spec, path, chunk_bytes=4096)
    n, head, raw = read_header(path)
    b0, b1 = head["big"]["data_offsets"]
    got = np.frombuffer(raw[8 + n + b0 : 8 + n + b1], DT[dtype]).reshape(shape)
    assert_bits_equal(got, expected("big", shape, dtype, scheme, params, 7, 1))


def test_scalar_and_empty_tensors(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    spec = {
        "tensors": [
            {"name": "s", "shape": [], "scheme": "normal"},
            {"name": "e", "shape": [0, 4], "scheme": "normal"},
            {"name": "c", "shape": [3], "scheme": "constant", "params": {"value": 2.0}},
        ]
    }
    path = tmp_path / "s.safetensors"
    init_checkpoint(spec, path, chunk_bytes=1)
    d = st.load_file(str(path))
    assert_bits_equal(d["s"], expected("s", (), "float32", "normal", {}, 0, 0))
    assert d["e"].shape == (0, 4)
    np.testing.assert_array_equal(d["c"], np.full(3, 2.0, np.float32))


# ---- bad specs --------------------------------------------------------------------------------


def one(**tensor):
    base = {"name": "w", "shape": [4, 4], "scheme": "normal"}
    base.update(tensor)
    return {"tensors": [base]}


@pytest.mark.parametrize(
    "spec, message",
    [
        (one(scheme="glorious"), "unknown scheme 'glorious'"),
        (one(scheme="random_raw"), "unknown scheme 'random_raw'"),
        (one(dtype="int8"), "dtype must be one of float32, float16, bfloat16, float64"),
        ({"dtype": "float8", "tensors": []}, "dtype must be one of"),
        (
            {
                "tensors": [
                    {"name": "w", "shape": [2], "scheme": "zeros"},
                    {"name": "w", "shape": [3], "scheme": "ones"},
                ]
            },
            "duplicate name",
        ),
        (
            {
                "tensors": [
                    {"repeat": 2, "tensors": [{"name": "w", "shape": [2], "scheme": "zeros"}]}
                ]
            },
            "duplicate name",
        ),
        ({"tensors": [{"name": "w", "scheme": "normal"}]}, "missing 'shape'"),
        (one(shape=[4, -1]), "non-negative integers"),
        (one(shape="4x4"), "non-negative integers"),
        (one(params={"sd": 1.0}), r"normal does not take \['sd'\]"),
        (one(params={"seed": 1}), "seed, stream and dtype are tensor keys"),
        (one(params={"std": -1.0}), "tensor 'w'"),
        (one(scheme="xavier_uniform", shape=[5]), "at least 2"),
        (one(scheme="orthogonal", shape=[5]), "orthogonal"),
        (one(scheme="zeros", seed=3), "not random"),
        (one(colour="red"), r"unknown key\(s\) \['colour'\]"),
        (
            {
                "tensors": [
                    {"name": "a", "shape": [2], "scheme": "normal", "stream": 1},
                    {"name": "b", "shape": [2], "scheme": "normal"},
                ]
            },
            "give one of them",
        ),
        ({"tensors": [], "seeds": 1}, r"unknown top-level key\(s\) \['seeds'\]"),
        ({"seed": -1, "tensors": []}, "seed must be in"),
        ({"tensors": []}, "no tensors"),
        ({}, "no 'tensors'"),
        ({"tensors": [{"name": "__metadata__", "shape": [1], "scheme": "zeros"}]}, "reserved"),
        ({"metadata": {"a": 1}, "tensors": []}, "strings to strings"),
        ({"tensors": [{"repeat": 2, "tensors": [{"repeat": 2, "tensors": []}]}]}, "cannot nest"),
    ],
)
def test_bad_specs_raise_clear_errors_and_write_nothing(tmp_path, spec, message):
    path = tmp_path / "x.safetensors"
    with pytest.raises(SpecError, match=message):
        init_checkpoint(spec, path)
    assert not list(tmp_path.iterdir())
    assert issubclass(SpecError, ValueError)


def test_bad_spec_files(tmp_path):
    (tmp_path / "s.yaml").write_text("tensors: []")
    with pytest.raises(SpecError, match=".json or .toml"):
        parse_spec(tmp_path / "s.yaml")
    (tmp_path / "s.json").write_text("{not json")
    with pytest.raises(SpecError, match="not valid JSON"):
        parse_spec(tmp_path / "s.json")
    with pytest.raises(SpecError, match="not found"):
        parse_spec(tmp_path / "missing.json")


# ---- np.memmap as out of every scheme ---------------------------------------------------------


MEMMAP_CASES = {
    "zeros": {},
    "ones": {},
    "constant": {"value": 3.0},
    "uniform": {},
    "normal": {},
    "trunc_normal": {},
    "xavier_uniform": {},
    "xavier_normal": {},
    "kaiming_uniform": {},
    "kaiming_normal": {},
    "lecun_uniform": {},
    "lecun_normal": {},
    "variance_scaling": {},
    "orthogonal": {},
    "sparse": {"sparsity": 0.25},
    "eye": {},
    "dirac": {},
    "glorot_uniform": {},
    "glorot_normal": {},
    "he_uniform": {},
    "he_normal": {},
}


def test_memmap_cases_cover_every_scheme():
    assert set(MEMMAP_CASES) == set(ck.SCHEMES)


@pytest.mark.parametrize("scheme", sorted(MEMMAP_CASES))
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_memmap_is_a_valid_out(tmp_path, scheme, dtype):
    shape = (6, 4, 3) if scheme == "dirac" else (24, 16)
    m = np.memmap(tmp_path / "m.bin", dtype=DT[dtype], mode="w+", shape=shape)
    params = MEMMAP_CASES[scheme]
    fn = getattr(fastinit, scheme)
    seeded = scheme not in ("zeros", "ones", "constant", "eye", "dirac")
    kw = {"seed": 5} if seeded else {}
    assert fn(m, **params, **kw) is m
    m.flush()
    want = fn(np.empty(shape, DT[dtype]), **params, **kw)
    back = np.fromfile(tmp_path / "m.bin", DT[dtype]).reshape(shape)
    assert_bits_equal(back, want)
    del m
