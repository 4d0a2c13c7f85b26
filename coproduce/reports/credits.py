"""Who a paper credits, in which role, and how each person asked to be named.

Only people who contributed are ever credited: the authors of the paper's draft revisions
(facilitators and editors) and the people behind the sources the paper USES (contributors:
page revision authors up to the pinned revision, comment authors, whoever closed a discussion
with its outcome), and people who commented in the discussions of the pages it uses
(reviewers). Each person appears once, in their highest role.
"""

from __future__ import annotations

from coproduce.accounts.models import CreditChoice, User
from coproduce.communities.access import space_role
from coproduce.communities.models import SpaceRole
from coproduce.discussions.models import Comment
from coproduce.reports.models import Paper, PaperCredit, PaperRevision, Source

ROLES = ("facilitator", "editor", "contributor", "reviewer")
FORGOTTEN = "a contributor"


def used_sources(paper: Paper) -> list[Source]:
    return list(paper.sources.filter(used=True, section__isnull=False))


def contributors(paper: Paper) -> list[tuple[User, str]]:
    """(person, role), highest role first, then by name."""
    roles: dict[int, str] = {}

    def add(user_id: int | None, role: str) -> None:
        if user_id is None:
            return
        current = roles.get(user_id)
        if current is None or ROLES.index(role) < ROLES.index(current):
            roles[user_id] = role

    editors = set(PaperRevision.objects.filter(paper=paper).values_list("author_id", flat=True))
    used = used_sources(paper)
    for source in used:
        for author_id in source.author_ids or []:
            add(int(author_id), "contributor")
    page_ids = {source.object_id for source in used if source.kind == "page"}
    if page_ids:
        commenters = Comment.objects.filter(
            thread__page_id__in=page_ids, state=Comment.State.VISIBLE
        ).values_list("author_id", flat=True)
        for author_id in commenters:
            add(author_id, "reviewer")
    people = User.objects.in_bulk([*roles, *(pk for pk in editors if pk is not None)])
    for pk in editors:
        user = people.get(pk) if pk is not None else None
        if user is not None:
            lead = user.is_community_admin or space_role(user, paper.space) == SpaceRole.FACILITATOR
            add(pk, "facilitator" if lead else "editor")
    found = [(people[pk], role) for pk, role in roles.items() if pk in people]
    return sorted(found, key=lambda item: (ROLES.index(item[1]), item[0].display_name.casefold(), item[0].pk))


def credit_choice(paper: Paper, user: User) -> str:
    override = PaperCredit.objects.filter(paper=paper, user=user).values_list("credit_as", flat=True).first()
    return override or user.credit_as


def initials(name: str) -> str:
    """ "Rowan Facilitator" -> "R. F."; "Mary-Jane O'Neil" -> "M. O." """
    return " ".join(f"{word[0].upper()}." for word in name.split() if word[0].isalpha())


def format_credit(user: User, choice: str) -> str | None:
    """The name as the person chose to be credited; None when they chose not to be named."""
    name = user.display_name.strip()
    if choice == CreditChoice.ANONYMOUS:
        return None
    if choice == CreditChoice.INITIALS:
        return initials(name) or None
    if choice == CreditChoice.NAME:
        return name
    organisation = user.organisation.strip()
    return f"{name} ({organisation})" if organisation else name
