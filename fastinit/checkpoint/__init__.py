"""Initialized checkpoints written straight to disk: ``fastinit init SPEC -o FILE.safetensors``.

A spec (a dict, or a JSON / TOML file) names every tensor with its shape, dtype, scheme and
parameters. Each tensor is filled into one reused buffer, in row chunks for big ones (the
sharded API, ``index=(slice(r0, r1),)``), and appended to the file, so the model is never held
in memory. The file's space is reserved before anything is written, and it replaces the
destination only once complete and on disk. The format, the stream rule, the guarantees and
measured figures are in docs/sharding.md ("Checkpoints", "Writing safely").

``spec.py`` reads and checks specs (:class:`SpecError`, :func:`parse_spec`); ``writer.py``
lays out and writes the checkpoint (:func:`init_checkpoint`, the safetensors layout);
``output.py`` is the file on disk (space first, ``pwrite``, fsync, rename). Nothing here
prints: progress is reported to a callback (the ``fastinit`` command draws the bar).
"""

from __future__ import annotations

from .spec import DTYPES, SCHEMES, SpecError, SpecLike, TensorSpec, load_spec, parse_spec
from .writer import DEFAULT_CHUNK_BYTES, ProgressCallback, init_checkpoint

__all__ = [
    "init_checkpoint",
    "load_spec",
    "parse_spec",
    "SpecError",
    "TensorSpec",
    "ProgressCallback",
    "SpecLike",
    "SCHEMES",
    "DTYPES",
    "DEFAULT_CHUNK_BYTES",
]
