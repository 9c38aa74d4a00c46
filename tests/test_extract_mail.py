"""E-mail (.eml) and Outlook (.msg): headers, body and attachments, each with its locator."""

from __future__ import annotations

import struct
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import magic
import olefile
import pytest
from extraction import extract, locators
from faker import Faker

from scanner.errors import Corrupt, Encrypted
from scanner.extractors import for_mime
from scanner.samples.cfb import write_cfb
from scanner.samples.office import write_docx
from scanner.samples.text import OUTLOOK_MSG_CLSID, build_zip, write_eml, write_msg
from scanner.types import Chunk, Limits

NHS = "943 476 5919"
NI = "AB 12 34 56 C"
CSV = f"Name,Postcode,NHS number\nAnn Hughes,CV1 5RR,000\nBen Ward,B1 1AA,{NHS}\n".encode()
HERE = Path(__file__).parent


def people() -> tuple[str, str]:
    fake = Faker("en_GB")
    fake.seed_instance(11)
    return fake.name(), fake.name()


def attachments(tmp_path: Path) -> list[tuple[str, bytes]]:
    docx = write_docx(tmp_path / "cv.docx", [f"CV of Ben Ward, NI {NI}"]).read_bytes()
    return [("staff list.csv", CSV), ("note.txt", f"Call Ben about NI {NI}\n".encode()), ("cv.docx", docx)]


# --- .eml -------------------------------------------------------------------------------------------


def test_eml_headers_body_and_attachments(tmp_path: Path) -> None:
    sender, recipient = people()
    path = write_eml(
        tmp_path / "mail.eml",
        "Payroll query",
        f"Hello,\nNI {NI} is wrong.\n",
        f"{sender} <hr@council.example.gov.uk>",
        [f"{recipient} <pay@council.example.gov.uk>"],
        attachments(tmp_path),
    )
    chunks = extract(path)
    headers = chunks[0]
    assert headers.where == "headers"
    assert sender in headers.text and recipient in headers.text and "Subject: Payroll query" in headers.text
    assert locators(chunks, NI)[:2] == ["body", "att:note.txt/line 1"]
    assert locators(chunks, NHS) == ["att:staff list.csv/C3"]
    assert any(c.where == "att:staff list.csv/C" and c.column == "NHS number" for c in chunks)


def test_eml_html_body_and_forwarded_message(tmp_path: Path) -> None:
    inner = BytesParser(policy=policy.default).parsebytes(
        write_eml(
            tmp_path / "inner.eml", "Original", "See list", "a@example.org", "b@example.org", [("list.csv", CSV)]
        ).read_bytes()
    )
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "c@example.org", "d@example.org", "Fwd: Original"
    msg.set_content(f"<html><body><script>var x='{NHS}';</script><p>Sarah, NI {NI}</p></body></html>", subtype="html")
    msg.add_attachment(inner, filename="original.eml")
    path = tmp_path / "fwd.eml"
    path.write_bytes(bytes(msg))
    chunks = extract(path)
    assert locators(chunks, NI) == ["body"]
    assert locators(chunks, NHS) == ["att:original.eml/att:list.csv/C3"]  # not the script's copy


def test_eml_goes_on_past_an_encrypted_attachment(tmp_path: Path) -> None:
    locked = build_zip({"a.txt": b"secret"}, password="pw")
    path = write_eml(
        tmp_path / "m.eml",
        "Files",
        f"NI {NI}",
        "a@example.org",
        "b@example.org",
        [("locked.zip", locked), ("staff.csv", CSV)],
    )
    got: list[Chunk] = []
    with path.open("rb") as fh, pytest.raises(Encrypted):
        for chunk in for_mime("message/rfc822")(fh, Limits()):  # type: ignore[misc]
            got.append(chunk)
    assert locators(got, NHS) == ["att:staff.csv/C3"] and locators(got, NI) == ["body"]


# --- .msg -------------------------------------------------------------------------------------------


def test_msg_is_a_real_outlook_file(tmp_path: Path) -> None:
    path = write_msg(tmp_path / "m.msg", "Subject", "Body", "a@example.org", attachments(tmp_path))
    assert magic.from_file(str(path), mime=True) == "application/vnd.ms-outlook"
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.exists("__attach_version1.0_#00000002/__substg1.0_37010102")
        assert ole.exists("__recip_version1.0_#00000000/__substg1.0_39FE001F")


