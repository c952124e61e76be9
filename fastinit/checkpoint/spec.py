"""Checkpoint specs: reading a JSON / TOML file (or a dict), checking every tensor, resolving
groups, dtypes, seeds and streams (docs/sharding.md, "Checkpoints"). Nothing is written here:
a spec that cannot be written raises :class:`SpecError` naming the tensor and the field."""

from __future__ import annotations

import inspect
import json
import math
import operator
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np

from .. import schemes as _schemes
from .._input.dtypes import resolve_dtype
from .._input.values import is_int
from .._random.generator import Generator

__all__ = ["load_spec", "parse_spec", "SpecError", "TensorSpec", "SpecLike", "DTYPES", "SCHEMES"]

SpecLike = Union[Mapping[str, Any], str, "os.PathLike[str]"]

#: dtype name in a spec -> safetensors' dtype code.
DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64"}
# Every scheme but random_raw (uint32 words, not weights); aliases included.
SCHEMES = tuple(n for n in _schemes.__all__ if n != "random_raw")
# Filled whole, never in chunks: every value depends on the whole tensor (orthogonal: a QR;
# sparse: each column ranked over all its rows; eye / dirac: structured, no shards).
_WHOLE = ("orthogonal", "sparse", "eye", "dirac")
_RESERVED = ("out", "seed", "dtype", "full_shape", "index")
_TOP_KEYS = ("seed", "dtype", "metadata", "tensors")
_TENSOR_KEYS = ("name", "shape", "dtype", "scheme", "params", "seed", "stream")
_GROUP_KEYS = ("repeat", "tensors")


class SpecError(ValueError):
    """A checkpoint spec that cannot be written: the message names the tensor and the field."""


