"""Seeds, streams and the global generator.

Every random fastinit scheme draws from one Philox4x32-10 stream identified by
``(seed, stream)`` (see ``docs/stream.md``): ``seed`` is in ``[0, 2**64)`` and
``stream`` in ``[0, 2**32)``. This module turns the user's ``seed=`` argument
into such a pair:

* an ``int`` is used as the seed with stream 0, so ``seed=42`` always gives the
  same values;
* a :class:`Generator` hands out its next unused stream, so successive calls
  with one generator give independent values;
* ``None`` uses the global generator (see :func:`manual_seed` and
  :func:`default_generator`), whose initial seed is 0: like PyTorch's fixed
  CPU default seed, a fresh process is reproducible by default.
"""

from __future__ import annotations

import threading
from typing import Any, Union

from .._input.values import integer, is_int

__all__ = [
    "Generator",
    "manual_seed",
    "default_generator",
    "resolve_seed",
    "check_seed",
    "check_stream",
]

_SEED_LIMIT = 2**64
_STREAM_LIMIT = 2**32


def check_seed(seed: object, name: str = "seed") -> int:
    return integer(seed, name, minimum=0, below=_SEED_LIMIT, below_text="2**64")


def check_stream(stream: object, name: str = "stream") -> int:
    return integer(stream, name, minimum=0, below=_STREAM_LIMIT, below_text="2**32")


class Generator:
    """A seed plus a thread-safe counter of the streams handed out so far.

    Passing a generator as ``seed=`` to a fastinit scheme makes the scheme
    draw from ``(gen.seed, s)`` where ``s`` is the generator's next unused
    stream; the generator then moves on to ``s + 1``. Two calls with the same
    generator therefore never share a stream, and a generator rebuilt with the
    same ``seed`` and ``stream`` replays the same sequence of calls.

    Parameters
    ----------
    seed : int
        The Philox key, an integer in ``[0, 2**64)``. Python and NumPy
        integers are accepted; ``bool`` and floats are not.
    stream : int, default 0
        The first stream to hand out, an integer in ``[0, 2**32)``.

    Raises
    ------
    TypeError
        If ``seed`` or ``stream`` is not an integer (``bool`` and ``float``
        included).
    ValueError
        If ``seed`` is outside ``[0, 2**64)`` or ``stream`` outside
        ``[0, 2**32)``.

    Notes
    -----
    :meth:`next_stream` is atomic (it holds a :class:`threading.Lock`), so one
    generator may be shared between threads: every stream is handed out at
    most once. Which thread gets which stream then depends on scheduling.

    A generator can be pickled and copied (:mod:`copy`); the copy continues
    from the same next stream as the original, so the two hand out the *same*
    streams from then on, just as a copied NumPy generator repeats numbers.

    Examples
    --------
    >>> gen = Generator(42)
    >>> gen.next_stream()
    (42, 0)
    >>> gen.next_stream()
    (42, 1)
    >>> gen
    fastinit.Generator(seed=42, stream=2)
    """

    __slots__ = ("_seed", "_stream", "_lock")

    def __init__(self, seed: int, stream: int = 0) -> None:
        self._seed = check_seed(seed, "seed")
        self._stream = check_stream(stream, "stream")
        self._lock = threading.Lock()

    @property
    def seed(self) -> int:
        """int: The seed (Philox key) of every stream this generator hands out."""
        return self._seed

    @property
    def stream(self) -> int:
        """int: The next stream :meth:`next_stream` will hand out.

        ``2**32`` once every stream has been handed out.
        """
        with self._lock:
            return self._stream

    def next_stream(self) -> tuple[int, int]:
        """Hand out the next unused stream and advance by one, atomically.

        Returns
        -------
        tuple of (int, int)
            ``(seed, stream)`` for the caller to draw from.

        Raises
        ------
        RuntimeError
            If all ``2**32`` streams of this seed have been handed out. The
            generator's state is left unchanged, so it keeps raising; create a
            new :class:`Generator` with another seed.

        Examples
        --------
        >>> gen = Generator(7, stream=2**32 - 1)
        >>> gen.next_stream()
        (7, 4294967295)
        >>> gen.next_stream()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
            ...
        RuntimeError: fastinit.Generator(seed=7) has handed out all 2**32 streams; ...
        """
        with self._lock:
            stream = self._stream
            if stream >= _STREAM_LIMIT:
                raise RuntimeError(
                    f"fastinit.Generator(seed={self._seed}) has handed out all 2**32 "
                    "streams; create a new Generator with a different seed"
                )
            self._stream = stream + 1
        return self._seed, stream

    def __repr__(self) -> str:
        return f"fastinit.Generator(seed={self._seed}, stream={self.stream})"

    # Pickling / copying: the lock itself cannot be pickled, so only the two
    # integers are saved and a fresh lock is made on unpickling.
    def __getstate__(self) -> dict[str, int]:
        with self._lock:
            return {"seed": self._seed, "stream": self._stream}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._seed = check_seed(state["seed"], "seed")
        stream = state["stream"]
        # An exhausted generator legitimately has stream == 2**32.
        if stream != _STREAM_LIMIT:
            stream = check_stream(stream, "stream")
        self._stream = int(stream)
        self._lock = threading.Lock()


