"""Plans: from a scheme's validated arguments to what a backend fill takes (a
:class:`Plan`: the scheme code and its float parameters), with the range checks that need the
output dtype. In float64 (docs/stream.md sections 3 and 7).

Shared by every backend, so the constants a kernel receives are the same everywhere. The
functions here assume arguments checked by fastinit._input (types, NaN, signs); they raise
``ValueError`` naming the scheme when the values cannot be written in the dtype.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import numpy as np

from .._backends.codes import TRUNC_BRANCH_FIELDS, Scheme
from .._input.dtypes import compute_dtype, dtype_max, dtype_name

__all__ = [
    "Plan",
    "uniform_plan",
    "normal_plan",
    "trunc_normal_plan",
    "variance_scaling_plan",
    "constant_value",
    "inward_bounds",
    "nearest_value",
    "trunc_normal_constants",
    "trunc_normal_params",
    "log_ndtr",
    "FAR_LIMIT",
    "NORMAL_MAX_RADIUS",
    "TRUNCATED_NORMAL_STD",
]

# Largest |z| of the Box-Muller radius (section 5.2), by compute dtype itemsize.
NORMAL_MAX_RADIUS = {4: 6.6605, 8: 8.6522}
# Bounds further than this many std from the mean, on one side, are rejected (section 7.2).
FAR_LIMIT = 1e18

_SQRT_HALF = math.sqrt(0.5)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _step(x: np.ndarray, up: bool) -> np.ndarray:
    """The next representable value of x's dtype above (up) or below it."""
    dt = x.dtype
    if dt.itemsize == 2:  # float16, bfloat16: step the sign-magnitude bit pattern
        b = int(x.view(np.uint16))
        key = -(b & 0x7FFF) if b & 0x8000 else b
        key += 1 if up else -1
        nb = (0x8000 | -key) if key < 0 else key
        return np.array(nb, np.uint16).view(dt)
    target = np.array(np.inf if up else -np.inf, dt)
    return np.nextafter(x, target)


def nearest_value(value: float, dt: np.dtype) -> float:
    """value rounded once to nearest (ties to even) in dt, as a float (exact).

    NumPy's float64 -> bfloat16 cast goes through float32 (two roundings), so 16-bit results
    are corrected against their neighbours."""
    # The cache key carries the sign: 0.0 == -0.0 (same hash), and -0.0 must stay -0.0.
    return _nearest_value(value, math.copysign(1.0, value), dt)


@functools.lru_cache(maxsize=256)
def _nearest_value(value: float, sign: float, dt: np.dtype) -> float:
    x = np.array(value, dtype=np.float64).astype(dt)
    if dt.itemsize != 2:
        return float(x)
    best = x
    for cand in (_step(x, up=True), _step(x, up=False)):
        c, b = float(cand), float(best)
        if not math.isfinite(c):
            continue
        dc, db = abs(c - value), abs(b - value)
        if dc < db or (dc == db and int(cand.view(np.uint16)) % 2 == 0):
            best = cand
    return float(best)


def _inward(value: float, dt: np.dtype, lower: bool) -> float | None:
    """Smallest value of dt >= value (lower=True) or largest <= value; None if there is none."""
    m = dtype_max(dt)
    if lower:
        if value > m:
            return None
        if value < -m:
            return -m
    else:
        if value < -m:
            return None
        if value > m:
            return m
    x = np.array(value, dtype=np.float64).astype(dt)
    if lower and float(x) < value:
        x = _step(x, up=True)
    elif not lower and float(x) > value:
        x = _step(x, up=False)
    return float(x)


def inward_bounds(low: float, high: float, dt: np.dtype) -> tuple[float, float] | None:
    """(lo, hi): the smallest value of dt >= low and the largest <= high; None if lo > hi."""
    lo = _inward(low, dt, lower=True)
    hi = _inward(high, dt, lower=False)
    if lo is None or hi is None or lo > hi:
        return None
    return lo, hi


# ---- truncated normal -------------------------------------------------------------------------


