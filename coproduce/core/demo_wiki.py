"""The masterclass's emerging-issues pages, co-written over several revisions by fictional delegates."""

from __future__ import annotations

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.wiki import services

EMERGING_ISSUES = """\
What the masterclass of 15 May 2008 raised about using social networking tools in the NHS.
Add to the pages below; the facilitator will turn them into the faculty's briefing paper.

- [[Powers of social networking in the NHS]]
- [[Perils of social networking in the NHS]]
- [[Practical hints and tips]]
"""

POWERS = """\
# Rapid sharing
Discussions from an event are available within days, not months, so people stay engaged.

# Communities of practice
Staff in different organisations find each other and share what works.
"""

POWERS_2 = (
    POWERS
    + """
# Co-production
A wiki lets many people write one document together; everyone's contribution is visible.
"""
)

POWERS_3 = POWERS_2.replace(
    "share what works.", "share what works, across health, social care and universities."
)

PERILS = """\
# Confidentiality
Never post anything that could identify a patient: no NHS numbers, names with dates of birth, or addresses.

# Professional boundaries
Keep personal and professional profiles apart.
"""

PERILS_2 = (
    PERILS
    + """
# Information governance
Check your organisation's policy before using a tool hosted outside the NHS network.
"""
)

PERILS_3 = (
    PERILS_2
    + """
# Time and access
Many trusts block social networking sites; staff may only be able to contribute from home.
"""
)

TIPS = """\
| Before you start | While you use it |
|---|---|
| Agree what the tool is for | Summarise discussions regularly |
| Check the information governance policy | Thank contributors by name |

- [x] Name a facilitator
- [ ] Set a date when the discussion closes
"""

TIPS_2 = TIPS.replace("- [ ] Set a date", "- [x] Set a date") + "- [ ] Turn the input into a briefing paper\n"


def load_pages(*, space: Space, people: dict[str, User]) -> None:
    robin, priya, tom, grace, jo, dee, sam = (
        people[name] for name in ("robin", "priya", "tom", "grace", "jo", "dee", "sam")
    )
    index = services.page_create(
        space=space,
        actor=robin,
        title="Emerging issues",
        body=EMERGING_ISSUES,
        summary="Pages for each theme",
    )
    powers = services.page_create(
        space=space,
        actor=priya,
        title="Powers of social networking in the NHS",
        body=POWERS,
        parent=index,
        summary="First notes from the day",
    )
    services.page_save(
        page=powers, actor=grace, body=POWERS_2, base_revision=1, summary="Added co-production"
    )
    services.page_save(page=powers, actor=tom, body=POWERS_3, base_revision=2, summary="Social care too")
    perils = services.page_create(
        space=space,
        actor=tom,
        title="Perils of social networking in the NHS",
        body=PERILS,
        parent=index,
        summary="What worried people",
    )
    services.page_save(page=perils, actor=jo, body=PERILS_2, base_revision=1, summary="Governance")
    services.page_save(page=perils, actor=dee, body=PERILS_3, base_revision=2, summary="Access from work")
    tips = services.page_create(
        space=space, actor=sam, title="Practical hints and tips", body=TIPS, parent=index, summary="Checklist"
    )
    services.page_save(page=tips, actor=robin, body=TIPS_2, base_revision=1, summary="Next steps")
