"""Comment rules found in review: mentions added by an edit, how fast one person may post, and
the stable codes of the refusals that are not "the discussion is closed"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pytest_django.fixtures import Settings

from conftest import make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.discussions import services
from coproduce.discussions.models import Comment, Thread
from coproduce.governance import moderation
from coproduce.governance.models import AuditEntry
from coproduce.lib import ratelimit
from coproduce.lib.errors import Conflict
from coproduce.lib.ratelimit import RateLimited
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return wiki.page_create(space=members_space, actor=facilitator, title="Emerging issues", body="Text\n")


@pytest.fixture
def still_clock() -> Iterator[None]:
    """The rate limiter's clock stands still, so that a test never straddles two windows."""
    with mock.patch.object(ratelimit, "time") as clock:
        clock.time.return_value = 1_780_000_000.0
        yield


def audit_of(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("pk")


# --- 3. mentions added by an edit ------------------------------------------------------------------


def test_an_edit_records_only_the_people_it_newly_mentions(
    private_space: Space, facilitator: User, member: User
) -> None:
    page = wiki.page_create(space=private_space, actor=facilitator, title="Plans", body="Text\n")
    sasha = make_person("sasha", Role.MEMBER, name="Sasha Spacemember")
    kim = make_person("kim", Role.MEMBER, name="Kim Spacemember")
    for person in (sasha, kim):
        SpaceMembership.objects.create(space=private_space, user=person, role=SpaceRole.MEMBER)
    first = services.comment_create(page=page, actor=kim, body="Opening")
    comment = services.comment_create(page=page, actor=sasha, body="Over to @kim", parent=first)
    body = "Over to @KIM and @rowan, @sasha (me) and @meera who cannot read this space"
    services.comment_edit(comment=comment, actor=sasha, body=body)
    thread = Thread.objects.get(page=page)
    entry = audit_of("comment.edit")
    assert entry.before == {"body": "Over to @kim"}
    assert entry.after == {
        "body": body,
        "thread": thread.pk,
        "page": page.pk,
        "parent": first.pk,
        "parent_author": None,  # an edit is no new reply: nobody hears of it again
        "mentions": [facilitator.pk],
        "state": "visible",
    }
    assert member.pk not in entry.after["mentions"]


def test_an_edit_that_mentions_nobody_new_records_an_empty_list(page: Page, member: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Thanks @rowan")
    services.comment_edit(comment=comment, actor=member, body="Thanks again @Rowan")
    assert audit_of("comment.edit").after["mentions"] == []


# --- 4. how fast one person may post --------------------------------------------------------------


def test_an_eleventh_comment_within_a_minute_is_refused_and_not_saved(
    page: Page, member: User, facilitator: User, still_clock: None
) -> None:
    for n in range(services.COMMENTS_PER_MINUTE):
        services.comment_create(page=page, actor=member, body=f"Point {n}")
    with pytest.raises(RateLimited) as refused:
        services.comment_create(page=page, actor=member, body="One more point")
    assert 1 <= refused.value.retry_after <= 60
    assert Comment.objects.filter(author=member).count() == services.COMMENTS_PER_MINUTE
    assert AuditEntry.objects.filter(action="comment.create", actor=member).count() == (
        services.COMMENTS_PER_MINUTE
    )
    assert services.comment_create(page=page, actor=facilitator, body="Someone else may post").pk


def test_the_hourly_limit_applies_across_minutes(
    page: Page, member: User, still_clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "COMMENTS_PER_MINUTE", 1000)
    monkeypatch.setattr(services, "COMMENTS_PER_HOUR", 3)
    for n in range(3):
        services.comment_create(page=page, actor=member, body=f"Point {n}")
    with pytest.raises(RateLimited):
        services.comment_create(page=page, actor=member, body="Too many")
    assert Comment.objects.count() == 3


def test_refused_posts_do_not_use_up_the_limit(page: Page, member: User, still_clock: None) -> None:
    for _ in range(services.COMMENTS_PER_MINUTE + 5):
        with pytest.raises(ValidationError):
            services.comment_create(page=page, actor=member, body="   ")
    assert services.comment_create(page=page, actor=member, body="Now a real one").pk


def test_no_limit_when_rate_limits_are_off(
    page: Page, member: User, settings: Settings, still_clock: None
) -> None:
    settings.RATE_LIMITS_ENABLED = False
    for n in range(services.COMMENTS_PER_MINUTE + 1):
        services.comment_create(page=page, actor=member, body=f"Point {n}")
    assert Comment.objects.count() == services.COMMENTS_PER_MINUTE + 1


# --- 7. stable codes for refusals ---------------------------------------------------------------------


def test_each_refusal_carries_its_own_code(
    page: Page, member: User, facilitator: User, moderator: User, settings: Settings
) -> None:
    settings.COMMENT_EDIT_MINUTES = 30
    with pytest.raises(services.DiscussionAlreadyOpen) as already_open:
        services.discussion_reopen(page=page, actor=facilitator)
    assert already_open.value.code == "discussion_already_open"
    old = services.comment_create(page=page, actor=member, body="Old")
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    old.refresh_from_db()
    with pytest.raises(services.EditWindowPassed) as late:
        services.comment_edit(comment=old, actor=member, body="New")
    assert late.value.code == "edit_window_passed"
    gone = services.comment_create(page=page, actor=member, body="Regret")
    services.comment_delete(comment=gone, actor=member)
    with pytest.raises(services.CommentDeleted) as deleted:
        services.comment_delete(comment=gone, actor=member)
    assert deleted.value.code == "comment_deleted"
    with pytest.raises(services.CommentDeleted, match="can no longer be changed"):
        services.comment_edit(comment=gone, actor=member, body="Back")
    hidden = services.comment_create(page=page, actor=member, body="Harsh")
    moderation.comment_hide(comment=hidden, actor=moderator, reason="Unkind")
    hidden.refresh_from_db()
    with pytest.raises(services.CommentHidden) as was_hidden:
        services.comment_delete(comment=hidden, actor=member)
    assert was_hidden.value.code == "comment_hidden"
    with pytest.raises(services.CommentHidden):
        services.comment_edit(comment=hidden, actor=member, body="Kinder")
    services.discussion_close(page=page, actor=facilitator, outcome="Agreed")
    with pytest.raises(services.DiscussionAlreadyClosed) as already_closed:
        services.discussion_close(page=page, actor=facilitator, outcome="Again")
    assert already_closed.value.code == "discussion_already_closed"
    with pytest.raises(services.DiscussionClosed) as closed:
        services.comment_create(page=page, actor=member, body="Late")
    assert closed.value.code == "discussion_closed"
    for refusal in (already_open, late, deleted, was_hidden, already_closed, closed):
        assert isinstance(refusal.value, Conflict)
