"""JAX PRNG keys to fastinit seeds.

A key's data is two uint32 words ``(w0, w1)`` (the threefry2x32 implementation, JAX's default:
``jax.random.key_data(key)`` for a typed key, the array itself for a legacy ``uint32[2]`` key).
fastinit's seed is ``w0 << 32 | w1``, drawn with stream 0. ``jax.random.key(s)`` stores the int64
``s`` as ``(s >> 32, s & 0xFFFFFFFF)`` of its 64-bit two's complement, so
``seed(jax.random.key(s)) == s % 2**64`` with ``jax_enable_x64`` (without it JAX keeps only the
low 32 bits: ``s % 2**32``). The map is a bijection between key data and seeds, so different keys
(split or folded keys included) give different Philox keys and independent streams.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

__all__ = ["seed", "key_words", "seed_of_words", "is_traced"]


def is_traced(x: Any) -> bool:
    """Whether `x` is an abstract value (inside ``jax.jit``, ``vmap``, ``eval_shape``...)."""
    return isinstance(x, jax.core.Tracer)


def key_words(key: Any) -> Any:
    """The two uint32 words of `key` (a typed key or a legacy ``uint32[2]`` key): a NumPy array
    for a concrete key, the traced ``uint32[2]`` value inside a transformation.

    Raises
    ------
    TypeError
        `key` is neither a typed PRNG key nor a uint32 array.
    ValueError
        A batch of keys instead of one key, a legacy key not of shape ``(2,)``, or a key of an
        implementation whose data is not two words (``rbg``, ``unsafe_rbg``).
    """
    dtype = getattr(key, "dtype", None)
    shape = getattr(key, "shape", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        if shape != ():
            raise ValueError(f"key must be a single PRNG key, got a batch of keys of shape {shape}")
        words = jax.random.key_data(key)
        if words.shape != (2,):
            impl = jax.random.key_impl(key)
            raise ValueError(
                f"key must be a key of the threefry2x32 implementation (two uint32 "
                f"words of key data), got a key of {impl} with key data of shape "
                f"{words.shape}"
            )
        return words if is_traced(words) else np.asarray(words)
    if dtype is None or shape is None:
        raise TypeError(
            f"key must be a JAX PRNG key (jax.random.key) or a legacy uint32[2] key "
            f"(jax.random.PRNGKey), got {type(key).__name__}"
        )
    if np.dtype(dtype) != np.uint32:
        raise TypeError(
            f"key must be a JAX PRNG key (jax.random.key) or a legacy uint32[2] key "
            f"(jax.random.PRNGKey), got an array of dtype {np.dtype(dtype).name}"
        )
    if tuple(shape) != (2,):
        raise ValueError(
            f"key must be a single legacy key of shape (2,) (jax.random.PRNGKey), "
            f"got a uint32 array of shape {tuple(shape)}"
        )
    return key if is_traced(key) else np.asarray(key)


def seed_of_words(words: np.ndarray) -> int:
    """fastinit's seed for the key data ``(w0, w1)``: ``w0 << 32 | w1``."""
    w0, w1 = (int(w) for w in np.asarray(words, dtype=np.uint32).reshape(2))
    return (w0 << 32) | w1


def seed(key: Any) -> int:
    """The fastinit seed of a JAX key: what the initializers of :mod:`fastinit.jax` draw from.

    ``fastinit.jax.<init>(...)(key, shape)`` has the values of the NumPy scheme called with
    ``seed=fastinit.jax.seed(key)`` (an int: stream 0 of that seed), e.g.
    ``fastinit.jax.glorot_uniform()(key, shape)`` equals
    ``fastinit.xavier_uniform(np.empty(shape), in_axis=-2, out_axis=-1, seed=seed(key))``.

    Parameters
    ----------
    key : jax.Array
        A typed key (``jax.random.key``, threefry2x32, JAX's default implementation) or a legacy
        ``uint32[2]`` key (``jax.random.PRNGKey``); a NumPy ``uint32[2]`` array is taken too.
        It must be concrete (not traced inside ``jax.jit``: the initializers themselves work
        there).

    Returns
    -------
    int
        ``w0 << 32 | w1`` for the key data ``(w0, w1)``, in ``[0, 2**64)``. For
        ``jax.random.key(s)`` that is ``s % 2**64`` with ``jax_enable_x64`` and ``s % 2**32``
        without (so ``s`` itself for ``0 <= s < 2**32``). Typed and legacy keys with the same
        data give the same seed; different key data (split keys) give different seeds.

    Raises
    ------
    TypeError
        Not a key, or a traced key.
    ValueError
        A batch of keys, or a key implementation whose data is not two uint32 words.

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> fj.seed(jax.random.key(42)), fj.seed(jax.random.PRNGKey(42))
    (42, 42)
    """
    words = key_words(key)
    if is_traced(words):
        raise TypeError(
            "key must be concrete to compute its seed, got a traced key (inside "
            "jax.jit or another transformation); the initializers accept traced "
            "keys and pass the key data to the host themselves"
        )
    return seed_of_words(words)
