"""File names as they are: one lossless stored form and one readable form.

A name is a Python ``str`` everywhere in Steward. Local names are decoded with the file-system encoding and
``surrogateescape``, so a byte that is not valid UTF-8 becomes a lone surrogate (U+DC80-U+DCFF) and the name
still opens the real file (``os.fsencode`` gives the bytes back). SMB names come as smbprotocol decodes UTF-16,
which may leave an unpaired surrogate. Neither SQLite nor PostgreSQL stores a lone surrogate in text, and no
terminal, JSON line or web page should show one, so this module owns the two conversions:

- ``to_store``/``from_store``: the form kept in the store. A backslash is doubled and a lone surrogate is
  written ``\\udc80`` (backslash, ``u``, four lower-case hex digits); nothing else changes, so an ordinary name
  is stored as itself. ``from_store(to_store(x)) == x`` for every ``str``.
- ``readable``/``shown``: the form a person or another program reads. A lone surrogate becomes U+FFFD, a C0
  control character its visible picture (a newline shows as ``␊``), and C1 controls, bidirectional controls
  and line separators are written ``[U+202E]``, so no name can break a line, a table or a page, or reorder
  the text around it.
"""

from __future__ import annotations

import os
import re

_TO_STORE = re.compile("[\\\\\ud800-\udfff]")
_FROM_STORE = re.compile(r"\\(\\|u[dD][89a-fA-F][0-9a-fA-F]{2})")
# C0 and C1 controls, DEL, lone surrogates, line/paragraph separators and every bidirectional control.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _store_one(match: re.Match[str]) -> str:
    char = match.group()
    return "\\\\" if char == "\\" else f"\\u{ord(char):04x}"


def _unstore_one(match: re.Match[str]) -> str:
    token = match.group(1)
    return "\\" if token == "\\" else chr(int(token[1:], 16))


def to_store(name: str) -> str:
    """The stored form of a name or path: valid Unicode text that gives the name back exactly."""
    return _TO_STORE.sub(_store_one, name)


def from_store(stored: str) -> str:
    """The name or path a stored form came from (undoes ``to_store``)."""
    return _FROM_STORE.sub(_unstore_one, stored) if "\\" in stored else stored


def _show_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ ... ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"[U+{code:04X}]"


def readable(name: str) -> str:
    """A name or path as a person should see it: no control, bidirectional or undecodable character."""
    return _UNSAFE.sub(_show_one, name)


def shown(stored: str) -> str:
    """The readable form of a stored name or path."""
    return readable(from_store(stored))


def is_plain(name: str) -> bool:
    """True when the name reads the same in every form (no character ``readable`` would change)."""
    return _UNSAFE.search(name) is None


def from_bytes(raw: bytes) -> str:
    """A local name as Steward holds it (file-system encoding, undecodable bytes as lone surrogates)."""
    return os.fsdecode(raw)


def to_bytes(name: str) -> bytes:
    """The real bytes of a local name (undoes ``from_bytes``)."""
    return os.fsencode(name)
