"""A small writer for Compound File Binary (OLE2) files, enough to build Outlook .msg samples.

Version 3 files (512-byte sectors), streams under 4096 bytes in the mini stream, no DIFAT sectors (so up
to 109 FAT sectors, about 6.8 MB): ample for test and sample files. olefile reads them; olefile cannot write.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5


@dataclass
class _Node:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Node] = field(default_factory=dict)
    clsid: bytes = bytes(16)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    """CFB orders siblings by name length, then by upper-cased name."""
    return (len(name), name.upper())


def _build_tree(streams: Mapping[str, bytes], root_clsid: bytes) -> _Node:
    root = _Node("Root Entry", _ROOT, clsid=root_clsid)
    for path, data in streams.items():
        *dirs, leaf = path.strip("/").split("/")
        node = root
        for part in dirs:
            node = node.children.setdefault(part, _Node(part, _STORAGE))
        node.children[leaf] = _Node(leaf, _STREAM, data=data)
    return root


def _number(root: _Node) -> list[_Node]:
    """Give every node a directory id and link each storage's children as a balanced binary tree."""
    order: list[_Node] = []

    def visit(node: _Node) -> None:
        node.sid = len(order)
        order.append(node)
        kids = sorted(node.children.values(), key=lambda n: _sort_key(n.name))
        for kid in kids:
            visit(kid)
        node.child = _link(kids)

    def _link(kids: list[_Node]) -> int:
        if not kids:
            return NOSTREAM
        mid = len(kids) // 2
        kids[mid].left = _link(kids[:mid])
        kids[mid].right = _link(kids[mid + 1 :])
        return kids[mid].sid

    visit(root)
    return order


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i < count - 1 else ENDOFCHAIN


def _dir_entry(node: _Node) -> bytes:
    name = node.name.encode("utf-16-le")
    if len(name) > 62:
        raise ValueError(f"CFB entry name too long: {node.name!r}")
    return struct.pack(
        "<64sHBB3I16sI16sIQ",
        name,
        len(name) + 2,
        node.kind,
        1,  # black
        node.left,
        node.right,
        node.child,
        node.clsid,
        0,
        bytes(16),
        node.start,
        node.size,
    )


def write_cfb(streams: Mapping[str, bytes], root_clsid: bytes = bytes(16)) -> bytes:
    """Build a compound file from ``{"storage/sub/stream": data}``; storages are implied by the paths."""
    root = _build_tree(streams, root_clsid)
    nodes = _number(root)
    small = [n for n in nodes if n.kind == _STREAM and 0 < len(n.data) < MINI_CUTOFF]
    large = [n for n in nodes if n.kind == _STREAM and len(n.data) >= MINI_CUTOFF]

    mini_fat: list[int] = []
    mini_stream = bytearray()
    for node in small:
        count = -(-len(node.data) // MINI_SECTOR)
        node.start, node.size = len(mini_fat), len(node.data)
        mini_fat.extend([0] * count)
        _chain(mini_fat, node.start, count)
        mini_stream += node.data.ljust(count * MINI_SECTOR, b"\0")
    for node in nodes:
        if node.kind == _STREAM and not node.data:
            node.start, node.size = ENDOFCHAIN, 0

    n_dir = -(-len(nodes) // 4)
    n_minifat = -(-len(mini_fat) // 128)
    n_ministream = -(-len(mini_stream) // SECTOR)
    n_large = [-(-len(n.data) // SECTOR) for n in large]
    n_body = n_dir + n_minifat + n_ministream + sum(n_large)
    n_fat = 1
    while n_fat * 128 < n_body + n_fat:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("CFB too large for a writer without DIFAT sectors")

    fat = [FREESECT] * (n_fat * 128)
    for i in range(n_fat):
        fat[i] = FATSECT
    pos = n_fat
    dir_start = pos
    _chain(fat, pos, n_dir)
    pos += n_dir
    minifat_start = pos if n_minifat else ENDOFCHAIN
    _chain(fat, pos, n_minifat)
    pos += n_minifat
    root.start = pos if n_ministream else ENDOFCHAIN
    root.size = len(mini_stream)
    _chain(fat, pos, n_ministream)
    pos += n_ministream
    for node, count in zip(large, n_large, strict=True):
        node.start, node.size = pos, len(node.data)
        _chain(fat, pos, count)
        pos += count

    directory = b"".join(_dir_entry(n) for n in nodes)
    free_entry = struct.pack(
        "<64sHBB3I16sI16sIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, bytes(16), 0, bytes(16), 0, 0
    )
    directory += free_entry * (n_dir * 4 - len(nodes))
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes += struct.pack("<I", FREESECT) * (n_minifat * 128 - len(mini_fat))

    difat = [i for i in range(n_fat)] + [FREESECT] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        bytes(16),
        0x003E,
        0x0003,
        0xFFFE,
        9,
        6,
        bytes(6),
        0,
        n_fat,
        dir_start,
        0,
        MINI_CUTOFF,
        minifat_start,
        n_minifat,
        ENDOFCHAIN,
        0,
        *difat,
    )
    body = [struct.pack(f"<{len(fat)}I", *fat), directory, mini_fat_bytes, bytes(mini_stream)]
    body += [n.data for n in large]
    return header + b"".join(_pad(part) for part in body)


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % SECTOR)
