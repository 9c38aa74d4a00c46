"""A deterministic hostile share: every class of trouble a real council share holds, built from nothing.

``build(root)`` writes it and returns a ``HostileShare`` that says what is there: the regular files a scan
must give exactly one line each (with the statuses acceptable for each), the files a ``Mutator`` thread
changes while the scan runs, the cases and what the operating system refused to create. Names are ``str``
as Steward holds them (undecodable bytes as lone surrogates), so they compare with the crawler's paths.

Nothing here uses a whole path where it could be longer than PATH_MAX: the deep and long parts are made,
listed and removed through folder descriptors (``snapshot``, ``remove_tree``), never with recursion.
"""

from __future__ import annotations

import io
import os
import socket
import stat
import struct
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner.samples import office

NHS = "Patient NHS number 943 476 5919, seen in clinic.\n"
OK = frozenset({"ok"})
BOMB = frozenset({"too_large", "ok", "corrupt", "timeout"})  # refused or read within limits, never a crash
DAMAGED = frozenset({"corrupt", "unsupported", "ok"})
MUTATING = frozenset({"ok", "vanished", "unreadable", "corrupt", "unsupported", "too_large", "timeout"})

# Names that break terminals, shells, format strings, JSON lines, pages and naive byte handling.
ODD_NAMES: tuple[bytes, ...] = (
    b"ctrl\x01\x02\x1b[31mred.txt",
    b"new\nline.txt",
    b"tab\there.txt",
    b"carriage\rreturn.txt",
    b"del\x7f.txt",
    b"-rf",
    b"--help.txt",
    b"  leading spaces.txt",
    b"trailing space.txt ",
    b" ",
    b"...",
    b"$(touch pwned).txt",
    b"`id`;|&<>.txt",
    b"'single\"double.txt",
    b"%s%n%x{0}{{}}.txt",
    b"*?[a].txt",
    b"bad\xff\xfe.txt",
    b"caf\xe9 latin-1.txt",
    b"\xc3\x28 invalid pair.txt",
    b"\xed\xa0\x80 encoded surrogate.txt",
    "invoice\u202egpj.exe".encode(),
    "\u2067isolate\u2069.txt".encode(),
    b"a" * 255,
    ("\u00e9" * 127 + "x").encode(),
    b"x" * 251 + b".txt",
    b"back\\slash.txt",
    b"\\udc80 looks escaped.txt",
    b"c1\xc2\x85next line.txt",
    "line\u2028separator.txt".encode(),
    "caf\u00e9 nfc.txt".encode(),
    "cafe\u0301 nfc.txt".encode(),
    "\U0001f4c1 report.txt".encode(),
)


@dataclass
class HostileShare:
    root: Path
    outside: Path  # a sibling of the root that links point into; a scan must never read it
    expected: dict[str, frozenset[str]] = field(default_factory=dict)  # regular file -> acceptable statuses
    mutating: set[str] = field(default_factory=set)  # changed during the scan: at most one line each
    detect: set[str] = field(default_factory=set)  # oddly named or deep files that must yield UK_NHS
    cases: Counter[str] = field(default_factory=Counter)  # case class -> entries made
    refused: dict[str, str] = field(default_factory=dict)  # case -> why the OS would not create it


def _name(raw: bytes) -> str:
    return os.fsdecode(raw)


def _write_at(dir_fd: int, name: str, data: bytes) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=dir_fd)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _chain(root: Path, rel: str, names: list[str], share: HostileShare, every: int, case: str) -> None:
    """Folders ``names`` one inside the other under ``root/rel``, made through descriptors; a file holding
    an NHS number every ``every`` levels and at the bottom."""
    fd = os.open(root / rel, os.O_RDONLY | os.O_DIRECTORY)
    path = rel
    try:
        for level, name in enumerate(names, start=1):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd, path = inner, f"{path}/{name}"
            if level % every == 0 or level == len(names):
                _write_at(fd, "level.txt", NHS.encode())
                share.expected[f"{path}/level.txt"] = OK
                share.detect.add(f"{path}/level.txt")
                share.cases[case] += 1
    finally:
        os.close(fd)


