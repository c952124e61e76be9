"""The public schemes, by family: basic (constants, uniform, normal, truncated normal, raw
words), fan-based (variance scaling, Xavier, Kaiming, LeCun) and structured (orthogonal, sparse,
eye, dirac). ``fastinit`` re-exports every name here."""

from .basic import constant, normal, ones, random_raw, trunc_normal, uniform, zeros
from .fan_based import (
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)
from .structured import dirac, eye, orthogonal, sparse

__all__ = [
    "zeros",
    "ones",
    "constant",
    "uniform",
    "normal",
    "trunc_normal",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "variance_scaling",
    "orthogonal",
    "sparse",
    "eye",
    "dirac",
    "random_raw",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
]
