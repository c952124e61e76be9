"""``fastinit bench --device cuda``: fills of GPU arrays against ``cudaMemsetAsync`` (the
device's store ceiling), CuPy's generator and ``torch.nn.init`` on CUDA, timed with CUDA events
on one stream, medians. Needs CuPy and a CUDA device; unverified without one (docs/cuda.md)."""

from __future__ import annotations

import statistics
from typing import Any, Callable, Sequence

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


def bench_cuda(schemes: Sequence[str], dtypes: Sequence[str], size: int,
               repeat: int = 5, progress: bool = True) -> list[dict[str, Any]]:
    """One row per (scheme, dtype): seconds per fill for fastinit, memset, CuPy and PyTorch.
    `progress`: a tqdm bar on stderr, one step per row."""
    try:
        import cupy
    except ImportError:
        raise SystemExit("fastinit bench --device cuda needs CuPy (pip install cupy-cuda12x)")
    import fastinit
    from .peers import _matrix_shape

    if cupy.cuda.runtime.getDeviceCount() == 0:
        raise SystemExit("fastinit bench --device cuda: no CUDA device")
    try:
        import torch
        torch_ok = torch.cuda.is_available()
    except ImportError:
        torch_ok = False
    rows = []
    with progress_bar(len(schemes) * len(dtypes), "bench cuda", enabled=progress,
                      unit="step") as bar:
        for dname in dtypes:
            shape = _matrix_shape(size)
            buf = cupy.empty(shape, dname)
            nbytes = buf.nbytes
            memset = _time_cuda(cupy, lambda: cupy.cuda.runtime.memsetAsync(
                buf.data.ptr, 0x3F, nbytes, cupy.cuda.Stream.null.ptr), repeat)
            rng = cupy.random.default_rng(0)
            t = torch.empty(shape, dtype=getattr(torch, dname), device="cuda") if torch_ok else None
            for scheme in schemes:
                row: dict[str, Any] = {"scheme": scheme, "dtype": dname, "size": size,
                                       "bytes": nbytes, "seconds": {"memset": memset}}
                seed = {} if scheme == "constant" else {"seed": 0}
                fi = getattr(fastinit, scheme)
                row["seconds"]["fastinit"] = _time_cuda(cupy, lambda: fi(buf, **seed), repeat)
                if scheme in ("uniform", "xavier_uniform", "kaiming_uniform") and dname != "float16":
                    row["seconds"]["cupy"] = _time_cuda(
                        cupy, lambda: rng.random(out=buf.reshape(-1), dtype=dname), repeat)
                elif scheme in ("normal", "xavier_normal", "kaiming_normal") and dname != "float16":
                    row["seconds"]["cupy"] = _time_cuda(
                        cupy, lambda: rng.standard_normal(out=buf.reshape(-1), dtype=dname), repeat)
                if t is not None and hasattr(torch.nn.init, scheme + "_"):
                    init = getattr(torch.nn.init, scheme + "_")
                    args = (0.5,) if scheme == "constant" else ()

                    def run_torch() -> None:
                        init(t, *args)
                        torch.cuda.synchronize()
                    row["seconds"]["torch"] = _time_cuda(cupy, run_torch, repeat)
                rows.append(row)
                bar.set_postfix_str(f"{scheme} {dname}", refresh=False)
                bar.update()
            del buf, t
    return rows


def format_cuda_table(rows: Sequence[dict[str, Any]]) -> str:
    head = (f"{'scheme':<17}{'dtype':<9}{'size':>12}  {'fastinit':>9}{'GB/s':>7}{'cupy':>8}"
            f"{'torch':>8}  {'of memset':>10}")
    lines = [head, "-" * len(head)]
    for r in rows:
        s = r["seconds"]
        g = {k: r["size"] / v / 1e9 for k, v in s.items() if v > 0}
        fmt = lambda k: f"{g[k]:.2f}" if k in g else "-"  # noqa: E731
        lines.append(f"{r['scheme']:<17}{r['dtype']:<9}{r['size']:>12}  {fmt('fastinit'):>9}"
                     f"{r['bytes'] / s['fastinit'] / 1e9:>7.0f}{fmt('cupy'):>8}{fmt('torch'):>8}"
                     f"  {s['memset'] / s['fastinit']:>10.2f}")
    lines.append("Gsamples/s, medians of CUDA-event timings; 'of memset': cudaMemsetAsync's time "
                 "on the same buffer over fastinit's.")
    return "\n".join(lines)
