"""The exact law of a variable rounded to a float dtype, and Kolmogorov-Smirnov against it.

Shared by tests/test_distributions.py (10**6 values) and tests/test_statistics.py (10**7 values).

fastinit computes a value in float32 or float64 and rounds it once to the output dtype (docs/
stream.md section 3), so a sample is discrete: its values are representable values of the dtype.
The model here is the ideal variable ``dist`` (SciPy's) clamped to the inward bounds [lo, hi] and
rounded to nearest in the dtype: for a representable value ``v``,
``P(X <= v) = F(midpoint(v, next(v)))`` with ``F`` the CDF before rounding, ``0`` below ``lo``
and ``1`` from ``hi`` on. The midpoints of 16-bit and float32 neighbours are exact in float64.
For float64 the rounding is below anything a sample of 10**7 can resolve, so ``F`` is used as is.

The KS distance is taken at every value the sample holds: the ECDF after it against
``P(X <= v)`` and the ECDF before it against ``P(X < v)``. Both functions step only at
representable values, so that is the exact supremum of ``|ECDF - G|`` over the line (the same
as the maximum over every representable value, which the sample's values bracket). For a
discrete null the continuous Kolmogorov distribution is conservative (the test rejects less
often than its level), so ``kstwo.sf(D, n)`` is a valid p-value. That is the finite-n law
(SciPy's), slightly smaller than the asymptotic ``kstwobign.sf(D sqrt(n))`` (by 0.3% to 0.06%
at n = 3e5 .. 1e7 near p = 1e-6), so the stricter of the two.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats as st

_GRIDS: dict = {}


def grid(dt: np.dtype) -> np.ndarray:
    """All finite values of a 16-bit dtype, sorted, -0 merged into +0, as float64."""
    key = dt.str
    if key not in _GRIDS:
        v = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(dt)
        v = v[np.isfinite(v.astype(np.float32))].astype(np.float64)
        _GRIDS[key] = np.unique(v)  # unique also merges -0.0 and 0.0
    return _GRIDS[key]


def inward(low: float, high: float, dt: np.dtype) -> tuple[float, float]:
    """Independent computation of docs/stream.md section 3's inward bounds: the smallest value
    of dt >= low and the largest <= high (infinite bounds: +-inf kept)."""
    if dt.itemsize == 2:
        g = grid(dt)
        lo = g[g >= low][0] if math.isfinite(low) else -math.inf
        hi = g[g <= high][-1] if math.isfinite(high) else math.inf
        return float(lo), float(hi)
    t = dt.type
    lo, hi = t(low), t(high)
    if math.isfinite(low) and float(lo) < low:
        lo = np.nextafter(lo, t(np.inf))
    if math.isfinite(high) and float(hi) > high:
        hi = np.nextafter(hi, t(-np.inf))
    return float(lo), float(hi)


class RoundedModel:
    """``dist`` clamped to [lo, hi] and rounded to nearest in ``dt``: P(X <= v) and P(X < v) at
    values v of dt (float64 arrays), and for 16-bit dtypes the exact moments."""

    def __init__(self, dist, dt: np.dtype, lo: float, hi: float) -> None:
        self.dist, self.dt, self.lo, self.hi = dist, np.dtype(dt), lo, hi

    def _neighbour(self, v: np.ndarray, up: bool) -> np.ndarray:
        """The next representable value above (below) each v; +inf (-inf) past the last one."""
        if self.dt.itemsize == 2:
            g = grid(self.dt)
            i = np.searchsorted(g, v)
            assert np.array_equal(g[np.minimum(i, g.size - 1)], v), "a value the dtype cannot hold"
            j = np.clip(i + (1 if up else -1), 0, g.size - 1)
            out = g[j]
            out[(i == g.size - 1) if up else (i == 0)] = np.inf if up else -np.inf
            return out
        t = self.dt.type
        return np.nextafter(v.astype(t), t(np.inf if up else -np.inf)).astype(np.float64)

    def at_most(self, v: np.ndarray) -> np.ndarray:
        """P(X <= v)."""
        if self.dt.itemsize == 8:
            c = self.dist.cdf(v)
        else:
            c = self.dist.cdf((v + self._neighbour(v, up=True)) / 2.0)  # exact in float64
        c = np.asarray(c, dtype=np.float64)
        c[v < self.lo] = 0.0
        c[v >= self.hi] = 1.0
        return c

    def below(self, v: np.ndarray) -> np.ndarray:
        """P(X < v)."""
        if self.dt.itemsize == 8:
            c = np.asarray(self.dist.cdf(v), dtype=np.float64)
            c[v <= self.lo] = 0.0
            return c
        w = self._neighbour(v, up=False)
        bottom = w == -np.inf  # v is the dtype's lowest value: nothing is below it
        if not bottom.any():
            return self.at_most(w)
        c = np.zeros(w.shape)
        c[~bottom] = self.at_most(w[~bottom])
        return c

    def moments(self) -> tuple[float, float]:
        """Exact mean and variance of the rounded variable (16-bit dtypes: every value summed)."""
        assert self.dt.itemsize == 2, "moments are summed over a 16-bit dtype's values"
        g = grid(self.dt)
        pmf = np.diff(np.concatenate([[0.0], self.at_most(g)]))
        mean = float(np.sum(pmf * g))
        return mean, float(np.sum(pmf * (g - mean) ** 2))


def ks_distance(xs: np.ndarray, model: RoundedModel) -> float:
    """KS distance sup |ECDF - model CDF| of the sorted sample xs against the (discrete) model."""
    n = xs.size
    first = np.flatnonzero(np.concatenate([[True], xs[1:] != xs[:-1]]))
    values = xs[first]
    ecdf_before = first / n
    ecdf_after = np.append(first[1:], n) / n
    return max(
        float(np.max(np.abs(ecdf_after - model.at_most(values)))),
        float(np.max(np.abs(ecdf_before - model.below(values)))),
    )


def ks_pvalue(xs: np.ndarray, model: RoundedModel) -> float:
    """KS p-value of the sorted sample xs against the model (exact finite-n Kolmogorov law)."""
    return float(st.kstwo.sf(ks_distance(xs, model), xs.size))
