"""An independent labelled evaluation set, not made by the project's corpus generator, and its scoring.

Three parts, each a list of documents (chunks as an extractor yields them) with the entity types truly in them:

* **third-party templates**: the sentence templates that ship with presidio-evaluator 0.3.2 (Microsoft's
  evaluation kit for presidio; ``pip install --no-deps --require-hashes -r requirements/evaluation.txt``; only
  its ``templates.txt`` is read, the package is never imported), filled with Faker ``en_GB`` values. The
  labels follow the placeholders (mapping below); templates for US-only types (SSN, US licence, state) are
  left out;
* **UK templates** and **UK tables** written for this set (``benchmarks/independent_docs.py``), filled the
  same way, with phone numbers from phonenumbers' example numbers for ten countries;
* **hard negatives**: hand-written invoices, minutes, timetables, policies, code and logs with no personal data.

    PYTHONPATH=. python benchmarks/accuracy.py --set independent
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import phonenumbers
from faker import Faker
from stdnum.gb import nhs

from benchmarks.corpus import Doc
from benchmarks.independent_docs import NEGATIVES, UK_TABLES, UK_TEMPLATES
from scanner.types import Chunk

ENTITIES = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "UK_NHS",
    "UK_NINO",
    "UK_POSTCODE",
    "UK_ADDRESS",
    "DATE_OF_BIRTH",
    "CREDIT_CARD",
    "IBAN_CODE",
    "UK_BANK_ACCOUNT",
    "IP_ADDRESS",
)
# presidio-evaluator placeholder -> entity type. A bare street name with no house number, a lone forename or
# surname, a city, a country, an organisation, an age or a date with no birth in it is not labelled.
LABELS = {
    "credit_card_number": "CREDIT_CARD",
    "iban": "IBAN_CODE",
    "email": "EMAIL_ADDRESS",
    "ip_address": "IP_ADDRESS",
    "phone_number": "PHONE_NUMBER",
    "person": "PERSON",
    "name": "PERSON",
    "name_male": "PERSON",
    "name_female": "PERSON",
    "date_of_birth": "DATE_OF_BIRTH",
    "postcode": "UK_POSTCODE",
    "zipcode": "UK_POSTCODE",
}
SKIPPED = ("ssn", "us_driver_license", "state_abbr")
_SLOT = re.compile(r"\{\{(\w+)\}\}")
_COUNTRIES = ("US", "FR", "DE", "IE", "IN", "PL", "NG", "AU", "ES", "NL")
_STREET_TYPES = (
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Drive",
    "Way",
    "Crescent",
    "Grove",
    "Gardens",
    "Place",
    "Terrace",
    "Walk",
    "Court",
    "Rise",
    "Mews",
    "Row",
    "Square",
    "Hill",
    "View",
)


def templates_path() -> Path:
    try:
        dist = metadata.distribution("presidio-evaluator")
    except metadata.PackageNotFoundError:
        raise SystemExit(
            "the independent set needs presidio-evaluator's templates: "
            "pip install --no-deps --require-hashes -r requirements/evaluation.txt"
        ) from None
    return Path(str(dist.locate_file("presidio_evaluator/data_generator/raw_data/templates.txt")))


class Values:
    """Seeded values for the placeholders, each returned with the entity type it plants (or None)."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.f = Faker("en_GB")
        self.f.seed_instance(seed)

    def date(self, start: int = 2019, end: int = 2026) -> str:
        d = dt.date(self.r.randint(start, end), self.r.randint(1, 12), self.r.randint(1, 28))
        return self.r.choice([d.strftime("%d/%m/%Y"), f"{d.day} {d:%B %Y}", d.isoformat(), d.strftime("%d.%m.%y")])

    def phone_intl(self) -> str:
        region = self.r.choice(_COUNTRIES)
        kind = self.r.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
        number = phonenumbers.example_number_for_type(region, kind)
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return "00" + text[1:] if self.r.random() < 0.3 else text

    def phone_uk(self) -> str:
        area, local = self.r.choice(
            [
                ("024", "7683"),
                ("0121", "496 0"),
                ("020", "7946"),
                ("0113", "496 0"),
                ("0161", "496 0"),
                ("01632", "960"),
            ]
        )
        tail = f"{self.r.randint(0, 9999):04d}" if len(local) == 4 else f"{self.r.randint(0, 999):03d}"
        local, tail = (local[:3], local[-1] + tail) if " " in local else (local, tail)
        national = f"{area} {local} {tail}"
        return self.r.choice(
            [
                national,
                f"+44 (0){national[1:]}",
                f"+44 {national[1:]}",
                f"({area}) {local}{tail}",
                national.replace(" ", ""),
                self.f.phone_number(),
            ]
        )

    def mobile(self) -> str:
        rest = f"{self.r.randint(0, 999):03d}"
        return self.r.choice(
            [
                f"07700 900 {rest}",
                f"07700 900{rest}",
                f"+44 7700 900{rest}",
                f"07{self.r.randint(400, 999)} {self.r.randint(100000, 999999)}",
            ]
        )

    def street(self) -> str:
        stem = self.r.choice(
            [
                self.f.last_name(),
                self.f.first_name(),
                "Mill",
                "Station",
                "Church",
                "Park",
                "Victoria",
                "Queens",
                "Manor",
                "Orchard",
                "Chapel",
                "Bridge",
            ]
        )
        return f"{self.r.randint(1, 240)}{self.r.choice(['', '', '', 'a'])} {stem} {self.r.choice(_STREET_TYPES)}"

    def nino(self) -> str:
        prefix = self.r.choice(["AB", "JK", "NE", "SR", "WP", "YZ", "LM", "HT"])
        digits = f"{self.r.randint(0, 999999):06d}"
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {self.r.choice('ABCD')}"

    def nhs(self) -> str:
        while True:
            stem = f"{self.r.randint(400000000, 499999999)}"
            for check in "0123456789":
                if nhs.is_valid(stem + check):
                    n = stem + check
                    return f"{n[:3]} {n[3:6]} {n[6:]}"

    def fill(self, name: str) -> tuple[str, str | None]:
        f, r = self.f, self.r
        simple: dict[str, Callable[[], str]] = {
            "credit_card_number": f.credit_card_number,
            "iban": f.iban,
            "email": f.email,
            "ip_address": f.ipv4_public,
            "person": f.name,
            "name": f.name,
            "name_male": f.name_male,
            "name_female": f.name_female,
            "postcode": f.postcode,
            "zipcode": f.postcode,
            "first_name": f.first_name,
            "first_name_male": f.first_name_male,
            "first_name_female": f.first_name_female,
            "first_name_nonbinary": f.first_name,
            "last_name": f.last_name,
            "last_name_male": f.last_name,
            "last_name_female": f.last_name,
            "prefix_male": lambda: r.choice(["Mr", "Mr.", "Dr"]),
            "prefix_female": lambda: r.choice(["Mrs", "Ms", "Miss", "Dr"]),
            "prefix": f.prefix,
            "city": f.city,
            "country": f.country,
            "organization": f.company,
            "org": f.company,
            "job": f.job,
            "url": f.url,
            "building_number": lambda: str(r.randint(1, 300)),
            "street_name": f.street_name,
            "secondary_address": lambda: r.choice(["Flat", "Apartment", "Unit"]) + f" {r.randint(1, 40)}",
            "age": lambda: str(r.randint(18, 90)),
            "year": lambda: str(r.randint(1990, 2025)),
            "day_of_week": f.day_of_week,
            "date_time": self.date,
            "date": self.date,
            "nationality": lambda: r.choice(["British", "Irish", "Polish", "Indian"]),
            "nation_woman": lambda: r.choice(["British", "Irish", "Polish", "Indian"]),
            "nation_plural": lambda: r.choice(["the British", "the Irish", "the Poles"]),
            "money": lambda: f"£{r.randint(100, 99999):,}.{r.randint(0, 99):02d}",
            "n": lambda: str(r.randint(10000, 9999999)),
            "ref": lambda: (
                f"{r.choice(['INV', 'PO', 'TR', 'PL', 'CC'])}/{r.randint(2019, 2026)}/{r.randint(1, 99999):05d}"
            ),
            "time": lambda: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
            "first": f.first_name,
            "surname": f.last_name,
            "title": lambda: r.choice(["Mr", "Mrs", "Ms", "Miss", "Dr"]),
            "town": f.city,
            "flat": lambda: r.choice(["Flat", "Apartment", "Flat"]) + f" {r.randint(1, 40)}",
            "sort_code": lambda: f"{r.randint(10, 99)}-{r.randint(10, 99)}-{r.randint(10, 99)}",
            "account": lambda: f"{r.randint(10000000, 99999999)}",
        }
        if name == "address":
            return f.address(), "UK_ADDRESS+UK_POSTCODE"
        if name == "date_of_birth":
            return self.date(1935, 2015), "DATE_OF_BIRTH"
        if name == "dob":
            return self.date(1935, 2015), "DATE_OF_BIRTH"
        if name == "phone_number":
            return self.phone_uk(), "PHONE_NUMBER"
        own = {
            "phone": (self.phone_uk, "PHONE_NUMBER"),
            "phone_ext": (
                lambda: (
                    self.phone_uk() + r.choice([" ext. ", " ext ", " x", " extension "]) + str(r.randint(100, 9999))
                ),
                "PHONE_NUMBER",
            ),
            "phone_intl": (self.phone_intl, "PHONE_NUMBER"),
            "mobile": (self.mobile, "PHONE_NUMBER"),
            "street": (self.street, "UK_ADDRESS"),
            "nhs": (self.nhs, "UK_NHS"),
            "nino": (self.nino, "UK_NINO"),
        }
        if name in own:
            make, entity = own[name]
            return make(), entity
        if name in simple:
            return simple[name](), LABELS.get(name)
        raise KeyError(name)


