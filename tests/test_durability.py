"""Checkpoints that cannot be lost (issue 18): space reserved before writing (a disk too small
is an ENOSPC error, never a SIGBUS or a partial file), durable commits (fsync the file, rename,
fsync the directory), and a killed writer (SIGKILL) that leaves the old file intact and at most
a recognizable temporary file, which the next run removes. Interrupts (SIGINT / SIGTERM) are in
tests/test_interrupt.py.

The full-disk tests mount a 20 MiB tmpfs (Linux, as root); elsewhere they skip, unless
FASTINIT_REQUIRE_TMPFS=1 (CI), where a tmpfs that cannot be mounted fails them.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from fastinit.checkpoint import init_checkpoint
from fastinit.checkpoint import output as ck_output

TMPFS_MIB = 20
# 32 MiB of tensor data: does not fit in the tmpfs
TOO_BIG = {
    "seed": 0,
    "tensors": [
        {
            "repeat": 4,
            "tensors": [
                {"name": "w{i}", "shape": [1024, 2048], "scheme": "normal", "params": {"std": 0.02}}
            ],
        }
    ],
}
# 4 MiB: fits
FITS = {
    "seed": 0,
    "tensors": [
        {"name": "w", "shape": [1024, 1024], "scheme": "xavier_uniform"},
        {"name": "b", "shape": [1024], "scheme": "zeros"},
    ],
}
OLD = b"the previous checkpoint\n" * 1000


def _unavailable(reason: str) -> None:
    if os.environ.get("FASTINIT_REQUIRE_TMPFS") == "1":
        pytest.fail(f"FASTINIT_REQUIRE_TMPFS=1, but {reason}")
    pytest.skip(reason)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 20 MiB tmpfs mounted for this test, unmounted after it."""
    if not sys.platform.startswith("linux"):
        _unavailable("mounting a tmpfs needs Linux")
    if os.geteuid() != 0:
        _unavailable("mounting a tmpfs needs root")
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if not mount or not umount:
        _unavailable("no mount / umount command")
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    r = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={TMPFS_MIB}m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        _unavailable(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        if subprocess.run([umount, str(mnt)], capture_output=True).returncode != 0:
            subprocess.run([umount, "-l", str(mnt)], capture_output=True)  # busy: detach


@pytest.fixture(params=["unnamed", "named"])
def temp_kind(request, monkeypatch, tmp_path):
    """Both kinds of temporary file: O_TMPFILE (unnamed until complete) where the filesystem
    of tmp_path has it, and the named NAME.xxxxxxxx.partial of other filesystems."""
    if request.param == "unnamed":
        if not _tmpfile_works(tmp_path):
            pytest.skip("no O_TMPFILE on this filesystem")
    else:
        monkeypatch.setattr(ck_output, "_use_tmpfile", False)
    return request.param


def _tmpfile_works(directory) -> bool:
    if not hasattr(os, "O_TMPFILE"):
        return False
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600)
    except OSError:
        return False
    os.close(fd)
    return True


def _size(spec, tmp_path) -> int:
    """The file size of `spec` written where there is room."""
    path = tmp_path / "reference.safetensors"
    init_checkpoint(spec, path)
    size = path.stat().st_size
    path.unlink()
    return size


def _available(directory) -> int:
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


# ---- space first: a checkpoint that does not fit -------------------------------------------------


def test_api_full_disk_raises_enospc_and_leaves_the_old_file(small_tmpfs, tmp_path, temp_kind):
    needed = _size(TOO_BIG, tmp_path)
    dest = small_tmpfs / "model.safetensors"
    dest.write_bytes(OLD)
    with pytest.raises(OSError) as info:
        init_checkpoint(TOO_BIG, dest)
    exc = info.value
    assert exc.errno == errno.ENOSPC
    msg = str(exc)
    assert f"not enough space for {dest}: the checkpoint needs {needed:,} bytes" in msg
    assert f"{_available(small_tmpfs):,} bytes" in msg and f"available in {small_tmpfs}" in msg
    assert "the existing model.safetensors" in msg  # it stays until the new one is complete
    assert os.listdir(small_tmpfs) == ["model.safetensors"]
    assert dest.read_bytes() == OLD
    assert _available(small_tmpfs) > TMPFS_MIB * 2**20 * 0.9  # the reservation was released


