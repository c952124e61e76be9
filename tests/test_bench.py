"""`fastinit bench`, the README's main job: it runs, reports what it measured, and times short
calls in batches. No timing is asserted (the machine is shared and noisy); only the structure."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from fastinit import cli as _cli
from fastinit.cli import bench as _bench


def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fastinit", "bench", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_bench_json_and_table(tmp_path) -> None:
    out = tmp_path / "b.json"
    r = _run(
        "--size",
        "2**12",
        "--schemes",
        "constant,uniform,trunc_normal",
        "--dtype",
        "float32,bfloat16",
        "--no-peers",
        "--repeat",
        "2",
        "--json",
        str(out),
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["info"]["stream_format"] == "philox4x32-10/v1"
    got = {(row["scheme"], row["dtype"]) for row in d["rows"]}
    assert got == {
        (s, t) for s in ("constant", "uniform", "trunc_normal") for t in ("float32", "bfloat16")
    }
    for row in d["rows"]:
        assert row["size"] == 4096
        assert row["seconds"]["fastinit"] > 0
        # every random fill is compared with constant on the same buffer
        assert ("fill" in row["seconds"]) == (row["scheme"] != "constant")
        assert "numpy" not in row["seconds"] and "torch" not in row["seconds"]
    table = r.stdout
    for s in ("constant", "uniform", "trunc_normal"):
        assert s in table
    assert "Gsamples/s, medians" in table
    # the tqdm step bar on stderr (drawn off a terminal too, in ASCII): one step per row
    assert "bench: 100%|##########| 6/6" in r.stderr


def test_bench_no_progress_draws_no_bar(tmp_path) -> None:
    r = _run(
        "--size",
        "2**12",
        "--schemes",
        "uniform",
        "--no-peers",
        "--repeat",
        "1",
        "--no-progress",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == "" and "Gsamples/s, medians" in r.stdout


def test_bench_unknown_scheme_exits_2_and_names_it(tmp_path) -> None:
    r = _run("--schemes", "nope", cwd=tmp_path)
    assert r.returncode == 2
    assert "unknown ['nope']" in r.stderr and "choose from constant" in r.stderr


def test_median_time_batches_short_calls() -> None:
    calls = []
    t = _bench._median_time(lambda: calls.append(1), repeat=3)
    # one sizing call, then 3 samples of a batch lasting >= _MIN_SAMPLE_S each
    assert len(calls) > 1 + 3 * 10
    assert 0 < t < _bench._MIN_SAMPLE_S


@pytest.mark.parametrize("repeat", [1, 3])
def test_median_time_times_long_calls_one_by_one(repeat: int) -> None:
    calls = []

    def slow():
        calls.append(1)
        time.sleep(2 * _bench._MIN_SAMPLE_S)

    t = _bench._median_time(slow, repeat=repeat)
    assert len(calls) == repeat  # the first call is the first sample: no extra call
    assert t >= 2 * _bench._MIN_SAMPLE_S


def test_bench_json_to_stdout_is_json_only(tmp_path) -> None:
    r = _run(
        "--size",
        "2**12",
        "--schemes",
        "uniform",
        "--no-peers",
        "--repeat",
        "1",
        "--json",
        "-",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)  # nothing else on stdout
    assert [row["scheme"] for row in d["rows"]] == ["uniform"]
    assert "Gsamples/s, medians" in r.stderr  # the text report moved to stderr


def test_bench_plot_without_matplotlib_fails_before_measuring(monkeypatch, capsys) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    monkeypatch.setattr(_bench, "bench", lambda *a, **k: pytest.fail("benchmarked anyway"))
    with pytest.raises(SystemExit) as exc:
        _cli.main(["bench", "--size", "2**12", "--plot", "x.png"])
    assert exc.value.code == 2
    assert "--plot needs matplotlib: pip install 'fastinit[bench]'" in capsys.readouterr().err