@dataclass
class TensorSpec:
    """One tensor of a checkpoint, as resolved from the spec."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    code: str  # safetensors dtype code
    scheme: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    stream: int = 0

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def load_spec(spec: SpecLike) -> dict[str, Any]:
    """The spec as a dict: `spec` itself, or the JSON (``.json``) or TOML (``.toml``) file."""
    if isinstance(spec, Mapping):
        return dict(spec)
    path = Path(os.fspath(spec))
    if not path.is_file():
        raise SpecError(f"spec file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SpecError(f"{path}: not valid JSON: {exc}") from exc
    elif suffix == ".toml":
        try:
            import tomllib  # Python >= 3.11
        except ImportError:  # pragma: no cover - Python 3.10
            try:
                import tomli as tomllib  # type: ignore[no-redef]
            except ImportError:
                raise SpecError(
                    f"{path}: reading TOML needs Python >= 3.11 (tomllib) or the "
                    f"'tomli' package (pip install tomli); or write the spec as "
                    f"JSON"
                ) from None
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path}: not valid TOML: {exc}") from exc
    else:
        raise SpecError(f"{path}: a spec must be a .json or .toml file, got {path.suffix!r}")
    if not isinstance(data, dict):
        raise SpecError(f"{path}: the spec must be a table / object at the top level")
    return data


def _int(value: Any, what: str, low: int, high: int) -> int:
    if not is_int(value):
        raise SpecError(f"{what} must be an integer, got {value!r}")
    value = operator.index(value)
    if not low <= value < high:
        raise SpecError(f"{what} must be in [{low}, {high}), got {value}")
    return value


def _dtype(value: Any, what: str) -> tuple[np.dtype, str]:
    if not isinstance(value, str) or value not in DTYPES:
        raise SpecError(f"{what}: dtype must be one of {', '.join(DTYPES)}, got {value!r}")
    return resolve_dtype(value), DTYPES[value]


def _expand(entries: Any, where: str) -> list[tuple[str, dict]]:
    """Groups (``repeat`` + ``tensors``) expanded in order, ``{i}`` in names replaced."""
    if not isinstance(entries, list):
        raise SpecError(
            f"{where} must be a list (an array of tables), got {type(entries).__name__}"
        )
    out: list[tuple[str, dict]] = []
    for k, entry in enumerate(entries):
        here = f"{where}[{k}]"
        if not isinstance(entry, dict):
            raise SpecError(f"{here} must be a table / object, got {entry!r}")
        if "repeat" in entry:
            extra = sorted(set(entry) - set(_GROUP_KEYS))
            if extra:
                raise SpecError(f"{here}: a group takes only 'repeat' and 'tensors', got {extra}")
            n = _int(entry["repeat"], f"{here}.repeat", 1, 2**32)
            inner = entry.get("tensors")
            if inner is None:
                raise SpecError(f"{here}: a group needs 'tensors'")
            if isinstance(inner, list) and any(
                isinstance(e, dict) and "repeat" in e for e in inner
            ):
                raise SpecError(f"{here}: groups cannot nest")
            templates = _expand(inner, f"{here}.tensors")
            for i in range(n):
                for tw, t in templates:
                    t = dict(t)
                    if isinstance(t.get("name"), str):
                        t["name"] = t["name"].replace("{i}", str(i))
                    out.append((f"{tw} (repeat i={i})", t))
        else:
            out.append((here, entry))
    return out


def parse_spec(spec: SpecLike) -> tuple[list[TensorSpec], dict[str, str]]:
    """Check a spec and resolve it: the tensors in file order, and the metadata.

    Raises :class:`SpecError` naming the first problem (unknown key, scheme or dtype, bad or
    missing shape, duplicate name or stream, parameters the scheme does not take or refuses).
    """
    data = load_spec(spec)
    extra = sorted(set(data) - set(_TOP_KEYS))
    if extra:
        raise SpecError(f"unknown top-level key(s) {extra}; a spec has {', '.join(_TOP_KEYS)}")
    seed = _int(data.get("seed", 0), "seed", 0, 2**64)
    default_dtype = data.get("dtype", "float32")
    _dtype(default_dtype, "the top-level dtype")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise SpecError(
            "metadata must be a table of strings to strings (safetensors' __metadata__)"
        )
    if "tensors" not in data:
        raise SpecError("the spec has no 'tensors'")
    entries = _expand(data["tensors"], "tensors")
    if not entries:
        raise SpecError("the spec has no tensors")
    if len(entries) >= 2**32:
        raise SpecError("too many tensors: streams are positions in [0, 2**32)")
    tensors: list[TensorSpec] = []
    names: dict[str, int] = {}
    streams: dict[tuple[int, int], str] = {}
    for pos, (where, t) in enumerate(entries):
        name = t.get("name")
        if not isinstance(name, str) or not name:
            raise SpecError(f"{where}: 'name' must be a non-empty string, got {name!r}")
        if name == "__metadata__":
            raise SpecError(f"{where}: '__metadata__' is reserved by safetensors")
        what = f"tensor {name!r} ({where})"
        extra = sorted(set(t) - set(_TENSOR_KEYS))
        if extra:
            raise SpecError(
                f"{what}: unknown key(s) {extra}; a tensor has "
                f"{', '.join(_TENSOR_KEYS)} (or a group: repeat, tensors)"
            )
        if name in names:
            raise SpecError(f"{what}: duplicate name (also tensor #{names[name]})")
        names[name] = pos
        if "shape" not in t:
            raise SpecError(f"{what}: missing 'shape' (a list of integers; [] for a scalar)")
        shape = t["shape"]
        if not isinstance(shape, list) or not all(is_int(d) and d >= 0 for d in shape):
            raise SpecError(f"{what}: shape must be a list of non-negative integers, got {shape!r}")
        dt, code = _dtype(t.get("dtype", default_dtype), what)
        scheme = t.get("scheme")
        if scheme not in SCHEMES:
            raise SpecError(f"{what}: unknown scheme {scheme!r}; choose from {', '.join(SCHEMES)}")
        params = t.get("params", {})
        if not isinstance(params, dict):
            raise SpecError(f"{what}: params must be a table / object, got {params!r}")
        fn = getattr(_schemes, scheme)
        accepted = [p for p in inspect.signature(fn).parameters if p not in _RESERVED]
        bad = sorted(set(params) - set(accepted))
        if bad:
            raise SpecError(
                f"{what}: {scheme} does not take {bad}; its parameters: "
                f"{', '.join(accepted) or '(none)'}"
                + (
                    ""
                    if not set(bad) & set(_RESERVED)
                    else " (seed, stream and dtype are tensor keys; out, full_shape "
                    "and index are set by the writer)"
                )
            )
        random = "seed" in inspect.signature(fn).parameters
        ts = TensorSpec(name, tuple(shape), dt, code, scheme, dict(params))
        if random:
            ts.seed = _int(t.get("seed", seed), f"{what}: seed", 0, 2**64)
            ts.stream = _int(t.get("stream", pos), f"{what}: stream", 0, 2**32)
            key = (ts.seed, ts.stream)
            if key in streams:
                raise SpecError(
                    f"{what}: (seed, stream) = {key} is also tensor "
                    f"{streams[key]!r}'s; give one of them another 'stream'"
                )
            streams[key] = name
        elif "seed" in t or "stream" in t:
            raise SpecError(f"{what}: {scheme} is not random and takes no seed or stream")
        _probe(ts, what)
        tensors.append(ts)
    return tensors, dict(metadata)


def _probe(ts: TensorSpec, what: str) -> None:
    """Run the scheme on one element (a shard of the full shape) so that bad parameters
    fail before anything is written."""
    if 0 in ts.shape:
        return
    try:
        if ts.scheme in _WHOLE:
            if math.prod(ts.shape) <= 1 << 16:
                _fill(ts, np.empty(ts.shape, ts.dtype), None)
            elif len(ts.shape) < 2 and ts.scheme != "sparse":
                raise ValueError(f"{ts.scheme} needs at least 2 dimensions")
            return
        probe = np.empty((1,) * len(ts.shape), ts.dtype)
        _fill(ts, probe, tuple(slice(0, 1) for _ in ts.shape) if ts.shape else None)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{what}: {ts.scheme}{ts.params}: {exc}") from exc


def _fill(ts: TensorSpec, out: np.ndarray, index: tuple | None) -> None:
    """Fill `out` with tensor `ts`'s values: the whole tensor, or the shard `index` of it."""
    fn = getattr(_schemes, ts.scheme)
    kwargs = dict(ts.params)
    accepted = inspect.signature(fn).parameters
    if "seed" in accepted:
        kwargs["seed"] = Generator(ts.seed, stream=ts.stream)
    if index is not None and "full_shape" in accepted:  # constant, zeros, ones: no position
        kwargs["full_shape"] = ts.shape
        kwargs["index"] = index
    fn(out, **kwargs)
