"""A re-scan's walk runs in a process of its own (``scanner.crawlers.apart``): the same entries in the same
order as walked in the scan process, the walk's errors raised there as they were, and no walker left behind
by a scan that stops early or by a walker that is killed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scanner.config import LocalSource
from scanner.crawlers.apart import walk_apart
from scanner.crawlers.local import LocalCrawler
from scanner.errors import SourceError
from scanner.types import Status


def _crawler(root: Path) -> LocalCrawler:
    return LocalCrawler(LocalSource(id="s", kind="local", root=str(root)))


def _odd_tree(root: Path) -> None:
    for i in range(40):
        folder = root / f"Team {i % 3}" / ("Sub ü" if i % 2 else "deep/er/still")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"case {i} — notes.txt").write_text(f"Dear Jo Bloggs, case {i}")
    (root / "line\nbreak.txt").write_text("odd name")
    (root / "bytes-\udcff.txt".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")).write_text("x")
    (root / "inside.lnk").symlink_to("Team 0")
    (root / "outside.lnk").symlink_to("/etc/passwd")
    os.mkfifo(root / "queue.fifo")
    os.utime(root / "Team 1", (1_600_000_000.123456, 1_600_000_000.654321))


def test_a_walk_apart_gives_the_entries_of_a_walk_in_this_process(tmp_path: Path) -> None:
    _odd_tree(tmp_path)
    here = list(_crawler(tmp_path).iter_entries())
    crawler = _crawler(tmp_path)
    apart_ = [crawler.expand(item) for item in walk_apart(crawler, "source 's'")]
    assert len(here) == 45
    # the first walk read the links' targets: their times of access moved since, the rest is the same
    assert [replace(e, atime=None) for e in apart_] == [replace(e, atime=None) for e in here]
    kinds = {e.path: e.status for e in here}
    assert kinds["inside.lnk"] is Status.LINK and kinds["queue.fifo"] is Status.SPECIAL
    assert all(e.mtime is not None and e.ctime is not None and e.atime is not None for e in apart_)


def test_the_walk_runs_in_a_process_of_its_own_unless_other_threads_run(tmp_path: Path) -> None:
    _odd_tree(tmp_path / "tree")
    script = f"""
import os, threading, time
from pathlib import Path
from scanner.config import LocalSource
from scanner.crawlers.apart import walk_apart
from scanner.crawlers.local import LocalCrawler

class Told(LocalCrawler):
    def iter_compact(self):
        print("walked in", "this process" if os.getpid() == me else "another process", flush=True)
        return super().iter_compact()

from dataclasses import replace
me = os.getpid()
crawler = Told(LocalSource(id="s", kind="local", root={str(tmp_path / "tree")!r}))
apart = [replace(crawler.expand(i), atime=None) for i in walk_apart(crawler, "s")]
assert apart == [replace(e, atime=None) for e in LocalCrawler(crawler.source).iter_entries()] and len(apart) == 45
stop = threading.Event()
threading.Thread(target=stop.wait).start()  # a scheduler's thread, say: no fork then
assert len(list(walk_apart(crawler, "s"))) == 45
stop.set()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["walked in another process", "walked in this process"]


def test_the_walks_errors_are_raised_in_the_scan_process_as_they_were(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    with pytest.raises(SourceError) as here:
        list(_crawler(gone).iter_entries())
    with pytest.raises(SourceError) as there:
        list(walk_apart(_crawler(gone), "source 's'"))
    assert str(there.value) == str(here.value) and "is not a readable folder" in str(there.value)


def _many(root: Path, files: int) -> None:
    """``files`` empty files, a hundred to a folder."""
    for first in range(0, files, 100):
        folder = root / f"f{first:05d}"
        folder.mkdir(parents=True)
        for i in range(first, min(first + 100, files)):
            (folder / f"{i:05d}.txt").touch()


def _in_a_fresh_process(body: str, root: Path) -> list[str]:
    """Run ``body`` in a new interpreter (the walk forks only in a process running no other thread, and this
    test process may run some: an SMB connection's, an earlier test's reading ahead) with ``crawler`` a local
    crawler of ``root``, ``walkers()`` its walker processes and ``apart`` the module (its batches and pipe made
    small); what it prints, line by line."""
    head = f"""
import os, signal
from scanner.config import LocalSource
from scanner.crawlers import apart
from scanner.crawlers.apart import walk_apart
from scanner.crawlers.local import LocalCrawler
from scanner.errors import SourceError
from tests.test_resume import processes_under
from tests.test_walk_apart import _Broken

apart.BATCH, apart.PIPE_BYTES = 8, 4096  # the walker blocks, far from the end of the walk
def walkers():
    return processes_under(os.getpid(), "steward-walker")
crawler = LocalCrawler(LocalSource(id="s", kind="local", root={str(root)!r}))
"""
    done = subprocess.run(
        [sys.executable, "-c", head + body], capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1]
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


class _Broken(LocalCrawler):
    def iter_compact(self) -> Iterator[Any]:
        yield from super().iter_compact()
        raise _Odd("the walk met", 42)


class _Odd(Exception):
    def __init__(self, words: str, code: int) -> None:  # not rebuilt from its args alone: cannot be sent as is
        super().__init__(f"{words} {code}")


def test_an_error_that_cannot_be_sent_as_it_is_comes_back_as_its_class_and_words(tmp_path: Path) -> None:
    _odd_tree(tmp_path)
    told = _in_a_fresh_process(
        """
try:
    list(walk_apart(_Broken(crawler.source), "source 's'"))
except RuntimeError as exc:
    print(exc)
""",
        tmp_path,
    )
    assert told == ["_Odd: the walk met 42"]


def test_a_scan_that_stops_taking_entries_leaves_no_walker(tmp_path: Path) -> None:
    _many(tmp_path, 3000)
    told = _in_a_fresh_process(
        """
walk = walk_apart(crawler, "source 's'")
print(len([next(walk) for _ in range(10)]), len(walkers()))
walk.close()
print(len(walkers()))
""",
        tmp_path,
    )
    assert told == ["10 1", "0"]


def test_a_walker_killed_mid_walk_stops_the_scan_with_one_sentence(tmp_path: Path) -> None:
    _many(tmp_path, 3000)
    told = _in_a_fresh_process(
        """
walk = walk_apart(crawler, "source 's'")
next(walk)
(walker,) = walkers()
os.kill(walker, signal.SIGKILL)
try:
    for _ in walk:
        pass
except SourceError as exc:
    print(exc)
print(len(walkers()))
""",
        tmp_path,
    )
    assert told == ["source 's': the walk was stopped (signal 9) before it finished", "0"]