_DEFAULT_SEED = 0
_default_lock = threading.Lock()
_default_generator = Generator(_DEFAULT_SEED)


def manual_seed(seed: int) -> Generator:
    """Reseed the global generator.

    Replaces the global generator with ``Generator(seed)``, so that the
    following ``seed=None`` calls draw from streams 0, 1, 2, ... of ``seed``.

    Parameters
    ----------
    seed : int
        The new global seed, an integer in ``[0, 2**64)``.

    Returns
    -------
    Generator
        The new global generator (also returned by :func:`default_generator`).

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (``bool`` and ``float`` included).
    ValueError
        If ``seed`` is outside ``[0, 2**64)``.

    Notes
    -----
    A new object replaces the old one: a reference to the previous global
    generator obtained from :func:`default_generator` keeps its own state and
    is no longer the global one.

    Examples
    --------
    >>> gen = manual_seed(123)
    >>> resolve_seed(None)
    (123, 0)
    >>> default_generator() is gen
    True
    """
    global _default_generator
    gen = Generator(seed)
    with _default_lock:
        _default_generator = gen
    return gen


def default_generator() -> Generator:
    """Return the global generator used when ``seed=None``.

    Its initial seed is 0, so a fresh process is reproducible by default (like
    PyTorch's fixed CPU default seed); call :func:`manual_seed` to change it.

    Returns
    -------
    Generator
        The current global generator.

    Examples
    --------
    >>> gen = manual_seed(5)
    >>> default_generator().seed
    5
    """
    with _default_lock:
        return _default_generator


def resolve_seed(seed: Union[int, Generator, None]) -> tuple[int, int]:
    """Turn a scheme's ``seed=`` argument into a ``(seed, stream)`` pair.

    Parameters
    ----------
    seed : int, Generator or None
        * an int in ``[0, 2**64)`` (Python or NumPy integer): ``(seed, 0)``;
        * a :class:`Generator`: its :meth:`Generator.next_stream`;
        * ``None``: the global generator's :meth:`Generator.next_stream`.

    Returns
    -------
    tuple of (int, int)
        ``(seed, stream)`` as Python ints, ``seed`` in ``[0, 2**64)`` and
        ``stream`` in ``[0, 2**32)``.

    Raises
    ------
    TypeError
        If ``seed`` is of any other type (``bool`` and ``float`` included).
    ValueError
        If ``seed`` is an integer outside ``[0, 2**64)``.
    RuntimeError
        If the generator used has handed out all its streams.

    Examples
    --------
    >>> resolve_seed(42)
    (42, 0)
    >>> gen = Generator(42, stream=5)
    >>> resolve_seed(gen), resolve_seed(gen)
    ((42, 5), (42, 6))
    """
    if seed is None:
        return default_generator().next_stream()
    if isinstance(seed, Generator):
        return seed.next_stream()
    if is_int(seed):
        return check_seed(seed, "seed"), 0
    kind = type(seed)
    top = kind.__module__.split(".")[0]
    got = kind.__qualname__ if top == "builtins" else f"{top}.{kind.__qualname__}"
    raise TypeError(f"seed must be an int, a fastinit.Generator or None, got {got}")