def _labels_for(slots: list[str], found: set[str]) -> set[str]:
    labels = {e for item in found for e in item.split("+")}
    if "building_number" in slots and "street_name" in slots:
        labels.add("UK_ADDRESS")
    if {"surname", "first"} <= set(slots) or ("title" in slots and "surname" in slots):
        labels.add("PERSON")
    if any(s.startswith("prefix") for s in slots) and any(s.startswith(("name_", "last_name")) for s in slots):
        labels.add("PERSON")
    if "sort_code" in slots or "account" in slots:
        labels.add("UK_BANK_ACCOUNT")
    return labels


def fill(template: str, values: Values) -> tuple[str, set[str]]:
    found: set[str] = set()
    slots = _SLOT.findall(template)

    def one(m: re.Match[str]) -> str:
        value, entity = values.fill(m.group(1))
        if entity:
            found.add(entity)
        return value

    return _SLOT.sub(one, template.replace("\\n", "\n")), _labels_for(slots, found)


def _prose(name: str, kind: str, text: str, labels: set[str]) -> Doc:
    return Doc(name, kind, (Chunk(text, "p1"),), frozenset(labels))


def generate(seed: int = 11, fills: int = 3) -> list[Doc]:
    values = Values(seed)
    docs: list[Doc] = []
    third = [t.strip() for t in templates_path().read_text(encoding="utf-8", errors="replace").splitlines()]
    third = [t for t in third if t and not any("{{" + s + "}}" in t for s in SKIPPED)]
    for i, template in enumerate(third):
        for k in range(fills):
            text, labels = fill(template, values)
            docs.append(_prose(f"presidio-evaluator/{i}.{k}", "third-party", text, labels))
    for i, template in enumerate(UK_TEMPLATES):
        for k in range(fills):
            text, labels = fill(template, values)
            docs.append(_prose(f"uk/{i}.{k}", "uk", text, labels))
    for sheet, columns in UK_TABLES:
        for k in range(fills):
            rows = values.r.randint(6, 12)
            cells = {header: [fill(slot, values) for _ in range(rows)] for header, slot in columns.items()}
            labels = set().union(*(lab for col in cells.values() for _, lab in col))
            if any(h.lower().startswith(("sort", "account")) for h in columns):
                labels.add("UK_BANK_ACCOUNT")
            chunks = tuple(
                Chunk("\n".join(v for v, _ in col), f"{sheet}!{chr(65 + j)}", (sheet,), column=header, first_row=2)
                for j, (header, col) in enumerate(cells.items())
            )
            docs.append(Doc(f"uk-table/{sheet}.{k}", "uk-table", chunks, frozenset(labels)))
    for i, template in enumerate(NEGATIVES):
        for k in range(fills * 2):
            text, labels = fill(template, values)
            docs.append(_prose(f"negative/{i}.{k}", "negative", text, labels))
    return docs