def log_ndtr(z: float) -> float:
    """log Phi(z) for z <= 0, accurate in float64 to the far tail."""
    if z == -math.inf:
        return -math.inf
    if z > -37.0:
        return math.log(0.5 * math.erfc(-z * _SQRT_HALF))
    # Asymptotic series: Phi(z) = phi(z)/|z| (1 - z^-2 + 3 z^-4 - 15 z^-6 + 105 z^-8 - ...).
    g = 1.0 / (z * z)
    series = 1.0 - g * (1.0 - g * (3.0 - g * (15.0 - g * 105.0)))
    return -0.5 * z * z - math.log(-z) - _LOG_SQRT_2PI + math.log(series)


def _ndtr_minus_half(z: float) -> float:
    """Phi(z) - 0.5, without cancellation."""
    return 0.5 * math.erf(z * _SQRT_HALF)


def _log_diff(la: float, lb: float) -> float:
    """log(exp(la) - exp(lb)) for la >= lb."""
    if lb == -math.inf:
        return la
    return la + math.log1p(-math.exp(lb - la))


class IntervalTooNarrow(ValueError):
    """[a, b] is too narrow for the float64 set-up: its mass rounds to 0 (then the law on it is
    uniform to every precision)."""


def trunc_normal_constants(
    mean: float, std: float, a: float, b: float, dt: np.dtype
) -> dict[str, Any]:
    """The set-up of section 7.1 for a truncated normal on [a, b] written as dtype dt.

    Returns a dict with ``alpha, beta, mean, std, lo, hi`` and ``branches``: two dicts with
    ``base, centre, th, dd, ld, tau, dir, sgn`` (branch bit 0 and 1), all float64 values that the
    kernels round to their compute type. Raises :class:`IntervalTooNarrow` where the mass of
    [a, b] is 0 in float64.
    """
    alpha = (a - mean) / std
    beta = (b - mean) / std
    narrow = IntervalTooNarrow(
        f"[a, b] = [{a}, {b}] is too narrow for mean={mean}, std={std}: its probability "
        f"rounds to 0 in float64 (the distribution on it is uniform; use uniform(a, b))"
    )
    if not alpha < beta:
        raise narrow
    if max(abs(alpha), abs(beta)) <= 1.0:  # near the mean: a difference of small erf values
        delta = 0.5 * (math.erf(beta * _SQRT_HALF) - math.erf(alpha * _SQRT_HALF))
        if not delta > 0.0:
            raise narrow
        log_delta = math.log(delta)
    elif alpha >= 0.0:
        lp_a, lp_b = log_ndtr(-alpha), log_ndtr(-beta)
        if not lp_a > lp_b:
            raise narrow
        log_delta = _log_diff(lp_a, lp_b)
    elif beta <= 0.0:
        lp_a, lp_b = log_ndtr(alpha), log_ndtr(beta)
        if not lp_b > lp_a:
            raise narrow
        log_delta = _log_diff(lp_b, lp_a)
    else:
        outside = 0.5 * math.erfc(-alpha * _SQRT_HALF) + 0.5 * math.erfc(beta * _SQRT_HALF)
        log_delta = math.log1p(-outside)
    delta = math.exp(log_delta)

    # (z of the CDF value T0 = Phi(z), z <= 0; dir; sgn) for branch bits 0 and 1.
    specs = [
        (alpha, 1.0, 1.0) if alpha <= 0.0 else (-alpha, -1.0, -1.0),
        (-beta, 1.0, -1.0) if beta >= 0.0 else (beta, -1.0, 1.0),
    ]
    branches = []
    for z, direction, sign in specs:
        log_t0 = log_ndtr(z)
        t0 = math.exp(log_t0)
        p_end = t0 + direction * delta / 2.0
        if min(t0, p_end) < 0.075:
            base, centre, th = t0, 0.5, 0.075
        else:
            base, centre, th = _ndtr_minus_half(z), 0.0, -math.inf
        branches.append(
            {
                "base": base,
                "centre": centre,
                "th": th,
                "dd": direction * delta,
                "ld": log_delta,
                "tau": math.exp(log_t0 - log_delta),
                "dir": direction,
                "sgn": sign,
            }
        )
    m = dtype_max(dt)
    lo = -m if a == -math.inf else _inward(a, dt, lower=True)
    hi = m if b == math.inf else _inward(b, dt, lower=False)
    return {
        "alpha": alpha,
        "beta": beta,
        "mean": mean,
        "std": std,
        "lo": lo,
        "hi": hi,
        "branches": branches,
    }


