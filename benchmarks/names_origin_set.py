"""The names-by-origin evaluation set (benchmarks/names_origin.py): hand-written names of residents of many
origins, the layouts they are written in, and hard negatives that hold no person.

Names are written as ``Given|Family`` (family name last) or ``Family^Given`` (family name first, as written in
Chinese, Vietnamese and Korean). The ``called`` name (used in possessives and salutations by given name) is the
last given word for Vietnamese names and the first otherwise. Nothing here comes from a generator or from the
accuracy corpus, and the detector was not given these strings as cues.
"""

from __future__ import annotations

from dataclasses import dataclass

ORIGINS: dict[str, tuple[str, ...]] = {
    "British": (
        "Marjorie|Liversidge", "Gary|Whitehouse", "Sharon|Pickering", "Dennis|Oldroyd", "Kayleigh|Braithwaite",
        "Trevor|Ackroyd", "Joan|Sutcliffe", "Darren|Hollingworth", "Beverley|Tranter", "Keith|Stanworth",
        "Lorraine|Gaskell", "Wayne|Ormerod",
    ),
    "Irish": (
        "Clodagh|Ní Fhlannagáin", "Siobhán|O'Sullivan", "Pádraig|Ó Ceallaigh", "Niamh|Ní Bhriain",
        "Caoimhe|Ní Dhónaill", "Seán|Mac Cárthaigh", "Eoghan|Ó Briain", "Róisín|McGettigan", "Diarmuid|O’Driscoll",
        "Gráinne|Nic Giolla Bhríde", "Tadhg|Ó Súilleabháin", "Aoife|Breathnach",
    ),
    "Welsh": (
        "Heledd|ap Siencyn", "Rhodri|ap Iwan", "Eirlys|Llewelyn", "Dafydd|Prys", "Siân|Gruffudd", "Iolo|Rhydderch",
        "Llinos|Gwilym", "Aled|Rhys-Evans", "Bethan|Llwyd", "Gwenllian|ab Owain", "Cerys|Ffransis", "Gethin|Bowen",
    ),
    "Scottish": (
        "Morag|MacLeod", "Hamish|McIntyre", "Ruaridh|MacAulay", "Eilidh|Mackenzie", "Kirsty|Dalgleish",
        "Alasdair|Urquhart", "Seonaid|MacGillivray", "Lachlan|Menzies", "Iain|Farquharson", "Mhairi|Drummond",
        "Catriona|NicDhòmhnaill", "Fionnlagh|MacAoidh",
    ),
    "Polish and Eastern European": (
        "Jadwiga|Grzybowska", "Grzegorz|Brzęczyszczykiewicz", "Małgorzata|Wójcik", "Łukasz|Kowalczyk",
        "Agnieszka|Dąbrowska", "Przemysław|Szczepański", "Jiří|Dvořák", "Zuzana|Horváthová", "Ionuț|Popescu",
        "Dovilė|Kazlauskienė", "Kārlis|Bērziņš", "Oleksandr|Kovalenko",
    ),
    "South Asian": (
        "Manpreet Kaur|Bhamra", "Gurdeep Singh|Sandhu", "Priyanka|Chaudhary", "Mohammed Iqbal|Chaudhry",
        "Shabana|Akhtar", "Rajinder Kaur|Dhillon", "Venkatesh|Subramanian", "Nusrat Jahan|Begum", "Tahmina|Rahman",
        "Harpreet Kaur|Gill", "Arjun|Raghunathan", "Farzana|Bibi",
    ),
    "Arabic and Somali": (
        "Ubah Cawaale|Jaamac", "Abdirahman Maxamed|Cali", "Faadumo Xasan|Warsame", "Hodan Cabdi|Nuur",
        "Yusuf|al-Khatib", "Layla|Abdel-Rahman", "Omar|bin Saleh", "Fatima|El-Amrani", "Mahmoud|Haddad",
        "Amira|Al Mansouri", "Hassan Abdullahi|Farah", "Khadija|Osman",
    ),
    "West African": (
        "Oluwaseun|Adebayo-Ogunleye", "Chiamaka|Okonkwo", "Kwabena|Mensah", "Adaeze|Nwachukwu", "Babajide|Olatunji",
        "Yaa Asantewaa|Boateng", "Mamadou|Diallo", "Fatoumata|Traoré", "Ifeoma|Eze", "Kofi|Owusu-Ansah",
        "Temitope|Adeyemi", "Ngozi|Obi",
    ),
    "Chinese": (
        "Wang^Xiuying", "Zhang^Wei", "Li^Na", "Chen^Jiahui", "Liu^Yang", "Huang^Zihan", "Wong^Ka-Yan",
        "Chan^Siu-Ming", "Lau^Mei Ling", "Xu^Haoran", "Zhou^Yiting", "Cheung^Wai Kit",
    ),
    "Vietnamese": (
        "Lương^Thị Thảo", "Nguyễn^Văn An", "Trần^Thị Hồng", "Phạm^Minh Tuấn", "Lê^Hoàng Nam", "Đặng^Thu Hà",
        "Vũ^Quốc Bảo", "Hoàng^Thị Mai", "Bùi^Đức Anh", "Ngô^Thanh Hương", "Đỗ^Ngọc Lan", "Dương^Văn Hải",
    ),
    "Korean": (
        "Kim^Min-jun", "Park^Ji-woo", "Lee^Seo-yeon", "Choi^Hyun-woo", "Jung^Eun-ji", "Kang^Dong-hyun",
        "Yoon^Soo-ah", "Han^Ji-min", "Seo^Jae-won", "Shin^Hye-jin", "Kwon^Tae-yang", "Lim^Na-yeon",
    ),
    "Turkish": (
        "Ayşe|Yılmaz", "Mehmet|Öztürk", "Gülşen|Çelik", "Emre|Şahin", "Zeynep|Kılıç", "Hüseyin|Aydın", "Elif|Doğan",
        "Murat|Kaya", "Özlem|Arslan", "Burak|Yıldırım", "Şükrü|Güneş", "İbrahim|Koç",
    ),
    "Portuguese and Spanish": (
        "João|Gonçalves", "María José|Fernández", "Inês|Rodrigues", "José Luis|Muñoz", "Conceição|Pereira",
        "Begoña|Iglesias", "Raúl|Sánchez Ortega", "Leonor|da Silva", "António|dos Santos", "Ángela|de la Cruz",
        "Joaquim|Magalhães", "Nuria|Peña",
    ),
    "Caribbean": (
        "Delroy|Campbell", "Marcia|Grant-Williams", "Winston|McKenzie", "Claudette|Brown", "Errol|Bailey",
        "Paulette|Anderson", "Leroy|Fraser", "Hyacinth|Thompson", "Desmond|Henriques", "Yvonne|Da Costa",
        "Carlton|Beckford", "Shanice|Ferguson",
    ),
}  # fmt: skip
LAYOUTS = ("prose", "form field", "register", "salutation", "possessive", "csv name", "csv free text", "docx letter")
TITLES = ("Mrs", "Mr", "Ms", "Miss", "Mx", "Dr")