def score(results: list[tuple[str, frozenset[str], frozenset[str]]], entities: tuple[str, ...] = ENTITIES) -> str:
    """A markdown table of per-entity file-level P/R/F1, macro F1, file-level F1 and clean files flagged."""
    tp = dict.fromkeys(entities, 0)
    fp, fn = dict(tp), dict(tp)
    file_tp = file_fp = file_fn = clean = flagged = 0
    for _, truth, found in results:
        found = frozenset(found) & set(entities)
        for e in entities:
            tp[e] += e in truth and e in found
            fp[e] += e not in truth and e in found
            fn[e] += e in truth and e not in found
        file_tp += bool(truth) and bool(found)
        file_fp += not truth and bool(found)
        file_fn += bool(truth) and not found
        if not truth:
            clean += 1
            flagged += bool(found)
    lines = ["| entity | files | precision | recall | F1 |", "|---|---|---|---|---|"]
    f1s = []
    for e in entities:
        support = tp[e] + fn[e]
        if not support and not fp[e]:
            continue
        p = tp[e] / (tp[e] + fp[e]) if tp[e] + fp[e] else 1.0
        r = tp[e] / support if support else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        f1s.append(f1)
        lines.append(f"| {e} | {support} | {p:.3f} | {r:.3f} | {f1:.3f} |")
    macro = sum(f1s) / len(f1s) if f1s else 0.0
    fp_ = file_tp / (file_tp + file_fp) if file_tp + file_fp else 1.0
    fr = file_tp / (file_tp + file_fn) if file_tp + file_fn else 1.0
    ff1 = 2 * fp_ * fr / (fp_ + fr) if fp_ + fr else 0.0
    lines.append(
        f"\nmacro F1 {macro:.3f}; file level: precision {fp_:.3f}, recall {fr:.3f}, F1 {ff1:.3f}; "
        f"clean files flagged {flagged}/{clean} = {flagged / max(clean, 1):.1%}"
    )
    return "\n".join(lines)


def errors(results: list[tuple[str, frozenset[str], frozenset[str]]], limit: int) -> str:
    """Up to ``limit`` misclassified files per entity type (FP/FN and the file's name)."""
    out: dict[str, list[str]] = {}
    for name, truth, found in results:
        for e in ENTITIES:
            if (e in truth) != (e in found):
                out.setdefault(e, []).append(f"{'FN' if e in truth else 'FP'} {name}")
    return "\n".join(f"{e}: " + "; ".join(v[:limit]) for e, v in sorted(out.items()))


if __name__ == "__main__":
    for doc in generate(fills=1)[::25]:
        print(f"--- {doc.name} {sorted(doc.labels)}\n" + "\n".join(c.text for c in doc.chunks))
