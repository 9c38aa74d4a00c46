"""ZIP archives: members found and located, and bombs, encryption and damage reported with a status."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest
from extraction import extract, locators

from scanner.errors import Corrupt, Encrypted, TooLarge
from scanner.extractors import for_mime
from scanner.samples.office import write_docx
from scanner.samples.text import build_zip, write_zip, write_zip_bomb
from scanner.types import Chunk, Limits, Status

NHS = "943 476 5919"
NI = "AB 12 34 56 C"
CSV = f"Name,Postcode,NHS number\nAnn Hughes,CV1 5RR,000\nBen Ward,B1 1AA,{NHS}\n".encode()


def test_members_are_located_by_path(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "hr.zip", {"2024/staff.csv": CSV, "notes/readme.txt": f"NI {NI}\n".encode()})
    chunks = extract(path)
    assert locators(chunks, NHS) == ["zip:2024/staff.csv/C3"]
    assert locators(chunks, NI) == ["zip:notes/readme.txt/line 1"]
    assert any(c.column == "NHS number" for c in chunks)


def test_nested_zip(tmp_path: Path) -> None:
    inner = build_zip({"deep/letter.txt": f"Dear Ben, your NI is {NI}".encode()})
    path = write_zip(tmp_path / "outer.zip", {"archive/inner.zip": inner, "top.csv": CSV})
    chunks = extract(path)
    assert locators(chunks, NI) == ["zip:archive/inner.zip/zip:deep/letter.txt/line 1"]
    assert locators(chunks, NHS) == ["zip:top.csv/C3"]


def test_office_documents_inside_are_not_opened_as_archives(tmp_path: Path) -> None:
    docx = write_docx(tmp_path / "cv.docx", [f"Curriculum vitae, NI {NI}"]).read_bytes()
    chunks = extract(write_zip(tmp_path / "cvs.zip", {"cv.docx": docx, "list.csv": CSV}))
    assert not any(c.where.startswith("zip:cv.docx/zip:") for c in chunks)
    assert locators(chunks, NHS) == ["zip:list.csv/C3"]


def test_encrypted_zip(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "locked.zip", {"staff.csv": CSV}, password="Council1")
    with pytest.raises(Encrypted) as err:
        extract(path)
    assert err.value.status == Status.ENCRYPTED
    assert NHS not in str(err.value)


def test_readable_members_still_come_out_before_encrypted_is_reported(tmp_path: Path) -> None:
    locked = build_zip({"secret.txt": b"x"}, password="pw")
    path = write_zip(tmp_path / "mixed.zip", {"a/locked.zip": locked, "b/staff.csv": CSV})
    got: list[Chunk] = []
    with path.open("rb") as fh, pytest.raises(Encrypted):
        for chunk in for_mime("application/zip")(fh, Limits()):  # type: ignore[misc]
            got.append(chunk)
    assert locators(got, NHS) == ["zip:b/staff.csv/C3"]


def test_gigabyte_of_zeros_is_too_large_fast(tmp_path: Path) -> None:
    path = write_zip_bomb(tmp_path / "zeros.zip", "ratio")
    assert path.stat().st_size < 2 * 1024 * 1024
    for limits in (Limits(), Limits(max_file_bytes=2**31, max_expanded_bytes=2**31)):
        start = time.monotonic()
        with pytest.raises(TooLarge):
            extract(path, limits)
        assert time.monotonic() - start < 10  # a hang guard, not a speed target


def test_nested_bomb_is_too_large_fast(tmp_path: Path) -> None:
    path = write_zip_bomb(tmp_path / "42.zip", "nested")
    start = time.monotonic()
    with pytest.raises(TooLarge):
        extract(path)
    assert time.monotonic() - start < 10


def test_expansion_is_counted_on_bytes_actually_read(tmp_path: Path) -> None:
    members = {f"part{i}.txt": (f"line {i} ".encode() * 40_000) for i in range(8)}  # ~320 KB each
    path = write_zip(tmp_path / "parts.zip", members)
    assert extract(path, Limits(max_expanded_bytes=4_000_000))
    with pytest.raises(TooLarge):
        extract(path, Limits(max_expanded_bytes=1_000_000))


def test_header_that_understates_size_does_not_fool_the_reader(tmp_path: Path) -> None:
    data = bytearray(build_zip({"zeros.txt": bytes(50 * 1024 * 1024)}))
    # claim 1 KB expanded in both the local and the central header
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 1024)
    struct.pack_into("<I", data, central + 24, 1024)
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(data))
    with pytest.raises((Corrupt, TooLarge)):
        extract(path)


def test_too_deep_and_too_many(tmp_path: Path) -> None:
    blob = build_zip({"deep.txt": NI.encode()})
    for _ in range(3):
        blob = build_zip({"level.zip": blob})
    path = tmp_path / "deep.zip"
    path.write_bytes(blob)
    assert locators(extract(path), NI)  # four archives deep: within the default depth of 3 nestings
    path.write_bytes(build_zip({"level.zip": blob}))
    with pytest.raises(TooLarge):
        extract(path)
    many = write_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(30)})
    with pytest.raises(TooLarge):
        extract(many, Limits(max_archive_members=20))


def test_truncated_and_damaged_zips_are_corrupt(tmp_path: Path) -> None:
    whole = build_zip({"staff.csv": CSV * 50, "b.txt": b"hello " * 1000})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with cut.open("rb") as fh, pytest.raises(Corrupt):
        list(for_mime("application/zip")(fh, Limits()))  # type: ignore[misc]
    damaged = bytearray(whole)
    damaged[60:80] = bytes(20)  # inside the first member's deflated data
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(Corrupt):
        extract(bad)


def test_empty_archive_and_empty_file(tmp_path: Path) -> None:
    assert extract(write_zip(tmp_path / "empty.zip", {})) == []
    zero = tmp_path / "zero.zip"
    zero.write_bytes(b"")
    with zero.open("rb") as fh, pytest.raises(Corrupt):
        list(for_mime("application/zip")(fh, Limits()))  # type: ignore[misc]


def test_text_limit_covers_the_whole_archive(tmp_path: Path) -> None:
    members = {f"f{i}.txt": b"word " * 2000 for i in range(10)}
    chunks = extract(write_zip(tmp_path / "words.zip", members), Limits(max_text_chars=25_000))
    assert sum(len(c.text) for c in chunks) <= 25_000


def test_builders_are_deterministic(tmp_path: Path) -> None:
    from scanner.samples.text import build_msg, write_eml

    assert build_zip({"a.csv": CSV}, password="pw") == build_zip({"a.csv": CSV}, password="pw")
    assert build_msg("S", "B", "a@example.org", ["b@example.org"], [("a.csv", CSV)]) == build_msg(
        "S", "B", "a@example.org", ["b@example.org"], [("a.csv", CSV)]
    )
    one = write_eml(tmp_path / "1.eml", "S", "B", "a@example.org", "b@example.org", [("a.csv", CSV)])
    two = write_eml(tmp_path / "2.eml", "S", "B", "a@example.org", "b@example.org", [("a.csv", CSV)])
    assert one.read_bytes() == two.read_bytes()