def test_cli_full_disk_exits_1_with_one_line_never_a_signal(small_tmpfs, tmp_path):
    # Before issue 18 this was SIGBUS (exit -7): the file was a sparse memory map.
    spec = tmp_path / "big.json"
    spec.write_text(json.dumps(TOO_BIG))
    dest = small_tmpfs / "model.safetensors"
    dest.write_bytes(OLD)
    r = subprocess.run(
        [sys.executable, "-m", "fastinit", "init", str(spec), "-o", str(dest), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(
        f"fastinit init: error: not enough space for {dest}: the "
        f"checkpoint needs {_size(TOO_BIG, tmp_path):,} bytes"
    )
    assert "available in" in lines[0] and r.stdout == ""
    assert os.listdir(small_tmpfs) == ["model.safetensors"]
    assert dest.read_bytes() == OLD


def test_a_checkpoint_that_fits_replaces_the_old_file(small_tmpfs, tmp_path, temp_kind):
    dest = small_tmpfs / "model.safetensors"
    dest.write_bytes(OLD)
    init_checkpoint(FITS, dest)
    reference = tmp_path / "ref.safetensors"
    init_checkpoint(FITS, reference)
    assert dest.read_bytes() == reference.read_bytes()
    assert os.listdir(small_tmpfs) == ["model.safetensors"]


@pytest.mark.parametrize("code", [errno.EOPNOTSUPP, errno.EINVAL])
def test_without_fallocate_statvfs_refuses_before_writing(
    small_tmpfs, monkeypatch, temp_kind, code
):
    monkeypatch.setattr(ck_output, "_allocate", lambda fd, size: code)
    dest = small_tmpfs / "model.safetensors"
    dest.write_bytes(OLD)
    with pytest.raises(OSError) as info:
        init_checkpoint(TOO_BIG, dest)
    assert info.value.errno == errno.ENOSPC
    assert "this filesystem cannot reserve space in advance; checked with statvfs" in str(
        info.value
    )
    assert os.listdir(small_tmpfs) == ["model.safetensors"]
    assert dest.read_bytes() == OLD


def test_without_fallocate_every_write_is_checked(small_tmpfs, monkeypatch, temp_kind):
    # statvfs says there is room (as a server's quota may), fallocate is unsupported: the
    # writes themselves fail, with ENOSPC and the same message, nothing left behind.
    monkeypatch.setattr(ck_output, "_allocate", lambda fd, size: errno.EOPNOTSUPP)
    monkeypatch.setattr(ck_output.Output, "_available", lambda self: 2**40)
    dest = small_tmpfs / "model.safetensors"
    dest.write_bytes(OLD)
    with pytest.raises(OSError) as info:
        init_checkpoint(TOO_BIG, dest, chunk_bytes=1 << 20)
    msg = str(info.value)
    assert info.value.errno == errno.ENOSPC
    assert f"not enough space for {dest}" in msg
    assert "this filesystem cannot reserve space in advance; writing, after " in msg
    assert os.listdir(small_tmpfs) == ["model.safetensors"]
    assert dest.read_bytes() == OLD


def test_a_quota_is_reported_as_such(tmp_path, monkeypatch, temp_kind):
    monkeypatch.setattr(ck_output, "_allocate", lambda fd, size: errno.EDQUOT)
    dest = tmp_path / "model.safetensors"
    with pytest.raises(OSError) as info:
        init_checkpoint(FITS, dest)
    assert info.value.errno == errno.EDQUOT
    assert f"disk quota exceeded for {dest}: the checkpoint needs" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_real_fallocate_reserves_the_whole_file(tmp_path, monkeypatch):
    calls = []
    real = ck_output._allocate
    monkeypatch.setattr(
        ck_output, "_allocate", lambda fd, size: calls.append(size) or real(fd, size)
    )
    dest = tmp_path / "m.safetensors"
    init_checkpoint(FITS, dest)
    assert calls == [dest.stat().st_size]
    # and the blocks are there: not a sparse file
    assert dest.stat().st_blocks * 512 >= dest.stat().st_size


def test_bad_destinations_are_clear_errors(tmp_path):
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError, match=r"cannot write .*adir: it is a directory"):
        init_checkpoint(FITS, tmp_path / "adir")
    with pytest.raises(FileNotFoundError, match=r"cannot write .*missing/m.safetensors: No such"):
        init_checkpoint(FITS, tmp_path / "missing" / "m.safetensors")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OSError, match=r"cannot write .*fifo: it is not a regular file"):
        init_checkpoint(FITS, tmp_path / "fifo")
    assert sorted(os.listdir(tmp_path)) == ["adir", "fifo"] and os.listdir(tmp_path / "adir") == []


# ---- durable: fsync the file, rename, fsync the directory --------------------------------------


def test_file_fsynced_before_the_rename_and_directory_after(tmp_path, monkeypatch, temp_kind):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        st = os.fstat(fd)
        events.append(("fsync", "dir" if stat.S_ISDIR(st.st_mode) else "file", st.st_ino))
        real_fsync(fd)

    def replace(src, dst, **kw):
        events.append(("rename", src, dst))
        real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    dest = tmp_path / "m.safetensors"
    init_checkpoint(FITS, dest)
    assert [e[0] for e in events] == ["fsync", "rename", "fsync"]
    assert events[0] == ("fsync", "file", dest.stat().st_ino)  # the data, before the name
    assert ck_output.temp_pattern("m.safetensors").fullmatch(events[1][1])
    assert events[1][2] == "m.safetensors"
    assert events[2] == ("fsync", "dir", tmp_path.stat().st_ino)  # the name, after the rename
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_writeback_is_bounded_while_writing(tmp_path, monkeypatch):
    # sync_file_range waits for what is more than WINDOW bytes behind the writer
    if ck_output._libc("sync_file_range") is None:
        pytest.skip("no sync_file_range here")
    monkeypatch.setattr(ck_output, "WINDOW", 1 << 20)
    monkeypatch.setattr(ck_output, "PIECE", 256 << 10)
    waits = []
    real = ck_output._sync_range

    def sync_range(fd, offset, nbytes, flags):
        if flags & 4:  # SYNC_FILE_RANGE_WAIT_AFTER
            waits.append((offset, nbytes))
        return real(fd, offset, nbytes, flags)

    monkeypatch.setattr(ck_output, "_sync_range", sync_range)
    init_checkpoint(FITS, tmp_path / "m.safetensors")
    size = (tmp_path / "m.safetensors").stat().st_size
    assert waits and waits[0][0] == 0 and all(n <= 256 << 10 for _, n in waits)
    assert sum(n for _, n in waits) >= size - (1 << 20) - (256 << 10)  # all but the window