def trunc_normal_params(consts: dict[str, Any]) -> list[float]:
    """The flat list of 22 values the kernels take, in the order of
    fastinit._backends.codes.TRUNC_NORMAL_LAYOUT."""
    flat = [consts[k] for k in ("alpha", "beta", "mean", "std", "lo", "hi")]
    for br in consts["branches"]:
        flat.extend(br[k] for k in TRUNC_BRANCH_FIELDS)
    return [float(v) for v in flat]


# ---- plans ------------------------------------------------------------------------------------

# Keras' correction: the std of a standard normal truncated to [-2, 2].
TRUNCATED_NORMAL_STD = 0.87962566103423978


class Plan(NamedTuple):
    """What a backend fill writes: ``kind`` with ``params`` (fastinit._backends.codes)."""

    kind: Scheme
    params: tuple[float, ...]


def _signs(*values: float) -> tuple[float, ...]:
    """Part of a cache key: 0.0 == -0.0 (same hash), but a signed zero can show in the bits."""
    return tuple(math.copysign(1.0, v) for v in values)


def constant_value(value: float, dt: np.dtype, scheme: str = "constant") -> Plan:
    """A constant fill of `value`, rounded once to nearest in `dt`."""
    m = dtype_max(dt)
    if abs(value) > m:
        raise ValueError(
            f"{scheme}: value={value} is outside the {dtype_name(dt)} range [-{m}, {m}]"
        )
    return Plan(Scheme.CONSTANT, (nearest_value(value, dt),))


def uniform_plan(low: float, high: float, dt: np.dtype, scheme: str) -> Plan:
    """U[low, high] with the bounds rounded inward to `dt` (so no value lies outside)."""
    return Plan(Scheme.UNIFORM, _uniform_bounds(low, high, dt, scheme, _signs(low, high)))


@functools.lru_cache(maxsize=256)
def _uniform_bounds(
    low: float, high: float, dt: np.dtype, scheme: str, signs: tuple[float, ...] = ()
) -> tuple[float, float]:
    m = dtype_max(dt)
    for name, v in (("low", low), ("high", high)):
        if abs(v) > m:
            raise ValueError(
                f"{scheme}: {name}={v} is outside the {dtype_name(dt)} range [-{m}, {m}]"
            )
    bounds = inward_bounds(low, high, dt)
    if bounds is None:
        raise ValueError(f"{scheme}: no {dtype_name(dt)} value lies in [{low}, {high}]")
    lo, hi = bounds
    ct = compute_dtype(dt).type
    with np.errstate(over="ignore"):
        span = ct(hi) - ct(lo)
    if not np.isfinite(span):
        raise ValueError(f"{scheme}: high - low = {hi - lo} overflows {np.dtype(ct).name}")
    return lo, hi


def normal_plan(mean: float, std: float, dt: np.dtype, scheme: str) -> Plan:
    """N(mean, std**2), refused where the largest Box-Muller radius would overflow `dt`."""
    radius = NORMAL_MAX_RADIUS[compute_dtype(dt).itemsize]
    if abs(mean) + radius * std > dtype_max(dt):
        raise ValueError(
            f"{scheme}: mean={mean}, std={std} would overflow {dtype_name(dt)} "
            f"(|mean| + {radius} * std must be <= {dtype_max(dt)})"
        )
    return Plan(Scheme.NORMAL, (mean, std))


def trunc_normal_plan(
    mean: float, std: float, a: float, b: float, dt: np.dtype, scheme: str
) -> Plan:
    """N(mean, std**2) truncated to [a, b] (a constant where std is 0)."""
    return _trunc_plan(mean, std, a, b, dt, scheme, _signs(mean, a, b))


