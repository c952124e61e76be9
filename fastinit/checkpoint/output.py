"""The checkpoint file on disk: space reserved before anything is written, the bytes written
in order with ``pwrite``, made durable, and only then put in place of the destination
(docs/sharding.md, "Writing safely").

:class:`Output` is the whole protocol:

1. **A temporary file in the destination's directory.** Where the filesystem supports it
   (Linux, ``O_TMPFILE``: ext4, XFS, Btrfs, tmpfs, ...) the file has no name until it is
   complete, so nothing can be left behind, even by SIGKILL or a crash. Elsewhere it is named
   ``NAME.xxxxxxxx.partial`` (8 hex digits); its writer holds an ``flock`` on it for as long
   as it lives, and the next write of the same destination removes every such file whose lock
   is free (its writer is dead), never a live one.
2. **Space first.** The file's full size is allocated (``fallocate``) before the first byte is
   written; a disk that is too small, or a quota, fails at once with ``OSError`` (errno
   ENOSPC / EDQUOT) naming the file, the bytes needed and the bytes available. The raw system
   call is used where it can be: glibc's ``posix_fallocate`` silently emulates it on
   filesystems without it by writing one byte per block. A filesystem that cannot reserve
   (EOPNOTSUPP, EINVAL, ENOSYS: NFSv3, some FUSE filesystems) is checked against ``statvfs``
   instead, and every write's result is checked, so a short disk is still an ``OSError``.
   Nothing is ever written through a memory map, so a page the filesystem cannot back is an
   error return, never a SIGBUS.
3. **Written in order, in pieces.** ``pwrite`` of at most :data:`PIECE` bytes at a time;
   behind the writer, ``sync_file_range`` (Linux) sends what was written to the disk and waits
   for what is more than :data:`WINDOW` bytes behind, so at most about ``WINDOW`` bytes are
   ever waiting to reach the disk: the final ``fsync`` is short, a signal is handled between
   pieces, and the page cache is not flooded with a 100 GB checkpoint's dirty pages.
4. **Commit.** ``fsync`` the file, give it its temporary name (``O_TMPFILE``: ``linkat``),
   ``rename`` it over the destination, ``fsync`` the directory. Before the rename the
   destination is untouched; after the directory's fsync the new file is on disk under its
   name. :meth:`Output.discard` (any exception, ``KeyboardInterrupt`` included) leaves the
   directory as it was.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any, Optional

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locks, no clean-up of stale files
    fcntl = None  # type: ignore[assignment]

__all__ = ["Output", "PIECE", "WINDOW", "TEMP_SUFFIX", "temp_pattern"]

# The most bytes one system call writes, or waits for: what a signal may have to wait.
PIECE = 8 << 20
# The most bytes written but not yet on the disk (where sync_file_range exists).
WINDOW = 64 << 20
TEMP_SUFFIX = ".partial"
#: A discarded temporary file from this many bytes (reserved or written) is freed by a helper
#: process, after this one has gone on (see _close_later).
CLOSE_LATER_BYTES = 256 << 20
# O_TMPFILE first (Linux); False: always a named temporary file (tests set it).
_use_tmpfile = hasattr(os, "O_TMPFILE") and sys.platform.startswith("linux")

# errno values that mean "this filesystem cannot do that", not "it failed".
_UNSUPPORTED = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.ENOSYS}
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
# sync_file_range flags (linux/fs.h)
_WAIT_BEFORE, _WRITE, _WAIT_AFTER = 1, 2, 4


def temp_pattern(name: str) -> re.Pattern[str]:
    """The names this module gives temporary files of the destination `name`."""
    return re.compile(re.escape(name) + r"\.[0-9a-f]{8}" + re.escape(TEMP_SUFFIX))


# ---- the two Linux system calls Python's os module does not offer -----------------------------

_libc_functions: dict[str, Any] = {}


def _libc(name: str) -> Any:
    """fallocate(2) or sync_file_range(2) from the C library (64-bit offsets), or None."""
    if name not in _libc_functions:
        _libc_functions[name] = _load(name)
    return _libc_functions[name]


def _load(name: str) -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        lib = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load
        return None
    if name == "fallocate":  # fallocate(fd, mode, offset, len); off_t is 32-bit on some ABIs
        fn = getattr(lib, "fallocate64", None)
        if fn is None and ctypes.sizeof(ctypes.c_void_p) == 8:
            fn = getattr(lib, "fallocate", None)
        argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    else:  # sync_file_range(fd, offset, nbytes, flags): 64-bit offsets everywhere
        fn = getattr(lib, "sync_file_range", None)
        argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    if fn is not None:
        fn.argtypes = argtypes
        fn.restype = ctypes.c_int
    return fn


def _call(fn: Any, *args: int) -> int:
    """Call a C function returning 0 or -1 (the GIL released): 0, or its errno."""
    import ctypes

    return 0 if fn(*args) == 0 else ctypes.get_errno()


def _allocate(fd: int, size: int) -> int:
    """Allocate bytes [0, size) of `fd`: 0, or the errno. The raw system call where there is
    one (glibc's posix_fallocate emulates it, one write per block, where the filesystem
    cannot)."""
    fallocate = _libc("fallocate")
    if fallocate is not None:
        return _call(fallocate, fd, 0, 0, size)
    if hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as exc:
            return exc.errno or errno.EIO
        return 0
    return errno.EOPNOTSUPP  # pragma: no cover - no way to reserve here


def _sync_range(fd: int, offset: int, nbytes: int, flags: int) -> int:
    """sync_file_range: 0, or the errno (ENOSYS where there is none)."""
    fn = _libc("sync_file_range")
    return errno.ENOSYS if fn is None else _call(fn, fd, offset, nbytes, flags)


def _amount(n: int) -> str:
    unit, scale = ("GiB", 2**30) if n >= 2**30 else ("MiB", 2**20)
    return f"{n:,} bytes ({n / scale:.1f} {unit})"


class Output:
    """A file of `size` bytes that takes the place of `path` only when :meth:`commit` is called.

    Opening it removes stale temporary files of `path` (their writers are dead), creates the
    temporary file and reserves its space; :meth:`write` appends; :meth:`commit` makes it
    durable and renames it over `path`; :meth:`discard` removes it. Every ``OSError`` raised
    names `path` and keeps the system's errno (ENOSPC, EDQUOT, EACCES, ...).
    """

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size
        self.pos = 0  # bytes written so far (the file is written in order)
        self.reserved = False  # the whole size was allocated before writing
        self.temp: Optional[str] = None  # a name in the directory, while there is one
        self._fd = -1
        self._dir_fd = -1
        self._anonymous = False  # O_TMPFILE: no name until commit
        self._flushed = 0  # writeback started for bytes [0, _flushed)
        self._synced = 0  # bytes [0, _synced) are on the disk
        self._sync_file_range = True  # until the filesystem says it cannot
        try:
            self._open()
            self._reserve()
        except BaseException:
            self.discard()
            raise

    # ---- errors ----------------------------------------------------------------------------

    def _error(self, exc: OSError, doing: str) -> OSError:
        """`exc` again (the same errno, so the same OSError subclass) with a message naming
        the checkpoint; for a full disk or a quota, the bytes needed and available."""
        code = exc.errno or errno.EIO
        if code in _NO_SPACE:
            return OSError(code, self._space_message(code, doing))
        return OSError(code, f"cannot write {self.path}: {exc.strerror or exc} ({doing})")

    def _available(self) -> Optional[int]:
        """Bytes an unprivileged user may still allocate on the destination's filesystem."""
        try:
            st = os.fstatvfs(self._dir_fd) if self._dir_fd >= 0 else os.statvfs(self._dir())
        except OSError:
            return None
        return st.f_bavail * st.f_frsize

    def _space_message(self, code: int, doing: str) -> str:
        avail = self._available()
        what = "disk quota exceeded" if code == errno.EDQUOT else "not enough space"
        have = "an unknown amount" if avail is None else _amount(avail)
        msg = (
            f"{what} for {self.path}: the checkpoint needs {_amount(self.size)}, "
            f"{have} available in {self._dir()}"
        )
        if code == errno.EDQUOT:
            msg += " (free on the filesystem: the quota allows less)"
        if not self.reserved and doing != "reserving space":  # the fallback of _reserve
            msg += f" (this filesystem cannot reserve space in advance; {doing})"
        elif doing != "reserving space":
            msg += f" ({doing})"
        try:
            old = os.stat(self.path.name, dir_fd=self._dir_fd)
        except OSError:
            old = None
        if old is not None and stat.S_ISREG(old.st_mode) and old.st_size:
            msg += (
                f"; the existing {self.path.name} ({_amount(old.st_size)}) is replaced "
                f"only once the new file is complete, so both must fit"
            )
        return msg

    def _dir(self) -> Path:
        return self.path.parent

    # ---- opening ---------------------------------------------------------------------------

    def _open(self) -> None:
        name = self.path.name
        try:
            self._dir_fd = os.open(self._dir(), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise self._error(exc, f"opening its directory {self._dir()}") from exc
        try:
            old = os.stat(name, dir_fd=self._dir_fd)
        except OSError:
            old = None
        if old is not None and stat.S_ISDIR(old.st_mode):
            raise IsADirectoryError(errno.EISDIR, f"cannot write {self.path}: it is a directory")
        if old is not None and not stat.S_ISREG(old.st_mode):  # a device, a FIFO: never replaced
            raise OSError(errno.EINVAL, f"cannot write {self.path}: it is not a regular file")
        remove_stale(self._dir_fd, name)
        try:
            self._fd = self._create()
        except OSError as exc:
            raise self._error(exc, "creating a temporary file in its directory") from exc

    def _create(self) -> int:
        flags = os.O_RDWR | os.O_CLOEXEC
        if _use_tmpfile:
            try:
                fd = os.open(".", flags | os.O_TMPFILE, 0o666, dir_fd=self._dir_fd)
            except OSError as exc:  # not on this filesystem (EISDIR: not in this kernel)
                if exc.errno not in _UNSUPPORTED | {errno.EISDIR}:
                    raise
            else:
                # commit() names it through /proc (linkat): check now, not after the writing
                if os.path.exists(f"/proc/self/fd/{fd}"):
                    _lock(fd)
                    self._anonymous = True
                    return fd
                os.close(fd)
        for _ in range(100):
            name = self._temp_name()
            try:
                fd = os.open(name, flags | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=self._dir_fd)
            except FileExistsError:
                continue
            _lock(fd)  # waits only while another run checks whether it is stale
            if _same_file(fd, name, self._dir_fd):
                self.temp = name
                return fd
            os.close(fd)  # removed as stale before it was locked: take another name
        raise FileExistsError(errno.EEXIST, "no free temporary name")  # pragma: no cover

    def _temp_name(self) -> str:
        return f"{self.path.name}.{os.urandom(4).hex()}{TEMP_SUFFIX}"

    def _reserve(self) -> None:
        while True:
            code = _allocate(self._fd, self.size)
            if code != errno.EINTR:  # (a Python signal handler runs as the loop goes round)
                break
        if code == 0:
            self.reserved = True
            return
        if code not in _UNSUPPORTED:
            raise self._error(OSError(code, os.strerror(code)), "reserving space")
        # This filesystem cannot reserve: what statvfs reports free must do (then every write
        # is checked).
        avail = self._available()
        if avail is not None and avail < self.size:
            raise OSError(errno.ENOSPC, self._space_message(errno.ENOSPC, "checked with statvfs"))

    # ---- writing ---------------------------------------------------------------------------

    def write(self, data: Any) -> None:
        """Append `data` (bytes, or a contiguous buffer such as a NumPy array's memory)."""
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            try:
                n = os.pwrite(self._fd, view[done : done + PIECE], self.pos)
            except OSError as exc:
                raise self._error(exc, f"writing, after {self.pos:,} bytes") from exc
            if n <= 0:  # pragma: no cover - a regular file never returns 0 for a non-empty write
                raise self._error(OSError(errno.EIO, "write returned 0"), "writing")
            done += n
            self.pos += n
            self._write_behind()

    def _write_behind(self) -> None:
        """Start the disk writes of what was just written; wait for what is more than
        WINDOW bytes behind (PIECE bytes at a time, so signals are handled in between)."""
        if not self._sync_file_range:
            return
        if not self._sync(self._flushed, self.pos - self._flushed, _WRITE):
            return
        self._flushed = self.pos
        while self.pos - self._synced > WINDOW:
            n = min(PIECE, self.pos - WINDOW - self._synced)
            if not self._sync(self._synced, n, _WAIT_BEFORE | _WRITE | _WAIT_AFTER):
                return
            self._synced += n

    def _sync(self, offset: int, nbytes: int, flags: int) -> bool:
        while True:
            code = _sync_range(self._fd, offset, nbytes, flags)
            if code != errno.EINTR:
                break
        if code == 0:
            return True
        if code in _UNSUPPORTED | {errno.ESPIPE}:
            self._sync_file_range = False  # fsync at the end does it all
            return False
        raise self._error(OSError(code, os.strerror(code)), "writing to disk")

    # ---- commit or discard -----------------------------------------------------------------

    def commit(self) -> None:
        """fsync the file, rename it over the destination, fsync the directory."""
        if self.pos != self.size:
            raise RuntimeError(f"{self.path}: wrote {self.pos} of {self.size} bytes")
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise self._error(exc, "syncing the file to disk") from exc
        try:
            if self._anonymous:
                self._link()
            assert self.temp is not None
            os.replace(self.temp, self.path.name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
        except OSError as exc:
            raise self._error(exc, "renaming the complete file into place") from exc
        self.temp = None
        try:
            os.fsync(self._dir_fd)
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:  # some filesystems cannot sync a directory
                raise self._error(exc, "syncing the directory to disk") from exc
        self._close()

    def _link(self) -> None:
        """Give the O_TMPFILE file a temporary name (it is then renamed over the
        destination: linkat cannot replace a file)."""
        for _ in range(100):
            name = self._temp_name()
            try:
                os.link(
                    f"/proc/self/fd/{self._fd}", name, dst_dir_fd=self._dir_fd, follow_symlinks=True
                )
            except FileExistsError:
                continue
            self.temp = name
            return
        raise FileExistsError(errno.EEXIST, "no free temporary name")  # pragma: no cover

    def discard(self) -> None:
        """Remove the temporary file (an O_TMPFILE one vanishes when closed); never raises.

        The kernel frees a file's blocks when its name is gone and its last descriptor is
        closed: about 0.1 to 0.25 s per GiB here, which would keep an interrupted ``fastinit
        init`` from exiting within 0.5 s. For a large file the last descriptor goes to a helper
        process (_close_later), which frees it after this process has moved on."""
        if self.temp is not None and self._dir_fd >= 0:
            try:
                os.unlink(self.temp, dir_fd=self._dir_fd)
            except OSError:
                pass
            self.temp = None
        if self._fd >= 0 and max(self.pos, self.size if self.reserved else 0) >= CLOSE_LATER_BYTES:
            _close_later(self._fd)
        self._close()

    def _close(self) -> None:
        for attr in ("_fd", "_dir_fd"):
            fd = getattr(self, attr)
            if fd >= 0:
                setattr(self, attr, -1)
                try:
                    os.close(fd)
                except OSError:
                    pass


_helpers: list[int] = []  # pids of _close_later's helpers, reaped when they are done


def _close_later(fd: int) -> bool:
    """Give a copy of `fd` to a short-lived ``sleep`` process in its own session: when this
    process closes its own copy, the helper's is the last one, and the kernel frees the file's
    blocks when the helper exits, 2 s later, instead of during this process's close or exit.
    The helper gets that one descriptor (as fd 3) and /dev/null; finished helpers are reaped
    on the next call. False (and nothing else happens) where none can be started."""
    for pid in list(_helpers):
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                _helpers.remove(pid)
        except ChildProcessError:
            _helpers.remove(pid)
    spawn = getattr(os, "posix_spawnp", None)
    if spawn is None:
        return False
    try:
        pid = spawn(
            "sleep",
            ["sleep", "2"],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, fd, 3),
            ],
            setsid=True,
        )
    except OSError:
        return False
    _helpers.append(pid)
    return True


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _same_file(fd: int, name: str, dir_fd: int) -> bool:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def remove_stale(dir_fd: int, name: str) -> list[str]:
    """Remove the temporary files of destination `name` left by dead writers (killed, or a
    crashed machine): those named by :func:`temp_pattern` whose ``flock`` is free. A live
    writer holds its lock, so its file is kept. Best effort; returns the names removed."""
    if fcntl is None:  # pragma: no cover - no locks: no way to tell a live writer
        return []
    pattern = temp_pattern(name)
    removed = []
    try:
        entries = [e.name for e in os.scandir(dir_fd) if pattern.fullmatch(e.name)]
    except OSError:
        return []
    for entry in entries:
        try:
            fd = os.open(
                entry, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd
            )
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if stat.S_ISREG(os.fstat(fd).st_mode) and _same_file(fd, entry, dir_fd):
                os.unlink(entry, dir_fd=dir_fd)
                removed.append(entry)
        except OSError:  # locked: a live writer's (or it went away meanwhile)
            pass
        finally:
            os.close(fd)
    return removed