# ---- a killed writer --------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time
    from fastinit.checkpoint import init_checkpoint
    from fastinit.checkpoint import output
    output._use_tmpfile = {unnamed}
    def progress(done, total, label):
        if done:
            print("writing", flush=True)
            time.sleep(600)  # mid-write until killed
    init_checkpoint({spec!r}, {dest!r}, progress=progress, chunk_bytes=1 << 20)
""")


def _start_writer(dest, unnamed: bool) -> subprocess.Popen:
    code = WRITER.format(unnamed=unnamed, spec=FITS, dest=str(dest))
    p = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=dest.parent
    )
    assert p.stdout.readline().strip() == "writing"
    return p


def test_sigkill_mid_write_keeps_the_old_file(tmp_path, temp_kind):
    dest = tmp_path / "m.safetensors"
    dest.write_bytes(OLD)
    p = _start_writer(dest, temp_kind == "unnamed")
    p.send_signal(signal.SIGKILL)
    assert p.wait(timeout=60) == -signal.SIGKILL
    p.stdout.close()
    assert dest.read_bytes() == OLD
    left = sorted(set(os.listdir(tmp_path)) - {"m.safetensors"})
    if temp_kind == "unnamed":
        assert left == []  # an O_TMPFILE file has no name until it is complete
    else:  # one, under a name that says what it is; the next run removes it
        assert len(left) == 1 and ck_output.temp_pattern("m.safetensors").fullmatch(left[0])
    init_checkpoint(FITS, dest)
    assert os.listdir(tmp_path) == ["m.safetensors"]
    reference = tmp_path.parent / f"{tmp_path.name}-ref.safetensors"
    init_checkpoint(FITS, reference)
    assert dest.read_bytes() == reference.read_bytes()
    reference.unlink()


def test_a_live_writers_temporary_file_is_never_removed(tmp_path):
    dest = tmp_path / "m.safetensors"
    p = _start_writer(dest, unnamed=False)
    try:
        (theirs,) = os.listdir(tmp_path)
        init_checkpoint(FITS, dest)  # another run, same destination, while the first writes
        assert sorted(os.listdir(tmp_path)) == sorted([theirs, "m.safetensors"])
    finally:
        p.kill()
        p.wait(timeout=60)
        p.stdout.close()
    init_checkpoint(FITS, dest)  # its writer is dead now: removed
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_only_this_destinations_temporary_files_are_removed(tmp_path):
    keep = [
        "other.safetensors.0123abcd.partial",
        "m.safetensors.0123abcd.partial.bak",
        "m.safetensors.xyz.partial",
        "m.safetensors.partial",
    ]
    for name in keep:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "m.safetensors.89abcdef.partial").write_bytes(b"stale")  # unlocked: stale
    init_checkpoint(FITS, tmp_path / "m.safetensors")
    assert sorted(os.listdir(tmp_path)) == sorted(keep + ["m.safetensors"])


@pytest.mark.parametrize("written", [False, True])
def test_a_large_discarded_file_is_freed_by_a_helper_process(tmp_path, monkeypatch, written):
    """The kernel frees a file's blocks at its last close (0.1-0.25 s per GiB here): for a
    large discarded temporary file that last close is a helper's, so an interrupted command
    exits at once. Only the size decides; small files are closed directly."""
    handed = []
    real = ck_output._close_later

    def spy(fd):
        handed.append(os.fstat(fd).st_size)
        return real(fd)

    monkeypatch.setattr(ck_output, "_close_later", spy)
    monkeypatch.setattr(ck_output, "CLOSE_LATER_BYTES", 4096)
    out = ck_output.Output(tmp_path / "big.safetensors", 1 << 16)
    if written:
        out.write(bytes(8192))
    out.discard()
    assert handed == [1 << 16]
    assert [p for p in tmp_path.iterdir()] == []
    monkeypatch.setattr(ck_output, "CLOSE_LATER_BYTES", 1 << 30)
    small = ck_output.Output(tmp_path / "small.safetensors", 1 << 16)
    small.discard()
    assert handed == [1 << 16]  # not handed over
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        assert real(fd) is True  # a helper can be started here
    finally:
        os.close(fd)
