"""Credit rules: who is named, in which role, and how each person chose to be named."""

from __future__ import annotations

import pytest

from conftest import make_person
from coproduce.accounts.models import CreditChoice, Role, User
from coproduce.communities.models import Space, SpaceMembership
from coproduce.discussions import services as discussions
from coproduce.reports import credits, services
from coproduce.reports.frozen import FrozenEdition
from coproduce.reports.models import Edition
from coproduce.reports.selectors import paper_preview
from coproduce.reports.tests.test_services import make_scene
from coproduce.wiki import services as wiki


def _named(space: Space, facilitator: User, author: User) -> FrozenEdition:
    scene = make_scene(space, facilitator, author)
    return paper_preview(paper=scene.paper)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (CreditChoice.FULL, "Meera Member (Example NHS Trust)"),
        (CreditChoice.NAME, "Meera Member"),
        (CreditChoice.INITIALS, "M. M."),
    ],
)
def test_a_contributor_is_credited_as_they_chose(
    members_space: Space, facilitator: User, member: User, choice: str, expected: str
) -> None:
    User.objects.filter(pk=member.pk).update(credit_as=choice)

    edition = _named(members_space, facilitator, member)

    assert [(c.name, c.role) for c in edition.credits] == [
        ("Rowan Facilitator (Example NHS Trust)", "facilitator"),
        (expected, "contributor"),
    ]
    assert edition.unnamed_count == 0


def test_a_contributor_who_chose_not_to_be_named_is_only_counted(
    members_space: Space, facilitator: User, member: User
) -> None:
    User.objects.filter(pk=member.pk).update(credit_as=CreditChoice.ANONYMOUS)

    edition = _named(members_space, facilitator, member)

    assert [c.name for c in edition.credits] == ["Rowan Facilitator (Example NHS Trust)"]
    assert edition.unnamed_count == 1
    assert edition.credit_line == "Rowan Facilitator (Example NHS Trust) and 1 other"
    assert "Meera" not in str(edition.to_dict())


def test_a_per_paper_choice_overrides_the_profile(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)

    services.credit_choose(actor=member, paper=scene.paper, credit_as=CreditChoice.INITIALS)

    assert [c.name for c in paper_preview(paper=scene.paper).credits] == [
        "Rowan Facilitator (Example NHS Trust)",
        "M. M.",
    ]


def test_people_who_did_not_contribute_to_used_sources_are_never_named(
    members_space: Space, facilitator: User, member: User
) -> None:
    bystander = make_person("bea", Role.MEMBER, name="Bea Bystander")
    unused_author = make_person("uma", Role.MEMBER, name="Uma Unused")
    scene = make_scene(members_space, facilitator, member)
    other = wiki.page_create(space=members_space, actor=bystander, title="Elsewhere", body="Unrelated")
    discussions.comment_create(page=other, actor=bystander, body="Not in the paper")
    unused = wiki.page_create(space=members_space, actor=unused_author, title="Judged", body="Not used")
    services.source_place(
        actor=facilitator, paper=scene.paper, key=f"page:{unused.pk}", section=None, used=False
    )

    names = [user.username for user, _ in credits.contributors(scene.paper)]

    assert names == ["rowan", "meera"]


def test_people_who_commented_on_a_used_page_are_reviewers(
    members_space: Space, facilitator: User, member: User
) -> None:
    reviewer = make_person("rhea", Role.MEMBER, name="Rhea Reviewer")
    scene = make_scene(members_space, facilitator, member)
    discussions.comment_create(page=scene.page, actor=reviewer, body="I read it.")

    assert [(u.username, role) for u, role in credits.contributors(scene.paper)] == [
        ("rowan", "facilitator"),
        ("meera", "contributor"),
        ("rhea", "reviewer"),
    ]


def test_someone_who_edited_the_paper_but_is_no_longer_facilitator_is_an_editor(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    SpaceMembership.objects.filter(space=members_space, user=facilitator).delete()

    assert ("rowan", "editor") in [(u.username, r) for u, r in credits.contributors(scene.paper)]


def test_a_person_erased_after_publication_becomes_a_contributor_in_the_edition(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    edition = services.paper_publish(actor=facilitator, paper=scene.paper)
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.READY)
    edition.refresh_from_db()
    sections_before = edition.snapshot["sections"]

    assert services.editions_forget_person(user_id=member.pk) == 1

    edition.refresh_from_db()
    frozen = FrozenEdition.from_dict(edition.snapshot)
    assert [(c.name, c.user_id) for c in frozen.credits][1] == ("a contributor", None)
    assert "Meera" not in str(edition.snapshot)
    assert "Meera" not in edition.how_to_cite
    assert "a contributor" in edition.how_to_cite
    assert edition.status == Edition.Status.PENDING  # rendered again without the name
    assert edition.snapshot["sections"] == sections_before
    assert services.editions_forget_person(user_id=member.pk) == 0


def test_initials_ignore_punctuation_and_take_each_word(member: User) -> None:
    member.name = "mary-jane  o'neil"
    assert credits.format_credit(member, CreditChoice.INITIALS) == "M. O."
    assert credits.format_credit(member, CreditChoice.ANONYMOUS) is None
