"""The local crawler: every entry gets an outcome, links are never followed, nothing is changed."""

from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from scanner.config import LocalSource
from scanner.crawlers.local import LocalCrawler
from scanner.errors import ItemError, SourceError
from scanner.types import Status


def crawler(root: Path, **kw: object) -> LocalCrawler:
    return LocalCrawler(LocalSource(id="s", kind="local", root=root, **kw))


def by_path(root: Path, **kw: object) -> dict[str, object]:
    return {e.path: e for e in crawler(root, **kw).iter_entries()}


def test_walk_records_metadata_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "HR" / "Staff").mkdir(parents=True)
    (tmp_path / "HR" / "Staff" / "list.csv").write_text("a,b\n")
    (tmp_path / "loose.txt").write_text("hello")
    entries = by_path(tmp_path)
    assert set(entries) == {"HR/Staff/list.csv", "loose.txt"}
    entry = entries["loose.txt"]
    st = os.stat(tmp_path / "loose.txt")
    assert entry.size == 5 and entry.status is Status.OK
    assert entry.identity == f"{st.st_dev}:{st.st_ino}"
    assert entry.uid == st.st_uid and entry.gid == st.st_gid and entry.mode == st.st_mode
    assert abs(entry.mtime.timestamp() - st.st_mtime) < 1e-3
    assert entry.atime is not None and entry.ctime is not None


def test_links_are_recorded_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("NHS 943 476 5919")
    root = tmp_path / "root"
    root.mkdir()
    (root / "to-outside").symlink_to(outside)
    (root / "file-link.txt").symlink_to(outside / "secret.txt")
    entries = by_path(root)
    assert set(entries) == {"to-outside", "file-link.txt"}
    assert all(e.status is Status.LINK for e in entries.values())
    assert "outside the source root" in entries["file-link.txt"].reason
    with pytest.raises(ItemError) as refused:  # opened with O_NOFOLLOW: a link is refused, not followed
        crawler(root).open(entries["file-link.txt"])
    assert refused.value.status is Status.LINK


def test_fifos_and_sockets_are_recorded_and_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        entries = by_path(tmp_path)
    finally:
        sock.close()
    assert entries["pipe"].status is Status.SPECIAL and "FIFO" in entries["pipe"].reason
    assert entries["sock"].status is Status.SPECIAL and "socket" in entries["sock"].reason


