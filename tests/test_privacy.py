"""Personal data stays where it was: no planted value appears in the store, the logs or any export."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from click.testing import Result

from scanner.samples import office, text

PLANTED = {
    "nhs": "943 476 5919",
    "nino": "AB 12 34 56 C",
    "email": "sarah.thompson@example.co.uk",
    "phone": "07700 900123",
    "name": "Sarah Thompson",
    "postcode": "CV1 5RR",
    "card": "4111 1111 1111 1111",
    "iban": "GB82WEST12345698765432",
}


def forms(value: str) -> set[bytes]:
    """The value as written and without separators, in the encodings a store or export could use."""
    variants = {value, value.replace(" ", ""), value.upper(), value.lower()}
    return {v.encode(enc) for v in variants for enc in ("utf-8", "utf-16-le")}


def leaks(blob: bytes) -> list[str]:
    return [key for key, value in PLANTED.items() if any(f in blob for f in forms(value))]


def test_no_raw_value_in_store_logs_or_exports(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result], caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "share" / "Adult Social Care"
    root.mkdir(parents=True)
    p = PLANTED
    line = (
        f"Client {p['name']}, NHS number {p['nhs']}, NI number {p['nino']}, email {p['email']}, "
        f"telephone {p['phone']}, postcode {p['postcode']}, card {p['card']}, IBAN {p['iban']}."
    )
    office.write_docx(root / "case.docx", ["Case summary", line])
    document = docx.Document(str(root / "case.docx"))
    document.core_properties.author = p["name"]  # a document property is a value found in the file too
    document.core_properties.last_modified_by = p["email"]
    document.save(str(root / "case.docx"))
    text.write_csv(root / "clients.csv", [["Name", "NHS number", "Email"], [p["name"], p["nhs"], p["email"]]])
    text.write_eml(
        root / "referral.eml",
        "Referral",
        line,
        "team@council.example.gov.uk",
        "care@example.org",
        [("notes.txt", line.encode())],
    )
    text.write_zip(root / "export.zip", {"inner/list.txt": line.encode()})
    config = write_config(tmp_path / "share")
    outputs = tmp_path / "out"
    outputs.mkdir()
    with caplog.at_level(logging.DEBUG):
        assert steward("--log-level", "debug", "scan", "--config", str(config)).exit_code == 0
        for fmt in ("csv", "json", "xlsx"):
            steward("export", "iar", "--config", str(config), "--format", fmt, "--out", str(outputs / f"iar.{fmt}"))
        steward("export", "files", "--config", str(config), "--out", str(outputs / "files.jsonl"))
        shown = steward("asset", "Adult Social Care", "--config", str(config)).output
        listed = steward("assets", "--config", str(config)).output
    files_export = (outputs / "files.jsonl").read_text()
    assert '"UK_NHS"' in files_export and '"EMAIL_ADDRESS"' in files_export  # it did find them
    assert leaks(shown.encode()) == [] and leaks(listed.encode()) == []
    assert leaks(caplog.text.encode()) == []
    for path in outputs.iterdir():
        blob = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(io.BytesIO(blob)) as book:
                blob = b"".join(book.read(n) for n in book.namelist())
        assert leaks(blob) == [], path.name
    for path in tmp_path.glob("steward.db*"):
        assert leaks(path.read_bytes()) == [], path.name
