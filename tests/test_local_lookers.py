"""A slow file system's files are looked at several at a time, and the walk gives what it gives one at a time."""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.config import LocalSource
from scanner.crawlers import local_lookers, local_timing
from scanner.crawlers.local import LocalCrawler
from scanner.types import FileEntry, Status

BIG = 1300  # more files in one folder than the threads hold at once (CHUNK * threads * AHEAD = 512)
CASES = 60  # folders of two files each, in two levels: more than the threads read ahead at once (32)


def crawler(root: Path, threads: int = 8, **kw: object) -> LocalCrawler:
    return LocalCrawler(LocalSource(id="s", kind="local", root=root, walk_threads=threads, **kw))


def without_atime(entries: list[FileEntry]) -> list[FileEntry]:
    """A link's access time moves as its target is read for its reason: the rest is compared."""
    return [replace(e, atime=None) for e in entries]


def lookers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("steward-look")]


def tree(root: Path) -> None:
    """A folder of many files, many small and nested folders, a link, a FIFO and a name that is not UTF-8."""
    (root / "big").mkdir()
    for i in range(BIG):
        (root / "big" / f"case {i:05d}.txt").write_text(f"case {i}")
    for folder in ("a", "a/b", "a/b/c", "d"):
        (root / folder).mkdir()
        for i in range(3):
            (root / folder / f"note {i}.txt").write_text(folder)
    for case in range(CASES):  # small folders, read ahead by threads on a slow file system
        (root / "cases" / f"case {case:02d}" / "letters").mkdir(parents=True)
        (root / "cases" / f"case {case:02d}" / "notes.txt").write_text(str(case))
        (root / "cases" / f"case {case:02d}" / "letters" / "letter.txt").write_text(str(case))
    (root / "a" / "to-big").symlink_to(root / "big")
    os.mkfifo(root / "d" / "pipe")
    os.mkfifo(root / "big" / "pipe")
    (root / "big" / "link.txt").symlink_to("/etc/passwd")
    with open(os.path.join(os.fsencode(root / "d"), b"caf\xe9.txt"), "w") as fh:
        fh.write("latin-1 name")


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every look judged slow, as on a network mount (``SAMPLE`` 1: judged from the eighth look on)."""
    monkeypatch.setattr(local_timing, "SLOW_NS", 0)
    monkeypatch.setattr(local_lookers, "SAMPLE", 1)


@pytest.mark.usefixtures("slow")
def test_a_slow_file_systems_files_are_looked_at_in_threads_and_walked_as_one_at_a_time(tmp_path: Path) -> None:
    tree(tmp_path)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "big" / "sock"))
    try:
        alone = list(crawler(tmp_path, threads=1).iter_entries())
        seen: set[str] = set()
        threaded = []
        before, most = len(os.listdir("/proc/self/fd")), 0
        for entry in crawler(tmp_path).iter_entries():
            seen.update(lookers())
            most = max(most, len(os.listdir("/proc/self/fd")) - before)
            threaded.append(entry)
    finally:
        sock.close()
    assert seen, "the slow walk started no thread"
    assert most <= 2 * 8 * local_lookers.AHEAD_FOLDERS + 8  # folders read ahead: each one's and its parent's copy
    assert not lookers()  # the walk's threads are gone with it
    assert without_atime(threaded) == without_atime(alone)  # the same entries, in the same order
    statuses = {e.path: e.status for e in threaded}
    # big's pipe, link and socket; 12 notes; a link, a pipe and a name; the cases' two files each
    assert len(statuses) == BIG + 3 + 12 + 3 + 2 * CASES
    assert statuses["cases/case 59/letters/letter.txt"] is Status.OK
    assert statuses["big/pipe"] is Status.SPECIAL and statuses["big/sock"] is Status.SPECIAL
    assert statuses["big/link.txt"] is Status.LINK and statuses["a/to-big"] is Status.LINK
    assert statuses["big/case 01299.txt"] is Status.OK


@pytest.mark.usefixtures("slow")
def test_folders_read_ahead_keep_to_the_include_and_exclude_globs(tmp_path: Path) -> None:
    tree(tmp_path)
    globs = {"include": ("cases/**", "big/*.txt"), "exclude": ("**/letters/**", "cases/case 1*/**")}
    alone = list(crawler(tmp_path, threads=1, **globs).iter_entries())
    threaded = list(crawler(tmp_path, **globs).iter_entries())
    assert without_atime(threaded) == without_atime(alone)
    paths = {e.path for e in threaded}
    assert "cases/case 05/notes.txt" in paths and "big/case 00007.txt" in paths
    assert not any("letters" in p or p.startswith(("cases/case 1", "a/", "d/")) for p in paths)


@pytest.mark.usefixtures("slow")
def test_a_file_that_vanishes_in_a_threaded_folder_gets_its_outcome(tmp_path: Path) -> None:
    tree(tmp_path)
    walk = crawler(tmp_path).iter_entries()
    first = next(walk)
    while not first.path.startswith("big/"):
        first = next(walk)
    (tmp_path / "big" / "case 01200.txt").unlink()  # beyond what the threads hold: looked at after this
    rest = {e.path: e for e in walk}
    assert rest["big/case 01200.txt"].status is Status.VANISHED
    assert rest["big/case 01201.txt"].status is Status.OK


@pytest.mark.usefixtures("slow")
@pytest.mark.parametrize("stop", ["big/case 00100.txt", "cases/case 10/notes.txt"])  # looks, folders read ahead
def test_a_walk_stopped_mid_folder_leaves_no_thread_and_no_descriptor(tmp_path: Path, stop: str) -> None:
    tree(tmp_path)
    before = len(os.listdir("/proc/self/fd"))
    walk = crawler(tmp_path).iter_compact()
    for item in walk:
        if isinstance(item, tuple) and item[0] == stop:
            break
    else:
        pytest.fail(f"{stop} was not walked")
    assert lookers()
    assert len(os.listdir("/proc/self/fd")) > before + 2  # the walk's folders, and those read ahead
    walk.close()
    assert not lookers()
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_fast_file_system_is_walked_without_threads(tmp_path: Path) -> None:
    tree(tmp_path)
    seen: set[str] = set()
    count = 0
    for _ in crawler(tmp_path).iter_compact():
        seen.update(lookers())
        count += 1
    assert count > BIG
    assert not seen  # a local disk's looks take microseconds: threads would only contend for the GIL


@pytest.mark.usefixtures("slow")
def test_one_thread_asked_for_looks_one_at_a_time(tmp_path: Path) -> None:
    tree(tmp_path)
    seen: set[str] = set()
    for _ in crawler(tmp_path, threads=1).iter_compact():
        seen.update(lookers())
    assert not seen


@pytest.mark.usefixtures("slow")
def test_a_walk_that_can_have_no_thread_looks_at_one_file_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree(tmp_path)
    alone = list(crawler(tmp_path, threads=1).iter_entries())
    start = threading.Thread.start

    def at_its_limit(thread: threading.Thread) -> None:  # a process that may start no more threads
        if thread.name.startswith("steward-look"):
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", at_its_limit)
    walked = list(crawler(tmp_path).iter_entries())
    assert without_atime(walked) == without_atime(alone)
