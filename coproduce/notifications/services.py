"""Every change to notifications and how people hear about them: one keyword-only function each.

Reading notifications (`notification_read`, `notifications_read_all`) writes no audit entry: it
changes only the reader's own view, affects nobody else and happens constantly, so recording it
would bury the changes the audit log is for. Choosing how to hear (`preferences_set`) and
unsubscribing from an e-mail (`unsubscribe`) are recorded: they decide what the community sends.

E-mails are claimed with a conditional update (`emailed_at IS NULL` → now) before they are sent,
so two workers never send the same notification twice; a failed send releases its claim.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance import audit
from coproduce.notifications import emails, tokens
from coproduce.notifications.models import DigestRun, Frequency, Kind, Notification, Preference
from coproduce.notifications.selectors import preferences_of

logger = logging.getLogger(__name__)

DIGEST_CHUNK = 200  # recipients claimed per transaction when sending a digest
DIGEST_FREQUENCIES = (Frequency.DAILY, Frequency.WEEKLY)

type Errors = dict[str, list[str]]


# --- reading -------------------------------------------------------------------------------


def notification_read(*, user: User, notification: Notification) -> Notification:
    """Mark one of the user's notifications read (already read: nothing changes)."""
    if notification.recipient_id != user.pk:
        raise ValidationError({"notification": ["This is not one of your notifications."]})
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_read_all(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- preferences ---------------------------------------------------------------------------


def preferences_set(*, user: User, preferences: dict[str, str]) -> dict[str, str]:
    """Set how the user hears about some kinds; returns all their choices (defaults filled in)."""
    errors: Errors = {}
    for kind, frequency in preferences.items():
        if kind not in Kind.values:
            errors[str(kind)] = [f"There is no kind of notification called “{kind}”."]
        elif frequency not in Frequency.values:
            choices = ", ".join(Frequency.values)
            errors[kind] = [f"Choose how often to hear about this: one of {choices}."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = preferences_of(user)
        changed = {kind: frequency for kind, frequency in preferences.items() if current[kind] != frequency}
        _store(user, changed)
        if changed:
            audit.record(
                actor=user,
                action="notifications.preferences",
                target=user,
                before={kind: current[kind] for kind in changed},
                after=changed,
            )
    return current | changed


def _store(user: User, choices: dict[str, str]) -> None:
    for kind, frequency in choices.items():
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"frequency": frequency})


@dataclass(frozen=True)
class Unsubscription:
    user: User
    kinds: tuple[str, ...]
    already: bool  # every kind was already off before this

    @property
    def labels(self) -> list[str]:
        return emails.kind_labels(self.kinds)


def unsubscribe_check(*, token: str) -> Unsubscription:
    """What an unsubscribe link would do, changing nothing. Raises tokens.InvalidToken/ExpiredToken."""
    request = tokens.read(token)
    user = User.objects.filter(pk=request.user_id, is_active=True).first()
    if user is None:
        raise tokens.InvalidToken
    current = preferences_of(user)
    already = all(current[kind] == Frequency.OFF for kind in request.kinds)
    return Unsubscription(user=user, kinds=request.kinds, already=already)


def unsubscribe(*, token: str) -> Unsubscription:
    """Turn off e-mail for the kinds the signed link names (they stay in the inbox)."""
    with transaction.atomic():
        found = unsubscribe_check(token=token)
        current = preferences_of(found.user)
        changed = {kind: Frequency.OFF.value for kind in found.kinds if current[kind] != Frequency.OFF}
        _store(found.user, changed)
        if changed:
            audit.record(
                actor=found.user,
                action="notifications.unsubscribe",
                target=found.user,
                before={kind: current[kind] for kind in changed},
                after=changed,
            )
    return found


# --- e-mail --------------------------------------------------------------------------------


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one immediate notification, unless someone already did; True if it was sent."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, frequency=Frequency.IMMEDIATE, emailed_at__isnull=True
    ).update(emailed_at=now)
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    if not notification.recipient.is_active or not notification.recipient.email:
        return False
    try:
        emails.notification_message(notification).send()
    except Exception:
        Notification.objects.filter(pk=notification_id, emailed_at=now).update(emailed_at=None)
        raise
    return True


