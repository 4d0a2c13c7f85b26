"""Daily and weekly digests, with the time given explicitly (frozen): grouping, due times, no repeats."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone

from conftest import make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership
from coproduce.governance.models import AuditEntry
from coproduce.notifications import emails, services
from coproduce.notifications.models import DigestRun, Frequency, Kind, Notification
from coproduce.notifications.services import DigestStopped, digest_send, digests_send_due
from coproduce.notifications.tests.helpers import make_page
from coproduce.wiki.models import Page

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
    page: Page | None = None,
) -> Notification:
    entry = AuditEntry.objects.create(action="page.save", target_type="wiki.page", target_id="1")
    return Notification.objects.create(
        recipient=user,
        kind=Kind.WATCHED,
        entry=entry,
        space=space,
        page=page,
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


# --- read access at sending time --------------------------------------------------------------


def test_a_digest_leaves_out_what_the_recipient_can_no_longer_read(
    member: User, facilitator: User, private_space: Space, members_space: Space
) -> None:
    SpaceMembership.objects.create(space=private_space, user=member)
    secret = pending(member, "Rowan edited “Budget cuts” in Steering group", space=private_space)
    rude_page = make_page(members_space, facilitator, title="Rude page")
    rude = pending(member, "Rowan edited “Rude page” in Masterclass", space=members_space, page=rude_page)
    pending(member, "Rowan edited “Fine page” in Masterclass", space=members_space)
    kept = pending(facilitator, "Meera edited “Budget cuts” in Steering group", space=private_space)
    SpaceMembership.objects.filter(space=private_space, user=member).delete()  # she left the group
    Page.objects.filter(pk=rude_page.pk).update(hidden_at=timezone.now())

    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 2
    mine, theirs = sorted(mail.outbox, key=lambda m: m.to[0])
    assert mine.to == [member.email]
    assert "Fine page" in mine.body
    assert "Budget cuts" not in mine.body
    assert "Steering group" not in mine.body
    assert "Rude page" not in mine.body
    assert "1 update" in mine.subject
    assert "Budget cuts" in theirs.body  # the facilitator can still read it
    for withdrawn in (secret, rude):
        withdrawn.refresh_from_db()
        assert withdrawn.frequency == Frequency.OFF  # never sent, never tried again
        assert withdrawn.emailed_at is None
    kept.refresh_from_db()
    assert kept.emailed_at is not None
    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 0


def test_nobody_gets_an_empty_digest_when_all_they_had_became_unreadable(
    member: User, private_space: Space
) -> None:
    SpaceMembership.objects.create(space=private_space, user=member)
    pending(member, "Secret", space=private_space)
    SpaceMembership.objects.filter(space=private_space, user=member).delete()
    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 0
    assert mail.outbox == []


# --- stopping and failing --------------------------------------------------------------------------


def three_recipients(space: Space) -> list[User]:
    people = [make_person(f"reader{n}", Role.MEMBER) for n in range(3)]
    for person in people:
        pending(person, f"News for {person.username}", space=space)
    return people


def stopped_during_the_first_email(stop: threading.Event) -> AbstractContextManager[Any]:
    """SIGTERM arrives (`stop` is set) while the first digest e-mail is being made."""
    real = emails.digest_message

    def then_stop(**kwargs: Any) -> EmailMultiAlternatives:
        stop.set()
        return real(**kwargs)

    return mock.patch.object(emails, "digest_message", side_effect=then_stop)


def test_a_digest_stops_between_recipients_when_the_worker_stops_and_gives_back_the_rest(
    members_space: Space,
) -> None:
    three_recipients(members_space)
    stop = threading.Event()
    with stopped_during_the_first_email(stop), pytest.raises(DigestStopped) as stopped:
        digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING, stop=stop)
    assert stopped.value.sent == 1
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2  # released, not lost
    assert digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [f"reader{n}@example.nhs.uk" for n in range(3)]


def test_a_digest_interrupted_at_once_releases_what_it_had_not_sent(members_space: Space) -> None:
    three_recipients(members_space)
    sends = 0

    def second_interrupted(self: EmailBackend, messages: list[Any]) -> int:
        nonlocal sends
        sends += 1
        if sends == 2:
            raise KeyboardInterrupt  # a second Ctrl+C, or SystemExit from a second SIGTERM
        mail.outbox.extend(messages)
        return len(messages)

    with (
        mock.patch.object(EmailBackend, "send_messages", second_interrupted),
        pytest.raises(KeyboardInterrupt),
    ):
        digest_send(frequency=Frequency.DAILY, now=MONDAY_MORNING)
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2


def test_a_digest_run_that_failed_is_taken_over_once_it_is_old_enough(
    member: User, members_space: Space
) -> None:
    pending(member, "News", space=members_space)
    with (
        mock.patch.object(services, "digest_send", side_effect=RuntimeError("database went away")),
        pytest.raises(RuntimeError),
    ):
        digests_send_due(now=MONDAY_MORNING)
    run = DigestRun.objects.get(frequency=Frequency.DAILY)
    assert run.finished_at is None  # the period is not done
    assert digests_send_due(now=MONDAY_MORNING + timedelta(minutes=10)) == {"weekly": 0}  # still claimed
    assert mail.outbox == []
    assert digests_send_due(now=MONDAY_MORNING + timedelta(minutes=31)) == {"daily": 1}
    assert len(mail.outbox) == 1
    run.refresh_from_db()
    assert run.finished_at is not None
    assert run.sent == 1
    assert digests_send_due(now=MONDAY_MORNING + timedelta(hours=2)) == {}


def test_a_digest_stopped_by_the_worker_is_finished_later_with_its_count(members_space: Space) -> None:
    three_recipients(members_space)
    stop = threading.Event()
    with stopped_during_the_first_email(stop):
        assert digests_send_due(now=MONDAY_MORNING, stop=stop) == {"daily": 1}
    run = DigestRun.objects.get()  # the weekly one was not started
    assert (run.finished_at, run.sent) == (None, 1)
    assert digests_send_due(now=MONDAY_MORNING + timedelta(minutes=31)) == {"daily": 2, "weekly": 0}
    run.refresh_from_db()
    assert run.finished_at is not None
    assert run.sent == 3
    assert len(mail.outbox) == 3
