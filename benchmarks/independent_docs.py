"""The hand-written part of the independent evaluation set: UK templates and hard negatives.

Written for this set, not by the project's corpus generator (benchmarks/corpus.py) and without reading it.
Placeholders are filled by ``benchmarks/independent.py`` from Faker ``en_GB``, phonenumbers' example numbers and
python-stdnum check digits. Each UK template is a letter, form, e-mail, case note or table in the layouts seen
on council shares; each hard negative is an invoice, minutes, a timetable, a policy, code or a log holding no
personal data but plenty of dates, numbers, capitalised words and special-category vocabulary.
"""

from __future__ import annotations

# -- UK templates (prose). Placeholders: {{name}} {{first}} {{surname}} {{title}} {{dob}} {{age}} {{date}}
# {{phone}} {{phone_ext}} {{phone_intl}} {{mobile}} {{street}} {{flat}} {{town}} {{postcode}} {{nhs}} {{nino}}
# {{email}} {{sort_code}} {{account}} {{org}} {{ref}}
UK_TEMPLATES: tuple[str, ...] = (
    "Dear {{title}} {{surname}},\n\nThank you for your letter of {{date}} about the repairs at {{flat}}, "
    "{{street}}. Our surveyor will call on {{date}}.\n\nYours sincerely,\n\nHousing Repairs Team",
    "Referral form\nName: {{name}}\nDate of birth: {{dob}}\nAddress: {{street}}, {{town}}\n"
    "Telephone: {{phone}}\nReason for referral: low mood, not attending school.",
    "Visited {{name}} at home today ({{street}}, {{town}}). {{first}} is {{age}} and lives alone. "
    "Agreed to review in six weeks.",
    "Please contact me on {{phone_ext}} if you need anything further.\n\nKind regards\n{{name}}",
    "Hi both,\n\nI spoke to {{name}} this morning; best number is {{mobile}}. They are staying with a friend "
    "in {{town}} until the end of the month.\n\nThanks",
    "NEW STARTER FORM\nSurname: {{surname}}    Forename(s): {{first}}\nD.O.B.: {{dob}}\n"
    "NI number: {{nino}}\nHome address: {{flat}}, {{street}}, {{town}} {{postcode}}\nMobile: {{mobile}}",
    "Our tenant {{name}} (born {{dob}}) has asked for the tenancy to be transferred to {{street}}.",
    "{{name}} called from abroad on {{phone_intl}} asking about council tax on her former home at {{street}}.",
    "Case summary: {{title}} {{surname}}, aged {{age}}, NHS no. {{nhs}}. Known to the district nurses.",
    "Emergency contact: {{name}}, {{phone_intl}} (daughter, lives overseas).",
    "Bank details for the direct payment: sort code {{sort_code}}, account number {{account}}, "
    "in the name of {{name}}.",
    "Complaint received on {{date}} from a resident of {{street}}, {{town}} about missed bin collections. "
    "Resident can be reached on {{phone}}.",
    "Safeguarding strategy meeting for {{name}} ({{dob}}). Address: {{flat}}, {{street}}, {{town}}.",
    "From: {{name}} <{{email}}>\nSent: {{date}}\nSubject: my blue badge\n\nI moved to {{street}}, {{town}} "
    "last month. My new number is {{mobile}}.",
    "Applicant: {{name}}\nDate of Birth {{dob}}\nPrevious address: {{street}}\nTel (home) {{phone}}",
    "The family moved from {{street}} to {{flat}}, {{street}} on {{date}}.",
    "Tel: {{phone}} | Mob: {{mobile}} | Direct line {{phone_ext}}",
    "Ring {{first}}'s mum on {{phone_intl}} after 6pm (Ireland).",
    "Dear {{first}},\nYour appointment is on {{date}} at 10:30. If you cannot attend please ring {{phone}}.\n"
    "Children's Centre",
    "DOB: {{dob}} (age {{age}})\nGP: Dr {{surname}}, {{org}} Surgery",
    "Pupil {{name}}, born on {{dob}}, joined Year 4 on {{date}}.",
    "Deliver to: {{name}}, {{flat}}, {{street}}, {{town}}. Leave with neighbour if out.",
    "Contact numbers on file: {{phone}}; {{phone_intl}}; {{mobile}}",
)

# -- UK tables: (sheet, {header: placeholder}) with 6-12 rows each.
UK_TABLES: tuple[tuple[str, dict[str, str]], ...] = (
    ("Payees", {"Payee": "{{name}}", "Sort code": "{{sort_code}}", "account_number": "{{account}}"}),
    ("Clients", {"Client": "{{name}}", "Date of birth": "{{dob}}", "Address line 1": "{{street}}"}),
    ("Contacts", {"Name": "{{name}}", "Telephone": "{{phone}}", "Overseas contact": "{{phone_intl}}"}),
    ("Tenants", {"Tenant": "{{name}}", "Property": "{{flat}}, {{street}}", "Start date": "{{date}}"}),
    ("Residents", {"Address": "{{street}}", "Town": "{{town}}", "Phone number": "{{mobile}}"}),
)

