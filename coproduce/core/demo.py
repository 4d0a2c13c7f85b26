"""The case-study community: the NHS Faculty of Health Informatics masterclass of 15 May 2008.

Everyone here is fictional. Later features extend the demo (pages, comments, the paper).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from coproduce.accounts.models import Role, Sector, User
from coproduce.communities import conduct, services
from coproduce.communities.models import AllowedDomain, SpaceRole, Visibility
from coproduce.core import demo_discussions, demo_paper, demo_wiki
from coproduce.governance import audit
from coproduce.lib.env import env_str

MASTERCLASS_SLUG = "powers-and-perils-2008"


class DemoNotEmpty(Exception):
    """The database already has people in it; the demo loads only into an empty one."""


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    role: str
    sector: str
    organisation: str
    job_role: str


PEOPLE = [
    Person(
        "admin",
        "Alex Morgan",
        Role.ADMIN,
        Sector.NHS,
        "NHS Faculty of Health Informatics",
        "Community manager",
    ),
    Person(
        "robin", "Robin Ashdown", Role.FACILITATOR, Sector.PRIVATE_SECTOR, "Ashdown Associates", "Facilitator"
    ),
    Person("morgan", "Morgan Reid", Role.MODERATOR, Sector.NHS, "Northshire Primary Care Trust", "IG lead"),
    Person(
        "priya",
        "Priya Shah",
        Role.MEMBER,
        Sector.NHS,
        "Riverside NHS Foundation Trust",
        "Nurse informatician",
    ),
    Person(
        "tom",
        "Tom Hughes",
        Role.MEMBER,
        Sector.SOCIAL_CARE,
        "Westbury Council Adult Services",
        "Team manager",
    ),
    Person(
        "grace", "Grace Okafor", Role.MEMBER, Sector.HIGHER_EDUCATION, "University of Eastgate", "Lecturer"
    ),
    Person("sam", "Sam Lee", Role.MEMBER, Sector.PRIVATE_SECTOR, "Clearpath Health Software", "Product lead"),
    Person(
        "jo", "Jo Patel", Role.MEMBER, Sector.PATIENT_PARTNER, "Eastgate Patients' Forum", "Patient partner"
    ),
    Person("dee", "Dee Walsh", Role.MEMBER, Sector.VOLUNTARY, "Carers Together", "Volunteer coordinator"),
]


CODE_OF_CONDUCT = """\
This community brings together people who work in, use and care about health and social care.
By taking part you agree to the following.

## Respect

- Treat everyone with courtesy, whatever their role, sector or experience. Patients, carers,
  staff, students and suppliers all have something to teach.
- Disagree with ideas, not with people. Assume good intent and ask before you judge.

## No patient-identifiable data

- Never post anything that could identify a patient, client or service user: no names with
  clinical details, NHS or hospital numbers, dates of birth, addresses or photographs.
- Describe cases in general terms, or change the details so that nobody could be recognised.
  The site checks for some identifiers, but the responsibility is yours.

## No abuse

- No harassment, threats, discrimination, personal attacks or sexual content.
- No spam or advertising that nobody asked for.

## Confidentiality

- What colleagues share in a private or members-only space stays there. Do not copy it
  elsewhere without their agreement.
- Do not share confidential information of your organisation that you are not allowed to share.

## How to report a problem

- Use "Report" next to a page or comment to tell the moderators; they will look at it promptly.
- If you posted something by mistake, remove it and tell a moderator so that every copy goes.
- For anything urgent, contact a community administrator.

Moderators may hide content and suspend accounts that break this code.
"""


def demo_password() -> str:
    return env_str("COPRODUCE_DEMO_PASSWORD") or secrets.token_urlsafe(12)


def _person(person: Person, password: str) -> User:
    user = User.objects.create_user(
        username=person.username,
        email=f"{person.username}@example.org",
        password=password,
        name=person.name,
        role=person.role,
        sector=person.sector,
        organisation=person.organisation,
        job_role=person.job_role,
        is_staff=person.role == Role.ADMIN,
        is_superuser=person.role == Role.ADMIN,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@transaction.atomic
def load_demo(*, password: str, paper: bool = True) -> None:
    """The case study's community; `paper=False` leaves the briefing paper for someone to build."""
    if User.objects.exists():
        raise DemoNotEmpty
    people = {p.username: _person(p, password) for p in PEOPLE}
    admin, robin = people["admin"], people["robin"]
    audit.record(actor=admin, action="demo.load", target=admin, after={"people": len(people)})
    code = conduct.conduct_publish(actor=admin, text=CODE_OF_CONDUCT, summary_of_changes="First version.")
    for person in people.values():
        conduct.conduct_accept(actor=person, version=code.version)
    AllowedDomain.objects.create(domain="example.nhs.uk", created_by=admin)

    services.space_create(
        actor=admin,
        slug="faculty",
        name="NHS Faculty of Health Informatics",
        description="The community's public noticeboard: what we do, and what our events produced.",
        visibility=Visibility.PUBLIC,
    )
    masterclass = services.space_create(
        actor=robin,
        slug=MASTERCLASS_SLUG,
        name="The powers and the perils of using social networking tools in the NHS",
        description=(
            "Masterclass held on 15 May 2008 at the British Library, London. Participants learned about "
            "social networking tools and case studies of their use within the NHS, and discussed wider "
            "adoption and how to minimise the risks. Delegates co-write the emerging issues here."
        ),
        visibility=Visibility.MEMBERS,
    )
    for username in ("morgan", "priya", "tom", "grace", "sam", "jo", "dee"):
        role = SpaceRole.MODERATOR if username == "morgan" else SpaceRole.MEMBER
        services.space_member_add(space=masterclass, user=people[username], role=role, actor=robin)
    demo_wiki.load_pages(space=masterclass, people=people)
    demo_discussions.load_discussions(space=masterclass, people=people)
    if paper:
        demo_paper.load_paper(space=masterclass, people=people)

    services.application_submit(
        name="Chris Taylor",
        email="chris.taylor@example.gov.uk",
        organisation="Eastgate County Council",
        sector=Sector.SOCIAL_CARE,
        job_role="Digital inclusion officer",
        reason="I support care homes adopting online tools and would like to learn from the masterclass.",
        ip="demo",
    )
