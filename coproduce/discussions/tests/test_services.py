"""Discussion services: who may comment, replies, editing, deleting, closing, mentions, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pytest_django.fixtures import Settings

from conftest import make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.discussions import services
from coproduce.discussions.models import Comment, Thread
from coproduce.discussions.services import DiscussionClosed
from coproduce.governance.models import AuditEntry, Flag, WatchedWord
from coproduce.governance.safety import UnsafeContent
from coproduce.lib.errors import Conflict
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

TEST_NHS_NUMBER = "999 000 0018"
START = datetime(2026, 5, 12, 9, 0, tzinfo=timezone.get_current_timezone())


def make_page(space: Space, author: User, title: str = "Emerging issues") -> Page:
    return wiki.page_create(space=space, actor=author, title=title, body="Digital exclusion.\n")


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return make_page(members_space, facilitator)


@pytest.fixture
def frozen() -> Iterator[mock.MagicMock]:
    """Time stands still at START until the test moves it (`frozen.return_value = ...`)."""
    with mock.patch("django.utils.timezone.now", return_value=START) as now:
        yield now


def audit_of(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("pk")


# --- who may comment ---------------------------------------------------------------------------


def test_a_member_comments_and_the_audit_entry_carries_the_contracted_payload(
    page: Page, member: User
) -> None:
    comment = services.comment_create(page=page, actor=member, body="We saw this in **Leeds**.")
    assert comment.state == Comment.State.VISIBLE
    assert comment.html == "<p>We saw this in <strong>Leeds</strong>.</p>\n"
    thread = Thread.objects.get(page=page)
    assert comment.thread == thread
    assert thread.space == page.space
    entry = audit_of("comment.create")
    assert entry.actor == member
    assert entry.space == page.space
    assert entry.target_type == "discussions.comment"
    assert entry.target_id == str(comment.pk)
    assert entry.after == {
        "thread": thread.pk,
        "page": page.pk,
        "parent": None,
        "parent_author": None,
        "mentions": [],
        "state": "visible",
    }


def test_an_outsider_cannot_comment_even_where_they_can_read(
    public_space: Space, facilitator: User, outsider: User
) -> None:
    page = make_page(public_space, facilitator)
    with pytest.raises(PermissionDenied):
        services.comment_create(page=page, actor=outsider, body="Hello")
    assert not Comment.objects.exists()


def test_a_member_who_does_not_belong_to_a_private_space_cannot_comment(
    private_space: Space, facilitator: User, member: User
) -> None:
    page = make_page(private_space, facilitator)
    with pytest.raises(PermissionDenied):
        services.comment_create(page=page, actor=member, body="Hello")
    SpaceMembership.objects.create(space=private_space, user=member, role=SpaceRole.MEMBER)
    assert services.comment_create(page=page, actor=member, body="Hello").pk


def test_a_suspended_member_is_told_until_when_they_cannot_post(page: Page, member: User) -> None:
    member.suspended_until = timezone.now() + timedelta(days=3)
    member.save()
    with pytest.raises(PermissionDenied, match=r"You are suspended until .* and cannot post\."):
        services.comment_create(page=page, actor=member, body="Hello")
    assert not Comment.objects.exists()


def test_an_empty_or_overlong_comment_is_refused(page: Page, member: User, settings: Settings) -> None:
    settings.COMMENT_MAX_CHARS = 100
    with pytest.raises(ValidationError) as empty:
        services.comment_create(page=page, actor=member, body="  \n ")
    assert empty.value.message_dict == {"body": ["Enter your comment."]}
    with pytest.raises(ValidationError, match="100 characters or fewer; yours has 101"):
        services.comment_create(page=page, actor=member, body="x" * 101)
    assert not Comment.objects.exists()


def test_control_characters_are_stripped_from_a_comment(page: Page, member: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Line one\r\nLine\x00 two\x07")
    assert comment.body == "Line one\nLine two"


def test_patient_data_is_refused_and_nothing_is_saved(page: Page, member: User) -> None:
    with pytest.raises(UnsafeContent) as refused:
        services.comment_create(page=page, actor=member, body=f"Patient {TEST_NHS_NUMBER} was seen.")
    assert "body" in refused.value.findings
    assert not Comment.objects.exists()
    assert not AuditEntry.objects.filter(action="comment.create").exists()


# --- replies -----------------------------------------------------------------------------------


def test_a_reply_records_whom_it_answers(page: Page, member: User, facilitator: User) -> None:
    first = services.comment_create(page=page, actor=member, body="Question?")
    reply = services.comment_create(page=page, actor=facilitator, body="Answer.", parent=first)
    assert reply.parent == first
    after = audit_of("comment.create").after
    assert after["parent"] == first.pk
    assert after["parent_author"] == member.pk


def test_a_reply_must_answer_a_shown_comment_of_the_same_discussion(
    page: Page, members_space: Space, member: User, facilitator: User
) -> None:
    elsewhere = services.comment_create(
        page=make_page(members_space, facilitator, "Other"), actor=member, body="x"
    )
    with pytest.raises(ValidationError, match="only reply to a comment shown"):
        services.comment_create(page=page, actor=member, body="Reply", parent=elsewhere)
    gone = services.comment_create(page=page, actor=facilitator, body="Soon gone")
    services.comment_delete(comment=gone, actor=facilitator)
    with pytest.raises(ValidationError, match="only reply to a comment shown"):
        services.comment_create(page=page, actor=member, body="Reply", parent=gone)


# --- editing and deleting ----------------------------------------------------------------------


def test_the_author_can_edit_within_the_window_and_the_comment_is_marked_edited(
    page: Page, member: User, frozen: mock.MagicMock, settings: Settings
) -> None:
    settings.COMMENT_EDIT_MINUTES = 30
    comment = services.comment_create(page=page, actor=member, body="Frist")
    frozen.return_value = START + timedelta(minutes=29)
    services.comment_edit(comment=comment, actor=member, body="First *thought*")
    comment.refresh_from_db()
    assert comment.body == "First *thought*"
    assert comment.html == "<p>First <em>thought</em></p>\n"
    assert comment.edited_at == START + timedelta(minutes=29)
    entry = audit_of("comment.edit")
    assert entry.before == {"body": "Frist"}
    assert entry.after["body"] == "First *thought*"


def test_editing_after_the_window_is_refused(
    page: Page, member: User, frozen: mock.MagicMock, settings: Settings
) -> None:
    settings.COMMENT_EDIT_MINUTES = 30
    comment = services.comment_create(page=page, actor=member, body="Original")
    frozen.return_value = START + timedelta(minutes=30)
    with pytest.raises(Conflict, match="in the 30 minutes after it was posted"):
        services.comment_edit(comment=comment, actor=member, body="Changed")
    comment.refresh_from_db()
    assert comment.body == "Original"
    assert comment.edited_at is None


def test_nobody_else_can_edit_or_delete_a_comment(
    page: Page, member: User, facilitator: User, moderator: User
) -> None:
    comment = services.comment_create(page=page, actor=member, body="Mine")
    for other in (facilitator, moderator):
        with pytest.raises(PermissionDenied):
            services.comment_edit(comment=comment, actor=other, body="Theirs")
        with pytest.raises(PermissionDenied):
            services.comment_delete(comment=comment, actor=other)
    comment.refresh_from_db()
    assert comment.body == "Mine"
    assert comment.state == Comment.State.VISIBLE


def test_deleting_leaves_a_placeholder_and_keeps_the_replies(
    page: Page, member: User, facilitator: User
) -> None:
    comment = services.comment_create(page=page, actor=member, body="Regrettable")
    reply = services.comment_create(page=page, actor=facilitator, body="Noted", parent=comment)
    services.comment_delete(comment=comment, actor=member)
    comment.refresh_from_db()
    assert (comment.body, comment.html, comment.state) == ("", "", Comment.State.DELETED)
    reply.refresh_from_db()
    assert reply.parent_id == comment.pk
    assert reply.body == "Noted"
    entry = audit_of("comment.delete")
    assert entry.after == {"state": "deleted"}
    assert "Regrettable" not in str(entry.before)
    with pytest.raises(Conflict):
        services.comment_delete(comment=comment, actor=member)


# --- closing -----------------------------------------------------------------------------------


def test_a_facilitator_closes_a_discussion_and_new_comments_are_refused(
    page: Page, member: User, facilitator: User
) -> None:
    comment = services.comment_create(page=page, actor=member, body="Idea")
    thread = services.discussion_close(page=page, actor=facilitator, outcome="We will pilot it in May.")
    assert thread.is_closed
    assert thread.closed_by == facilitator
    entry = audit_of("discussion.close")
    assert entry.target_type == "discussions.thread"
    assert entry.actor == facilitator
    assert entry.after == {"outcome": "We will pilot it in May.", "page": page.pk, "automatic": False}
    with pytest.raises(DiscussionClosed, match=r"Comments are closed: We will pilot it in May\."):
        services.comment_create(page=page, actor=member, body="Late idea")
    with pytest.raises(DiscussionClosed):
        services.comment_edit(comment=comment, actor=member, body="Changed idea")
    assert Comment.objects.count() == 1


def test_a_member_cannot_close_and_an_outcome_is_required(page: Page, member: User, moderator: User) -> None:
    with pytest.raises(PermissionDenied):
        services.discussion_close(page=page, actor=member, outcome="Done")
    with pytest.raises(ValidationError) as missing:
        services.discussion_close(page=page, actor=moderator, outcome="   ")
    assert "outcome" in missing.value.message_dict
    with pytest.raises(ValidationError):
        services.discussion_close(page=page, actor=moderator, outcome="x" * 2001)
    with pytest.raises(UnsafeContent):
        services.discussion_close(page=page, actor=moderator, outcome=f"About {TEST_NHS_NUMBER}")
    assert not Thread.objects.filter(closed_at__isnull=False).exists()


def test_reopening_clears_who_closed_it_and_the_audit_log_keeps_the_outcome(
    page: Page, member: User, facilitator: User
) -> None:
    services.discussion_close(page=page, actor=facilitator, outcome="Agreed")
    with pytest.raises(Conflict):
        services.discussion_close(page=page, actor=facilitator, outcome="Again")
    with pytest.raises(PermissionDenied):
        services.discussion_reopen(page=page, actor=member)
    thread = services.discussion_reopen(page=page, actor=facilitator)
    assert not thread.is_closed
    assert thread.closed_by is None
    assert audit_of("discussion.reopen").before["outcome"] == "Agreed"
    assert services.comment_create(page=page, actor=member, body="One more thing").pk
    with pytest.raises(Conflict):
        services.discussion_reopen(page=page, actor=facilitator)


def test_a_scheduled_discussion_closes_by_itself_when_due(
    page: Page, members_space: Space, facilitator: User, frozen: mock.MagicMock
) -> None:
    other = make_page(members_space, facilitator, "Not due")
    services.discussion_schedule_close(page=page, actor=facilitator, close_at=START + timedelta(days=1))
    services.discussion_schedule_close(page=other, actor=facilitator, close_at=START + timedelta(days=3))
    assert services.threads_close_due(now=START + timedelta(hours=23)) == 0
    assert services.threads_close_due(now=START + timedelta(days=1)) == 1
    thread = Thread.objects.get(page=page)
    assert thread.is_closed
    assert thread.closed_by is None
    assert thread.close_at is None
    assert thread.outcome == "This discussion closed on 13 May 2026."
    entry = audit_of("discussion.close")
    assert entry.actor is None
    assert entry.after["automatic"] is True
    assert entry.after["page"] == page.pk
    assert not Thread.objects.get(page=other).is_closed
    assert services.threads_close_due(now=START + timedelta(days=1)) == 0  # nothing closes twice


def test_scheduling_needs_a_closer_and_a_future_time(page: Page, member: User, moderator: User) -> None:
    with pytest.raises(PermissionDenied):
        services.discussion_schedule_close(
            page=page, actor=member, close_at=timezone.now() + timedelta(days=1)
        )
    with pytest.raises(ValidationError):
        services.discussion_schedule_close(
            page=page, actor=moderator, close_at=timezone.now() - timedelta(days=1)
        )
    thread = services.discussion_schedule_close(
        page=page, actor=moderator, close_at=timezone.now() + timedelta(days=1), outcome="Planned outcome"
    )
    assert thread.outcome == "Planned outcome"
    assert services.discussion_schedule_close(page=page, actor=moderator, close_at=None).close_at is None


# --- mentions ----------------------------------------------------------------------------------


def test_mentions_count_only_people_who_can_read_the_space(
    private_space: Space, facilitator: User, member: User, outsider: User
) -> None:
    page = make_page(private_space, facilitator)
    insider = make_person("sasha", Role.MEMBER, name="Sasha Spacemember")
    SpaceMembership.objects.create(space=private_space, user=insider, role=SpaceRole.MEMBER)
    body = "Thanks @Sasha and @meera, @otto, @nobody and @rowan; `@sasha` in code. Mail rowan@example.org"
    # the e-mail address is not a mention; the guard warns about it, so the author confirms
    comment = services.comment_create(page=page, actor=facilitator, body=body, confirmed=True)
    assert audit_of("comment.create").after["mentions"] == [insider.pk]  # not the author, not non-readers
    assert '<span class="mention">@Sasha</span>' in comment.html
    assert "@meera" in comment.html
    assert '<span class="mention">@meera' not in comment.html
    assert "<code>@sasha</code>" in comment.html


def test_the_payload_helper_gives_the_same_answer_later(page: Page, member: User, facilitator: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Over to you @rowan")
    assert services.comment_audit_payload(comment) == audit_of("comment.create").after
    assert services.comment_audit_payload(comment)["mentions"] == [facilitator.pk]


# --- watched words -----------------------------------------------------------------------------


def test_a_held_comment_is_saved_held_and_a_flagged_one_raises_an_automatic_flag(
    page: Page, member: User
) -> None:
    WatchedWord.objects.create(phrase="rubbish", action=WatchedWord.Action.HOLD)
    WatchedWord.objects.create(phrase="nonsense", action=WatchedWord.Action.FLAG)
    WatchedWord.objects.create(phrase="idiot", action=WatchedWord.Action.BLOCK)
    held = services.comment_create(page=page, actor=member, body="Utter rubbish")
    assert held.state == Comment.State.HELD
    assert audit_of("comment.create").after["state"] == "held"
    flagged = services.comment_create(page=page, actor=member, body="Some nonsense")
    assert flagged.state == Comment.State.VISIBLE
    flag = Flag.objects.get(comment=flagged)
    assert flag.reporter is None
    with pytest.raises(ValidationError, match="not allowed"):
        services.comment_create(page=page, actor=member, body="You idiot")
    assert Comment.objects.count() == 2