def test_msg_headers_body_and_attachments(tmp_path: Path) -> None:
    path = write_msg(
        tmp_path / "payroll.msg",
        "Quarterly payroll £",
        f"Hi,\n\nNI {NI} attached.",
        "alice@example.co.uk",
        attachments(tmp_path),
    )
    chunks = extract(path)
    headers = chunks[0]
    assert headers.where == "headers"
    assert "Subject: Quarterly payroll £" in headers.text and "alice@example.co.uk" in headers.text
    assert "To: records@council.example.gov.uk" in headers.text
    assert locators(chunks, NI)[:2] == ["body", "att:note.txt/line 1"]
    assert locators(chunks, NHS) == ["att:staff list.csv/C3"]


def test_msg_built_elsewhere_reads_the_same(tmp_path: Path) -> None:
    chunks = extract(HERE / "data" / "outlook-note.msg")
    assert chunks[0].where == "headers" and "Subject: Quarterly payroll" in chunks[0].text
    assert [c.where for c in chunks if "NI number" in c.text] == ["body"]


def _prop_entry(tag: int, size: int) -> bytes:
    return struct.pack("<IIII", tag, 6, size, 0)


def test_msg_ansi_strings_cc_and_attached_message(tmp_path: Path) -> None:
    """Older Outlook writes 8-bit strings (001E) in the message's code page; a forwarded message is a
    storage inside its attachment."""
    top = struct.pack("<8xIIII8x", 1, 1, 1, 1) + struct.pack("<IIQ", 0x3FFD0003, 6, 1252)
    recip = bytes(8) + struct.pack("<IIQ", 0x0C150003, 6, 2)
    embedded = "__attach_version1.0_#00000000/__substg1.0_3701000D/"
    streams = {
        "__properties_version1.0": top,
        "__substg1.0_0037001E": "Café rota £".encode("cp1252"),
        "__substg1.0_1000001E": f"Renée: NI {NI}".encode("cp1252"),
        "__substg1.0_0C1F001E": b"old@example.org",
        "__recip_version1.0_#00000000/__properties_version1.0": recip,
        "__recip_version1.0_#00000000/__substg1.0_3001001E": b"Copy Person",
        "__recip_version1.0_#00000000/__substg1.0_39FE001E": b"copy@example.org",
        "__attach_version1.0_#00000000/__properties_version1.0": bytes(8),
        "__attach_version1.0_#00000000/__substg1.0_3707001F": "forwarded.msg".encode("utf-16-le"),
        embedded + "__properties_version1.0": bytes(24),
        embedded + "__substg1.0_0037001F": "Inner".encode("utf-16-le"),
        embedded + "__substg1.0_1000001F": f"NHS {NHS}".encode("utf-16-le"),
    }
    path = tmp_path / "old.msg"
    path.write_bytes(write_cfb(streams, OUTLOOK_MSG_CLSID))
    chunks = extract(path)
    assert "Subject: Café rota £" in chunks[0].text and "Cc: Copy Person <copy@example.org>" in chunks[0].text
    assert locators(chunks, "Renée") == ["body"]
    assert locators(chunks, NHS) == ["att:forwarded.msg/body"]
    assert "att:forwarded.msg/headers" in [c.where for c in chunks]


def test_truncated_and_empty_msg_are_corrupt(tmp_path: Path) -> None:
    whole = write_msg(tmp_path / "m.msg", "S", "B" * 5000, "a@example.org", attachments(tmp_path))
    whole = whole.read_bytes()
    extractor = for_mime("application/vnd.ms-outlook")
    assert extractor is not None
    for data in (whole[: len(whole) // 2], b""):
        cut = tmp_path / "cut.msg"
        cut.write_bytes(data)
        with cut.open("rb") as fh, pytest.raises(Corrupt):
            list(extractor(fh, Limits()))


def test_empty_eml_gives_no_chunks(tmp_path: Path) -> None:
    extractor = for_mime("message/rfc822")
    assert extractor is not None
    with (tmp_path / "e.eml").open("wb+") as fh:
        assert list(extractor(fh, Limits())) == []
