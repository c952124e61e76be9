"""``fastinit bench --device cuda``: fills of GPU arrays against ``cudaMemsetAsync`` (the
device's store ceiling), CuPy's generator and ``torch.nn.init`` on CUDA, timed with CUDA events
on one stream, medians. Needs CuPy and a CUDA device; unverified without one (docs/cuda.md)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from ._bar import progress_bar

__all__ = ["bench_cuda", "format_cuda_table"]


def _time_cuda(cupy: Any, fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm-up: first-call set-up, module loading
    cupy.cuda.Stream.null.synchronize()
    times = []
    for _ in range(repeat):
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, stop) / 1e3)
    return statistics.median(times)


def bench_cuda(
    schemes: Sequence[str], dtypes: Sequence[str], size: int, repeat: int = 5, progress: bool = True
) -> list[dict[str, Any]]:
    """One row per (scheme, dtype): seconds per fill for fastinit, memset, CuPy and PyTorch.
    `progress`: a tqdm bar on stderr, one step per row."""
    try:
        import cupy
    except ImportError:
        raise SystemExit(
            "fastinit bench --device cuda needs CuPy (pip install cupy-cuda12x)"
        ) from None
    if cupy.cuda.runtime.getDeviceCount() == 0:
        raise SystemExit("fastinit bench --device cuda: no CUDA device")
    try:
        import torch

        torch_ok = torch.cuda.is_available()
    except ImportError:
        torch_ok = False
    rows: list[dict[str, Any]] = []
    with progress_bar(
        len(schemes) * len(dtypes), "bench cuda", enabled=progress, unit="step"
    ) as bar:
        for dname in dtypes:
            rows += _bench_dtype(
                cupy, torch if torch_ok else None, schemes, dname, size, repeat, bar
            )
    return rows


def _bench_dtype(
    cupy: Any, torch: Any, schemes: Sequence[str], dname: str, size: int, repeat: int, bar: Any
) -> list[dict[str, Any]]:
    """The rows of one dtype: one buffer (and one torch tensor), every scheme."""
    import fastinit

    from .peers import _matrix_shape

    shape = _matrix_shape(size)
    buf = cupy.empty(shape, dname)
    nbytes = buf.nbytes
    stream = cupy.cuda.Stream.null.ptr
    memset = _time_cuda(
        cupy, lambda: cupy.cuda.runtime.memsetAsync(buf.data.ptr, 0x3F, nbytes, stream), repeat
    )
    rng = cupy.random.default_rng(0)
    t = torch.empty(shape, dtype=getattr(torch, dname), device="cuda") if torch else None
    rows = []
    for scheme in schemes:
        seconds = {"memset": memset}
        kwargs = {} if scheme == "constant" else {"seed": 0}
        fill = getattr(fastinit, scheme)
        seconds["fastinit"] = _time_cuda(cupy, lambda f=fill, kw=kwargs: f(buf, **kw), repeat)
        if scheme in ("uniform", "xavier_uniform", "kaiming_uniform") and dname != "float16":
            seconds["cupy"] = _time_cuda(
                cupy, lambda: rng.random(out=buf.reshape(-1), dtype=dname), repeat
            )
        elif scheme in ("normal", "xavier_normal", "kaiming_normal") and dname != "float16":
            seconds["cupy"] = _time_cuda(
                cupy, lambda: rng.standard_normal(out=buf.reshape(-1), dtype=dname), repeat
            )
        if t is not None and hasattr(torch.nn.init, scheme + "_"):
            init = getattr(torch.nn.init, scheme + "_")
            args = (0.5,) if scheme == "constant" else ()

            def run_torch(init: Any = init, args: tuple = args) -> None:
                init(t, *args)
                torch.cuda.synchronize()

            seconds["torch"] = _time_cuda(cupy, run_torch, repeat)
        rows.append(
            {"scheme": scheme, "dtype": dname, "size": size, "bytes": nbytes, "seconds": seconds}
        )
        bar.set_postfix_str(f"{scheme} {dname}", refresh=False)
        bar.update()
    return rows


def format_cuda_table(rows: Sequence[dict[str, Any]]) -> str:
    head = (
        f"{'scheme':<17}{'dtype':<9}{'size':>12}  {'fastinit':>9}{'GB/s':>7}{'cupy':>8}"
        f"{'torch':>8}  {'of memset':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        s = r["seconds"]
        g = {k: f"{r['size'] / v / 1e9:.2f}" for k, v in s.items() if v > 0}

        def fmt(k: str, g: dict = g) -> str:
            return g.get(k, "-")

        lines.append(
            f"{r['scheme']:<17}{r['dtype']:<9}{r['size']:>12}  {fmt('fastinit'):>9}"
            f"{r['bytes'] / s['fastinit'] / 1e9:>7.0f}{fmt('cupy'):>8}{fmt('torch'):>8}"
            f"  {s['memset'] / s['fastinit']:>10.2f}"
        )
    lines.append(
        "Gsamples/s, medians of CUDA-event timings; 'of memset': cudaMemsetAsync's time "
        "on the same buffer over fastinit's."
    )
    return "\n".join(lines)
