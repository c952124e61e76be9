"""Tests for fastinit._random.generator: Generator, the global generator, resolve_seed."""

from __future__ import annotations

import copy
import pickle
import re
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest

from fastinit._random import generator as _generator
from fastinit._random.generator import Generator, default_generator, manual_seed, resolve_seed

SEED_RANGE = "seed must be in [0, 2**64), got "
STREAM_RANGE = "stream must be in [0, 2**32), got "


@pytest.fixture(autouse=True)
def _restore_global_generator():
    """Leave the global generator as each test found it."""
    saved = _generator._default_generator
    yield
    _generator._default_generator = saved


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


# ------------------------------------------------------------------------------------------
# Construction and validation


@pytest.mark.parametrize(
    "seed",
    [0, 1, 42, 2**32 - 1, 2**32, 2**63, 2**64 - 1, np.int64(7), np.uint64(2**64 - 1), np.uint8(3)],
)
def test_generator_valid_seeds(seed):
    gen = Generator(seed)
    assert gen.seed == int(seed)
    assert type(gen.seed) is int
    assert gen.stream == 0
    assert type(gen.stream) is int


@pytest.mark.parametrize("stream", [0, 1, 2**31, 2**32 - 1, np.uint32(2**32 - 1), np.int16(5)])
def test_generator_valid_streams(stream):
    gen = Generator(3, stream)
    assert gen.stream == int(stream)
    assert type(gen.stream) is int
    assert Generator(3, stream=stream).stream == int(stream)


@pytest.mark.parametrize(
    "seed, name",
    [
        (True, "bool"),
        (False, "bool"),
        (np.bool_(True), "bool"),
        (1.0, "float"),
        (np.float64(1.0), "float64"),
        ("1", "str"),
        (None, "NoneType"),
        ([1], "list"),
    ],
)
def test_generator_bad_seed_type(seed, name):
    with pytest.raises(TypeError, match=exact(f"seed must be an int, got {name}")):
        Generator(seed)
    with pytest.raises(TypeError, match=exact(f"seed must be an int, got {name}")):
        manual_seed(seed)


@pytest.mark.parametrize("seed", [-1, -(2**64), 2**64, 2**100, np.int64(-5)])
def test_generator_seed_out_of_range(seed):
    with pytest.raises(ValueError, match=exact(SEED_RANGE + str(int(seed)))):
        Generator(seed)
    with pytest.raises(ValueError, match=exact(SEED_RANGE + str(int(seed)))):
        manual_seed(seed)


@pytest.mark.parametrize(
    "stream, name", [(True, "bool"), (0.0, "float"), ("0", "str"), (None, "NoneType")]
)
def test_generator_bad_stream_type(stream, name):
    with pytest.raises(TypeError, match=exact(f"stream must be an int, got {name}")):
        Generator(1, stream)


@pytest.mark.parametrize("stream", [-1, 2**32, 2**64, np.int64(-3)])
def test_generator_stream_out_of_range(stream):
    with pytest.raises(ValueError, match=exact(STREAM_RANGE + str(int(stream)))):
        Generator(1, stream=stream)


def test_generator_seed_checked_before_stream():
    with pytest.raises(ValueError, match="^seed must be"):
        Generator(-1, -1)


def test_generator_properties_are_read_only():
    gen = Generator(5)
    with pytest.raises(AttributeError):
        gen.seed = 6  # type: ignore[misc]
    with pytest.raises(AttributeError):
        gen.stream = 6  # type: ignore[misc]


# ------------------------------------------------------------------------------------------
# next_stream


def test_next_stream_sequence():
    gen = Generator(42)
    assert [gen.next_stream() for _ in range(5)] == [(42, s) for s in range(5)]
    assert gen.stream == 5
    assert gen.seed == 42
    seed, stream = Generator(np.uint64(2**64 - 1), np.uint32(9)).next_stream()
    assert (seed, stream) == (2**64 - 1, 9)
    assert type(seed) is int and type(stream) is int


def test_next_stream_replay():
    a, b = Generator(9, 100), Generator(9, 100)
    assert [a.next_stream() for _ in range(10)] == [b.next_stream() for _ in range(10)]


