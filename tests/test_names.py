"""Names as they are: the stored form gives every name back exactly; the readable form shows no control,
bidirectional or undecodable character."""

from __future__ import annotations

import json
import random

from scanner.names import from_store, readable, shown, to_store

ALPHABET = ["\\", "u", "d", "c", "8", "0", "a", "/", "\n", "\x1b", "\u202e", "é", "\U0001f4c1", "\ufffd"]


def random_names(count: int) -> list[str]:
    rng = random.Random(15)
    names = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(0, 12)):
            roll = rng.random()
            if roll < 0.2:
                chars.append(chr(rng.randint(0xD800, 0xDFFF)))  # lone surrogates: bytes and unpaired UTF-16
            elif roll < 0.3:
                chars.append(chr(rng.randint(0, 0x10FFFF)))
            else:
                chars.append(rng.choice(ALPHABET))
        names.append("".join(chars))
    return names


def test_the_stored_form_is_lossless_and_storable_for_any_name() -> None:
    for name in [*random_names(20_000), "\\udc80", "\\\\udc80", "a\\", "\\u", "\udc80\\", "\ud800\udc00"]:
        stored = to_store(name)
        assert from_store(stored) == name
        stored.encode("utf-8")  # no lone surrogate left: SQLite and PostgreSQL take it as text


def test_ordinary_names_are_stored_as_themselves() -> None:
    for name in ("HR/Staff/list.csv", "Café/Ünïcode 📁.docx", "a b-c_d.(1).txt", "£100 budget.xlsx"):
        assert to_store(name) == name


def test_undecodable_bytes_and_unpaired_surrogates_have_a_stable_stored_form() -> None:
    local = "bad\udcff\udcfe.txt"  # b"bad\xff\xfe.txt" decoded with surrogateescape
    assert to_store(local) == "bad\\udcff\\udcfe.txt"
    assert to_store("smb\ud83d.txt") == "smb\\ud83d.txt"  # a high surrogate with no partner, from UTF-16
    assert to_store("back\\slash") == "back\\\\slash"


def test_the_readable_form_cannot_break_a_line_a_page_or_the_reading_order() -> None:
    assert readable("new\nline\r.txt") == "new\u240aline\u240d.txt"
    assert readable("invoice\u202egpj.exe") == "invoice[U+202E]gpj.exe"
    assert readable("\u2067x\u2069\u200f") == "[U+2067]x[U+2069][U+200F]"
    assert readable("bad\udcff.txt") == "bad\ufffd.txt"
    assert readable("c1\x85\x7f") == "c1[U+0085]\u2421"
    assert shown("bad\\udcff\\\\x") == "bad\ufffd\\x"
    for name in random_names(5_000):
        text = readable(name)
        assert "\n" not in text and "\u202e" not in text
        assert json.loads(json.dumps(text, ensure_ascii=False).encode("utf-8")) == text
