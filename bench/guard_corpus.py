"""Writes the guard's two measuring corpora (run it again only to change them; the output is committed).

    .venv/bin/python -m bench.guard_corpus

- `coproduce/governance/corpus/ordinary.txt`: one sentence a line of ordinary workshop text in the
  voice of health and social care staff (social media, co-production, digital tools, safeguarding
  policy, event logistics), with the innocent look-alikes the guard must leave alone: event dates,
  ward and room numbers, counts of staff, speakers' names with their jobs, "Dr Smith presented",
  organisations named after people, clinical words used about services rather than people. Some
  sentences give the venue's or organiser's phone number or e-mail address, as real workshop
  text does (numbers from Ofcom's drama ranges, addresses at example domains).
- `coproduce/governance/corpus/identifiable.txt`: "kind<TAB>sentence", synthetic patient-identifiable
  data of every kind the guard knows (NHS numbers from the 999 test range, Ofcom drama phone
  numbers, example.* e-mail domains, invented names and hospital numbers).

Both are generated from templates and vocabularies with a fixed seed, so the files are stable.
The names of people used for patients are drawn partly from given names the guard does not list,
so the recall it reports is not flattered by the generator.
"""

from __future__ import annotations

import random
from pathlib import Path

from nhs_number.validate import calculate_checksum

CORPUS = Path(__file__).resolve().parent.parent / "coproduce" / "governance" / "corpus"
ORDINARY_SENTENCES = 3600
SEED = 6

