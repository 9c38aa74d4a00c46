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
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from faker import Faker
from stdnum import luhn
from stdnum.gb import nhs, upn

from scanner.types import Chunk

SERVICES = [
    "Adult Social Care",
    "Children's Services",
    "Highways and Transport",
    "Revenues and Benefits",
    "Public Health",
    "Housing Options",
    "Waste Management",
    "Planning Policy",
    "Trading Standards",
    "Legal Services",
    "Democratic Services",
    "Parks and Open Spaces",
    "Libraries and Heritage",
]
BODIES = [
    "the Cabinet",
    "the Scrutiny Board",
    "the Health and Wellbeing Board",
    "Full Council",
    "the Audit and Standards Committee",
    "the Information Governance Board",
    "West Midlands Combined Authority",
    "Coventry and Warwickshire ICB",
    "the Environment Agency",
    "Highways England",
]
OBJECTS = [
    "the winter maintenance plan",
    "the Local Plan review",
    "the Medium Term Financial Strategy",
    "the Climate Change Strategy",
    "the Homelessness Prevention Strategy",
    "the Data Protection Policy",
    "the Records Management Policy",
    "the Annual Governance Statement",
    "the Local Transport Plan",
    "the Playing Pitch Strategy",
    "the Statement of Accounts",
    "the Asset Management Plan",
]
VERBS = [
    "reviewed",
    "approved",
    "published",
    "consulted on",
    "noted",
    "endorsed",
    "deferred",
    "updated",
    "monitored progress on",
    "agreed the scope of",
]
TAILS = [
    "in March 2024",
    "at its meeting on 12 June 2024",
    "following feedback from residents",
    "across the Westwood and Earlsdon wards",
    "with partners in the voluntary sector",
    "ahead of the budget round",
    "within existing resources",
    "subject to legal advice",
    "as set out in Appendix B",
    "in line with the Equality Act 2010",
    "under the Data Protection Act 2018",
    "by the end of Quarter 3",
]
STREETS = [
    "Street",
    "Road",
    "Lane",
    "Avenue",
    "Drive",
    "Close",
    "Way",
    "Crescent",
    "Gardens",
    "Grove",
    "Place",
    "Terrace",
    "Court",
    "Walk",
    "Mews",
    "Rise",
    "View",
    "Green",
    "Park",
    "Row",
]
TOWNS = ["Coventry", "Nuneaton", "Rugby", "Kenilworth", "Warwick", "Leamington Spa", "Bedworth", "Solihull"]
OUTWARD = [
    "CV1",
    "CV2",
    "CV3",
    "CV5",
    "CV6",
    "CV8",
    "CV11",
    "CV31",
    "CV34",
    "B1",
    "B15",
    "B23",
    "B91",
    "M1",
    "M14",
    "LS6",
    "NG7",
    "EH8",
    "SW1A",
    "SE1",
    "N1",
    "E14",
    "W1K",
    "EC1A",
    "BS8",
    "L18",
    "S10",
    "NE1",
]
INWARD = "ABDEFGHJLNPQRSTUWXYZ"
DIAGNOSES = [
    "type 2 diabetes",
    "depression",
    "early onset dementia",
    "epilepsy",
    "a learning disability",
    "anxiety",
    "COPD",
    "autism",
]


