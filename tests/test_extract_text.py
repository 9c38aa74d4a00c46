"""Plain text, CSV/TSV, JSON, XML and HTML: planted values come back with locators a reviewer can follow."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from extraction import extract
from faker import Faker

from scanner.errors import Corrupt
from scanner.extractors import for_mime
from scanner.samples.text import write_csv, write_html, write_json, write_text, write_xml
from scanner.types import Chunk, Limits

NHS = "943 476 5919"
NI = "AB 12 34 56 C"


def cells(chunks: list[Chunk]) -> dict[str, str]:
    """Column chunks expanded to one locator per cell ("C7" -> value)."""
    out = {}
    for chunk in chunks:
        assert chunk.first_row is not None
        for i, value in enumerate(chunk.text.split("\n")):
            out[f"{chunk.where}{chunk.first_row + i}"] = value
    return out


def where_of(chunks: list[Chunk], needle: str) -> list[str]:
    return [c.where for c in chunks if needle in c.text]


def fake_paragraphs(count: int) -> list[str]:
    fake = Faker("en_GB")
    fake.seed_instance(7)
    return ["\n".join(fake.sentence(nb_words=12) for _ in range(4)) for _ in range(count)]


# --- plain text -------------------------------------------------------------------------------------


def test_paragraphs_are_chunked_and_located_by_their_first_line(tmp_path: Path) -> None:
    paragraphs = fake_paragraphs(60)
    paragraphs[41] = f"Patient NHS number {NHS}\n" + paragraphs[41]
    text = "\n\n".join(paragraphs) + "\n"
    chunks = extract(write_text(tmp_path / "notes.txt", text))
    file_lines = text.split("\n")
    assert len(chunks) > 1
    for chunk in chunks:  # every locator points at the line the chunk starts on
        line = int(chunk.where.removeprefix("line "))
        assert file_lines[line - 1] == chunk.text.split("\n")[0]
        assert len(chunk.text) <= Limits().max_chunk_chars
    assert "".join(c.text for c in chunks).count(NHS) == 1
    assert " ".join(" ".join(c.text.split()) for c in chunks) == " ".join(text.split())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "cp1252", "latin-1", "utf-8-sig", "utf-8"])
def test_council_encodings_decode_pound_and_accents(tmp_path: Path, encoding: str) -> None:
    text = f"Dear Ms Renée Dupré,\nYour council tax arrears are £1,250.50 for the café at 12 Rue Élise.\nRef {NI}\n" * 3
    # libmagic does not call UTF-16 without a byte-order mark text; the decoder still reads it
    mime = "text/plain" if encoding == "utf-16-le" else None
    chunks = extract(write_text(tmp_path / "letter.txt", text, encoding), mime=mime)
    joined = "\n".join(c.text for c in chunks)
    assert "£1,250.50" in joined and "Renée Dupré" in joined and "café" in joined
    assert "\ufeff" not in joined and "\ufffd" not in joined
    assert chunks[0].where == "line 1"


def test_windows_line_endings_count_lines_once(tmp_path: Path) -> None:
    text = "one\r\ntwo\r\n\r\n" + "filler line\r\n" * 5000 + f"\r\n{NI}\r\n"
    chunks = extract(write_text(tmp_path / "crlf.txt", text), Limits(max_chunk_chars=100))
    file_lines = text.split("\r\n")
    for chunk in chunks:
        first = int(chunk.where.removeprefix("line "))
        assert chunk.text.split("\n") == file_lines[first - 1 : first - 1 + chunk.text.count("\n") + 1]
    assert NI in chunks[-1].text and chunks[-1].where == "line 5003"  # the chunk starts two lines above it


def test_text_limits_are_respected(tmp_path: Path) -> None:
    path = write_text(tmp_path / "big.txt", ("x" * 70 + "\n") * 20_000 + "y" * 50_000)
    limits = Limits(max_text_chars=100_000, max_chunk_chars=5_000)
    chunks = extract(path, limits)
    assert sum(len(c.text) for c in chunks) <= 100_000
    assert all(len(c.text) <= 5_000 for c in chunks)
    one_line = extract(write_text(tmp_path / "line.txt", "z" * 30_000), limits)
    assert [c.where for c in one_line] == ["line 1"] * 6 and "".join(c.text for c in one_line) == "z" * 30_000


# --- CSV and TSV ------------------------------------------------------------------------------------


def staff_rows(n: int = 10) -> list[list[str]]:
    fake = Faker("en_GB")
    fake.seed_instance(3)
    return [["Name", "Postcode", "NHS number"]] + [[fake.name(), fake.postcode(), ""] for _ in range(n)]


def test_csv_header_names_the_column_and_cells_read_like_c7(tmp_path: Path) -> None:
    rows = staff_rows()
    rows[6][2] = NHS  # row 7 of the file, column C
    chunks = extract(write_csv(tmp_path / "staff.csv", rows))
    column_c = [c for c in chunks if c.where == "C"]
    assert column_c and column_c[0].column == "NHS number" and "NHS number" in column_c[0].context
    assert cells(chunks)["C7"] == NHS
    assert cells(chunks)["A2"] == rows[1][0]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "export.csv"), ("\t", "export.tsv"), ("|", "x.csv")])
def test_other_delimiters_are_sniffed(tmp_path: Path, delimiter: str, name: str) -> None:
    rows = staff_rows()
    rows[3][2] = NHS
    chunks = extract(write_csv(tmp_path / name, rows, delimiter=delimiter))
    assert cells(chunks)["C4"] == NHS
    assert {c.column for c in chunks} == {"Name", "Postcode", "NHS number"}


def test_csv_in_windows_1252_with_quoted_newlines(tmp_path: Path) -> None:
    rows = [["Name", "Notes", "Balance"], ["Zoë O'Neill", "line one\nline two", "£12"], ["Ann", "x", "£5"]]
    chunks = extract(write_csv(tmp_path / "money.csv", rows, encoding="cp1252"))
    got = cells(chunks)
    assert got["A2"] == "Zoë O'Neill" and got["C2"] == "£12" and got["A3"] == "Ann"


def test_csv_rows_are_capped(tmp_path: Path) -> None:
    rows = [["Name", "NHS number"]] + [[f"person {i}", NHS] for i in range(1000)]
    chunks = extract(write_csv(tmp_path / "long.csv", rows), Limits(max_table_rows=100))
    assert max(int(loc[1:]) for loc in cells(chunks)) == 100


# --- JSON -------------------------------------------------------------------------------------------


def patients(n: int = 6) -> dict[str, object]:
    fake = Faker("en_GB")
    fake.seed_instance(5)
    return {
        "service": "Adult social care",
        "patients": [{"name": fake.name(), "nhs": f"000 000 {i:04d}", "age": 30 + i, "ok": True} for i in range(n)],
    }


def test_json_values_come_with_their_key_path(tmp_path: Path) -> None:
    doc = patients()
    doc["patients"][3]["nhs"] = NHS  # type: ignore[index]
    path = write_json(tmp_path / "export.json", doc)
    grouped = extract(path)
    assert len(grouped) == 1  # values are grouped, not one chunk per value
    assert f"nhs: {NHS}" in grouped[0].text and {"name", "nhs"} <= set(grouped[0].context)
    assert grouped[0].where == "$.service"
    one_each = extract(path, Limits(max_chunk_chars=20))
    assert where_of(one_each, NHS) == ["$.patients[3].nhs"]
    assert "True" not in grouped[0].text and "true" not in grouped[0].text


def test_json_escapes_odd_keys_and_scalars(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text('{"contact details": {"e\\u006dail": "ren\\u00e9e@example.co.uk", "n": 9434765919}}')
    chunks = extract(path, Limits(max_chunk_chars=30))
    assert where_of(chunks, "renée@example.co.uk") == ['$["contact details"].email']
    assert where_of(chunks, "9434765919") == ['$["contact details"].n']


def test_truncated_json_is_corrupt(tmp_path: Path) -> None:
    path = write_json(tmp_path / "cut.json", patients(50))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(Corrupt):
        extract(path, mime="application/json")
    path.write_bytes(whole + b"]} garbage")
    with pytest.raises(Corrupt):
        extract(path, mime="application/json")


# --- XML --------------------------------------------------------------------------------------------


def test_xml_element_text_with_tag_context_and_line(tmp_path: Path) -> None:
    records = [{"name": f"Person {i}", "nhs": f"000 000 {i:04d}"} for i in range(5)]
    records[2]["nhs"] = NHS
    path = write_xml(tmp_path / "patients.xml", "patients", records)
    chunks = extract(path)
    assert f"nhs: {NHS}" in chunks[0].text and {"name", "nhs"} <= set(chunks[0].context)
    assert where_of(extract(path, Limits(max_chunk_chars=20)), NHS) == ["line 5"]
    assert path.read_text().split("\n")[4].count(NHS) == 1


def test_xml_billion_laughs_is_not_expanded(tmp_path: Path) -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    path = tmp_path / "laughs.xml"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE r [{entities}]>\n<r><a>{NI} &lol9;</a></r>\n')
    start = time.monotonic()
    chunks = extract(path)
    assert time.monotonic() - start < 10  # a hang guard, not a speed target
    assert NI in chunks[0].text and "lol" not in chunks[0].text


def test_truncated_xml_is_corrupt(tmp_path: Path) -> None:
    path = write_xml(tmp_path / "cut.xml", "r", [{"a": "x" * 50}] * 20)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(Corrupt):
        extract(path)


# --- HTML -------------------------------------------------------------------------------------------


def test_html_visible_text_only(tmp_path: Path) -> None:
    path = write_html(
        tmp_path / "page.html",
        "Staff list",
        ["Intro", f"Sarah Thompson, NI {NI}"],
        script="var secret = 'AB 99 99 99 A';",
    )
    chunks = extract(path)
    text = "\n".join(c.text for c in chunks)
    assert f"Sarah Thompson, NI {NI}" in text and "Staff list" in text
    assert "AB 99 99 99 A" not in text and "color" not in text
    small = extract(path, Limits(max_chunk_chars=40))
    line = int(where_of(small, NI)[0].removeprefix("line "))
    assert NI in path.read_text().split("\n")[line - 1]


# --- empty files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mime", ["text/plain", "text/csv", "application/json", "text/xml", "text/html"])
def test_empty_input_gives_no_chunks(mime: str, tmp_path: Path) -> None:
    extractor = for_mime(mime)
    assert extractor is not None
    with (tmp_path / "empty").open("wb+") as fh:
        if mime == "text/xml":
            with pytest.raises(Corrupt):  # an XML document needs a root element
                list(extractor(fh, Limits()))
        else:
            assert list(extractor(fh, Limits())) == []


def test_quote_guess_shortcut_gives_the_standard_answer() -> None:
    """The delimited-text sniffer skips csv.Sniffer's quote guess only where the guess cannot find a quote."""
    import csv
    import random

    from scanner.extractors.text import _Sniffer

    rng = random.Random(5)
    pieces = ["a", "b c", ",", ";", "\t", "|", "\n", '"', "'", "O'Neill", '"x, y"', "1"]
    ours, standard = _Sniffer(), csv.Sniffer()
    for _ in range(5000):
        sample = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        assert ours._guess_quote_and_delimiter(sample, None) == standard._guess_quote_and_delimiter(sample, None)
