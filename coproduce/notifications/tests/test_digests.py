"""Daily and weekly digests, with the time given explicitly (frozen): grouping, due times, no repeats."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.notifications.models import DigestRun, Frequency, Kind, Notification
from coproduce.notifications.services import digest_send, digests_send_due

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=LONDON)  # a Monday, after DIGEST_HOUR (7)


def pending(
    user: User,
    text: str,
    *,
    space: Space | None,
    frequency: str = Frequency.DAILY,
    at: datetime | None = None,
) -> Notification:
    entry = AuditEntry.objects.create(action="page.save", target_type="wiki.page", target_id="1")
    return Notification.objects.create(
        recipient=user,
        kind=Kind.WATCHED,
        entry=entry,
        space=space,
        text=text,
        url="/spaces/x/wiki/y/",
        frequency=frequency,
        created_at=at or MONDAY_MORNING.replace(hour=3),
    )


def test_a_daily_digest_groups_by_space_and_is_sent_once(
    member: User, facilitator: User, public_space: Space, members_space: Space
) -> None:
    pending(member, "Zed edited “B”", space=public_space)
    pending(member, "Amy edited “A”", space=members_space)
    pending(member, "Amy edited “C”", space=members_space)
    pending(facilitator, "Meera edited “D”", space=None, frequency=Frequency.WEEKLY)

    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 1
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == [member.email]
    assert message.subject == "[NHS Faculty of Health Informatics] Your daily digest: 3 updates"
    body = message.body
    assert body.index("Masterclass") < body.index("Amy edited “A”") < body.index("Amy edited “C”")
    assert body.index("Amy edited “C”") < body.index("Open notes") < body.index("Zed edited “B”")
    html = str(message.alternatives[0][0])
    assert "<h2>Masterclass</h2>" in html
    assert "<h2>Open notes</h2>" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not Notification.objects.filter(recipient=member, emailed_at__isnull=True).exists()

    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get(recipient=facilitator).emailed_at is None  # weekly waits


def test_nobody_gets_an_empty_digest(member: User, members_space: Space) -> None:
    pending(member, "Read already but not e-mailed", space=members_space, frequency=Frequency.OFF)
    pending(member, "Sent at once", space=members_space, frequency=Frequency.IMMEDIATE)
    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 0
    assert digest_send(frequency=Frequency.WEEKLY, now=MONDAY_MORNING) == 0
    assert mail.outbox == []


def test_notifications_made_after_the_digest_time_wait_for_the_next_one(
    member: User, members_space: Space
) -> None:
    later = pending(member, "Later", space=members_space)
    later.created_at = MONDAY_MORNING.replace(hour=9)
    later.save()
    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 0


def test_a_digest_a_concurrent_worker_already_claimed_is_not_sent_again(
    member: User, facilitator: User, members_space: Space
) -> None:
    mine = pending(member, "Mine", space=members_space)
    pending(facilitator, "Theirs", space=members_space)
    Notification.objects.filter(pk=mine.pk).update(emailed_at=MONDAY_MORNING)  # the other worker's claim
    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 1
    assert [m.to for m in mail.outbox] == [[facilitator.email]]


def test_the_daily_digest_is_due_from_the_digest_hour_once_a_day(member: User, members_space: Space) -> None:
    pending(member, "First", space=members_space)
    assert digests_send_due(now=MONDAY_MORNING.replace(hour=6, minute=59)) == {}
    assert mail.outbox == []
    assert digests_send_due(now=MONDAY_MORNING.replace(hour=7)) == {"daily": 1, "weekly": 0}
    pending(member, "Second", space=members_space, at=MONDAY_MORNING.replace(hour=9))
    assert digests_send_due(now=MONDAY_MORNING.replace(hour=10)) == {}  # today's is done
    assert len(mail.outbox) == 1
    tuesday = datetime(2026, 11, 24, 7, 30, tzinfo=LONDON)
    assert digests_send_due(now=tuesday) == {"daily": 1}
    assert len(mail.outbox) == 2
    assert list(DigestRun.objects.order_by("started_at").values_list("frequency", "period", "sent")) == [
        ("daily", "2026-11-23", 1),
        ("weekly", "2026-W48", 0),
        ("daily", "2026-11-24", 1),
    ]


def test_the_weekly_digest_goes_on_monday_only(member: User, members_space: Space) -> None:
    pending(member, "Weekly news", space=members_space, frequency=Frequency.WEEKLY)
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=LONDON)
    pending(member, "Sunday news", space=members_space, frequency=Frequency.WEEKLY, at=sunday)
    assert digests_send_due(now=sunday) == {"daily": 0}
    assert mail.outbox == []
    assert digests_send_due(now=MONDAY_MORNING) == {"daily": 0, "weekly": 1}
    [message] = mail.outbox
    assert "weekly digest: 2 updates" in message.subject
    assert digests_send_due(now=MONDAY_MORNING.replace(hour=20)) == {}
    assert len(mail.outbox) == 1


def test_the_digest_hour_is_local_london_time_in_summer(member: User, members_space: Space) -> None:
    summer_monday_utc = datetime(2026, 7, 6, 6, 30, tzinfo=ZoneInfo("UTC"))  # 07:30 in London (BST)
    pending(member, "Summer", space=members_space, at=summer_monday_utc.astimezone(LONDON))
    assert digests_send_due(now=summer_monday_utc)["daily"] == 1


def test_the_digest_command_sends_one_now(member: User, members_space: Space) -> None:
    pending(
        member,
        "Now please",
        space=members_space,
        frequency=Frequency.WEEKLY,
        at=datetime(2026, 1, 1, tzinfo=LONDON),
    )
    out = StringIO()
    call_command("digest", "--weekly", stdout=out)
    assert out.getvalue().strip() == "Sent the weekly digest to 1 person."
    assert len(mail.outbox) == 1
