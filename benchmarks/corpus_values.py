"""Values for the benchmark corpus: council vocabulary and a seeded generator of UK personal data."""

from __future__ import annotations

import random

from faker import Faker
from stdnum import luhn
from stdnum.gb import nhs, upn

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
                return self.r.choice(["{} {} {}", "{}-{}-{}", "{}{}{}"]).format(digits[:3], digits[3:6], digits[6:])

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
        return self.r.choice([f"{first}{second}{d}{suffix}", f"{first}{second} {d[:2]} {d[2:4]} {d[4:]} {suffix}"])

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