def _zip(members: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", level) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zeros_zip(megabytes: int) -> bytes:
    """One member of ``megabytes`` MB of one repeated byte: a ratio of about 1000 to 1."""
    buffer = io.BytesIO()
    block = b"0" * (1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("zeros.txt", "w") as member:
        for _ in range(megabytes):
            member.write(block)
    return buffer.getvalue()


def _archives(folder: Path, share: HostileShare) -> None:
    files = {
        "ratio-bomb.zip": _zeros_zip(300),
        "members.zip": _zip({f"m{i:05}.txt": b"x" for i in range(20_000)}),
    }
    nested = _zip({"inner.txt": NHS.encode()})
    for depth in range(12):
        nested = _zip({f"level{depth}.zip": nested})
    files["nested.zip"] = nested
    plain = _zip({"a.txt": NHS.encode() * 100, "b.txt": b"b" * 1000})
    files["overlapping.zip"] = _overlap(plain)
    files["lying-sizes.zip"] = _lie(_zip({"big.txt": b"y" * 5_000_000}))
    encrypted = bytearray(_zip({"secret.txt": NHS.encode()}))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # set the "encrypted" flag in both headers
        at = encrypted.find(sig)
        flag_at = at + (6 if sig == b"PK\x03\x04" else 8)
        encrypted[flag_at] |= 1
    files["encrypted.zip"] = bytes(encrypted)
    for name, data in files.items():
        (folder / name).write_bytes(data)
        share.expected[f"archives/{name}"] = frozenset({"encrypted"}) if name == "encrypted.zip" else BOMB
        share.cases["archive bombs"] += 1


def _overlap(data: bytes) -> bytes:
    """A second central-directory entry pointing at the first member's data (overlapping entries)."""
    cd = data.find(b"PK\x01\x02")
    eocd = data.rfind(b"PK\x05\x06")
    first_len = 46 + sum(struct.unpack_from("<HHH", data, cd + 28))
    copy = bytearray(data[cd : cd + first_len])
    name_len = struct.unpack_from("<H", copy, 28)[0]
    copy[46 : 46 + name_len] = b"c" * (name_len - 4) + b".txt"
    count, size, offset = struct.unpack_from("<HII", data, eocd + 10)
    tail = bytearray(data[eocd:])
    struct.pack_into("<HHII", tail, 8, count + 1, count + 1, size + len(copy), offset)
    return data[:eocd] + bytes(copy) + bytes(tail)


def _lie(data: bytes) -> bytes:
    """Headers that claim a tiny uncompressed size for a large member."""
    out = bytearray(data)
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        where = out.find(sig)
        struct.pack_into("<I", out, where + at, 10)
    return bytes(out)


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>\n<lolz>&lol9;</lolz>\n"
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">'
    '<!ENTITY y SYSTEM "http://127.0.0.1:9/">]>\n<r>&x;&y;</r>\n'
)


def _xml_and_damaged(root: Path, share: HostileShare) -> None:
    (root / "xml").mkdir()
    (root / "xml/laughs.xml").write_text(LAUGHS)
    (root / "xml/external.xml").write_text(EXTERNAL)
    docx = io.BytesIO()
    office.write_docx(root / "xml/base.docx", ["Hello"])
    with zipfile.ZipFile(root / "xml/base.docx") as src, zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "word/document.xml":
                body = LAUGHS.replace("<lolz>", "<w:document xmlns:w='x'><lolz>").encode() + b"</w:document>"
            dst.writestr(item.filename, body)
    (root / "xml/base.docx").unlink()
    (root / "xml/laughs.docx").write_bytes(docx.getvalue())
    for name in ("laughs.xml", "external.xml", "laughs.docx"):
        share.expected[f"xml/{name}"] = BOMB | DAMAGED
        share.cases["XML entities"] += 1
    (root / "damaged").mkdir()
    pdf = office.pdf_bytes(["Some text on a page"])
    office.write_docx(root / "damaged/whole.docx", ["Paragraph one", "Paragraph two"])
    docx_bytes = (root / "damaged/whole.docx").read_bytes()
    (root / "damaged/whole.docx").unlink()
    damaged = {
        "truncated.pdf": pdf[: len(pdf) // 2],
        "truncated.docx": docx_bytes[: len(docx_bytes) // 2],
        "garbage.xlsx": bytes((i * 131 + 7) % 256 for i in range(20_000)),
        "header-only.pdf": b"%PDF-1.7\n" + b"\x00" * 100,
        "empty.docx": b"",
        "not-a-zip.zip": b"PK\x03\x04" + b"\xff" * 200,
    }
    for name, data in damaged.items():
        (root / "damaged" / name).write_bytes(data)
        share.expected[f"damaged/{name}"] = DAMAGED
        share.cases["damaged and truncated"] += 1
    (root / "encrypted").mkdir()
    office.write_encrypted_pdf(root / "encrypted/locked.pdf", [NHS], "user-pw", "owner-pw")
    office.write_encrypted_docx(root / "encrypted/locked.docx", [NHS], "pw")
    for name in ("locked.pdf", "locked.docx"):
        share.expected[f"encrypted/{name}"] = frozenset({"encrypted"})
        share.cases["encrypted"] += 1


def _specials(root: Path, share: HostileShare) -> None:
    folder = root / "special"
    folder.mkdir()
    os.mkfifo(folder / "pipe")
    share.cases["FIFOs, sockets, devices"] += 1
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "sock"))
        share.cases["FIFOs, sockets, devices"] += 1
    except OSError as exc:
        share.refused["socket"] = f"bind refused: {type(exc).__name__}"
    finally:
        sock.close()
    for name, kind, device in (("null-dev", stat.S_IFCHR, os.makedev(1, 3)), ("loop-dev", stat.S_IFBLK, 0x700)):
        try:
            os.mknod(folder / name, kind | 0o600, device)
            share.cases["FIFOs, sockets, devices"] += 1
        except OSError as exc:
            share.refused[name] = f"mknod refused: {type(exc).__name__}"


def _links(root: Path, share: HostileShare) -> None:
    folder = root / "links"
    folder.mkdir()
    (folder / "target.txt").write_text("inside")
    share.expected["links/target.txt"] = OK
    for name, target in (
        ("loop-a", "loop-b"),
        ("loop-b", "loop-a"),
        ("self", "self"),
        ("parent", ".."),
        ("escape-abs", str(share.outside / "secret.txt")),
        ("escape-rel", "../../outside"),
        ("escape-folder", str(share.outside)),
        ("dangling", "nowhere/at/all"),
        ("inside", "target.txt"),
    ):
        os.symlink(target, folder / name)
        share.cases["symbolic links"] += 1
    (folder / "hard").mkdir()
    (folder / "hard/one.txt").write_text(NHS)
    for other in ("two.txt", "three.txt"):
        os.link(folder / "hard/one.txt", folder / "hard" / other)
    for name in ("one.txt", "two.txt", "three.txt"):
        share.expected[f"links/hard/{name}"] = OK
        share.cases["hard links"] += 1


def _sparse(root: Path, share: HostileShare) -> None:
    (root / "sparse").mkdir()
    for name, size in (("huge-sparse.bin", 8 << 30), ("sparse-with-text.txt", 30 << 20)):
        with open(root / "sparse" / name, "wb") as fh:
            fh.truncate(size)
            if name.endswith(".txt"):
                fh.seek(size - len(NHS))
                fh.write(NHS.encode())
        share.cases["sparse files"] += 1
    share.expected["sparse/huge-sparse.bin"] = frozenset({"too_large"})
    share.expected["sparse/sparse-with-text.txt"] = frozenset({"ok", "unsupported", "too_large"})


MOVING = ("grows.log", "shrinks.log", "vanishes.txt", "becomes-folder.txt")


def build_names_and_paths(root: Path, depth: int = 2_100, long_levels: int = 20) -> HostileShare:
    """Only the odd names and the paths beyond the OS limits (the part every store must record)."""
    root.mkdir(parents=True)
    share = HostileShare(root, root.parent / "outside")
    share.outside.mkdir(exist_ok=True)
    (share.outside / "secret.txt").write_text(NHS)
    (root / "names").mkdir()
    odd_folder = _name(b"folder\n\xff\xe2\x80\xae")
    fd = os.open(root / "names", os.O_RDONLY | os.O_DIRECTORY)
    try:
        for raw in ODD_NAMES:
            _write_at(fd, _name(raw), NHS.encode())
            share.expected[f"names/{_name(raw)}"] = OK
            share.detect.add(f"names/{_name(raw)}")
            share.cases["odd names"] += 1
        os.mkdir(odd_folder, dir_fd=fd)
    finally:
        os.close(fd)
    (root / "names" / odd_folder / "inside.txt").write_text(NHS)
    share.expected[f"names/{odd_folder}/inside.txt"] = OK
    share.detect.add(f"names/{odd_folder}/inside.txt")
    (root / "deep").mkdir()
    _chain(root, "deep", ["d"] * depth, share, every=500, case="depth beyond PATH_MAX")
    (root / "long").mkdir()
    _chain(root, "long", [f"{i:02}" + "L" * 248 for i in range(long_levels)], share, every=5, case="long paths")
    return share


def build(root: Path, huge: int = 2_000, depth: int = 2_100, long_levels: int = 20) -> HostileShare:
    """Write the hostile share at ``root`` (which must not exist) and its ``outside`` sibling."""
    share = build_names_and_paths(root, depth, long_levels)
    (root / "huge").mkdir()
    fd = os.open(root / "huge", os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i in range(huge):
            _write_at(fd, f"f{i:07}.txt", b"")
            share.expected[f"huge/f{i:07}.txt"] = OK
    finally:
        os.close(fd)
    share.cases["huge folder"] += huge
    (root / "archives").mkdir()
    _archives(root / "archives", share)
    _xml_and_damaged(root, share)
    _specials(root, share)
    _links(root, share)
    _sparse(root, share)
    (root / "moving").mkdir()
    for name in MOVING:
        (root / "moving" / name).write_text(NHS * 10)
        share.mutating.add(f"moving/{name}")
        share.cases["changing during the scan"] += 1
    return share


class Mutator(threading.Thread):
    """Grows, shrinks, removes and re-creates files, and turns a file into a folder and back, in a loop
    until stopped: the scan meets each in whatever state the moment gives."""

    def __init__(self, root: Path) -> None:
        super().__init__(daemon=True)
        self.folder = root / "moving"
        self.done = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        while not self.done.is_set():
            self._round()
            self.rounds += 1
            time.sleep(0.01)

    def _round(self) -> None:
        try:
            with open(self.folder / "grows.log", "a") as fh:
                fh.write(NHS)
            with open(self.folder / "shrinks.log", "r+") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.truncate(max(0, size - 7) if size > 7 else len(NHS) * 10)
            vanish = self.folder / "vanishes.txt"
            if vanish.exists():
                vanish.unlink()
            else:
                vanish.write_text(NHS)
            turn = self.folder / "becomes-folder.txt"
            if turn.is_dir():
                turn.rmdir()
                turn.write_text(NHS)
            else:
                turn.unlink()
                turn.mkdir()
        except OSError:
            pass  # racing with itself is not possible; anything else is the point of the exercise

    def stop(self) -> None:
        self.done.set()
        self.join()


def walk(root: Path) -> Iterator[tuple[str, os.stat_result, int]]:
    """Every entry under ``root``: its path, its lstat and its folder's descriptor (valid until the next
    entry), through folder descriptors and without recursion, so any depth or path length is fine."""
    stack: list[tuple[str, int]] = [("", os.open(root, os.O_RDONLY | os.O_DIRECTORY))]
    while stack:
        rel, fd = stack.pop()
        try:
            with os.scandir(fd) as listing:
                names = [item.name for item in listing]
            for name in names:
                path = f"{rel}/{name}" if rel else name
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                yield path, st, fd
                if stat.S_ISDIR(st.st_mode):
                    stack.append((path, os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)))
        finally:
            os.close(fd)


def snapshot(root: Path, skip: str = "moving") -> dict[str, tuple[int, int, int, int, int]]:
    """(mode, size, mtime, ctime, atime) of every entry, for proving a scan wrote and read-touched nothing."""
    return {
        path: (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_atime_ns)
        for path, st, _ in walk(root)
        if path != skip and not path.startswith(skip + "/")
    }


def age_access_times(root: Path, days: float = 3) -> None:
    """Set every regular file's access time well in the past, so any read would move it (relatime too)."""
    old = time.time_ns() - int(days * 86400e9)
    for path, st, fd in walk(root):
        if stat.S_ISREG(st.st_mode):
            name = path.rpartition("/")[2]
            os.utime(name, ns=(old, st.st_mtime_ns), dir_fd=fd, follow_symlinks=False)


def remove_tree(root: Path) -> None:
    """Remove a tree of any depth (shutil.rmtree recurses, and pytest's clean-up would fail on it)."""
    if not root.exists():
        return
    stack: list[tuple[int, str]] = [(os.open(root, os.O_RDONLY | os.O_DIRECTORY), "")]
    while stack:
        fd = stack[-1][0]
        with os.scandir(fd) as listing:
            items = [(item.name, item.is_dir(follow_symlinks=False)) for item in listing]
        sub = next((name for name, is_dir in items if is_dir), None)
        for name, is_dir in items:
            if not is_dir:
                os.unlink(name, dir_fd=fd)
        if sub is not None:
            os.chmod(sub, 0o700, dir_fd=fd)
            stack.append((os.open(sub, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd), sub))
            continue
        os.close(fd)
        _, name = stack.pop()
        if stack:
            os.rmdir(name, dir_fd=stack[-1][0])
    os.rmdir(root)


RUNNER = """
import json, os, sys, threading, time
from inventory.cli.main import cli

PAGE = os.sysconf("SC_PAGE_SIZE")
tree = {"rss": 0, "pss": 0}
done = threading.Event()

def children(pid):
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(name))
            except (OSError, ValueError, IndexError):
                continue
    return found

def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return sum(int(line.split()[1]) * 1024 for line in fh if line.startswith("Pss:"))
    except (OSError, ValueError):
        return 0

def rss(pid):
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0

def watch():  # the whole tree (this process and its workers), sampled: a peak between samples is missed
    me = os.getpid()
    while not done.wait(0.5):
        pids = [me, *children(me)]
        tree["rss"] = max(tree["rss"], sum(map(rss, pids)))
        tree["pss"] = max(tree["pss"], sum(map(pss, pids)))

threading.Thread(target=watch, daemon=True).start()
began = time.monotonic()
code = 0
try:
    cli(["scan", "--config", sys.argv[1]])
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
done.set()
# This process's own peak: VmHWM, not ru_maxrss, which after exec still holds the peak of the process that
# started this one (a test runner that has grown to 600 MB would be reported as this scan's peak).
peak = next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
figures = {"exit": code, "peak_rss_mb": peak, "seconds": time.monotonic() - began}
figures.update(tree_rss_mb=tree["rss"] / 2**20, tree_pss_mb=tree["pss"] / 2**20)
sys.stderr.write("\\nMEASURED " + json.dumps(figures))
"""


@dataclass(frozen=True)
class Measured:
    exit: int
    peak_rss_mb: float  # the scanning (main) process alone, workers not included
    seconds: float
    output: str
    tree_rss_mb: float = 0.0  # the main process and its workers, RSS added up (shared pages counted in each)
    tree_pss_mb: float = 0.0  # the same, each shared page divided among the processes that share it


def scan_measured(config: Path, cwd: Path, timeout: float | None = 3600) -> Measured:
    """Run ``steward scan`` in a process of its own and report its exit code, peak RSS and time."""
    import json
    import subprocess
    import sys

    project = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(project)}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(config)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    head, _, figures = done.stderr.rpartition("\nMEASURED ")
    found = json.loads(figures)
    return Measured(
        found["exit"],
        found["peak_rss_mb"],
        found["seconds"],
        done.stdout + head,
        found.get("tree_rss_mb", 0.0),
        found.get("tree_pss_mb", 0.0),
    )
