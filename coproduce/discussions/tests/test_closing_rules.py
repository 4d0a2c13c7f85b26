"""Closing rules found in review: far-off close dates, a close time that has passed before the
worker runs, the outcome in the audit log and after reopening, watched words in outcomes, and
suspended closers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.access import can_close_discussion
from coproduce.communities.models import Space
from coproduce.discussions import services
from coproduce.discussions.forms import CloseForm
from coproduce.discussions.models import Comment, Thread
from coproduce.discussions.services import DiscussionClosed
from coproduce.governance.models import AuditEntry, WatchedWord
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 12, 9, 0, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return wiki.page_create(space=members_space, actor=facilitator, title="Emerging issues", body="Text\n")


@pytest.fixture
def frozen() -> Iterator[mock.MagicMock]:
    """Time stands still at START until the test moves it (`frozen.return_value = ...`)."""
    with mock.patch("django.utils.timezone.now", return_value=START) as now:
        yield now


def close_url(page: Page) -> str:
    return f"/spaces/{page.space.slug}/wiki/{page.slug}/discussion/close/"


def audit_of(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("pk")


def discussion_of(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    content = response.content.decode()
    start = content.index('id="discussion"')
    return content[start : content.index("</section>", start)]


def make_due(page: Page) -> Thread:
    """A thread whose automatic close has come, but which the worker has not closed yet."""
    thread = services.thread_for_page(page)
    Thread.objects.filter(pk=thread.pk).update(close_at=timezone.now() - timedelta(minutes=1))
    thread.refresh_from_db()
    return thread


# --- 1. how far ahead a close can be set ----------------------------------------------------------


def test_a_close_date_in_year_9999_is_a_form_error_not_a_server_error(page: Page, facilitator: User) -> None:
    response = client_for(facilitator).post(close_url(page), {"outcome": "", "close_on": "9999-12-31"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert "Choose a day no more than 5 years from today." in content
    assert not Thread.objects.filter(close_at__isnull=False).exists()


def test_the_close_form_takes_a_day_up_to_five_years_ahead_and_no_later(frozen: mock.MagicMock) -> None:
    last = date(2031, 5, 12)
    assert CloseForm({"outcome": "", "close_on": last.isoformat()}).is_valid()
    late = CloseForm({"outcome": "", "close_on": (last + timedelta(days=1)).isoformat()})
    assert not late.is_valid()
    assert late.errors["close_on"] == ["Choose a day no more than 5 years from today."]
    past = CloseForm({"outcome": "", "close_on": "2026-05-11"})
    assert past.errors["close_on"] == ["Choose today or a later day."]


def test_on_29_february_the_last_day_is_28_february_five_years_later() -> None:
    assert services.latest_close_day(date(2028, 2, 29)) == date(2033, 2, 28)


def test_the_service_refuses_an_automatic_close_more_than_five_years_ahead(
    page: Page, facilitator: User, frozen: mock.MagicMock
) -> None:
    too_late = services.end_of_day(date(2031, 5, 13))
    with pytest.raises(ValidationError) as refused:
        services.discussion_schedule_close(page=page, actor=facilitator, close_at=too_late)
    assert refused.value.message_dict == {"close_at": ["Choose a day no more than 5 years from today."]}
    latest = services.end_of_day(date(2031, 5, 12))
    assert (
        services.discussion_schedule_close(page=page, actor=facilitator, close_at=latest).close_at == latest
    )


# --- 2. a close time that has passed counts, before the worker runs --------------------------------


def test_comments_are_refused_once_the_close_time_has_passed_even_before_the_worker_runs(
    page: Page, member: User, facilitator: User, frozen: mock.MagicMock
) -> None:
    comment = services.comment_create(page=page, actor=member, body="Early")
    due = START + timedelta(minutes=10)  # still within the comment's edit window
    services.discussion_schedule_close(page=page, actor=facilitator, close_at=due)
    assert not Thread.objects.get(page=page).is_closed
    frozen.return_value = due
    thread = Thread.objects.get(page=page)
    assert thread.is_closed
    assert thread.closed_at is None  # the worker has not run
    expected = r"Comments are closed: This discussion closed on 12 May 2026\."
    with pytest.raises(DiscussionClosed, match=expected):
        services.comment_create(page=page, actor=member, body="Late")
    with pytest.raises(DiscussionClosed, match=expected):
        services.comment_edit(comment=comment, actor=member, body="Changed")
    assert list(Comment.objects.values_list("body", flat=True)) == ["Early"]
    assert services.threads_close_due(now=due + timedelta(minutes=3)) == 1
    thread.refresh_from_db()
    assert thread.closed_at == due  # closed from its close time, not from when the worker ran
    assert thread.outcome == "This discussion closed on 12 May 2026."
    assert audit_of("discussion.close").after["automatic"] is True


def test_a_scheduled_outcome_is_the_message_once_the_close_time_has_passed(
    page: Page, member: User, facilitator: User, frozen: mock.MagicMock
) -> None:
    services.discussion_schedule_close(
        page=page, actor=facilitator, close_at=START + timedelta(days=1), outcome="We will pilot it."
    )
    frozen.return_value = START + timedelta(days=2)
    with pytest.raises(DiscussionClosed) as refused:
        services.comment_create(page=page, actor=member, body="Late")
    assert refused.value.messages == ["Comments are closed: We will pilot it."]


def test_a_due_discussion_shows_as_closed_and_cannot_be_closed_again(
    page: Page, member: User, facilitator: User
) -> None:
    make_due(page)
    section = discussion_of(client_for(member).get(f"/spaces/{page.space.slug}/wiki/{page.slug}/"))
    assert "Comments are closed" in section
    assert 'id="new-comment"' not in section
    with pytest.raises(services.DiscussionAlreadyClosed):
        services.discussion_close(page=page, actor=facilitator, outcome="Agreed")
    with pytest.raises(services.DiscussionAlreadyClosed):
        services.discussion_schedule_close(
            page=page, actor=facilitator, close_at=timezone.now() + timedelta(days=1)
        )


def test_reopening_a_due_discussion_cancels_its_automatic_close(
    page: Page, member: User, facilitator: User
) -> None:
    thread = make_due(page)
    due = thread.close_at
    assert due is not None
    reopened = services.discussion_reopen(page=page, actor=facilitator)
    assert not reopened.is_closed
    assert reopened.close_at is None
    assert audit_of("discussion.reopen").before["closed_at"] == due.isoformat()
    assert services.threads_close_due(now=timezone.now()) == 0
    assert services.comment_create(page=page, actor=member, body="Open again").pk


# --- 5. scheduling records the outcome ---------------------------------------------------------------


def moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def test_scheduling_records_the_outcome_before_and_after(
    page: Page, facilitator: User, frozen: mock.MagicMock
) -> None:
    first = START + timedelta(days=1)
    services.discussion_schedule_close(page=page, actor=facilitator, close_at=first, outcome="Plan A")
    entry = audit_of("discussion.schedule_close")
    assert entry.before == {"close_at": None, "outcome": ""}
    assert entry.after == {"close_at": first.isoformat(), "outcome": "Plan A", "page": page.pk}
    later = START + timedelta(days=2)
    services.discussion_schedule_close(page=page, actor=facilitator, close_at=later, outcome="Plan B")
    entry = audit_of("discussion.schedule_close")
    assert (moment(entry.before["close_at"]), entry.before["outcome"]) == (first, "Plan A")
    assert entry.after == {"close_at": later.isoformat(), "outcome": "Plan B", "page": page.pk}
    services.discussion_schedule_close(page=page, actor=facilitator, close_at=None)
    entry = audit_of("discussion.schedule_close")
    assert (moment(entry.before["close_at"]), entry.before["outcome"]) == (later, "Plan B")
    assert entry.after == {"close_at": None, "outcome": "", "page": page.pk}
    assert Thread.objects.get(page=page).outcome == ""


# --- 6. no stale outcome, and the right day -------------------------------------------------------


def test_an_automatic_close_after_reopening_does_not_reuse_the_old_outcome_and_names_the_chosen_day(
    page: Page, facilitator: User, frozen: mock.MagicMock
) -> None:
    services.discussion_close(page=page, actor=facilitator, outcome="Outcome A")
    thread = services.discussion_reopen(page=page, actor=facilitator)
    assert thread.outcome == ""
    assert Thread.objects.get(page=page).outcome == ""
    assert audit_of("discussion.reopen").before["outcome"] == "Outcome A"
    form = CloseForm({"outcome": "", "close_on": "2026-05-31"})
    assert form.is_valid(), form.errors
    close_at = form.close_at
    assert close_at is not None
    assert timezone.localtime(close_at) == datetime(2026, 6, 1, tzinfo=timezone.get_current_timezone())
    services.discussion_schedule_close(page=page, actor=facilitator, close_at=close_at, outcome="")
    frozen.return_value = close_at - timedelta(seconds=1)
    assert not Thread.objects.get(page=page).is_closed  # still 31 May in London
    assert services.threads_close_due(now=close_at) == 1
    thread = Thread.objects.get(page=page)
    assert thread.outcome == "This discussion closed on 31 May 2026."
    assert audit_of("discussion.close").after["outcome"] == "This discussion closed on 31 May 2026."


# --- 9. suspended closers ----------------------------------------------------------------------------


def test_a_suspended_facilitator_can_no_longer_close_or_reopen(page: Page, facilitator: User) -> None:
    assert can_close_discussion(facilitator, page.space)
    services.discussion_close(page=page, actor=facilitator, outcome="Agreed")
    facilitator.suspended_until = timezone.now() + timedelta(days=2)
    facilitator.save()
    assert not can_close_discussion(facilitator, page.space)
    with pytest.raises(PermissionDenied):
        services.discussion_reopen(page=page, actor=facilitator)
    client = client_for(facilitator)
    assert client.post(f"/spaces/{page.space.slug}/wiki/{page.slug}/discussion/reopen/").status_code == 403
    assert client.post(close_url(page), {"outcome": "Again"}).status_code == 403
    assert Thread.objects.get(page=page).is_closed
    facilitator.suspended_until = timezone.now() - timedelta(minutes=1)  # the suspension is over
    facilitator.save()
    assert can_close_discussion(facilitator, page.space)


def test_a_suspended_facilitator_is_not_offered_closing_or_reopening(page: Page, facilitator: User) -> None:
    page_url = f"/spaces/{page.space.slug}/wiki/{page.slug}/"
    assert "Close this discussion" in discussion_of(client_for(facilitator).get(page_url))
    facilitator.suspended_until = timezone.now() + timedelta(days=2)
    facilitator.save()
    assert "Close this discussion" not in discussion_of(client_for(facilitator).get(page_url))
    Thread.objects.filter(pk=services.thread_for_page(page).pk).update(
        closed_at=timezone.now(), outcome="Agreed"
    )
    assert "Reopen the discussion" not in discussion_of(client_for(facilitator).get(page_url))


def test_a_suspended_moderator_cannot_close(page: Page, moderator: User) -> None:
    moderator.suspended_until = timezone.now() + timedelta(days=2)
    moderator.save()
    assert not can_close_discussion(moderator, page.space)
    with pytest.raises(PermissionDenied):
        services.discussion_close(page=page, actor=moderator, outcome="Agreed")
    assert not Thread.objects.filter(closed_at__isnull=False).exists()


# --- 10. watched words in outcomes -------------------------------------------------------------------


def test_an_outcome_with_a_blocked_or_held_word_is_refused_and_a_flagged_one_passes(
    page: Page, facilitator: User
) -> None:
    WatchedWord.objects.create(phrase="idiot", action=WatchedWord.Action.BLOCK)
    WatchedWord.objects.create(phrase="rubbish", action=WatchedWord.Action.HOLD)
    WatchedWord.objects.create(phrase="nonsense", action=WatchedWord.Action.FLAG)
    with pytest.raises(ValidationError, match="not allowed") as blocked:
        services.discussion_close(page=page, actor=facilitator, outcome="Any idiot could see it")
    assert list(blocked.value.message_dict) == ["outcome"]
    with pytest.raises(ValidationError, match="review") as held:
        services.discussion_close(page=page, actor=facilitator, outcome="Rubbish, all of it")
    assert list(held.value.message_dict) == ["outcome"]
    with pytest.raises(ValidationError, match="not allowed"):
        services.discussion_schedule_close(
            page=page, actor=facilitator, close_at=timezone.now() + timedelta(days=1), outcome="idiot"
        )
    assert not AuditEntry.objects.filter(action__startswith="discussion.").exists()
    thread = services.discussion_close(page=page, actor=facilitator, outcome="No more nonsense")
    assert thread.is_closed


def test_a_blocked_outcome_on_the_close_form_keeps_the_text(page: Page, facilitator: User) -> None:
    WatchedWord.objects.create(phrase="idiot", action=WatchedWord.Action.BLOCK)
    response = client_for(facilitator).post(close_url(page), {"outcome": "Any idiot could see it"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "is not allowed in this community" in content
    assert "Any idiot could see it" in content
    assert not Thread.objects.filter(closed_at__isnull=False).exists()
