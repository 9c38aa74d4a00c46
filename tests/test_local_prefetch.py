"""Reading ahead for the local crawler: the files a worker is about to open are in memory by the time it opens
them, a link is never followed to read ahead, and the thread ends with the crawler. Residency is read from the
kernel (``mincore``) for real files evicted from the page cache first."""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.config import LocalSource
from scanner.crawlers.local import LocalCrawler
from scanner.crawlers.local_prefetch import PREFETCH_BYTES
from scanner.types import FileEntry

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
    before = {t for t in threading.enumerate() if t.name == "prefetch"}
    crawler.prefetch([_entry(tmp_path, "a.txt")])
    mine = {t for t in threading.enumerate() if t.name == "prefetch"} - before
    assert len(mine) == 1
    crawler.close()
    (thread,) = mine
    thread.join(5)
    assert not thread.is_alive()