@functools.lru_cache(maxsize=256)
def _trunc_plan(
    mean: float,
    std: float,
    a: float,
    b: float,
    dt: np.dtype,
    scheme: str,
    signs: tuple[float, ...] = (),
) -> Plan:
    """Cached: the parameters are a tuple, so no caller can change the cached value."""
    m = dtype_max(dt)
    for name, v in (("a", a), ("b", b)):
        if math.isfinite(v) and abs(v) > m:
            raise ValueError(
                f"{scheme}: {name}={v} is outside the {dtype_name(dt)} range [-{m}, {m}]"
            )
    if std > 0:
        reach_lo = min(b, mean) - 40.0 * std if a == -math.inf else a
        reach_hi = max(a, mean) + 40.0 * std if b == math.inf else b
        if max(abs(reach_lo), abs(reach_hi)) > m:
            raise ValueError(
                f"{scheme}: mean={mean}, std={std} with an infinite bound would "
                f"overflow {dtype_name(dt)}"
            )
        if (a - mean) / std > FAR_LIMIT or (b - mean) / std < -FAR_LIMIT:
            raise ValueError(
                f"{scheme}: [a, b] = [{a}, {b}] lies more than {FAR_LIMIT:g} "
                f"standard deviations from the mean; there the distribution is a "
                f"point mass at the nearer bound"
            )
    lo = -m if a == -math.inf else a
    hi = m if b == math.inf else b
    bounds = inward_bounds(lo, hi, dt)
    if bounds is None:
        raise ValueError(f"{scheme}: no {dtype_name(dt)} value lies in [a, b] = [{a}, {b}]")
    if std == 0.0:  # a point mass at the mean, clipped to [a, b]
        value = min(max(mean, a), b)
        if abs(value) > m:
            raise ValueError(
                f"{scheme}: mean={mean} with std=0 is outside the "
                f"{dtype_name(dt)} range [-{m}, {m}]"
            )
        lo_, hi_ = bounds
        if mean > m:
            value = hi_
        elif mean < -m:
            value = lo_
        else:
            value = min(max(nearest_value(mean, dt), lo_), hi_)
        return Plan(Scheme.CONSTANT, (value,))
    try:
        consts = trunc_normal_constants(mean, std, a, b, dt)
    except IntervalTooNarrow as exc:
        raise ValueError(f"{scheme}: {exc}") from None
    return Plan(Scheme.TRUNC_NORMAL, tuple(trunc_normal_params(consts)))


def variance_scaling_plan(
    scale: float, fan: float, distribution: str, dt: np.dtype, scheme: str, what: str = "scale=1.0"
) -> Plan:
    """Variance ``scale / fan`` (fan > 0) as `distribution` ("truncated_normal", "normal",
    "untruncated_normal" or "uniform"). `what` names the caller's parameter behind `scale`
    ("gain=2.0"), for the range error."""
    variance = scale / fan
    # The largest magnitude the fill can reach must fit the dtype; say so in the caller's terms.
    ct = compute_dtype(dt)
    if distribution == "truncated_normal":
        reach = 2.0 * math.sqrt(variance) / TRUNCATED_NORMAL_STD
    elif distribution == "uniform":
        reach = math.sqrt(3.0 * variance)
    else:
        reach = NORMAL_MAX_RADIUS[ct.itemsize] * math.sqrt(variance)
    m = dtype_max(dt)
    if not reach <= m:
        raise ValueError(
            f"{scheme}: {what} is too large for {dtype_name(dt)}: the values "
            f"could reach {reach:.6g}, beyond its largest value {m}"
        )
    if distribution == "uniform" and not 2.0 * reach <= dtype_max(ct):
        raise ValueError(
            f"{scheme}: {what} is too large for {dtype_name(dt)}: the span "
            f"of U(-{reach:.6g}, {reach:.6g}) overflows {dtype_name(ct)}"
        )
    if distribution == "truncated_normal":
        std = math.sqrt(variance) / TRUNCATED_NORMAL_STD
        return trunc_normal_plan(0.0, std, -2.0 * std, 2.0 * std, dt, scheme)
    if distribution in ("normal", "untruncated_normal"):
        return normal_plan(0.0, math.sqrt(variance), dt, scheme)
    limit = math.sqrt(3.0 * variance)
    return uniform_plan(-limit, limit, dt, scheme)