GIVEN = [
    "Jane",
    "John",
    "Sarah",
    "David",
    "Priya",
    "Ahmed",
    "Helen",
    "Mark",
    "Fiona",
    "Gareth",
    "Aisha",
    "Tom",
    "Ruth",
    "Kwame",
    "Siobhan",
    "Rachel",
    "Ian",
    "Claire",
    "Mohammed",
    "Lucy",
    "Peter",
    "Niamh",
    "Emma",
    "Paul",
    "Karen",
    "Simon",
    "Hannah",
    "James",
    "Deborah",
    "Ravi",
]
SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Khan",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Lewis",
    "Martin",
    "Jackson",
    "Clarke",
    "Okafor",
    "Nowak",
    "Chen",
    "O'Brien",
    "McDonald",
    "Campbell",
    "Stewart",
    "Murphy",
    "Kelly",
    "Begum",
    "Ali",
    "Singh",
]
JOBS = """Head of Digital|ward manager|Chief Nurse|Chief Clinical Information Officer|patient leader|
digital lead|safeguarding lead|Director of Nursing|communications manager|consultant geriatrician|
matron for older people|social worker|practice nurse|GP partner|co-production lead|carer representative|
information governance manager|Caldicott Guardian|mental health nurse|occupational therapist|
community pharmacist|head of patient experience|health visitor|trust secretary|learning disability nurse|
dementia lead|sepsis nurse specialist|discharge coordinator|Freedom to Speak Up Guardian|
volunteer coordinator""".replace("\n", "").split("|")
ORGS = """NHS England|NHS Digital|the Royal College of Nursing|Health Education England|the Care Quality
Commission|the King's Fund|the Nuffield Trust|Skills for Care|the Local Government Association|
Healthwatch|the Queen's Nursing Institute|NHS Providers|the NHS Confederation|the Florence Nightingale
Foundation|the UK Sepsis Trust|Alzheimer's Society|Dementia UK|Mind|Carers UK|the Patients Association|
NHS Employers|the Topol Review team|the Faculty of Clinical Informatics|Public Health England|
the British Computer Society|the Academic Health Science Network""".replace("\n", " ").split("|")
ORGS = [o.strip() for o in ORGS]
TOOLS = """Twitter|X|Facebook|LinkedIn|Instagram|WhatsApp|Microsoft Teams|Zoom|Slack|YouTube|TikTok|
Padlet|Mentimeter|Slido|Yammer|the intranet|the trust's blog|Mastodon|Threads|a closed Facebook group|
the e-learning portal|Google Forms|the staff app|the wiki""".replace("\n", "").split("|")
TOPICS = """co-production|social media policy|safeguarding|information governance|digital inclusion|
patient experience|staff wellbeing|consent|confidentiality|the Caldicott principles|record keeping|
online professionalism|cyberbullying|the duty of candour|digital literacy|remote consultations|
the discharge process|dementia-friendly design|sepsis awareness|falls prevention|carers' voices|
end of life care planning|the Mental Capacity Act|GDPR|data sharing agreements|accessible information|
the NMC Code|peer support|quality improvement|shared decision making""".replace("\n", "").split("|")
PLACES = """Room 3.14|Room 204|the Lecture Theatre|Seminar Room B|the Education Centre|Conference Room 2|
the boardroom|Suite 5|the Atrium|Training Room 1|the library|Meeting Room G07|the Postgraduate Centre|
the Ward 7 day room|the Health Innovation Hub|the Wellbeing Hub""".replace("\n", "").split("|")
CITIES = [
    "Leeds",
    "Manchester",
    "Birmingham",
    "London",
    "Bristol",
    "Sheffield",
    "Newcastle",
    "Nottingham",
    "Cardiff",
    "Glasgow",
    "York",
    "Exeter",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
WARDS = ["Ward 7", "Ward 12", "Ward 3B", "the acute medical unit", "the stroke unit", "the discharge lounge"]
CLINICAL_NOUNS = """sepsis|dementia|delirium|stroke|pneumonia|falls|pressure ulcers|diabetes|frailty|
overdose prevention|self-harm|end of life care|discharge|admissions|readmissions|bed occupancy""".replace(
    "\n", ""
).split("|")
VENUE_PHONES = ["0113 496 0000", "0161 496 0123", "020 7946 0958", "0121 496 0777", "0117 496 0555"]
VENUE_EMAILS = ["events@example.nhs.uk", "bookings@example.org", "digital.team@example.nhs.uk"]

ORDINARY_TEMPLATES = [
    "{given} {surname}, {job}, opened the workshop with a talk on {topic}.",
    "{given} {surname} ({job}) described how {org} uses {tool} for {topic}.",
    "Dr {surname} presented the findings of the {clinical} audit.",
    "Dr {surname} presented on {clinical} and why it matters for {topic}.",
    "Prof {given} {surname} spoke about {clinical} and the role of {tool}.",
    "Our {job}, {given} {surname}, led the session on {topic}.",
    "Thanks to {given} {surname}, {job} at {org}, for chairing the panel on {clinical}.",
    "The {ward} team shared how they use {tool} to keep families updated.",
    "The {ward} team won an award for their work on {clinical}.",
    "On {day} {month} 2024 we met in {place} to plan the next stage of {topic}.",
    "On {day} {month} {year} we met with {org} to talk about {topic}.",
    "The next masterclass is on {weekday} {day} {month} {year} in {place}, {city}.",
    "Please book by {day}/{monthnum}/{year} as places are limited to {small} people.",
    "More than {big} staff have completed the {topic} module on the e-learning portal.",
    "{org} says {big} staff now use {tool} every week.",
    "About {pct}% of the {big} nurses we surveyed use {tool} for work.",
    "The session starts at {hour}.30 in {place}; coffee from {hourm}.00.",
    "Parking is in car park {letter}, and {place} is on level {small}.",
    "For directions call the venue on {phone}.",
    "If you cannot come, please ring {phone} or write to {email}.",
    "Questions about the programme can go to {email}.",
    "We discussed whether staff should post about {clinical} on {tool}.",
    "Nobody should share photos from {ward} on {tool}, even without names.",
    "The safeguarding policy says what to do if a colleague posts something unsafe on {tool}.",
    "Our {job} reminded everyone that {topic} applies online as much as on the ward.",
    "{given} talked about running a {tool} chat on {clinical} every {weekday}.",
    "{given} {surname} tweeted the slides from the {clinical} session.",
    "A carer, {given}, told us that {tool} helped her feel less alone.",
    "We agreed to co-produce the leaflet on {clinical} with patients and carers.",
    "The group asked {org} for clearer guidance on {topic}.",
    "The pilot on {ward} ran from {month} to {month2} {year}.",
    "Version {small}.{small2} of the policy was approved by the board on {day} {month} {year}.",
    "Mr {surname} from the estates team sorted out the wifi in {place}.",
    "Mrs {surname} from the events office will send the joining instructions.",
    "{given} {surname} will facilitate the breakout group on {topic}.",
    "{given} {surname} is our {job} and looks after {topic}.",
    "We heard from {given} {surname} about {topic} in {city}.",
    "The {clinical} pathway was redesigned with help from the {ward} team.",
    "Admissions to the stroke unit rose by {pct}% last winter, the board heard.",
    "Patients admitted with {clinical} now get a leaflet about the online support group.",
    "The trust discharged {big} patients last month, according to the dashboard.",
    "Bed {small} in {place} is actually a sofa, so bring a cushion.",
    "There are {small} beds on {ward} and the team posts updates on {tool}.",
    "The {topic} toolkit is on page {small} of the handbook.",
    "Read the {org} report on {topic}, published in {month} {year}.",
    "Table {small} will look at {topic}; table {small2} at {clinical}.",
    "The hashtag for the day is #{hashtag}{year}.",
    "Feedback forms are due by {weekday}; {pct}% came back last time.",
    "{org} and {org2} jointly funded the {topic} project.",
    "Call 111 for advice or 999 in an emergency, the poster says.",
    "Ward {small} and Ward {small2} are trialling {tool} for handovers.",
    "The meeting in {city} on {day} {month} {year} was recorded for those who could not attend.",
    "Since {month} {year}, {big} people have joined the {tool} group.",
    "We asked whether mentioning a patient's {clinical} in a closed group breaches confidentiality.",
    "Staff must never discuss an identifiable patient on {tool}, even in a private message.",
    "{given} {surname} and {given2} {surname2} co-chaired the {topic} working group.",
    "Sister {surname} explained how {ward} uses a whiteboard instead of {tool}.",
    "Nurse {given} {surname} wrote a blog post about {clinical} awareness week.",
    "Councillor {surname} welcomed everyone to {city}.",
    "The {clinical} campaign reached {big} people on {tool}.",
    "Our {job} asked how {tool} could support {topic}.",
    "The minutes of {day} {month} {year} are on the wiki.",
    "Lunch will be served in {place} at {hour}.15.",
    "The venue is {place}, {city}, a short walk from the station.",
    "Slides are on the wiki under {topic}, item {small}.",
    "Delegates from {org} raised concerns about {topic}.",
    "{given} said the {clinical} stories on {tool} were powerful but must be anonymised.",
    "The room holds {big2} people, so we will stream it on {tool}.",
    "Our trust employs {big} staff across {small} sites.",
    "Agenda item {small}: {topic}, led by {given} {surname}.",
    "{given} {surname} talked about the day her mother was diagnosed with {clinical}.",
    "The book club read a memoir about {clinical} and discussed it on {tool}.",
    "Florence Nightingale would have used {tool}, joked {given}.",
    "The Mary Seacole Ward team ran a stall on {clinical}.",
    "A student nurse asked if she could follow patients on {tool}; the answer is no.",
    "The code of conduct for {tool} was updated on {day} {month} {year}.",
    "Workshop {small} of {small2} covers {topic} and {clinical}.",
    "We met on {weekday} {day} {month} and again on {weekday2} {day2} {month}.",
    "Expenses claims must be in by {day} {month} {year}.",
    "Your booking reference is REF{seven}; please keep it for the day.",
    "Invoice {six} for the venue hire was paid on {day} {month} {year}.",
    "The wifi code in {place} is {six} and the network is NHS-Guest.",
    "Course code DIG{five} is on the e-learning portal.",
    "Order number {six} covers the lanyards and badges.",
    "Ring extension {four} or the switchboard on {phone}.",
    "Please quote your staff number (for example {seven}) when booking.",
]

IDENTIFIABLE_TEMPLATES: dict[str, list[str]] = {
    "nhs_number": [
        "Patient's NHS number is {nhs} according to the referral.",
        "Can someone check {nhs} on the spine before clinic?",
        "NHS no {nhs} was on the wristband left in the day room.",
        "Re: {nhs} - the letter went to the wrong GP.",
        "The screenshot showed NHS number {nhs} clearly.",
    ],
    "hospital_number": [
        "Hospital number {hosp} was on the handover sheet.",
        "Her hosp no is {hosp}, please chase the bloods.",
        "MRN {hosp} has been admitted overnight.",
        "Unit number: {hosp}, bay 3.",
        "Case note number {hosp} needs pulling for clinic.",
        "The label said {trust} and the ward name.",
        "PAS number {hosp} was in the photo of the whiteboard.",
    ],
    "patient_name": [
        "{title} {given} {surname} was admitted with {clinical2} last night.",
        "{pgiven} {surname} was discharged home on {weekday}.",
        "{title} {surname} in bed {small} has {clinical2}.",
        "We think {pgiven} {surname} took an overdose.",
        "{title} {surname} on ward {small} is waiting for a care home place.",
        "{pgiven} {surname} was diagnosed with {clinical2} in the spring.",
        "Sad news: {title} {given} {surname} died on the ward this morning.",
        "{title} {given} {surname}, born {dob}, is on the list.",
    ],
    "date_of_birth": [
        "DOB {dob} on the form that was posted.",
        "{given} {surname}, {dob}, came in again.",
        "Date of birth: {dob}.",
        "She was born {dob} and lives alone.",
        "D.O.B. {dob} and the address were visible.",
    ],
    "postcode": [
        "She lives at 4 Mill Lane, {postcode}, with her son.",
        "Home visit to {postcode} needs two staff.",
        "Address on the referral: Flat 2, {postcode}.",
    ],
    "phone_number": [
        "His daughter's mobile is {mobile}.",
        "Ring the family on {mobile} after the ward round.",
        "Next of kin: {mobile}.",
    ],
    "email": [
        "His email is {pemail} if anyone wants to contact him.",
        "The patient wrote from {pemail} asking about her results.",
    ],
}
PATIENT_GIVEN = [
    *GIVEN,
    "Elspeth",
    "Marnie",
    "Tobias",
    "Orla",
    "Wilf",
    "Kit",
    "Edie",
    "Bertie",
    "Nell",
    "Cormac",
]
TITLES = ["Mr", "Mrs", "Ms", "Miss", "Mx"]
POSTCODES = ["LS1 4AP", "M1 1AE", "B33 8TH", "SW1A 1AA", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "NE1 7RU"]
PATIENT_CLINICAL = ["sepsis", "dementia", "a stroke", "pneumonia", "delirium", "a fractured hip", "cancer"]


def _nhs(rng: random.Random) -> str:
    while True:
        nine = f"999{rng.randrange(1_000_000):06d}"
        check = calculate_checksum(nine)
        if check is not None and check < 10:
            digits = nine + str(check)
            return rng.choice(
                [
                    digits,
                    f"{digits[:3]} {digits[3:6]} {digits[6:]}",
                    f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
                ]
            )


def _fill(template: str, rng: random.Random) -> str:
    year = rng.choice(["2023", "2024", "2025", "2026"])
    values = {
        "given": rng.choice(GIVEN),
        "given2": rng.choice(GIVEN),
        "pgiven": rng.choice(PATIENT_GIVEN),
        "surname": rng.choice(SURNAMES),
        "surname2": rng.choice(SURNAMES),
        "job": rng.choice(JOBS),
        "org": rng.choice(ORGS),
        "org2": rng.choice(ORGS),
        "tool": rng.choice(TOOLS),
        "topic": rng.choice(TOPICS),
        "clinical": rng.choice(CLINICAL_NOUNS),
        "clinical2": rng.choice(PATIENT_CLINICAL),
        "ward": rng.choice(WARDS),
        "place": rng.choice(PLACES),
        "city": rng.choice(CITIES),
        "day": str(rng.randint(1, 28)),
        "day2": str(rng.randint(1, 28)),
        "month": rng.choice(MONTHS),
        "month2": rng.choice(MONTHS),
        "monthnum": f"{rng.randint(1, 12):02d}",
        "year": year,
        "weekday": rng.choice(WEEKDAYS),
        "weekday2": rng.choice(WEEKDAYS),
        "small": str(rng.randint(1, 30)),
        "four": str(rng.randint(1000, 9999)),
        "five": str(rng.randint(10000, 99999)),
        "six": str(rng.randint(100000, 999999)),
        "seven": str(rng.randint(1000000, 9999999)),
        "small2": str(rng.randint(1, 30)),
        "big": f"{rng.randint(1, 40) * 50:,}",
        "big2": str(rng.randint(40, 400)),
        "pct": str(rng.randint(5, 95)),
        "hour": str(rng.randint(9, 15)),
        "hourm": str(rng.randint(8, 9)),
        "letter": rng.choice("ABCDE"),
        "phone": rng.choice(VENUE_PHONES),
        "email": rng.choice(VENUE_EMAILS),
        "hashtag": rng.choice(["CoProduce", "NHSSocialMedia", "DigitalNurse", "WeCommunities"]),
        "title": rng.choice(TITLES),
        "nhs": _nhs(rng),
        "hosp": rng.choice(
            [
                f"K{rng.randint(100000, 999999)}",
                f"{rng.randint(1000000, 9999999)}",
                f"A{rng.randint(1000000, 9999999)}",
            ]
        ),
        "trust": f"R{rng.choice('XJTRWAH')}{rng.choice('HK1ABT')}{rng.randint(1000000, 9999999)}",
        "dob": rng.choice(
            [
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1925, 2005)}",
                f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(1925, 2005)}",
                f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1925, 2005)}",
            ]
        ),
        "postcode": rng.choice(POSTCODES),
        "mobile": f"07700 900{rng.randint(0, 999):03d}",
        "pemail": f"{rng.choice(PATIENT_GIVEN).lower()}.{rng.choice(SURNAMES).lower().replace(chr(39), '')}"
        f"{rng.randint(1, 99)}@example.com",
    }
    return template.format(**values)


def ordinary(rng: random.Random) -> list[str]:
    seen: dict[str, None] = {}
    while len(seen) < ORDINARY_SENTENCES:
        seen[_fill(rng.choice(ORDINARY_TEMPLATES), rng)] = None
    return list(seen)


def identifiable(rng: random.Random, per_template: int = 10) -> list[tuple[str, str]]:
    rows: dict[tuple[str, str], None] = {}
    for kind, templates in IDENTIFIABLE_TEMPLATES.items():
        for template in templates:
            for _ in range(per_template):
                rows[(kind, _fill(template, rng))] = None
    return list(rows)


def main() -> None:
    rng = random.Random(SEED)
    CORPUS.mkdir(parents=True, exist_ok=True)
    lines = ordinary(rng)
    (CORPUS / "ordinary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = identifiable(rng)
    (CORPUS / "identifiable.txt").write_text(
        "".join(f"{kind}\t{sentence}\n" for kind, sentence in rows), encoding="utf-8"
    )
    print(f"ordinary.txt: {len(lines)} sentences; identifiable.txt: {len(rows)} sentences")


if __name__ == "__main__":
    main()
