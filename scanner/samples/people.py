"""Synthetic UK people for samples: Faker ``en_GB`` plus identifiers that pass their checks.

Every value is made up. NHS numbers satisfy the mod-11 check (python-stdnum validates them), NI numbers
use prefixes HMRC issues, sort codes and account numbers are well-formed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from faker import Faker
from stdnum.gb import nhs

NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
NINO_BAD_PAIRS = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str
    address: str
    postcode: str
    dob: date
    nhs_number: str
    ni_number: str
    sort_code: str
    account: str


def nhs_number(rng: random.Random) -> str:
    while True:
        digits = "".join(str(rng.randint(0, 9)) for _ in range(9))
        for check in "0123456789":
            if nhs.is_valid(digits + check):
                value = digits + check
                return f"{value[:3]} {value[3:6]} {value[6:]}"


def ni_number(rng: random.Random) -> str:
    while True:
        prefix = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
        if prefix not in NINO_BAD_PAIRS:
            break
    digits = "".join(str(rng.randint(0, 9)) for _ in range(6))
    return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {rng.choice('ABCD')}"


class People:
    """A seeded source of synthetic people."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)

    def person(self) -> Person:
        f, rng = self.fake, self.rng
        first, last = f.first_name(), f.last_name()
        postcode = f.postcode()
        street = f"{rng.randint(1, 240)} {f.street_name()}"
        return Person(
            name=f"{first} {last}",
            email=f"{first}.{last}@example.co.uk".lower(),
            phone=rng.choice((f"07700 900{rng.randint(0, 999):03d}", f"0121 496 {rng.randint(0, 999):04d}")),
            address=f"{street}, {f.city()}",
            postcode=postcode,
            dob=f.date_of_birth(minimum_age=4, maximum_age=90),
            nhs_number=nhs_number(rng),
            ni_number=ni_number(rng),
            sort_code=f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
            account=f"{rng.randint(10_000_000, 99_999_999)}",
        )

    def prose(self, sentences: int = 4) -> str:
        return self.fake.paragraph(nb_sentences=sentences)
