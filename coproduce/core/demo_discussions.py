"""The demo's discussions: delegates talking about the emerging-issues pages after the masterclass.

One discussion is still open; the one on the perils page has been closed by the facilitator with
what the group concluded, as the case study's own page ends: "Comments are closed."
"""

from __future__ import annotations

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions import services
from coproduce.wiki.models import Page

PERILS_OUTCOME = (
    "The risks are real but manageable: agree a short acceptable-use note for staff, never discuss "
    "identifiable patients on open sites, and name an information-governance contact for each "
    "project. These go into the briefing paper's recommendations."
)


def load_discussions(*, space: Space, people: dict[str, User]) -> None:
    robin, priya, tom, grace, jo, dee, morgan = (
        people[name] for name in ("robin", "priya", "tom", "grace", "jo", "dee", "morgan")
    )
    pages = {page.slug: page for page in Page.objects.filter(space=space)}
    powers = pages["powers-of-social-networking-in-the-nhs"]
    perils = pages["perils-of-social-networking-in-the-nhs"]

    first = services.comment_create(
        page=powers,
        actor=jo,
        body=(
            "As a patient partner, the biggest power for me is **hearing from other patients** "
            "before an appointment. Could we add a line on patient forums?"
        ),
    )
    services.comment_create(
        page=powers,
        actor=priya,
        parent=first,
        body="Good point, Jo. I'll add a paragraph on peer support; @grace do you have a reference for it?",
    )
    services.comment_create(
        page=powers,
        actor=grace,
        parent=first,
        body="Yes: our evaluation of an online carers' group. I'll put it in the appendix page.",
    )

    worry = services.comment_create(
        page=perils,
        actor=tom,
        body=(
            "In social care the worry is staff posting about the people they support, even without "
            "names. Small towns make people easy to recognise."
        ),
    )
    services.comment_create(
        page=perils,
        actor=morgan,
        parent=worry,
        body=(
            "Agreed. From the information-governance side: the rule is the same offline and online. "
            "If a colleague could work out who it is, it is identifiable."
        ),
    )
    services.comment_create(
        page=perils,
        actor=dee,
        body="Carers worry about this too. A one-page guide we could share with volunteers would help.",
    )
    services.discussion_close(page=perils, actor=robin, outcome=PERILS_OUTCOME)