def test_next_stream_exhaustion():
    gen = Generator(7, stream=2**32 - 2)
    assert gen.next_stream() == (7, 2**32 - 2)
    assert gen.next_stream() == (7, 2**32 - 1)
    assert gen.stream == 2**32
    message = (
        "fastinit.Generator(seed=7) has handed out all 2**32 streams; create a new "
        "Generator with a different seed"
    )
    for _ in range(3):  # keeps raising, state unchanged
        with pytest.raises(RuntimeError, match=exact(message)):
            gen.next_stream()
        assert gen.stream == 2**32
    assert repr(gen) == "fastinit.Generator(seed=7, stream=4294967296)"


# ------------------------------------------------------------------------------------------
# Thread safety


@pytest.fixture
def fast_switching():
    """Make the interpreter switch threads as often as possible."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _hammer(gen: Generator, n_threads: int, per_thread: int) -> tuple[list, list]:
    barrier = threading.Barrier(n_threads)
    results: list[list[tuple[int, int]]] = [[] for _ in range(n_threads)]
    errors: list[list[BaseException]] = [[] for _ in range(n_threads)]

    def work(i: int) -> None:
        barrier.wait()
        out, err = results[i], errors[i]
        for _ in range(per_thread):
            try:
                out.append(gen.next_stream())
            except RuntimeError as exc:
                err.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for rs in results for r in rs], [e for es in errors for e in es]


def test_next_stream_thread_safe(fast_switching):
    gen = Generator(123, stream=1000)
    n_threads, per_thread = 16, 2000
    got, errors = _hammer(gen, n_threads, per_thread)
    assert not errors
    assert len(got) == n_threads * per_thread
    assert {seed for seed, _ in got} == {123}
    streams = sorted(stream for _, stream in got)
    # All distinct and contiguous: exactly 1000, 1001, ..., 1000 + N - 1.
    assert streams == list(range(1000, 1000 + n_threads * per_thread))
    assert gen.stream == 1000 + n_threads * per_thread


def test_next_stream_thread_safe_at_exhaustion(fast_switching):
    # 8 threads x 50 attempts for only 100 remaining streams: exactly 100 succeed.
    start = 2**32 - 100
    gen = Generator(1, stream=start)
    got, errors = _hammer(gen, 8, 50)
    assert sorted(s for _, s in got) == list(range(start, 2**32))
    assert len(errors) == 8 * 50 - 100
    assert all(isinstance(e, RuntimeError) for e in errors)
    assert gen.stream == 2**32


def test_global_generator_thread_safe(fast_switching):
    manual_seed(77)
    n_threads, per_thread = 8, 500
    barrier = threading.Barrier(n_threads)
    got: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        mine = [resolve_seed(None) for _ in range(per_thread)]
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [(77, s) for s in range(n_threads * per_thread)]


# ------------------------------------------------------------------------------------------
# repr, pickling, copying


def test_repr():
    assert repr(Generator(42)) == "fastinit.Generator(seed=42, stream=0)"
    gen = Generator(2**64 - 1, 5)
    assert repr(gen) == f"fastinit.Generator(seed={2**64 - 1}, stream=5)"
    gen.next_stream()
    assert repr(gen) == f"fastinit.Generator(seed={2**64 - 1}, stream=6)"
    assert repr(Generator(np.int64(3), np.int32(4))) == "fastinit.Generator(seed=3, stream=4)"
    assert str(Generator(1)) == repr(Generator(1))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_roundtrip(protocol):
    gen = Generator(2**64 - 1, 10)
    gen.next_stream()
    clone = pickle.loads(pickle.dumps(gen, protocol=protocol))
    assert type(clone) is Generator
    assert clone is not gen
    assert (clone.seed, clone.stream) == (2**64 - 1, 11)
    # The clone continues where the original was, with a lock of its own.
    assert clone.next_stream() == (2**64 - 1, 11)
    assert gen.stream == 11
    assert clone.stream == 12
    assert clone._lock is not gen._lock


def test_pickle_exhausted_generator():
    gen = Generator(3, 2**32 - 1)
    gen.next_stream()
    clone = pickle.loads(pickle.dumps(gen))
    assert clone.stream == 2**32
    with pytest.raises(RuntimeError, match="handed out all 2\\*\\*32 streams"):
        clone.next_stream()


def test_pickle_state_is_validated():
    gen = Generator(3)
    with pytest.raises(ValueError, match=exact(STREAM_RANGE + "-1")):
        gen.__setstate__({"seed": 3, "stream": -1})
    with pytest.raises(ValueError, match=exact(SEED_RANGE + str(2**64))):
        gen.__setstate__({"seed": 2**64, "stream": 0})


def test_copy_and_deepcopy():
    gen = Generator(8, 4)
    for clone in (copy.copy(gen), copy.deepcopy(gen)):
        assert clone is not gen
        assert (clone.seed, clone.stream) == (8, 4)
        assert clone.next_stream() == (8, 4)
        clone.next_stream()
    assert gen.stream == 4  # the original is unaffected by its copies


# ------------------------------------------------------------------------------------------
# Global generator


def test_global_generator_initial_seed_is_zero():
    # A fresh process: the global generator starts at seed 0, stream 0.
    code = (
        "from fastinit._random.generator import default_generator, resolve_seed\n"
        "gen = default_generator()\n"
        "print(gen.seed, gen.stream, resolve_seed(None), resolve_seed(None))\n"
    )
    # Run outside the source tree so the child imports the installed package.
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    ).stdout
    assert out.strip() == "0 0 (0, 0) (0, 1)"


def test_manual_seed_replaces_global_generator():
    old = default_generator()
    gen = manual_seed(123)
    assert isinstance(gen, Generator)
    assert default_generator() is gen
    assert gen is not old
    assert (gen.seed, gen.stream) == (123, 0)
    assert resolve_seed(None) == (123, 0)
    assert resolve_seed(None) == (123, 1)
    assert gen.stream == 2
    # Reseeding restarts the streams.
    manual_seed(123)
    assert resolve_seed(None) == (123, 0)
    assert manual_seed(np.uint64(2**64 - 1)).seed == 2**64 - 1


def test_manual_seed_reproducible_sequence():
    manual_seed(5)
    first = [resolve_seed(None) for _ in range(4)]
    manual_seed(5)
    assert [resolve_seed(None) for _ in range(4)] == first == [(5, s) for s in range(4)]


# ------------------------------------------------------------------------------------------
# resolve_seed


@pytest.mark.parametrize("seed", [0, 1, 42, 2**64 - 1, np.int64(9), np.uint64(2**64 - 1)])
def test_resolve_seed_int(seed):
    result = resolve_seed(seed)
    assert result == (int(seed), 0)
    assert all(type(v) is int for v in result)
    assert resolve_seed(seed) == result  # ints never advance anything


def test_resolve_seed_int_does_not_touch_global():
    gen = manual_seed(11)
    resolve_seed(3)
    assert gen.stream == 0


def test_resolve_seed_generator():
    gen = Generator(42, stream=5)
    assert resolve_seed(gen) == (42, 5)
    assert resolve_seed(gen) == (42, 6)
    assert gen.stream == 7


def test_resolve_seed_none_uses_default():
    gen = manual_seed(99)
    assert resolve_seed(None) == (99, 0)
    assert default_generator().stream == 1
    assert gen.stream == 1


@pytest.mark.parametrize("seed", [-1, 2**64, np.int64(-1)])
def test_resolve_seed_int_out_of_range(seed):
    with pytest.raises(ValueError, match=exact(SEED_RANGE + str(int(seed)))):
        resolve_seed(seed)


@pytest.mark.parametrize(
    "seed, name",
    [
        ("42", "str"),
        (1.0, "float"),
        (np.float32(1.0), "numpy.float32"),  # other libraries' types: with the package
        (True, "bool"),
        (np.bool_(False), "numpy." + type(np.bool_(False)).__name__),  # "bool" in NumPy 2
        ([1, 2], "list"),
        ((42, 0), "tuple"),
        (np.random.default_rng(0), "numpy.Generator"),
    ],
)
def test_resolve_seed_bad_type(seed, name):
    message = f"seed must be an int, a fastinit.Generator or None, got {name}"
    with pytest.raises(TypeError, match=exact(message)):
        resolve_seed(seed)


def test_resolve_seed_exhausted_generator():
    gen = Generator(2, 2**32 - 1)
    assert resolve_seed(gen) == (2, 2**32 - 1)
    with pytest.raises(RuntimeError, match="has handed out all"):
        resolve_seed(gen)