@dataclass(frozen=True, slots=True)
class Person:
    given: str
    family: str
    family_first: bool

    @property
    def full(self) -> str:
        return f"{self.family} {self.given}" if self.family_first else f"{self.given} {self.family}"

    @property
    def called(self) -> str:
        words = self.given.split()
        return words[-1] if self.family_first and len(words) > 1 else words[0]

    @property
    def register(self) -> str:
        return f"{self.family.upper()}, {self.given}"


def person(spec: str) -> Person:
    if "^" in spec:
        family, given = spec.split("^")
        return Person(given, family, True)
    given, family = spec.split("|")
    return Person(given, family, False)


@dataclass(frozen=True, slots=True)
class Case:
    origin: str
    layout: str
    name: str  # the name as written in the text
    text: str  # the file's text (a docx letter: one paragraph per line)
    fmt: str  # txt, csv or docx
    where: str | None  # the locator of the name's own line or cell


PROSE = (
    "{full} attended the drop-in session on Tuesday and asked about the housing register.",
    "Home visit completed this morning. {full} was at home with two of the children and the flat was warm.",
    "Spoke to {full} on the phone about the missed bin collection; a crew will return on Friday.",
    "The tenancy officer met {full} at the property to look at the damp in the back bedroom.",
    "Referral received from the GP surgery for {full}, who is finding the stairs hard to manage.",
    "After a long discussion {full} agreed to the support plan, to be reviewed in six weeks.",
)
LABELS = ("Name", "Client", "Tenant", "Parent/carer", "Next of kin", "Employee", "Child", "Applicant")
POSSESSIVE = (
    "{called}'s mother called to say the appointment has to move to next week.",
    "We spoke with {called}’s key worker about the school transport arrangements.",
    "{called}'s daughter will collect the blue badge from reception on Monday.",
    "The assessment found that {called}'s carer needs a break at least once a month.",
)
FREE_TEXT = (
    "Visited {full} at home and discussed the rent arrears",
    "Call from {full} about a missed collection - crew sent back",
    "{full} came in to ask about the school place appeal",
    "Letter sent to {full} confirming the repair date",
)