class _Raced(Exception):
    """Another worker claimed some of the rows meanwhile: this claim is rolled back."""


def _claim(frequency: str, recipients: list[int], now: datetime) -> dict[int, list[Notification]]:
    """Claim the unsent notifications of `recipients` (recipient id → rows), all or nothing."""
    pending = Notification.objects.filter(
        recipient_id__in=recipients, frequency=frequency, emailed_at__isnull=True, created_at__lte=now
    ).only("pk", "recipient_id", "kind", "space_id", "text", "url", "created_at")
    try:
        with transaction.atomic():
            rows = list(pending)
            ids = [row.pk for row in rows]
            if Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now) != len(
                ids
            ):
                raise _Raced
    except _Raced:
        if len(recipients) == 1:
            return {}  # someone else is sending this person's digest
        claimed: dict[int, list[Notification]] = {}
        for recipient in recipients:
            claimed |= _claim(frequency, [recipient], now)
        return claimed
    by_recipient: dict[int, list[Notification]] = {}
    for row in rows:
        by_recipient.setdefault(row.recipient_id, []).append(row)
    return by_recipient


def _send_digest(
    mailer: BaseEmailBackend,
    *,
    user: User,
    frequency: str,
    rows: list[Notification],
    space_names: dict[int, str],
    now: datetime,
) -> bool:
    if not user.is_active or not user.email:
        return False
    message = emails.digest_message(
        user=user, frequency=frequency, notifications=rows, space_names=space_names
    )
    try:
        mailer.send_messages([message])
    except Exception:
        logger.exception(
            "the %s digest for user %s could not be sent; it will be retried", frequency, user.pk
        )
        Notification.objects.filter(pk__in=[row.pk for row in rows], emailed_at=now).update(emailed_at=None)
        return False
    return True


def digest_send(*, frequency: str, now: datetime) -> int:
    """Send each person with unsent `frequency` notifications one e-mail; returns how many were sent.

    Never sends an empty e-mail: only people with claimed notifications get one.
    """
    if frequency not in DIGEST_FREQUENCIES:
        raise ValueError(f"digests are daily or weekly, not {frequency!r}")
    recipients = list(
        Notification.objects.filter(frequency=frequency, emailed_at__isnull=True, created_at__lte=now)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    if not recipients:
        return 0  # not even a connection to the mail server
    space_names = dict(Space.objects.values_list("pk", "name"))
    sent = 0
    with mail.mailers.default as mailer:  # one connection for the whole run
        for start in range(0, len(recipients), DIGEST_CHUNK):
            claimed = _claim(frequency, recipients[start : start + DIGEST_CHUNK], now)
            people = User.objects.in_bulk(list(claimed))
            for pk, rows in claimed.items():
                sent += _send_digest(
                    mailer, user=people[pk], frequency=frequency, rows=rows, space_names=space_names, now=now
                )
    return sent


def digests_send_due(*, now: datetime) -> dict[str, int]:
    """Send today's daily digest and, on Mondays, this week's weekly one, if due and not yet sent.

    Due from settings.DIGEST_HOUR, local time. Each period is claimed by inserting its unique
    DigestRun row, so however many workers call this, one sends each digest. A weekly digest is
    sent on Mondays only: if no worker ran then, its notifications wait for the next Monday.
    Returns frequency → e-mails sent, for the digests this call sent.
    """
    local = timezone.localtime(now)
    if local.hour < settings.DIGEST_HOUR:
        return {}
    periods = {Frequency.DAILY.value: local.date().isoformat()}
    if local.weekday() == 0:
        year, week, _ = local.isocalendar()
        periods[Frequency.WEEKLY.value] = f"{year}-W{week:02d}"
    sent: dict[str, int] = {}
    for frequency, period in periods.items():
        try:
            with transaction.atomic():
                run = DigestRun.objects.create(frequency=frequency, period=period, started_at=now)
        except IntegrityError:
            continue  # already sent (or being sent) by another worker
        run.sent = sent[frequency] = digest_send(frequency=frequency, now=now)
        run.finished_at = timezone.now()
        run.save(update_fields=["sent", "finished_at"])
    return sent