def test_vanished_during_the_scan(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(name)
    walk = crawler(tmp_path).iter_entries()
    first = next(walk)
    (tmp_path / "b.txt").unlink()
    second = next(walk)
    assert first.status is Status.OK
    assert second.path == "b.txt" and second.status is Status.VANISHED


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    for rel in ("a/x.docx", "a/~$x.docx", "a/.snapshot/old.docx", "b/y.txt", "b/c/z.docx"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert set(by_path(tmp_path)) == {"a/x.docx", "b/y.txt", "b/c/z.docx"}
    assert set(by_path(tmp_path, include=("**/*.docx",))) == {"a/x.docx", "b/c/z.docx"}


def _walk_as_nobody(root: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    os.setgid(65534)
    os.setuid(65534)
    queue.put({e.path: (e.status.value, e.reason) for e in crawler(Path(root)).iter_entries()})


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another account")
def test_permission_denied_is_an_outcome_not_a_crash() -> None:
    tmp_path = Path(tempfile.mkdtemp(prefix="steward-perm-"))  # pytest's own folder is closed to others
    tmp_path.chmod(0o755)
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "ok.txt").write_text("ok")
    (tmp_path / "closed").mkdir(mode=0o700)
    (tmp_path / "closed" / "hidden.txt").write_text("x")
    queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
    child = multiprocessing.get_context("fork").Process(target=_walk_as_nobody, args=(str(tmp_path), queue))
    child.start()
    found = queue.get(timeout=20)
    child.join()
    shutil.rmtree(tmp_path)
    assert found["open/ok.txt"][0] == "ok"
    assert found["closed"] == ("denied", "folder cannot be listed: permission denied")


def test_reading_does_not_change_access_times(tmp_path: Path) -> None:
    target, control = tmp_path / "target.txt", tmp_path / "control.txt"
    for path in (target, control):
        path.write_text("some content")
        old = time.time() - 3 * 86400
        os.utime(path, (old, time.time()))  # atime older than mtime: a normal read would update it
    with open(control, "rb") as fh:
        fh.read()
    control_updated = os.stat(control).st_atime > time.time() - 60
    if not control_updated:
        pytest.skip("this filesystem does not update access times (noatime mount)")
    before = os.stat(target).st_atime_ns
    source = crawler(tmp_path)
    entry = next(e for e in source.iter_entries() if e.path == "target.txt")
    with source.open(entry) as fh:
        assert isinstance(fh, io.BufferedReader) and fh.read() == b"some content"
    assert os.stat(target).st_atime_ns == before


def test_root_that_cannot_be_opened_fails_the_source_with_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"root .*missing is not a readable folder \(root: vanished"):
        list(crawler(tmp_path / "missing").iter_entries())


def test_names_that_are_not_utf8_are_walked_and_read_by_their_real_bytes(tmp_path: Path) -> None:
    raw = [b"bad\xff\xfe.txt", b"new\nline.txt", "invoice\u202egpj.exe".encode(), b"x" * 255]
    folder = os.fsencode(tmp_path) + b"/odd\xe9"
    os.mkdir(folder)
    for i, name in enumerate(raw):
        with open(folder + b"/" + name, "wb") as fh:
            fh.write(b"content %d" % i)
    source = crawler(tmp_path)
    entries = {os.fsencode(e.path): e for e in source.iter_entries()}
    assert set(entries) == {b"odd\xe9/" + name for name in raw}
    for i, name in enumerate(raw):
        entry = entries[b"odd\xe9/" + name]
        assert entry.status is Status.OK
        with source.open(entry) as fh:
            assert fh.read() == b"content %d" % i


def test_paths_beyond_path_max_and_thousands_of_levels_are_walked_and_read(tmp_path: Path) -> None:
    from hostile_share import NHS, HostileShare, _chain, remove_tree

    share = HostileShare(tmp_path / "root", tmp_path / "outside")
    (share.root / "deep").mkdir(parents=True)
    (share.root / "long").mkdir()
    try:
        _chain(share.root, "deep", ["d"] * 3000, share, every=1000, case="deep")
        _chain(share.root, "long", ["L" * 250] * 24, share, every=12, case="long")
        assert max(len(os.fsencode(p)) for p in share.expected) > 6000  # well past PATH_MAX (4096)
        source = crawler(share.root)
        entries = {e.path: e for e in source.iter_entries()}
        assert set(entries) == set(share.expected)
        for entry in entries.values():
            assert entry.status is Status.OK
            with source.open(entry) as fh:
                assert fh.read().decode() == NHS
    finally:
        remove_tree(share.root)


def test_the_walk_holds_a_bounded_number_of_descriptors(tmp_path: Path) -> None:
    # A tree 300 folders deep where every level also has a sibling folder to come back to.
    path = os.fsencode(tmp_path)
    fd = os.open(path, os.O_RDONLY)
    try:
        for level in range(300):
            os.mkdir("side", dir_fd=fd)
            with open(os.open("side/f.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as fh:
                fh.write(str(level))
            os.mkdir("z", dir_fd=fd)
            inner = os.open("z", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    before = len(os.listdir("/proc/self/fd"))
    most = 0
    count = 0
    for entry in crawler(tmp_path).iter_entries():
        count += 1
        assert entry.status is Status.OK
        most = max(most, len(os.listdir("/proc/self/fd")) - before)
    assert count == 300
    assert most <= 70  # MAX_OPEN_FOLDERS plus the one being listed, not one per level


def test_entries_that_change_mid_walk_get_an_outcome_and_the_walk_goes_on(tmp_path: Path) -> None:
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "f.txt").write_text(folder)
    (tmp_path / "top.txt").write_text("top")
    walk = crawler(tmp_path).iter_entries()
    assert next(walk).path == "top.txt"  # the root is listed; its folders are still to come
    shutil.rmtree(tmp_path / "a")  # a folder vanishes
    shutil.rmtree(tmp_path / "b")
    (tmp_path / "b").write_text("now a file")  # a folder turns into a file
    rest = {e.path: e for e in walk}
    assert rest["a"].status is Status.VANISHED
    assert rest["b"].status is Status.OK and rest["b"].size == len("now a file")
    assert rest["c/f.txt"].status is Status.OK


def test_a_file_that_changes_kind_after_it_was_listed_is_never_read(tmp_path: Path) -> None:
    for name in ("folder.txt", "fifo.txt", "link.txt"):
        (tmp_path / name).write_text("x")
    source = crawler(tmp_path)
    entries = {e.path: e for e in source.iter_entries()}
    (tmp_path / "folder.txt").unlink()
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "fifo.txt").unlink()
    os.mkfifo(tmp_path / "fifo.txt")  # opening a FIFO for reading would block: it must not be opened blocking
    (tmp_path / "link.txt").unlink()
    (tmp_path / "link.txt").symlink_to("/etc/passwd")
    outcomes = {}
    for name, entry in entries.items():
        with pytest.raises(ItemError) as refused:
            source.open(entry)
        outcomes[name] = refused.value.status
    assert outcomes == {"folder.txt": Status.VANISHED, "fifo.txt": Status.SPECIAL, "link.txt": Status.LINK}