def _case(origin: str, layout: str, p: Person, i: int, others: list[Person]) -> Case:
    if layout == "prose":
        return Case(origin, layout, p.full, f"Case note\n\n{PROSE[i % 6].format(full=p.full)}\n", "txt", "line 3")
    if layout == "form field":
        label = LABELS[i % len(LABELS)]
        text = (
            f"Contact record\nDate: 14/03/2024\n{label}: {p.full}\nReason: council tax query\nOutcome: advice given\n"
        )
        return Case(origin, layout, p.full, text, "txt", "line 3")
    if layout == "register":
        lines = [
            "Allotment waiting list 2024",
            "",
            f"Plot 7\t{others[0].register}\tjoined 2019",
            f"Plot 8\t{p.register}\tjoined 2021" if i % 2 else f"{p.register} - plot 8, on the list since 2021",
        ]
        return Case(origin, layout, p.register, "\n".join(lines) + "\n", "txt", "line 4")
    if layout == "salutation":
        name = f"{TITLES[i % len(TITLES)]} {p.family}" if i % 3 else p.called
        text = f"Housing Options\n\nDear {name},\n\nThank you for your letter about your application.\n"
        return Case(origin, layout, name.split(" ", 1)[-1], text, "txt", "line 3")
    if layout == "possessive":
        text = f"Contact log\n\n{POSSESSIVE[i % 4].format(called=p.called)}\n"
        return Case(origin, layout, p.called, text, "txt", "line 3")
    if layout == "csv name":
        rows = [f"R{1001 + k},{q.full},2024-01-0{k + 1}" for k, q in enumerate([others[1], p, others[2]])]
        return Case(origin, layout, p.full, "Ref,Client name,Date\n" + "\n".join(rows) + "\n", "csv", "B3")
    if layout == "csv free text":
        note = FREE_TEXT[i % 4].format(full=p.full)
        rows = ["R1,2024-01-02,Bin not collected - no action", f'R2,2024-01-03,"{note}"', "R3,2024-01-04,Closed"]
        return Case(origin, layout, p.full, "Ref,Date,Notes\n" + "\n".join(rows) + "\n", "csv", "C3")
    name = f"{TITLES[i % len(TITLES)]} {p.full}" if i % 2 else p.full
    lines = [name, f"{12 + i} Mill Lane", "Bedworth", "CV12 8AB", "14 March 2024", "Your reference: HO/2231"]
    return Case(origin, layout, p.full, "\n".join(lines), "docx", "p1")


def cases() -> list[Case]:
    out = []
    for origin, specs in ORIGINS.items():
        people = [person(s) for s in specs]
        for i, p in enumerate(people):
            others = [people[(i + k) % len(people)] for k in (1, 2, 3)]
            out += [_case(origin, layout, p, i, others) for layout in LAYOUTS]
    return out