# -- Hard negatives: no personal data. {{date}} {{money}} {{n}} {{ref}} {{time}} {{org}} are filled.
NEGATIVES: tuple[str, ...] = (
    "INVOICE {{ref}}\nInvoice date: {{date}}\nDue date: {{date}}\nSupplier: {{org}} Ltd\n"
    "Description: grounds maintenance, Q3\nNet: {{money}}  VAT: {{money}}  Total: {{money}}\n"
    "Payment terms: 30 days from invoice date. Please quote PO {{n}} on all correspondence.",
    "MINUTES of the Highways Scrutiny Panel held on {{date}} at 14:00 in Committee Room 2.\n"
    "Present: the Chair, the Cabinet Member for Transport, the Head of Highways.\n"
    "1. Apologies were received from two members.\n2. The minutes of the meeting on {{date}} were agreed.\n"
    "3. Pothole repairs: 4,210 completed since {{date}}.\nNext meeting: {{date}}.",
    "Route 21 timetable (valid from {{date}})\nCity Centre 0715 0745 0815 0845 0915\n"
    "Hospital 0731 0801 0831 0901 0931\nRail Station 0742 0812 0842 0912 0942\n"
    "No service on {{date}} (bank holiday).",
    "Equality and Diversity Policy\nThe council will not discriminate on grounds of age, disability, gender "
    "reassignment, marriage, pregnancy and maternity, race, religion or belief (including Christian, Muslim, "
    "Jewish, Hindu and Sikh faiths), sex or sexual orientation. This policy was approved on {{date}} and will "
    "be reviewed by {{date}}.",
    "Health and wellbeing strategy 2025-2030\nPriorities: mental health, dementia, diabetes, asthma in "
    "children, CAMHS waiting times, GP access and substance misuse. Data from {{date}} show admissions for "
    "self-harm fell by 4%.",
    'def renew(policy_id: int, start: str = \'{{date}}\') -> None:\n    """Renew a policy."""\n'
    "    timeout = 30\n    retries = 3\n    ref = '{{ref}}'\n    log.info('renewing %s from %s', ref, start)\n",
    "2025-03-14 09:12:44,118 INFO worker-3 job {{n}} started (batch {{ref}})\n"
    "2025-03-14 09:12:47,902 WARN worker-3 retry 1/5 after 3.784s\n"
    "2025-03-14 09:13:02,551 INFO worker-3 job {{n}} finished in 18.433s, 20150 rows\n"
    "2025-03-14 09:13:02,552 DEBUG scheduler next run {{date}} 02:00",
    "School term dates 2025/26\nAutumn term: {{date}} to {{date}}\nHalf term: {{date}} to {{date}}\n"
    "Spring term: {{date}} to {{date}}\nINSET days: {{date}}, {{date}}",
    "Admissions policy\nChildren born between 1 September 2020 and 31 August 2021 may apply for Reception "
    "places from {{date}}. Birth certificates are not needed. The scheme was born out of the 2019 review.",
    "Purchase order {{n}}\nOrdered: {{date}}\nDelivery: {{date}}\nQty 12 x item 401-023-2137, "
    "Qty 4 x item 7700-900-123\nBudget code {{ref}}. Approved by the Head of Finance.",
    "Press release {{date}}\nThe council has opened a new Family Hub on Station Road. Opening hours "
    "09:00-17:00 Monday to Friday. Call the switchboard on 024 7683 3075 for details.",
    "Risk register extract (reviewed {{date}})\nR12 Cyber attack - likelihood 4, impact 5, owner: Head of IT\n"
    "R13 Loss of key staff - likelihood 3, impact 3, review due {{date}}\nR14 Budget overspend {{money}}",
    "SELECT account_id, created_at FROM payments WHERE created_at > '{{date}}' AND amount > 250 "
    "ORDER BY created_at LIMIT 1000;  -- report {{ref}}",
    "Agenda item 6: Church Lane car park resurfacing. Tender {{ref}} was awarded on {{date}} to {{org}} for "
    "{{money}}. Works start {{date}}; completion expected {{date}}.",
    "Training record summary: 142 staff completed data protection training by {{date}}; 37 are overdue. "
    "Refresher due {{date}}. Course code {{ref}}.",
    "Grant conditions\n1. The grant of {{money}} must be spent by {{date}}.\n2. Claims to be submitted "
    "quarterly, the first by {{date}}.\n3. Union representatives and faith groups may apply.",
    "Version 3.2.1 released {{date}}\n- fixed crash when parsing 12/13/2024\n- build 20240611.4\n"
    "- checksum 9434765918 updated",
    "Waste collection calendar: recycling on {{date}}, {{date}} and {{date}}; garden waste on {{date}}. "
    "Christmas collections move by one day.",
    "Planning application {{ref}} received {{date}}: two-storey rear extension. Consultation ends "
    "{{date}}. Decision due {{date}}. Ward: St Michael's.",
    "Fire alarm test every Wednesday at 10:00. Assembly point: car park B. Last drill {{date}}, building "
    "cleared in 3 minutes 40 seconds.",
)
