"""Immediate e-mails by content, and one-click unsubscribe links that need no log-in."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import timezone

from conftest import Committed
from coproduce.accounts.models import User
from coproduce.communities.models import Space, SpaceMembership
from coproduce.governance.models import AuditEntry
from coproduce.notifications import tokens
from coproduce.notifications.models import Frequency, Kind, Notification, Preference
from coproduce.notifications.services import (
    RESEND_AFTER,
    notification_email_send,
    notifications_resend_due,
    preferences_set,
)
from coproduce.notifications.tests.helpers import make_comment, make_page, record_comment
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def email(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> EmailMultiAlternatives:
    page = make_page(members_space, facilitator)
    first = make_comment(page, facilitator)
    with committed():
        record_comment(make_comment(page, member, parent=first))
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    return message


def unsubscribe_path(message: EmailMultiAlternatives) -> str:
    header = str(message.extra_headers["List-Unsubscribe"])
    assert header.startswith("<http://127.0.0.1:8000/notifications/unsubscribe/")
    return "/" + header.strip("<>").split("/", 3)[3]


def test_a_reply_email_has_both_parts_a_deep_link_and_an_unsubscribe_footer(
    email: EmailMultiAlternatives, facilitator: User
) -> None:
    notification = Notification.objects.get()
    link = f"http://127.0.0.1:8000/spaces/masterclass/wiki/workforce/#comment-{notification.entry.target_id}"
    assert email.to == [facilitator.email]
    assert (
        email.subject
        == "[NHS Faculty of Health Informatics] Meera Member replied to your comment on “Workforce”"
    )
    assert "Dear Rowan Facilitator," in email.body
    assert link in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in str(html)
    unsubscribe = str(email.extra_headers["List-Unsubscribe"]).strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:8000/notifications/unsubscribe/")
    assert unsubscribe in email.body
    assert f'href="{unsubscribe}"' in str(html)
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Replies to your comments" in email.body
    assert notification.emailed_at is not None


def test_an_immediate_notification_is_never_emailed_twice(email: EmailMultiAlternatives) -> None:
    assert notification_email_send(notification_id=Notification.objects.get().pk) is False
    assert len(mail.outbox) == 1


def waiting(
    user: User,
    kind: str = Kind.REPLY,
    *,
    frequency: str = Frequency.IMMEDIATE,
    space: Space | None = None,
    page: Page | None = None,
    text: str = "Meera Member replied to your comment on “Workforce”",
) -> Notification:
    """A notification still waiting for its e-mail, as the fan-out makes them."""
    entry = AuditEntry.objects.create(
        action="comment.create", target_type="discussions.comment", target_id="1"
    )
    return Notification.objects.create(
        recipient=user,
        kind=kind,
        entry=entry,
        space=space,
        page=page,
        text=text,
        url="/spaces/masterclass/wiki/workforce/#comment-1",
        frequency=frequency,
    )


def test_a_failed_send_releases_the_claim_so_the_task_can_be_retried(facilitator: User) -> None:
    notification = waiting(facilitator)
    with (
        mock.patch.object(EmailMultiAlternatives, "send", side_effect=OSError("mail server down")),
        pytest.raises(OSError, match="mail server down"),
    ):
        notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert notification.email_attempts == 1
    soon = notification.created_at + timedelta(minutes=1)
    assert notifications_resend_due(now=soon) == 0  # not yet: the first retry waits a few minutes
    assert mail.outbox == []
    later = notification.created_at + timedelta(minutes=6)
    assert notifications_resend_due(now=later) == 1  # the worker's periodic job
    [message] = mail.outbox
    assert message.to == [facilitator.email]
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert notification.email_attempts == 2
    assert notifications_resend_due(now=later + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


def test_an_immediate_email_whose_task_never_ran_is_sent_a_few_minutes_later(facilitator: User) -> None:
    notification = waiting(facilitator)
    assert notifications_resend_due(now=notification.created_at + timedelta(minutes=4)) == 0
    assert notifications_resend_due(now=notification.created_at + timedelta(minutes=5)) == 1
    assert len(mail.outbox) == 1


def test_a_notification_that_cannot_be_emailed_is_tried_a_few_times_then_given_up(
    facilitator: User, caplog: pytest.LogCaptureFixture
) -> None:
    notification = waiting(facilitator)
    created = notification.created_at
    with mock.patch.object(
        EmailMultiAlternatives, "send", side_effect=OSError("mailbox unavailable")
    ) as send:
        for minutes in range(0, 24 * 60, 5):  # a periodic run every five minutes for a day
            notifications_resend_due(now=created + timedelta(minutes=minutes))
    assert send.call_count == len(RESEND_AFTER)
    notification.refresh_from_db()
    assert notification.email_attempts == len(RESEND_AFTER)
    assert notification.emailed_at is None  # still in the inbox, never e-mailed
    assert "giving up" in caplog.text


def test_a_failure_ends_the_resend_run_and_the_next_run_carries_on(facilitator: User, member: User) -> None:
    waiting(facilitator)
    second = waiting(member)
    later = second.created_at + timedelta(minutes=10)
    with mock.patch.object(EmailMultiAlternatives, "send", side_effect=OSError("mail server down")) as send:
        assert notifications_resend_due(now=later) == 0
    assert send.call_count == 1  # the server is down: the rest are not tried against it
    assert notifications_resend_due(now=later + timedelta(minutes=1)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [member.email, facilitator.email]


def test_an_unsent_immediate_email_is_not_sent_once_a_day_old(facilitator: User) -> None:
    notification = waiting(facilitator)
    assert notifications_resend_due(now=notification.created_at + timedelta(days=1, minutes=1)) == 0
    assert mail.outbox == []


# --- read access at sending time --------------------------------------------------------------


def test_an_immediate_email_is_not_sent_once_its_space_is_closed_to_the_recipient(
    private_space: Space, member: User
) -> None:
    SpaceMembership.objects.create(space=private_space, user=member)
    notification = waiting(member, space=private_space, text="Rowan replied on “Budget cuts”")
    SpaceMembership.objects.filter(space=private_space, user=member).delete()  # before the task ran
    assert notification_email_send(notification_id=notification.pk) is False
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.frequency == Frequency.OFF  # withdrawn for good, never retried
    assert notification.emailed_at is None
    assert notifications_resend_due(now=notification.created_at + timedelta(hours=2)) == 0
    assert mail.outbox == []


def test_an_immediate_email_about_a_page_hidden_meanwhile_is_not_sent(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = make_page(members_space, facilitator, title="Rude page")
    notification = waiting(member, space=members_space, page=page, text="Rowan replied on “Rude page”")
    Page.objects.filter(pk=page.pk).update(hidden_at=timezone.now())
    assert notification_email_send(notification_id=notification.pk) is False
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.frequency == Frequency.OFF


def test_an_immediate_email_is_still_sent_to_someone_who_can_read_the_space(
    private_space: Space, member: User
) -> None:
    SpaceMembership.objects.create(space=private_space, user=member)
    notification = waiting(member, space=private_space, text="Rowan replied on “Budget cuts”")
    assert notification_email_send(notification_id=notification.pk) is True
    assert "Budget cuts" in mail.outbox[0].subject


# --- changing how to hear ------------------------------------------------------------------------


def test_turning_a_kind_off_stops_the_emails_already_waiting(facilitator: User, member: User) -> None:
    reply = waiting(member, Kind.REPLY)
    daily = waiting(member, Kind.WATCHED, frequency=Frequency.DAILY)
    mention = waiting(member, Kind.MENTION, text="Rowan Facilitator mentioned you")
    theirs = waiting(facilitator, Kind.REPLY)
    preferences_set(user=member, preferences={"reply": "off", "watched": "off"})
    assert Notification.objects.get(pk=reply.pk).frequency == Frequency.OFF
    assert Notification.objects.get(pk=daily.pk).frequency == Frequency.OFF
    assert Notification.objects.get(pk=mention.pk).frequency == Frequency.IMMEDIATE  # not changed
    assert Notification.objects.get(pk=theirs.pk).frequency == Frequency.IMMEDIATE  # not hers
    assert notification_email_send(notification_id=reply.pk) is False  # the queued task sends nothing
    notifications_resend_due(now=reply.created_at + timedelta(hours=1))
    assert sorted((m.to[0], m.subject.split("] ")[1]) for m in mail.outbox) == [
        (member.email, "Rowan Facilitator mentioned you"),
        (facilitator.email, "Meera Member replied to your comment on “Workforce”"),
    ]


def test_waiting_emails_follow_a_change_between_immediate_and_digests(member: User) -> None:
    reply = waiting(member, Kind.REPLY)
    watched = waiting(member, Kind.WATCHED, frequency=Frequency.DAILY)
    inbox_only = waiting(member, Kind.MENTION, frequency=Frequency.OFF)
    sent = waiting(member, Kind.REPLY)
    Notification.objects.filter(pk=sent.pk).update(emailed_at=timezone.now())
    preferences_set(user=member, preferences={"reply": "weekly", "watched": "immediate", "mention": "daily"})
    assert Notification.objects.get(pk=reply.pk).frequency == Frequency.WEEKLY  # in the weekly digest
    assert Notification.objects.get(pk=watched.pk).frequency == Frequency.DAILY  # stays in its digest
    assert Notification.objects.get(pk=inbox_only.pk).frequency == Frequency.OFF  # was never to be sent
    assert Notification.objects.get(pk=sent.pk).frequency == Frequency.IMMEDIATE  # already e-mailed


# --- unsubscribe ---------------------------------------------------------------------------


def test_opening_the_unsubscribe_link_changes_nothing_until_the_button_is_pressed(
    email: EmailMultiAlternatives, facilitator: User, anonymous: Client
) -> None:
    path = unsubscribe_path(email)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert "Replies to your comments" in page.content.decode()
    assert "<button" in page.content.decode()
    assert not Preference.objects.exists()
    done = anonymous.post(path)
    assert done.status_code == 200
    assert "no longer e-mail" in done.content.decode()
    assert Preference.objects.get(user=facilitator, kind=Kind.REPLY).frequency == Frequency.OFF
    entry = AuditEntry.objects.get(action="notifications.unsubscribe")
    assert entry.actor == facilitator
    assert entry.after == {"reply": "off"}


def test_the_unsubscribe_page_never_shows_the_email_address(
    email: EmailMultiAlternatives, facilitator: User, anonymous: Client
) -> None:
    path = unsubscribe_path(email)
    for response in (anonymous.get(path), anonymous.post(path), anonymous.get(path)):
        assert response.status_code == 200
        assert "Replies to your comments".lower() in response.content.decode().lower()
        assert facilitator.email not in response.content.decode()
        assert "rowan@" not in response.content.decode()


def test_unsubscribing_stops_the_emails_already_waiting_for_that_kind(
    email: EmailMultiAlternatives, facilitator: User, anonymous: Client
) -> None:
    queued = waiting(facilitator, Kind.REPLY)  # its task has not run yet
    weekly = waiting(facilitator, Kind.REPLY, frequency=Frequency.WEEKLY)
    closed = waiting(facilitator, Kind.DISCUSSION_CLOSED, text="The discussion on “Workforce” has closed")
    anonymous.post(unsubscribe_path(email))
    assert Notification.objects.get(pk=queued.pk).frequency == Frequency.OFF
    assert Notification.objects.get(pk=weekly.pk).frequency == Frequency.OFF
    assert Notification.objects.get(pk=closed.pk).frequency == Frequency.IMMEDIATE  # another kind
    assert notification_email_send(notification_id=queued.pk) is False
    assert notification_email_send(notification_id=closed.pk) is True
    assert [m.subject.split("] ")[1] for m in mail.outbox[1:]] == ["The discussion on “Workforce” has closed"]


def test_the_one_click_post_from_a_mail_program_works_without_a_csrf_token(
    email: EmailMultiAlternatives, facilitator: User
) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        unsubscribe_path(email),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Preference.objects.get(user=facilitator, kind=Kind.REPLY).frequency == Frequency.OFF


def test_a_reused_link_says_so_and_changes_nothing_more(
    email: EmailMultiAlternatives, anonymous: Client
) -> None:
    path = unsubscribe_path(email)
    anonymous.post(path)
    again = anonymous.post(path)
    assert again.status_code == 200
    assert (
        "You have already unsubscribed from e-mails about replies to your comments" in again.content.decode()
    )
    assert "already unsubscribed" in anonymous.get(path).content.decode()
    assert AuditEntry.objects.filter(action="notifications.unsubscribe").count() == 1


def test_a_tampered_link_is_refused_and_changes_nothing(
    email: EmailMultiAlternatives, facilitator: User, member: User, anonymous: Client
) -> None:
    path = unsubscribe_path(email)
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"u": member.pk, "k": ["reply"]}, salt="another purpose", compress=True)
    for bad in (token[:-3] + "abc", "x" + token[1:], forged, "nonsense"):
        response = anonymous.post(f"/notifications/unsubscribe/{bad}/")
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert not Preference.objects.exists()
    assert not AuditEntry.objects.filter(action="notifications.unsubscribe").exists()


def test_an_expired_link_says_so_and_points_to_the_settings(facilitator: User, anonymous: Client) -> None:
    token = tokens.make(facilitator.pk, [Kind.REPLY])
    later = time.time() + timedelta(days=91).total_seconds()
    with mock.patch("time.time", return_value=later):
        response = anonymous.post(f"/notifications/unsubscribe/{token}/")
    assert response.status_code == 410
    assert "This unsubscribe link has expired" in response.content.decode()
    assert 'href="/notifications/settings/"' in response.content.decode()
    assert not Preference.objects.exists()


def test_a_link_for_an_account_that_was_closed_is_not_valid(facilitator: User, anonymous: Client) -> None:
    token = tokens.make(facilitator.pk, [Kind.REPLY])
    facilitator.is_active = False
    facilitator.save()
    assert anonymous.get(f"/notifications/unsubscribe/{token}/").status_code == 400
