"""fastinit for JAX and Flax: the initializers of :mod:`jax.nn.initializers`, filled by fastinit.

Needs the optional extra ``jax`` (``pip install 'fastinit[jax]'``); ``import fastinit`` never
imports JAX, only ``import fastinit.jax`` does. See docs/jax.md.

* JAX's names, parameters, defaults and meanings: ``zeros``, ``ones``, ``constant(value)``,
  ``uniform(scale)`` (on ``[0, scale)``), ``normal(stddev)``, ``truncated_normal(stddev, dtype,
  lower, upper)`` (bounds in units of ``stddev``), ``variance_scaling(scale, mode,
  distribution, in_axis, out_axis, batch_axis)``, ``glorot_*``, ``lecun_*``, ``he_*`` (their
  ``*_normal`` truncated, as JAX's), ``orthogonal(scale, column_axis)``,
  ``delta_orthogonal`` and the aliases ``xavier_*`` and ``kaiming_*``. Each returns an
  initializer ``init(key, shape, dtype=None, out_sharding=None) -> jax.Array``.
* Keys: typed (``jax.random.key``) and legacy ``uint32[2]`` keys; :func:`seed` maps a key to
  fastinit's seed (``w0 << 32 | w1`` of its two words, stream 0), and an initializer's values
  are the NumPy scheme's with ``seed=fastinit.jax.seed(key)``, bit for bit.
* ``out_sharding=`` (a ``NamedSharding``): every device's shard is filled alone by
  ``jax.make_array_from_callback`` with fastinit's ``full_shape=``/``index=``; the array equals
  the unsharded one bit for bit.
* Inside ``jax.jit`` (and ``vmap``, ``eval_shape``): ``jax.pure_callback``, the same values.
"""

try:
    import jax as _jax  # noqa: F401
except ImportError as _exc:  # pragma: no cover - exercised only without jax
    raise ImportError(
        "fastinit.jax needs JAX: pip install 'fastinit[jax]' (or pip install jax)"
    ) from _exc

from ._keys import seed
from .initializers import (
    DISTRIBUTIONS,
    MODES,
    Initializer,
    constant,
    normal,
    ones,
    truncated_normal,
    uniform,
    zeros,
)
from .orthogonal import delta_orthogonal, orthogonal
from .variance_scaling import (
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

__all__ = [
    "zeros",
    "ones",
    "constant",
    "uniform",
    "normal",
    "truncated_normal",
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "lecun_uniform",
    "lecun_normal",
    "he_uniform",
    "he_normal",
    "orthogonal",
    "delta_orthogonal",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "seed",
    "Initializer",
    "MODES",
    "DISTRIBUTIONS",
]
