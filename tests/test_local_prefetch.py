"""Reading ahead for the local crawler: the files a worker is about to open are opened and in memory by the time it
opens them, and it reads them through the descriptors kept; a link is never followed to read ahead; what is held is
bounded and let go of; a slow file system is read by several threads, a local disk by one; the threads end with the
crawler. Residency is read from the kernel (``mincore``) for real files evicted from the page cache first."""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.config import LocalSource
from scanner.crawlers import local_timing
from scanner.crawlers.local import Changed, LocalCrawler
from scanner.crawlers.local_prefetch import HELD, PREFETCH_BYTES
from scanner.types import FileEntry, Status

_LIBC = ctypes.CDLL(None, use_errno=True)


def _resident(path: Path) -> int:
    """How many of the file's pages are in the page cache (a private mapping reads none of them)."""
    size = path.stat().st_size
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    vec = (ctypes.c_ubyte * pages)()
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY) as mm:
        start = ctypes.c_char.from_buffer(mm)
        try:
            if _LIBC.mincore(ctypes.c_void_p(ctypes.addressof(start)), ctypes.c_size_t(size), vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore")
        finally:
            del start
    return sum(v & 1 for v in vec)


def _evict(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _cold(paths: list[Path]) -> None:
    for path in paths:
        _evict(path)
    if any(_resident(p) for p in paths):
        pytest.skip("this filesystem keeps files in memory (cannot evict them to test reading ahead)")


def _entry(root: Path, rel: str) -> FileEntry:
    return FileEntry("s", rel, rel, size=(root / rel).stat().st_size, mtime=None)


def _wait(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_files_about_to_be_opened_are_read_ahead(tmp_path: Path) -> None:
    root = tmp_path / "share"
    (root / "Case 1").mkdir(parents=True)
    files = []
    for i in range(12):
        path = root / "Case 1" / f"letter {i}.txt"
        path.write_bytes(os.urandom(20_000 + 1000 * i))
        files.append(path)
    big = root / "export.csv"
    big.write_bytes(os.urandom(3 * PREFETCH_BYTES))
    files.append(big)
    _cold(files)
    crawler = LocalCrawler(LocalSource(id="s", kind="local", root=str(root)))
    try:
        crawler.prefetch([_entry(root, str(p.relative_to(root))) for p in files])
        small = files[:-1]
        assert _wait(lambda: all(_resident(p) * mmap.PAGESIZE >= p.stat().st_size for p in small))
        assert _wait(lambda: _resident(big) * mmap.PAGESIZE >= PREFETCH_BYTES)
        # only the head of a large file is asked for; reading it is left to the worker (and the kernel's own
        # reading ahead of a sequential read)
        assert _resident(big) * mmap.PAGESIZE < 3 * PREFETCH_BYTES
        with crawler.open(_entry(root, "Case 1/letter 3.txt")) as fh:
            assert fh.read() == files[3].read_bytes()
    finally:
        crawler.close()


def test_reading_ahead_never_follows_a_link_out_of_the_share(tmp_path: Path) -> None:
    root, outside = tmp_path / "share", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    secret = outside / "payroll.csv"
    secret.write_bytes(os.urandom(50_000))
    (root / "linked folder").symlink_to(outside, target_is_directory=True)
    (root / "linked file.csv").symlink_to(secret)
    plain = root / "plain.csv"
    plain.write_bytes(os.urandom(50_000))
    _cold([secret, plain])
    crawler = LocalCrawler(LocalSource(id="s", kind="local", root=str(root)))
    size = secret.stat().st_size
    try:
        # entries as a walk would have given them before the share changed under it
        crawler.prefetch(
            [
                FileEntry("s", "linked folder/payroll.csv", "a", size=size, mtime=None),
                FileEntry("s", "linked file.csv", "b", size=size, mtime=None),
                FileEntry("s", "plain.csv", "c", size=size, mtime=None),
            ]
        )
        assert _wait(lambda: _resident(plain) > 0)  # done with the batch, in order
        time.sleep(0.2)
        assert _resident(secret) == 0
    finally:
        crawler.close()


def test_the_reading_ahead_thread_ends_with_the_crawler(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("minutes of the meeting\n")
    crawler = LocalCrawler(LocalSource(id="s", kind="local", root=str(tmp_path)))
    before = _prefetch_threads()
    crawler.prefetch([_entry(tmp_path, "a.txt")])
    mine = _prefetch_threads() - before
    assert len(mine) == 1
    crawler.close()
    (thread,) = mine
    thread.join(5)
    assert not thread.is_alive()


def _held(root: Path) -> int:
    """Descriptors this process holds open on files under ``root`` (folders not counted)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(f"{root}/") and os.path.isfile(target):
            count += 1
    return count


def _letters(root: Path, count: int, folder: str = "Case 1") -> list[Path]:
    (root / folder).mkdir(parents=True)
    paths = []
    for i in range(count):
        path = root / folder / f"letter {i:03d}.txt"
        path.write_bytes(f"Letter {i}: the family was visited on Tuesday.\n".encode() * (i + 1))
        paths.append(path)
    return paths


def _text(i: int) -> bytes:
    return f"Letter {i}: the family was visited on Tuesday.\n".encode() * (i + 1)


def _prefetch_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "prefetch"}


def _all_end(threads: set[threading.Thread]) -> bool:
    for thread in threads:
        thread.join(5)
    return not any(thread.is_alive() for thread in threads)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every open judged as slow as a network mount's (a round trip each)."""
    monkeypatch.setattr(local_timing, "SLOW_NS", 0)


def _share(tmp_path: Path, count: int, **extra: Any) -> tuple[Path, LocalCrawler, list[FileEntry]]:
    """A share of ``count`` letters, its crawler and the letters' entries in the order a worker takes them."""
    root = tmp_path / "share"
    paths = _letters(root, count)
    crawler = LocalCrawler(LocalSource(id="s", kind="local", root=str(root), **extra))
    return root, crawler, [_entry(root, str(p.relative_to(root))) for p in paths]


def _judged(crawler: LocalCrawler, root: Path) -> None:
    """A worker's first files: read ahead and opened by the worker, as on any disk, until the reading ahead has
    timed enough opens to judge the file system slow; from then on what is asked is kept open."""
    first = [_entry(root, str(p.relative_to(root))) for p in _letters(root, 8, "First")]
    for _ in range(50):
        crawler.prefetch(first)
        if _wait(lambda: _held(root / "First") == 8, 0.1):
            break
    else:
        raise AssertionError("the reading ahead never kept a file open, though every open counts as slow")
    for entry in first:
        crawler.open(entry).close()
    assert _held(root) == 0


def test_files_opened_ahead_are_read_through_the_descriptors_kept(tmp_path: Path, slow: None) -> None:
    root, crawler, entries = _share(tmp_path, 20)
    try:
        _judged(crawler, root)
        crawler.prefetch(entries)
        assert _wait(lambda: _held(root) == 20)  # each opened once, ahead, and kept for the worker
        # the share changes under the scan: the file the worker reads is the one opened ahead, not opened again
        replacement = root / "Case 1" / "new.txt"
        replacement.write_bytes(b"a different letter\n")
        os.replace(replacement, root / entries[5].path)
        for i, entry in enumerate(entries):
            with crawler.open(entry) as fh:
                assert fh.read() == _text(i)
        assert _held(root) == 0  # every descriptor handed over was closed by its reader
        with crawler.open(entries[5]) as fh:  # opened again: no longer ahead, so the file as it is now
            assert fh.read() == b"a different letter\n"
    finally:
        crawler.close()


def test_descriptors_held_ahead_are_bounded_and_those_gone_past_are_closed(tmp_path: Path, slow: None) -> None:
    root, crawler, entries = _share(tmp_path, 200)
    try:
        _judged(crawler, root)
        crawler.prefetch(entries)
        assert _wait(lambda: _held(root) == HELD)
        time.sleep(0.2)
        assert _held(root) == HELD  # the threads wait for the worker rather than opening more
        with crawler.open(entries[40]) as fh:  # the worker skipped the first 40 (too large, say)
            assert fh.read() == _text(40)
        # the 40 skipped are closed, and the threads go on with the files after those held
        assert _wait(lambda: _held(root) == HELD)
        for i, entry in enumerate(entries[41:], 41):
            with crawler.open(entry) as fh:
                assert fh.read() == _text(i)
        assert _held(root) == 0
    finally:
        crawler.close()


def test_a_file_that_is_no_longer_a_plain_file_is_left_to_the_crawler(tmp_path: Path, slow: None) -> None:
    root = tmp_path / "share"
    root.mkdir()
    os.mkfifo(root / "minutes.txt")  # listed as a plain file, a FIFO by the time it is read
    (root / "elsewhere.txt").write_text("outside the case folder\n")
    (root / "notes.txt").symlink_to(root / "elsewhere.txt")
    crawler = LocalCrawler(LocalSource(id="s", kind="local", root=str(root)))
    listed = [FileEntry("s", name, name, size=100, mtime=None) for name in ("minutes.txt", "notes.txt")]
    try:
        _judged(crawler, root)
        crawler.prefetch(listed)
        time.sleep(0.2)
        with pytest.raises(Changed) as special:
            crawler.open(listed[0])
        assert special.value.status is Status.SPECIAL
        with pytest.raises(Changed) as link:
            crawler.open(listed[1])
        assert link.value.status is Status.LINK
    finally:
        crawler.close()


def test_a_local_disk_is_read_ahead_by_one_thread_and_nothing_is_kept_open(tmp_path: Path) -> None:
    root, crawler, entries = _share(tmp_path, 150, read_threads=8)
    before = _prefetch_threads()
    for start in range(0, 150, 64):
        batch = entries[start : start + 64]
        crawler.prefetch(batch)
        for i, entry in enumerate(batch, start):
            with crawler.open(entry) as fh:
                assert fh.read() == _text(i)
            # opens take microseconds here: the files are only read ahead, and the worker opens them itself
            assert _held(root) <= 1
    mine = _prefetch_threads() - before
    assert len(mine) == 1  # more threads would only contend for the interpreter
    crawler.close()
    assert _all_end(mine)


def test_close_lets_go_of_everything_held(tmp_path: Path, slow: None) -> None:
    root, crawler, entries = _share(tmp_path, 50)
    before = _prefetch_threads()
    _judged(crawler, root)
    crawler.prefetch(entries)
    assert _wait(lambda: _held(root) == 50)
    mine = _prefetch_threads() - before
    crawler.close()
    assert _held(root) == 0
    assert _all_end(mine)


def test_a_forked_process_reads_for_itself(tmp_path: Path, slow: None) -> None:
    root, crawler, entries = _share(tmp_path, 10)
    try:
        _judged(crawler, root)
        crawler.prefetch(entries)
        assert _wait(lambda: _held(root) == 10)
        pid = os.fork()
        if pid == 0:  # the child: its copies of the parent's descriptors are not handed out
            ok = False
            try:
                with crawler.open(entries[2]) as fh:
                    ok = fh.read() == _text(2)
                # drops the inherited copies and reads ahead for itself (its first files, as any process's,
                # only read ahead: it has timed no open of its own)
                crawler.prefetch(entries[3:])
                ok = ok and _wait(lambda: _held(root) == 0)
                with crawler.open(entries[3]) as fh:
                    ok = ok and fh.read() == _text(3)
                crawler.close()
            finally:
                os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        with crawler.open(entries[2]) as fh:  # the parent's own are still good
            assert fh.read() == _text(2)
    finally:
        crawler.close()


def test_a_slow_file_system_is_read_ahead_by_several_threads(tmp_path: Path, slow: None) -> None:
    root, crawler, entries = _share(tmp_path, 300, read_threads=4)
    before = _prefetch_threads()
    try:
        _judged(crawler, root)
        for start in range(0, 300, 64):  # batch by batch, as a worker asks
            batch = entries[start : start + 64]
            crawler.prefetch(batch)
            for i, entry in enumerate(batch, start):
                with crawler.open(entry) as fh:
                    assert fh.read() == _text(i)
                assert _held(root) <= HELD
        mine = _prefetch_threads() - before
        assert 2 <= len(mine) <= 4
        assert _held(root) == 0
    finally:
        crawler.close()
    assert _all_end(mine)
