"""The kernel-level cases that tests/test_simd.py (SIMD paths against each other) and
tests/test_numba.py (Numba against the core) both run: (scheme id, parameters for a dtype)."""

from __future__ import annotations

import numpy as np

from fastinit._backends.codes import Scheme
from fastinit._random.plans import (
    inward_bounds,
    nearest_value,
    trunc_normal_constants,
    trunc_normal_params,
)


def _trunc(mean, std, a, b):
    def params(dt):
        return trunc_normal_params(trunc_normal_constants(mean, std, a, b, dt))

    return params


KERNEL_CASES = {
    "raw": (Scheme.RAW, lambda dt: []),
    "constant": (Scheme.CONSTANT, lambda dt: [nearest_value(-0.3, dt)]),
    "uniform": (Scheme.UNIFORM, lambda dt: list(inward_bounds(-0.3, 0.7, dt))),
    "uniform_wide": (Scheme.UNIFORM, lambda dt: list(inward_bounds(-1e4, 3e4, dt))),
    "normal": (Scheme.NORMAL, lambda dt: [0.25, 1.5]),
    "trunc_std": (Scheme.TRUNC_NORMAL, _trunc(0.0, 1.0, -2.0, 2.0)),
    "trunc_wide": (Scheme.TRUNC_NORMAL, _trunc(0.0, 1.0, -60.0, 50.0)),  # far-tail lanes mixed in
    "trunc_far": (Scheme.TRUNC_NORMAL, _trunc(0.0, 1.0, 40.0, 41.0)),
    "trunc_narrow": (Scheme.TRUNC_NORMAL, _trunc(0.0, 1.0, 0.0, 1e-3)),
    "trunc_onesided": (Scheme.TRUNC_NORMAL, _trunc(1.0, 0.5, -np.inf, 0.8)),
    "trunc_upper_tail": (Scheme.TRUNC_NORMAL, _trunc(0.0, 2.0, 7.0, np.inf)),
    # intervals centred on the mean: the SIMD loops' symmetric specialization (p and q forms)
    "trunc_centred_q": (Scheme.TRUNC_NORMAL, _trunc(0.5, 2.0, -0.5, 1.5)),
    "trunc_centred_wide": (Scheme.TRUNC_NORMAL, _trunc(-3.0, 0.25, -4.5, -1.5)),
    "trunc_centred_far": (Scheme.TRUNC_NORMAL, _trunc(0.0, 1.0, -30.0, 30.0)),
    # mirrored in float32 only: the float64 branches differ (not symmetric there)
    "trunc_centred_f32": (Scheme.TRUNC_NORMAL, _trunc(0.0, 1.0, -2.0, 2.0 + 1e-9)),
    # one branch central (q form), the other with tail lanes: the tail queue is still needed
    "trunc_half_central": (Scheme.TRUNC_NORMAL, _trunc(0.0, 1.0, -0.3, 5.0)),
    "trunc_half_central_mirror": (Scheme.TRUNC_NORMAL, _trunc(0.0, 1.0, -5.0, 0.3)),
    # -0.0 as a bound and a mean: every path treats the sign of zero alike
    "uniform_signed_zero": (Scheme.UNIFORM, lambda dt: list(inward_bounds(-1.0, -0.0, dt))),
    "normal_signed_zero": (Scheme.NORMAL, lambda dt: [-0.0, 0.0]),  # -0.0 + (+-0.0): mixed signs
    "trunc_signed_zero": (Scheme.TRUNC_NORMAL, _trunc(-0.0, 1.0, -0.0, 1.0)),
}
