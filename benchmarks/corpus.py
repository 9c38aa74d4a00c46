"""A deterministic, labelled corpus of extracted council text (Faker en_GB) for the detection benchmarks.

Each document is a list of Chunks as an extractor would yield them (prose pages, or one chunk per table
column) and the set of entity types truly planted in it. Positive kinds: letters, case notes, HR and pupil
tables, payment records, e-mails, access logs. Negative kinds are hard: council reports full of capitalised
service and place names, policies full of special-category words about no one, product-code tables, invoices
with numbers that fail the NHS and Luhn checks, NI-shaped references with never-issued prefixes, references
shaped like phone numbers, application logs and source code.

    python -m benchmarks.corpus --files 20     # print a few documents
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from benchmarks.corpus_values import DIAGNOSES, OBJECTS, SERVICES, Gen
from scanner.types import Chunk


@dataclass(frozen=True, slots=True)
class Doc:
    name: str
    kind: str
    chunks: tuple[Chunk, ...]
    labels: frozenset[str]

    @property
    def chars(self) -> int:
        return sum(len(c.text) for c in self.chunks)


def _pages(text: str, size: int = 6000) -> tuple[Chunk, ...]:
    return tuple(Chunk(text[i : i + size], f"p{i // size + 1}") for i in range(0, max(len(text), 1), size))


def _table(sheet: str, columns: dict[str, list[str]]) -> tuple[Chunk, ...]:
    return tuple(
        Chunk("\n".join(vals), f"{sheet}!{chr(65 + i)}", (sheet,), column=header, first_row=2)
        for i, (header, vals) in enumerate(columns.items())
    )


# -- positive documents --------------------------------------------------------------------------------------
def letter(g: Gen, filler: int) -> tuple[str, set[str]]:
    name, labels = g.name(), {"PERSON", "UK_ADDRESS", "UK_POSTCODE"}
    lines = [
        g.r.choice(["", "OFFICIAL-SENSITIVE\n"]) + name,
        g.address_block(),
        "",
        f"Dear {g.r.choice(['Mr', 'Mrs', 'Ms', 'Miss'])} {name.split()[-1]},",
        g.filler(filler),
    ]
    if g.r.random() < 0.4:
        lines.append(f"Your NHS number is {g.nhs()}.")
        labels.add("UK_NHS")
    if g.r.random() < 0.5:
        lines.append(f"If you have any questions please call {g.phone()}.")
        labels.add("PHONE_NUMBER")
    if g.r.random() < 0.4:
        lines.append(f"You can also email me at {g.email(name)}.")
        labels.add("EMAIL_ADDRESS")
    lines += [
        "Yours sincerely,",
        "",
        g.name(),
        g.r.choice(["Social Worker", "Housing Officer", "Team Manager"]),
    ]
    return "\n".join(lines), labels


def case_note(g: Gen, filler: int) -> tuple[str, set[str]]:
    name, labels = g.name(), {"PERSON"}
    parts = [f"Case note - {g.r.choice(SERVICES)}", f"Client: {name}"]
    if g.r.random() < 0.7:
        parts.append(g.r.choice([f"Date of birth: {g.dob()}", f"DOB {g.dob()}", f"born on {g.dob()}"]))
        labels.add("DATE_OF_BIRTH")
    if g.r.random() < 0.5:
        parts.append(f"NHS number {g.nhs()}")
        labels.add("UK_NHS")
    if g.r.random() < 0.4:
        parts.append(f"NI number: {g.nino()}")
        labels.add("UK_NINO")
    parts.append(
        f"{name.split()[0]} was seen at home with {g.name()} (carer). {name.split()[0]} has "
        f"{g.r.choice(DIAGNOSES)} and the care plan was reviewed. {g.filler(filler)}"
    )
    if g.r.random() < 0.3:
        parts.append(f"Lives at {g.address_block(', ')}.")
        labels |= {"UK_ADDRESS", "UK_POSTCODE"}
    return "\n".join(parts), labels


def hr_table(g: Gen, rows: int) -> tuple[tuple[Chunk, ...], set[str]]:
    cols: dict[str, list[str]] = {"Employee name": [g.name() for _ in range(rows)]}
    labels = {"PERSON"}
    optional = {
        "NI Number": ("UK_NINO", g.nino),
        "Date of Birth": ("DATE_OF_BIRTH", g.dob),
        "Postcode": ("UK_POSTCODE", g.postcode),
        "Mobile": ("PHONE_NUMBER", g.phone),
        "Address line 1": ("UK_ADDRESS", g.street),
        "Sort code": ("UK_BANK_ACCOUNT", None),
    }
    for header, (entity, fn) in optional.items():
        if g.r.random() < 0.5:
            if fn is None:
                cols["Sort code"] = [
                    f"{g.r.randrange(10, 99)}-{g.r.randrange(10, 99)}-{g.r.randrange(10, 99)}" for _ in range(rows)
                ]
                cols["Account number"] = [f"{g.r.randrange(10**7, 10**8)}" for _ in range(rows)]
            else:
                cols[header] = [fn() for _ in range(rows)]
            labels.add(entity)
    cols["Job title"] = [g.r.choice(["Officer", "Manager", "Assistant", "Technician"]) for _ in range(rows)]
    return _table("Staff", cols), labels


def pupil_table(g: Gen, rows: int) -> tuple[tuple[Chunk, ...], set[str]]:
    cols = {
        "UPN": [g.upn() for _ in range(rows)],
        "Forename": [g.f.first_name() for _ in range(rows)],
        "Surname": [g.f.last_name() for _ in range(rows)],
        "Year group": [str(g.r.randrange(7, 12)) for _ in range(rows)],
    }
    labels = {"UK_UPN", "PERSON"}
    if g.r.random() < 0.5:
        cols["DOB"] = [g.dob() for _ in range(rows)]
        labels.add("DATE_OF_BIRTH")
    return _table("Pupils", cols), labels


def payments(g: Gen, filler: int) -> tuple[str, set[str]]:
    labels: set[str] = set()
    parts = [f"Refund request ref RF{g.r.randrange(10000, 99999)}", g.filler(filler // 2)]
    if g.r.random() < 0.6:
        parts.append(f"Card used: {g.card()}")
        labels.add("CREDIT_CARD")
    if g.r.random() < 0.6:
        parts.append(f"Pay to IBAN {g.f.iban()}")
        labels.add("IBAN_CODE")
    if g.r.random() < 0.6 or not labels:
        parts.append(
            f"Bank details - sort code {g.r.randrange(10, 99)}-{g.r.randrange(10, 99)}-"
            f"{g.r.randrange(10, 99)}, account number {g.r.randrange(10**7, 10**8)}"
        )
        labels.add("UK_BANK_ACCOUNT")
    parts.append(g.filler(filler // 2))
    return "\n".join(parts), labels


def email(g: Gen, filler: int) -> tuple[str, set[str]]:
    sender, to = g.name(), g.name()
    text = (
        f"From: {sender} <{g.email(sender)}>\nTo: {to}\nSubject: {g.r.choice(OBJECTS)}\n\nHi "
        f"{to.split()[0]},\n\n{g.filler(filler)}\n\nThanks,\n{sender}\nMobile: {g.phone()}\n"
    )
    return text, {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"}


def meeting_notes(g: Gen, filler: int) -> tuple[str, set[str]]:
    """People named in running prose, with no title, label or listed forename half of the time."""
    people = [f"{g.other.first_name()} {g.other.last_name()}" for _ in range(2)]
    lines = [
        f"Notes of the {g.r.choice(SERVICES)} panel",
        g.filler(filler // 2),
        g.r.choice(
            [
                f"The panel heard from {people[0]} about the noise complaint on the estate.",
                f"{people[0]} explained that the repairs had still not been done.",
                f"Present: {people[0]}, {people[1]}",
                f"A complaint was raised by {people[0]} and passed to {people[1]} for a reply.",
            ]
        ),
        g.filler(filler // 2),
    ]
    return "\n".join(lines), {"PERSON"}


def access_log(g: Gen, lines: int) -> tuple[str, set[str]]:
    out = [
        f"2024-03-{g.r.randrange(1, 28):02d} {g.r.randrange(0, 23):02d}:{g.r.randrange(0, 59):02d}:00 "
        f"login ok user=u{g.r.randrange(1000, 9999)} from {g.f.ipv4_public()}"
        for _ in range(lines)
    ]
    return "\n".join(out), {"IP_ADDRESS"}


# -- hard negatives ------------------------------------------------------------------------------------------
def report(g: Gen, filler: int) -> str:
    return f"{g.r.choice(SERVICES)} - quarterly report\nOFFICIAL\n\n" + g.filler(filler)


def policy(g: Gen, filler: int) -> str:
    terms = (
        "mental health, disability, religion or belief, sexual orientation, ethnicity, trade union "
        "membership, criminal convictions, safeguarding concerns, child protection and domestic abuse"
    )
    return (
        f"{g.r.choice(OBJECTS).title()}\n\nThis policy explains how the council handles information about "
        f"{terms}. {g.filler(filler)}\nStaff must report a safeguarding concern to the MASH on the same day."
    )


def products(g: Gen, rows: int) -> tuple[Chunk, ...]:
    return _table(
        "Stock",
        {
            "Product code": [f"PRD-{g.r.randrange(10**4, 10**5)}-{g.r.choice('ABCXYZ')}" for _ in range(rows)],
            "Description": [
                g.r.choice(["Grit salt 25kg", "Bin liner roll", "LED lantern", "Sign post 3m"]) for _ in range(rows)
            ],
            "Unit price": [f"{g.r.random() * 90:.2f}" for _ in range(rows)],
            "Supplier ref": [
                f"{g.r.randrange(100, 999)} {g.r.randrange(100, 999)} {g.r.randrange(1000, 9999)}" for _ in range(rows)
            ],
        },
    )


def invoice(g: Gen, filler: int) -> str:
    card = g.card().replace(" ", "")
    bad_card = card[:-1] + str((int(card[-1]) + 3) % 10)
    return (
        f"Invoice INV-{g.r.randrange(10**5, 10**6)}\nOrder number {g.bad_nhs()}\nCard token "
        f"{' '.join(bad_card[i : i + 4] for i in range(0, 16, 4))}\n"
        f"Customer ref QQ{g.r.randrange(10**5, 10**6)}C, "
        f"batch BG {g.r.randrange(10, 99)} {g.r.randrange(10, 99)} {g.r.randrange(10, 99)} A\n"
        f"Job ref 0161 496 {g.r.randrange(1000, 9999)}\nSupplier: Midland Salt Supplies Ltd\n" + g.filler(filler)
    )


def notice(g: Gen, filler: int) -> str:
    """Dates, roles and capitalised titles, but no one: 'born out of', 'Date:', job titles."""
    return (
        f"Public notice - {g.r.choice(OBJECTS)}\nDate: {g.r.randrange(1, 28)}/0{g.r.randrange(1, 9)}/2024\n"
        f"The scheme was born out of {g.r.choice(OBJECTS)} and first published on "
        f"{g.r.randrange(1, 28)} March 2019. Contact the Director of Public Health or the Head of "
        f"Highways and Transport for details. Birth registration appointments resume on "
        f"0{g.r.randrange(1, 9)}/04/2024.\n" + g.filler(filler)
    )


def app_log(g: Gen, lines: int) -> str:
    levels = ["INFO", "WARN", "DEBUG", "ERROR"]
    return "\n".join(
        f"2024-03-{g.r.randrange(1, 28):02d}T{g.r.randrange(0, 23):02d}:{g.r.randrange(0, 59):02d}:"
        f"{g.r.randrange(0, 59):02d}Z {g.r.choice(levels)} worker-{g.r.randrange(1, 9)} "
        f"job={g.r.randrange(10**6)}"
        f" took {g.r.randrange(1, 900)}ms version=2.{g.r.randrange(0, 9)}.{g.r.randrange(0, 9)} "
        f"trace={g.f.hexify('^^^^^^^^^^^^')}"
        for _ in range(lines)
    )


CODE = '''def send_reminder(account, template="Reminder"):
    """Send a council tax reminder for an account."""
    if account.balance <= 0:
        return None
    message = Template(template).render(name=account.holder_name, due=account.due_date)
    logger.info("reminder queued for account %s", account.id)
    return Mailer(host=settings.SMTP_HOST, port=587).send(account.email_address, message)
'''


def generate(count: int, seed: int = 1, scale: int = 1) -> Iterator[Doc]:
    """``count`` documents, half positive; ``scale`` multiplies their length (speed benchmark)."""
    g = Gen(seed)
    positive: list[tuple[str, Callable[[], tuple[object, set[str]]]]] = [
        ("letter", lambda: letter(g, 2500 * scale)),
        ("case_note", lambda: case_note(g, 2000 * scale)),
        ("hr_table", lambda: hr_table(g, 20 * scale)),
        ("pupil_table", lambda: pupil_table(g, 25 * scale)),
        ("payments", lambda: payments(g, 1800 * scale)),
        ("email", lambda: email(g, 1500 * scale)),
        ("access_log", lambda: access_log(g, 30 * scale)),
        ("meeting_notes", lambda: meeting_notes(g, 2000 * scale)),
    ]
    negative: list[tuple[str, Callable[[], object]]] = [
        ("report", lambda: report(g, 2000 * scale)),
        ("policy", lambda: policy(g, 2000 * scale)),
        ("products", lambda: products(g, 40 * scale)),
        ("invoice", lambda: invoice(g, 800 * scale)),
        ("app_log", lambda: app_log(g, 25 * scale)),
        ("code", lambda: CODE * (1 + 4 * scale)),
        ("notice", lambda: notice(g, 1500 * scale)),
    ]
    for i in range(count):
        if i % 2 == 0:
            kind, make = positive[(i // 2) % len(positive)]
            body, labels = make()
        else:
            kind, neg = negative[(i // 2) % len(negative)]
            body, labels = neg(), set()
        chunks = body if isinstance(body, tuple) else _pages(str(body))
        yield Doc(f"{i:06d}-{kind}", kind, chunks, frozenset(labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=14)
    args = parser.parse_args()
    for doc in generate(args.files):
        print(f"===== {doc.name} labels={sorted(doc.labels)}")
        for c in doc.chunks:
            print(f"--- {c.where} column={c.column}\n{c.text[:600]}")


if __name__ == "__main__":
    main()
