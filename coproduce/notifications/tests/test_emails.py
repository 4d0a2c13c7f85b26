"""Immediate e-mails by content, and one-click unsubscribe links that need no log-in."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from conftest import Committed
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.notifications import tokens
from coproduce.notifications.models import Frequency, Kind, Notification, Preference
from coproduce.notifications.services import notification_email_send
from coproduce.notifications.tests.helpers import make_comment, make_page, record_comment

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


def test_a_failed_send_releases_the_claim_so_the_task_can_be_retried(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = make_page(members_space, facilitator)
    entry = record_comment(make_comment(page, member, parent=make_comment(page, facilitator)))
    notification = Notification.objects.create(
        recipient=facilitator, kind=Kind.REPLY, entry=entry, text="x", url="/", frequency=Frequency.IMMEDIATE
    )
    with (
        mock.patch.object(EmailMultiAlternatives, "send", side_effect=OSError("mail server down")),
        pytest.raises(OSError, match="mail server down"),
    ):
        notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert notification_email_send(notification_id=notification.pk) is True


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
