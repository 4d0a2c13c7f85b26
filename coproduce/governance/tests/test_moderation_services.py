"""Flags, hiding, restoring and publishing: the moderation services and who may call them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from conftest import make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.discussions.models import Comment, Thread
from coproduce.governance import moderation, moderation_access, moderation_selectors
from coproduce.governance.models import AuditEntry, Flag
from coproduce.governance.safety import UnsafeContent, check_submission
from coproduce.lib.ratelimit import RateLimited
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

# A made-up NHS number from the range reserved for testing (valid modulus 11).
TEST_NHS_NUMBER = "999 000 0018"


def make_page(
    space: Space, author: User, title: str = "Emerging issues", body: str = "Rapid sharing."
) -> Page:
    return wiki.page_create(space=space, actor=author, title=title, body=body)


def make_comment(
    page: Page, author: User, body: str = "I agree.", state: str = Comment.State.VISIBLE
) -> Comment:
    thread, _ = Thread.objects.get_or_create(page=page, defaults={"space": page.space})
    return Comment.objects.create(thread=thread, author=author, body=body, html=f"<p>{body}</p>", state=state)


def space_moderator(space: Space, username: str = "sol") -> User:
    """A community member who moderates one space only."""
    person = make_person(username, Role.MEMBER, name=f"{username.title()} Space-Moderator")
    SpaceMembership.objects.create(space=space, user=person, role=SpaceRole.MODERATOR)
    return person


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return make_page(members_space, facilitator)


@pytest.fixture
def comment(page: Page, facilitator: User) -> Comment:
    return make_comment(page, facilitator)


def audit_actions(**filters: object) -> list[str]:
    return list(AuditEntry.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def test_the_test_nhs_number_is_one_the_guard_blocks() -> None:
    with pytest.raises(UnsafeContent):
        check_submission({"note": TEST_NHS_NUMBER})


# --- flagging ------------------------------------------------------------------------------


def test_a_member_can_flag_a_comment_they_can_read(comment: Comment, member: User) -> None:
    flag = moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.ABUSE, note=" Rude. ")
    assert (flag.status, flag.reporter, flag.space, flag.note) == (
        "open",
        member,
        comment.thread.space,
        "Rude.",
    )
    entry = AuditEntry.objects.get(action="flag.create")
    assert (entry.actor, entry.target_id, entry.space) == (member, str(flag.pk), comment.thread.space)
    assert entry.after == {"comment": comment.pk, "page": None, "reason": "abuse", "automatic": False}


def test_a_member_can_flag_a_page(page: Page, member: User) -> None:
    flag = moderation.flag_create(actor=member, page=page, reason=Flag.Reason.MISLEADING)
    assert (flag.page, flag.comment, flag.space) == (page, None, page.space)


def test_someone_who_cannot_read_the_space_cannot_flag_its_comments(
    private_space: Space, facilitator: User, member: User
) -> None:
    hidden_from_member = make_comment(make_page(private_space, facilitator), facilitator)
    with pytest.raises(Http404):
        moderation.flag_create(actor=member, comment=hidden_from_member, reason=Flag.Reason.SPAM)
    assert not Flag.objects.exists()


def test_an_outsider_who_is_not_a_member_cannot_flag(
    public_space: Space, facilitator: User, outsider: User
) -> None:
    public_comment = make_comment(make_page(public_space, facilitator), facilitator)
    with pytest.raises(PermissionDenied):
        moderation.flag_create(actor=outsider, comment=public_comment, reason=Flag.Reason.SPAM)


def test_a_member_cannot_flag_a_hidden_comment_but_a_moderator_can(
    page: Page, facilitator: User, member: User, moderator: User
) -> None:
    hidden = make_comment(page, facilitator, state=Comment.State.HIDDEN)
    with pytest.raises(Http404):
        moderation.flag_create(actor=member, comment=hidden, reason=Flag.Reason.ABUSE)
    assert moderation.flag_create(actor=moderator, comment=hidden, reason=Flag.Reason.ABUSE).pk


def test_a_member_cannot_flag_a_hidden_page_or_its_comments(
    page: Page, comment: Comment, member: User, moderator: User
) -> None:
    moderation.page_hide(page=page, actor=moderator, reason="Off topic")
    with pytest.raises(Http404):
        moderation.flag_create(actor=member, page=page, reason=Flag.Reason.ABUSE)
    with pytest.raises(Http404):
        moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.ABUSE)


def test_a_held_comment_can_be_flagged_only_by_its_author_and_moderators(
    page: Page, facilitator: User, member: User
) -> None:
    held = make_comment(page, facilitator, state=Comment.State.HELD)
    with pytest.raises(Http404):
        moderation.flag_create(actor=member, comment=held, reason=Flag.Reason.ABUSE)
    assert moderation.flag_create(actor=facilitator, comment=held, reason=Flag.Reason.OTHER).pk


def test_a_suspended_member_cannot_flag(comment: Comment, member: User, moderator: User) -> None:
    moderation.member_suspend(member=member, actor=moderator, reason="Spamming", days=3)
    with pytest.raises(PermissionDenied, match="You are suspended until"):
        moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.SPAM)


def test_flagging_the_same_thing_twice_keeps_one_flag(comment: Comment, member: User) -> None:
    first = moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.ABUSE)
    assert moderation_selectors.open_flag_by(reporter=member, comment=comment) == first
    again = moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.SPAM)
    assert again == first
    assert Flag.objects.count() == 1
    assert audit_actions(action="flag.create") == ["flag.create"]


def test_flags_are_rate_limited_per_member(
    settings: pytest.FixtureRequest, page: Page, facilitator: User, member: User, moderator: User
) -> None:
    settings.FLAGS_PER_HOUR = 2  # type: ignore[attr-defined]
    comments = [make_comment(page, facilitator, body=f"Comment {n}") for n in range(3)]
    for flagged in comments[:2]:
        moderation.flag_create(actor=member, comment=flagged, reason=Flag.Reason.SPAM)
    with pytest.raises(RateLimited):
        moderation.flag_create(actor=member, comment=comments[2], reason=Flag.Reason.SPAM)
    assert Flag.objects.count() == 2
    # the limit is per member, and flagging again something already flagged costs nothing
    assert moderation.flag_create(actor=moderator, comment=comments[2], reason=Flag.Reason.SPAM).pk
    assert moderation.flag_create(actor=member, comment=comments[0], reason=Flag.Reason.SPAM).pk


@pytest.mark.parametrize("reason", ["watched_word", "nonsense", ""])
def test_a_flag_needs_one_of_the_members_reasons(comment: Comment, member: User, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        moderation.flag_create(actor=member, comment=comment, reason=reason)
    assert "reason" in caught.value.message_dict


def test_a_flag_note_is_limited_and_checked_for_patient_data(comment: Comment, member: User) -> None:
    with pytest.raises(ValidationError) as caught:
        moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.OTHER, note="x" * 1001)
    assert "note" in caught.value.message_dict
    with pytest.raises(UnsafeContent):
        moderation.flag_create(
            actor=member, comment=comment, reason=Flag.Reason.PATIENT_DATA, note=f"It shows {TEST_NHS_NUMBER}"
        )
    assert not Flag.objects.exists()


def test_an_automatic_flag_has_no_reporter_and_lists_the_phrases(comment: Comment) -> None:
    flag = moderation.flag_raise_automatic(comment=comment, phrases=["idiot", "scam"])
    assert (flag.reporter, flag.reason, flag.note) == (None, "watched_word", "Watched words: idiot, scam")
    entry = AuditEntry.objects.get(action="flag.create")
    assert entry.actor is None
    assert entry.after["automatic"] is True


# --- dismissing ---------------------------------------------------------------------------


def test_a_moderator_dismisses_every_open_flag_on_the_thing(
    comment: Comment, member: User, facilitator: User, moderator: User
) -> None:
    first = moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.ABUSE)
    second = moderation.flag_raise_automatic(comment=comment, phrases=["idiot"])
    dismissed = moderation.flag_dismiss(flag=first, actor=moderator)
    assert {f.pk for f in dismissed} == {first.pk, second.pk}
    assert set(Flag.objects.values_list("status", "resolved_by")) == {("dismissed", moderator.pk)}
    entry = AuditEntry.objects.get(action="flag.dismiss")
    assert (entry.actor, entry.after["flags"]) == (moderator, [first.pk, second.pk])
    with pytest.raises(ValidationError):
        moderation.flag_dismiss(flag=first, actor=moderator)


def test_members_and_facilitators_cannot_dismiss_flags(
    comment: Comment, member: User, facilitator: User
) -> None:
    flag = moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.ABUSE)
    for person in (member, facilitator):
        with pytest.raises(PermissionDenied):
            moderation.flag_dismiss(flag=flag, actor=person)
    assert Flag.objects.get().status == "open"


# --- hiding and restoring comments ---------------------------------------------------------


def test_hiding_a_comment_resolves_its_open_flags_and_restoring_leaves_them(
    comment: Comment, member: User, moderator: User
) -> None:
    flag = moderation.flag_create(actor=member, comment=comment, reason=Flag.Reason.ABUSE)
    moderation.comment_hide(comment=comment, actor=moderator, reason="  Personal   attack ")
    comment.refresh_from_db()
    assert (comment.state, comment.moderated_by, comment.moderation_reason) == (
        "hidden",
        moderator,
        "Personal attack",
    )
    assert comment.moderated_at is not None
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == ("hidden", moderator)
    moderation.comment_restore(comment=comment, actor=moderator)
    comment.refresh_from_db()
    flag.refresh_from_db()
    assert (comment.state, comment.moderation_reason, flag.status) == ("visible", "", "hidden")
    hide, restore = AuditEntry.objects.filter(target_type="discussions.comment").order_by("id")
    assert (hide.action, hide.before, hide.after) == (
        "comment.hide",
        {"state": "visible"},
        {"state": "hidden", "reason": "Personal attack", "flags": [flag.pk]},
    )
    assert (restore.action, restore.after) == ("comment.restore", {"state": "visible"})


def test_hiding_needs_a_reason_and_a_comment_that_is_not_already_hidden(
    comment: Comment, moderator: User
) -> None:
    with pytest.raises(ValidationError) as caught:
        moderation.comment_hide(comment=comment, actor=moderator, reason="   ")
    assert "reason" in caught.value.message_dict
    moderation.comment_hide(comment=comment, actor=moderator, reason="Abuse")
    with pytest.raises(ValidationError):
        moderation.comment_hide(comment=comment, actor=moderator, reason="Abuse")
    moderation.comment_restore(comment=comment, actor=moderator)
    with pytest.raises(ValidationError):
        moderation.comment_restore(comment=comment, actor=moderator)


def test_members_and_facilitators_cannot_hide_comments(
    comment: Comment, member: User, facilitator: User
) -> None:
    for person in (member, facilitator):
        with pytest.raises(PermissionDenied):
            moderation.comment_hide(comment=comment, actor=person, reason="No")
    comment.refresh_from_db()
    assert comment.state == "visible"
    assert not AuditEntry.objects.filter(action="comment.hide").exists()


def test_a_space_moderator_moderates_their_own_space_only(
    members_space: Space, public_space: Space, facilitator: User
) -> None:
    sol = space_moderator(members_space)
    theirs = make_comment(make_page(members_space, facilitator), facilitator)
    elsewhere = make_comment(make_page(public_space, facilitator, title="Open"), facilitator)
    moderation.comment_hide(comment=theirs, actor=sol, reason="Off topic")
    with pytest.raises(PermissionDenied):
        moderation.comment_hide(comment=elsewhere, actor=sol, reason="Off topic")
    assert list(moderation_access.moderated_spaces(sol)) == [members_space]


# --- publishing held comments --------------------------------------------------------------


def test_publishing_a_held_comment_makes_it_visible_and_records_comment_publish(
    page: Page, facilitator: User, member: User, moderator: User
) -> None:
    parent = make_comment(page, member, body="First")
    held = make_comment(page, facilitator, body="A reply", state=Comment.State.HELD)
    held.parent = parent
    held.save()
    moderation.comment_publish(comment=held, actor=moderator)
    held.refresh_from_db()
    assert (held.state, held.moderated_by) == ("visible", moderator)
    entry = AuditEntry.objects.get(action="comment.publish")
    assert (entry.actor, entry.target_id, entry.space) == (moderator, str(held.pk), page.space)
    assert entry.after["state"] == "visible"
    assert (entry.after["parent"], entry.after["parent_author"], entry.after["page"]) == (
        parent.pk,
        member.pk,
        page.pk,
    )


def test_only_held_comments_can_be_published_and_only_by_moderators(
    page: Page, comment: Comment, facilitator: User, member: User, moderator: User
) -> None:
    with pytest.raises(ValidationError):
        moderation.comment_publish(comment=comment, actor=moderator)
    held = make_comment(page, member, state=Comment.State.HELD)
    with pytest.raises(PermissionDenied):
        moderation.comment_publish(comment=held, actor=facilitator)
    assert not AuditEntry.objects.filter(action="comment.publish").exists()


# --- pages -----------------------------------------------------------------------------------


def test_hiding_and_restoring_a_page_is_audited_and_resolves_its_flags(
    page: Page, member: User, moderator: User, committed: object
) -> None:
    flag = moderation.flag_create(actor=member, page=page, reason=Flag.Reason.MISLEADING)
    moderation.page_hide(page=page, actor=moderator, reason="Unsafe advice")
    page.refresh_from_db()
    flag.refresh_from_db()
    assert page.hidden_at is not None
    assert flag.status == "hidden"
    with pytest.raises(ValidationError):
        moderation.page_hide(page=page, actor=moderator, reason="Again")
    moderation.page_restore(page=page, actor=moderator)
    page.refresh_from_db()
    assert page.hidden_at is None
    hide, restore = AuditEntry.objects.filter(
        action__startswith="page.", action__in=["page.hide", "page.restore"]
    )[::-1]
    assert (hide.action, hide.after) == (
        "page.hide",
        {"hidden": True, "reason": "Unsafe advice", "flags": [flag.pk]},
    )
    assert (restore.action, restore.actor) == ("page.restore", moderator)


def test_members_and_facilitators_cannot_hide_pages(page: Page, member: User, facilitator: User) -> None:
    for person in (member, facilitator):
        with pytest.raises(PermissionDenied):
            moderation.page_hide(page=page, actor=person, reason="No")
    page.refresh_from_db()
    assert page.hidden_at is None
