"""Tables are read column-aware: header and a sample of values decide a column's type; counts are rows."""

from __future__ import annotations

import pytest
from faker import Faker

from scanner.config import DetectionConfig
from scanner.detect import ColumnSample, Detector, build_detector
from scanner.types import Chunk
from tests.test_detect_api import cached_detector


@pytest.fixture(scope="session")
def detector() -> Detector:
    return cached_detector()


def column(where: str, header: str, values: list[str], first_row: int = 2, sheet: str = "Staff") -> Chunk:
    return Chunk("\n".join(values), where, (sheet,), column=header, first_row=first_row)


def test_columns_take_types_from_header_and_values(detector: Detector) -> None:
    fake = Faker("en_GB")
    fake.seed_instance(7)
    names = [fake.name() for _ in range(20)]
    postcodes = [fake.postcode() for _ in range(20)]
    ninos = ["AB123456C", "JG103759A", "", "n/a"] * 5
    result = detector.detect(
        [
            column("Staff!A", "Employee name", names),
            column("Staff!B", "Postcode", postcodes),
            column("Staff!C", "NI Number", ninos),
            column("Staff!D", "Notes", ["ok", "see file", "Tel 020 7946 0958", "fine"] * 5),
        ]
    )
    found = result.entities()
    assert found["PERSON"] == 20
    assert found["UK_POSTCODE"] == 20  # bare postcodes: weak alone, but the whole column is postcodes
    assert found["UK_NINO"] == 10  # rows holding a NI number
    assert found["PHONE_NUMBER"] == 5
    by_column = {c.column: c for c in result.columns}
    assert by_column["Postcode"].entity == "UK_POSTCODE"
    assert by_column["NI Number"].entity == "UK_NINO"
    assert by_column["Notes"].entity is None
    nino = next(d for d in result.detections if d.entity == "UK_NINO")
    assert nino.where[:2] == ("Staff!C2", "Staff!C3")  # cell locators: where + row


def test_a_column_is_continued_across_chunks_and_large_tables_are_sampled() -> None:
    small = build_detector(DetectionConfig(spacy_model="none", table_sample_rows=100))
    chunks = [
        column("Sheet1!B", "NHS No", ["943 476 5919", "401 023 2137"] * 100, first_row=2 + 200 * i) for i in range(5)
    ]
    result = small.detect(chunks)
    assert result.columns == (
        ColumnSample(
            "Sheet1!B", "NHS No", rows=1000, sampled=100, entity="UK_NHS", matched=100, found=(("UK_NHS", 1000),)
        ),
    )
    assert result.entities() == {"UK_NHS": 1000}  # extrapolated from the sample


def test_a_column_of_product_codes_is_not_personal_data(detector: Detector) -> None:
    codes = [f"PRD-{i:05d}-X" for i in range(50)]
    prices = [f"{i * 3.5:.2f}" for i in range(50)]
    result = detector.detect(
        [
            column("Stock!A", "Product code", codes, sheet="Stock"),
            column("Stock!B", "Price", prices, sheet="Stock"),
        ]
    )
    assert result.detections == ()


def test_dob_column_counts_dates_of_birth(detector: Detector) -> None:
    dates = ["03/04/1975", "1980-12-01", "", "12/12/2001"]
    result = detector.detect([column("Pupils!C", "DOB", dates, sheet="Pupils")])
    assert result.entities() == {"DATE_OF_BIRTH": 3}


def test_typed_columns_beyond_the_first_rows_are_still_counted(detector: Detector) -> None:
    mobiles = [f"07911 {100000 + i}" for i in range(60)]
    accounts = [f"{12345678 + i}" for i in range(60)]  # 8-digit numbers under an account-number header
    result = detector.detect([column("Staff!E", "Mobile", mobiles), column("Staff!F", "Account number", accounts)])
    assert result.entities() == {"PHONE_NUMBER": 60, "UK_BANK_ACCOUNT": 60}
    (mobile, account) = result.columns
    assert (mobile.entity, mobile.matched, account.entity) == ("PHONE_NUMBER", 60, "UK_BANK_ACCOUNT")


def test_eight_digit_account_numbers_are_found_by_their_header() -> None:
    detector = build_detector(DetectionConfig(spacy_model="none"))
    values = "\n".join(str(10_000_000 + i * 7919) for i in range(60))
    found = detector.detect([Chunk(values, "A", column="account number", first_row=2)])
    assert found.entities() == {"UK_BANK_ACCOUNT": 60}
    assert detector.detect([Chunk(values, "A", column="order number", first_row=2)]).entities() == {}


def test_headers_written_as_database_columns_are_read_like_words() -> None:
    detector = build_detector(DetectionConfig(spacy_model="none"))
    values = "\n".join(str(10_000_000 + i * 7919) for i in range(20))
    for header in ("account_number", "AccountNumber", "bank_account_no"):
        found = detector.detect([Chunk(values, "A", column=header, first_row=2)])
        assert found.entities() == {"UK_BANK_ACCOUNT": 20}, header


CONTACTS = [
    ["Name", "Area code", "Number", "Notes"],
    ["Helen Marsh", "024", "7683 3075", "prefers calls after 5"],
    ["Tariq Bhatti", "(0121)", "496 0018", ""],
    ["Ewa Nowak", "+48", "512 345 678", "mobile in Poland"],
    ["Room hire", "0121", "2024", "booked until 2024"],  # a code beside a year: not a number
]


def _split_table_file(fmt: str) -> tuple[str, bytes]:
    import csv
    import io

    buf = io.BytesIO()
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerows(CONTACTS)
        return "text/csv", text.getvalue().encode()
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Contacts"
        for row in CONTACTS:
            sheet.append(row)
        book.save(buf)
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.getvalue()
    import docx

    document = docx.Document()
    document.add_paragraph("Emergency contacts")
    table = document.add_table(rows=len(CONTACTS), cols=len(CONTACTS[0]))
    for r, row in enumerate(CONTACTS):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(buf)
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", buf.getvalue()


@pytest.mark.parametrize(("fmt", "prefix"), [("csv", ""), ("xlsx", "Contacts!"), ("docx", "table1!")])
def test_a_phone_number_split_over_two_cells_of_a_row(fmt: str, prefix: str) -> None:
    import io

    from scanner.extractors import for_mime
    from scanner.types import Limits

    mime, data = _split_table_file(fmt)
    extract = for_mime(mime)
    assert extract is not None
    result = build_detector(DetectionConfig(spacy_model="none")).detect(extract(io.BytesIO(data), Limits()))
    phones = {d.entity: d for d in result.detections}["PHONE_NUMBER"]
    assert phones.count == 3  # not the room hire's code beside a year
    assert phones.where == (f"{prefix}B2", f"{prefix}B3", f"{prefix}B4")  # the cell where each number starts
    assert phones.example == "024 **** ****"