PLACES = (
    "Leamington Spa",
    "Milton Keynes",
    "Stoke-on-Trent",
    "Ynys Môn",
    "Llanfair Caereinion",
    "Dún Laoghaire",
    "Bury St Edmunds",
    "Market Harborough",
    "Ashby-de-la-Zouch",
    "Kingston upon Thames",
    "Stratford-upon-Avon",
    "Newport Pagnell",
)
STREETS = (
    "Station Road",
    "Victoria Street",
    "Florence Road",
    "King Edward Avenue",
    "Shakespeare Street",
    "Nelson Mandela Place",
    "St Mary's Lane",
    "Churchill Way",
    "Elizabeth Drive",
    "Abbey Road",
    "Grace Lane",
    "Albert Terrace",
)
ORGS = (
    "Citizens Advice",
    "Age UK",
    "Barnardo's",
    "Marks & Spencer",
    "Sainsbury's",
    "John Lewis Partnership",
    "Severn Trent Water",
    "Christian Aid",
    "Mencap",
    "Kier Group",
    "Morgan Sindall",
    "Shelter Cymru",
)
HEADINGS = (
    "Housing Options Team",
    "Annual Report and Accounts",
    "Terms of Reference",
    "Next Steps",
    "Equality Impact Assessment",
    "Highways Maintenance Programme",
    "Any Other Business",
    "Action Points",
    "Chair's Report",
    "Planning Committee Minutes",
    "Waste Collection Calendar",
    "Summer Reading Challenge",
)
NAME_WORDS = (
    "Grace period for council tax payments ends on Friday.",
    "Hope Street Community Centre reopens after the refurbishment.",
    "Will and Testament guidance is on the Registrar's page.",
    "Mark the register before assembly and send it to the office.",
    "Faith Groups Forum meets quarterly in the Guildhall.",
    "Rose Garden beds were replanted by the parks team.",
    "Bill payment options include direct debit and the automated line.",
    "Victoria Station car park is closed for resurfacing.",
    "Jordan and Lebanon were covered by the resettlement scheme briefing.",
    "Sunny Bank Farm has applied for a change of use.",
    "Chase Terrace Library hosts the homework club on Wednesdays.",
    "Florence Nightingale Ward is closed to visitors this week.",
)
PLACE_REGISTER = (
    "COVENTRY, Earlsdon",
    "BIRMINGHAM, Selly Oak",
    "WARWICK, Leek Wootton",
    "CARDIFF, Llandaff",
    "NUNEATON, Stockingford",
    "RUGBY, Hillmorton",
    "SOLIHULL, Shirley",
    "LEEDS, Headingley",
    "HIGHWAYS, Winter maintenance",
    "PLANNING, Appeals",
    "WASTE, Garden waste",
    "HOUSING, Allocations",
)
SALUTATIONS = (
    "Sir or Madam",
    "Colleague",
    "Resident",
    "Parent/Carer",
    "Customer",
    "All",
    "Councillors",
    "Member",
    "Applicant",
    "Neighbour",
    "Friends",
    "Team",
)
POSSESSIVES = (
    "Sainsbury's car park will be used for the recycling drop-off.",
    "The Council's policy on damp and mould was updated in March.",
    "St John's Ambulance will cover the summer fair.",
    "Barnardo's family support service takes referrals by phone.",
    "Children's Services moved to the first floor.",
    "McDonald's on the ring road has applied for a late licence.",
    "Moody's rating for the pension fund is unchanged.",
    "Lloyd's of London insures the civic centre.",
    "The Mayor's charity appeal raised £4,000.",
    "Women's Aid runs a drop-in on Thursdays.",
    "Debenham's old store is being converted to a library.",
    "St David's Hall box office reopens on Monday.",
)  # fmt: skip
NEGATIVES = ("place", "street", "organisation", "heading", "name word", "register", "salutation", "possessive",
             "csv place", "csv organisation")  # fmt: skip


def negatives() -> list[Case]:
    out: list[Case] = []
    for i in range(12):
        place, street, org, heading = PLACES[i], STREETS[i], ORGS[i], HEADINGS[i]
        texts = {
            "place": f"Travel\n\nThe bus to {place} leaves the interchange at nine and returns at four.\n",
            "street": f"Roadworks\n\nResurfacing works on {street} start next month and last two weeks.\n",
            "organisation": f"Signposting\n\nThe enquiry was referred to {org} for specialist advice.\n",
            "heading": f"{heading}\n\nThe item was noted and the report was agreed without amendment.\n",
            "name word": f"Notices\n\n{NAME_WORDS[i]}\n",
            "register": f"Ward list\n\n{PLACE_REGISTER[i]}\t{3 + i} polling districts\n",
            "salutation": f"Consultation\n\nDear {SALUTATIONS[i]},\n\nWe are asking for views on the budget.\n",
            "possessive": f"Notices\n\n{POSSESSIVES[i]}\n",
            "csv place": f"Site name,Town,Bins\nDepot,{place},12\nTip,{PLACES[(i + 1) % 12]},3\n",
            "csv organisation": f"Supplier,Amount,Notes\n{org},120.00,{HEADINGS[(i + 3) % 12]}\n",
        }
        for kind, text in texts.items():
            out.append(Case("negative", kind, "", text, "csv" if kind.startswith("csv") else "txt", None))
    return out
