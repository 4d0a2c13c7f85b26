"""The case-study community: the NHS Faculty of Health Informatics masterclass of 15 May 2008.

Everyone here is fictional. Later features extend the demo (pages, comments, the paper).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from coproduce.accounts.models import Role, Sector, User
from coproduce.communities import services
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
def load_demo(*, password: str) -> None:
    if User.objects.exists():
        raise DemoNotEmpty
    people = {p.username: _person(p, password) for p in PEOPLE}
    admin, robin = people["admin"], people["robin"]
    audit.record(actor=admin, action="demo.load", target=admin, after={"people": len(people)})
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