@dataclass(frozen=True, slots=True)
class Doc:
    name: str
    kind: str
    chunks: tuple[Chunk, ...]
    labels: frozenset[str]

    @property
    def chars(self) -> int:
        return sum(len(c.text) for c in self.chunks)


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.f = Faker("en_GB")
        self.f.seed_instance(seed)
        # Names from other locales: mostly absent from rules/name_cues.yaml, so recall does not rest on it.
        self.other = Faker(["pl_PL", "en_IN", "tr_TR", "it_IT"])
        self.other.seed_instance(seed)

    # -- values ---------------------------------------------------------------------------------------------
    def name(self) -> str:
        return f"{self.f.first_name()} {self.f.last_name()}"

    def nhs(self) -> str:
        while True:
            base = f"{self.r.randrange(100_000_000, 999_999_999):09d}"
            check = (11 - sum(int(c) * (10 - i) for i, c in enumerate(base)) % 11) % 11
            digits = base + str(check)
            if check != 10 and nhs.is_valid(digits):
                return self.r.choice(["{} {} {}", "{}-{}-{}", "{}{}{}"]).format(
                    digits[:3], digits[3:6], digits[6:]
                )

    def bad_nhs(self) -> str:
        good = self.nhs().replace(" ", "").replace("-", "")
        bad = good[:-1] + str((int(good[-1]) + 1) % 10)
        return f"{bad[:3]} {bad[3:6]} {bad[6:]}" if not nhs.is_valid(bad) else "943 476 5918"

    def nino(self) -> str:
        first = self.r.choice("ABCEGHJKLMNPRSTWXYZ")
        second = self.r.choice("ABCEGHJKLMNPRSTWXYZ")
        if first + second in {
            "BG",
            "GB",
            "NK",
            "KN",
            "TN",
            "NT",
            "ZZ",
            "OO",
            "CR",
            "FY",
            "MW",
            "NC",
            "PP",
            "PY",
            "PZ",
        }:
            first, second = "A", "B"
        d = f"{self.r.randrange(0, 999999):06d}"
        suffix = self.r.choice("ABCD")
        return self.r.choice(
            [f"{first}{second}{d}{suffix}", f"{first}{second} {d[:2]} {d[2:4]} {d[4:]} {suffix}"]
        )

    def card(self) -> str:
        base = self.r.choice(["4", "51", "52", "53", "54", "55"]) + "".join(
            self.r.choice("0123456789") for _ in range(13)
        )
        base = base[:15]
        digits = base + luhn.calc_check_digit(base)
        return " ".join(digits[i : i + 4] for i in range(0, 16, 4))

    def upn(self) -> str:
        la = self.r.choice(["801", "201", "936", "380", "330", "335", "926"])
        rest = la + f"{self.r.randrange(0, 10**9):09d}"
        return upn.calc_check_digit(rest) + rest

    def phone(self) -> str:
        return self.r.choice(
            [
                f"07{self.r.choice('4579')}{self.r.randrange(10, 99)} {self.r.randrange(100000, 999999)}",
                f"0121 496 {self.r.randrange(0, 9999):04d}",
                f"020 7946 {self.r.randrange(0, 9999):04d}",
                f"+44 113 496 {self.r.randrange(0, 9999):04d}",
                f"0161 496 {self.r.randrange(0, 9999):04d}",
            ]
        )

    def dob(self) -> str:
        d = self.f.date_of_birth(minimum_age=1, maximum_age=95)
        return self.r.choice([d.strftime("%d/%m/%Y"), d.strftime("%Y-%m-%d"), d.strftime("%-d %B %Y")])

    def street(self) -> str:
        return f"{self.r.randrange(1, 240)} {self.f.last_name()} {self.r.choice(STREETS)}"

    def postcode(self) -> str:
        outward = self.r.choice(OUTWARD)
        return f"{outward} {self.r.randrange(0, 10)}{self.r.choice(INWARD)}{self.r.choice(INWARD)}"

    def address_block(self, sep: str = "\n") -> str:
        return sep.join([self.street(), self.r.choice(TOWNS), self.postcode()])

    def email(self, name: str) -> str:
        first, last = name.lower().replace("'", "").split()[:2]
        domain = self.r.choice(["gmail.com", "outlook.com", "btinternet.com", "example.co.uk"])
        return f"{first}.{last}{self.r.choice(['', '1', '72'])}@{domain}"

    # -- prose ----------------------------------------------------------------------------------------------
    def sentence(self) -> str:
        if self.r.random() < 0.35:
            return self.f.sentence(nb_words=14)
        return (
            f"{self.r.choice(SERVICES + [b[0].upper() + b[1:] for b in BODIES])} {self.r.choice(VERBS)} "
            f"{self.r.choice(OBJECTS)} {self.r.choice(TAILS)}."
        )

    def para(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def filler(self, chars: int) -> str:
        out, n = [], 0
        while n < chars:
            p = self.para(self.r.randrange(3, 8))
            out.append(p)
            n += len(p) + 2
        return "\n\n".join(out)


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
                    f"{g.r.randrange(10, 99)}-{g.r.randrange(10, 99)}-{g.r.randrange(10, 99)}"
                    for _ in range(rows)
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
            "Product code": [
                f"PRD-{g.r.randrange(10**4, 10**5)}-{g.r.choice('ABCXYZ')}" for _ in range(rows)
            ],
            "Description": [
                g.r.choice(["Grit salt 25kg", "Bin liner roll", "LED lantern", "Sign post 3m"])
                for _ in range(rows)
            ],
            "Unit price": [f"{g.r.random() * 90:.2f}" for _ in range(rows)],
            "Supplier ref": [
                f"{g.r.randrange(100, 999)} {g.r.randrange(100, 999)} {g.r.randrange(1000, 9999)}"
                for _ in range(rows)
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
        f"Job ref 0161 496 {g.r.randrange(1000, 9999)}\nSupplier: Midland Salt Supplies Ltd\n"
        + g.filler(filler)
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
