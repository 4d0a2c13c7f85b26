"""Every change to notifications and how people hear about them: one keyword-only function each.

Reading notifications (`notification_read`, `notifications_read_all`) writes no audit entry: it
changes only the reader's own view, affects nobody else and happens constantly, so recording it
would bury the changes the audit log is for. Choosing how to hear (`preferences_set`) and
unsubscribing from an e-mail (`unsubscribe`) are recorded: they decide what the community sends.

E-mails are claimed with a conditional update (`emailed_at IS NULL` → now) before they are sent,
so two workers never send the same notification twice; a failed or interrupted send releases its
claim. Read access is checked again just before sending: a notification its recipient may no
longer read (the space closed to them, the page hidden) is withdrawn from e-mail for good
(frequency "off"), never sent and never retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.core.pagecache import bump_after_commit
from coproduce.governance import audit
from coproduce.notifications import emails, tokens
from coproduce.notifications.fanout import readers
from coproduce.notifications.models import DigestRun, Frequency, Kind, Notification, Preference
from coproduce.notifications.selectors import preferences_of, visible_to

logger = logging.getLogger(__name__)

DIGEST_CHUNK = 200  # recipients claimed per transaction when sending a digest
DIGEST_FREQUENCIES = (Frequency.DAILY, Frequency.WEEKLY)
DIGEST_RUN_TIMEOUT = timedelta(minutes=30)  # an unfinished digest run older than this is taken over
# When an unsent immediate e-mail is tried again, by how many tries it had: the n-th entry is how
# long after the notification was made (5 minutes when its task never ran or failed once). After
# the last one, or a day after it was made, it is given up (it stays in the inbox).
RESEND_AFTER = (
    timedelta(minutes=5),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
RESEND_GIVE_UP = timedelta(days=1)
RESEND_BATCH = 100  # e-mails one periodic run sends at most

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
        bump_after_commit()  # the reader's inbox count changed (core/viewercache.py)
    return notification


def notifications_read_all(*, user: User) -> int:
    """Mark every unread notification the user can see read; returns how many were unread."""
    read = visible_to(user).filter(read_at__isnull=True).update(read_at=timezone.now())
    if read:
        bump_after_commit()  # the reader's inbox count changed (core/viewercache.py)
    return read


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
        _repend(user, changed)
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


def _repend(user: User, choices: dict[str, str]) -> None:
    """Notifications of these kinds still waiting for an e-mail follow the new choice.

    Off: they are never e-mailed. Daily or weekly: they go in that digest. Immediately: nothing
    waiting changes (what waits for a digest stays there rather than arriving as a burst of
    separate e-mails). Notifications made while a kind was off stay in the inbox only.
    """
    waiting = Notification.objects.filter(recipient=user, emailed_at__isnull=True).exclude(
        frequency=Frequency.OFF
    )
    for frequency in {frequency for frequency in choices.values() if frequency != Frequency.IMMEDIATE}:
        kinds = [kind for kind, chosen in choices.items() if chosen == frequency]
        waiting.filter(kind__in=kinds).update(frequency=frequency)


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
        _repend(found.user, dict.fromkeys(found.kinds, Frequency.OFF.value))
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


def _release(ids: list[int], claimed_at: datetime) -> None:
    """Give back claims that were not sent, so that they are sent later."""
    Notification.objects.filter(pk__in=ids, emailed_at=claimed_at).update(emailed_at=None)


def _unreadable(rows: Iterable[Notification], people: dict[int, User], spaces: dict[int, Space]) -> set[int]:
    """The ids of the `rows` their recipient may no longer read, by the fan-out's rule.

    `rows` come with their page's `hidden_at`; `people` and `spaces` hold their recipients and
    spaces. One query for each private space among them, none for the others.
    """
    gone: set[int] = set()
    by_space: dict[int, list[Notification]] = {}
    for row in rows:
        hidden = row.page is not None and row.page.hidden_at is not None
        if hidden or row.recipient_id not in people or (row.space_id and row.space_id not in spaces):
            gone.add(row.pk)
        elif row.space_id is not None:
            by_space.setdefault(row.space_id, []).append(row)
    for space_id, group in by_space.items():
        users = list({row.recipient_id: people[row.recipient_id] for row in group}.values())
        allowed = {user.pk for user in readers(users, spaces[space_id])}
        gone |= {row.pk for row in group if row.recipient_id not in allowed}
    return gone


def _withdraw(ids: Iterable[int]) -> None:
    """Never e-mail these (their recipient may no longer read them): off, and no longer claimed."""
    Notification.objects.filter(pk__in=list(ids)).update(frequency=Frequency.OFF, emailed_at=None)


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one immediate notification, unless someone already did; True if it was sent.

    Each try counts in `email_attempts` (`notifications_resend_due` retries a few times). A
    notification the recipient may no longer read is withdrawn instead of sent.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, frequency=Frequency.IMMEDIATE, emailed_at__isnull=True
    ).update(emailed_at=now, email_attempts=F("email_attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient", "space", "page").get(pk=notification_id)
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        return False
    spaces = {notification.space.pk: notification.space} if notification.space is not None else {}
    if _unreadable([notification], {recipient.pk: recipient}, spaces):
        _withdraw([notification.pk])
        return False
    try:
        emails.notification_message(notification).send()
    except BaseException:  # a failure, or the worker stopped at once: sent later
        _release([notification_id], now)
        raise
    return True


def notifications_resend_due(*, now: datetime, stop: threading.Event | None = None) -> int:
    """Try again the immediate e-mails still unsent a while after they were made; returns how many went.

    Their task failed (django-tasks-db does not retry) or never ran. Each is tried at most
    len(RESEND_AFTER) times, and not once it is a day old. A failure ends this run: the mail
    server is probably down, and the next run, a minute later, tries again those that are due.
    """
    due = Q()
    for attempts, wait in enumerate(RESEND_AFTER):
        due |= Q(email_attempts=attempts, created_at__lte=now - wait)
    waiting = (
        Notification.objects.filter(due, frequency=Frequency.IMMEDIATE, emailed_at__isnull=True)
        .filter(created_at__gt=now - RESEND_GIVE_UP)
        .order_by("created_at", "pk")
        .values_list("pk", "email_attempts")[:RESEND_BATCH]
    )
    sent = 0
    for pk, attempts in list(waiting):
        if stop is not None and stop.is_set():
            break
        try:
            sent += notification_email_send(notification_id=pk)
        except Exception:
            last = attempts + 1 >= len(RESEND_AFTER)
            logger.exception(
                "notification %s could not be e-mailed (try %s of %s)%s",
                pk,
                attempts + 1,
                len(RESEND_AFTER),
                "; giving up" if last else "",
            )
            break
    return sent


class _Raced(Exception):
    """Another worker claimed some of the rows meanwhile: this claim is rolled back."""


def _claim(
    frequency: str, recipients: list[int], now: datetime, people: dict[int, User], spaces: dict[int, Space]
) -> dict[int, list[Notification]]:
    """Claim the unsent notifications of `recipients` (recipient id → rows), all or nothing.

    Those a recipient may no longer read are withdrawn, not returned: nobody gets them.
    """
    pending = (
        Notification.objects.filter(
            recipient_id__in=recipients, frequency=frequency, emailed_at__isnull=True, created_at__lte=now
        )
        .select_related("page")
        .only("pk", "recipient_id", "kind", "space_id", "text", "url", "created_at", "page__hidden_at")
    )
    try:
        with transaction.atomic():
            rows = list(pending)
            ids = [row.pk for row in rows]
            if Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now) != len(
                ids
            ):
                raise _Raced
            gone = _unreadable(rows, people, spaces)
            _withdraw(gone)
    except _Raced:
        if len(recipients) == 1:
            return {}  # someone else is sending this person's digest
        claimed: dict[int, list[Notification]] = {}
        for recipient in recipients:
            claimed |= _claim(frequency, [recipient], now, people, spaces)
        return claimed
    by_recipient: dict[int, list[Notification]] = {}
    for row in rows:
        if row.pk not in gone:
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
        _release([row.pk for row in rows], now)
        return False
    return True


class DigestStopped(Exception):
    """The worker is stopping: the digest stopped between recipients and gave back what it had not sent."""

    def __init__(self, sent: int) -> None:
        super().__init__(f"stopped after sending {sent} e-mails")
        self.sent = sent


def digest_send(*, frequency: str, now: datetime, stop: threading.Event | None = None) -> int:
    """Send each person with unsent `frequency` notifications one e-mail; returns how many were sent.

    Never sends an empty e-mail: only people with claimed notifications they may still read get
    one. When `stop` is set it stops before the next recipient, releases the claims it has not
    sent and raises DigestStopped; so does any interruption (the exception is re-raised).
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
    spaces = Space.objects.only("pk", "name", "visibility").in_bulk()
    space_names = {pk: space.name for pk, space in spaces.items()}
    sent = 0
    with mail.mailers.default as mailer:  # one connection for the whole run
        for start in range(0, len(recipients), DIGEST_CHUNK):
            chunk = recipients[start : start + DIGEST_CHUNK]
            if stop is not None and stop.is_set():
                raise DigestStopped(sent)
            people = User.objects.in_bulk(chunk)
            claimed = _claim(frequency, chunk, now, people, spaces)
            waiting = dict(claimed)
            try:
                for pk, rows in claimed.items():
                    if stop is not None and stop.is_set():
                        raise DigestStopped(sent)
                    sent += _send_digest(
                        mailer,
                        user=people[pk],
                        frequency=frequency,
                        rows=rows,
                        space_names=space_names,
                        now=now,
                    )
                    del waiting[pk]
            except BaseException:
                _release([row.pk for rows in waiting.values() for row in rows], now)
                raise
    return sent


def _digest_run_claim(frequency: str, period: str, now: datetime) -> DigestRun | None:
    """The period's run, if this worker may send it: new, or unfinished and older than the timeout."""
    try:
        with transaction.atomic():
            return DigestRun.objects.create(frequency=frequency, period=period, started_at=now)
    except IntegrityError:
        pass
    stale = DigestRun.objects.filter(
        frequency=frequency, period=period, finished_at__isnull=True, started_at__lt=now - DIGEST_RUN_TIMEOUT
    )
    if not stale.update(started_at=now):
        return None  # sent already, or another worker is sending it
    logger.warning("taking over the unfinished %s digest for %s", frequency, period)
    return DigestRun.objects.get(frequency=frequency, period=period)


def digests_send_due(*, now: datetime, stop: threading.Event | None = None) -> dict[str, int]:
    """Send today's daily digest and, on Mondays, this week's weekly one, if due and not yet sent.

    Due from settings.DIGEST_HOUR, local time. Each period is claimed by inserting its unique
    DigestRun row, so however many workers call this, one sends each digest. A period is done
    once its run is finished: a run that failed, was stopped or whose worker died is taken over
    DIGEST_RUN_TIMEOUT after it started. A weekly digest is sent on Mondays only: if no worker
    ran then, its notifications wait for the next Monday.
    Returns frequency → e-mails sent, for the digests this call sent (or began, if stopped).
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
        run = _digest_run_claim(frequency, period, now)
        if run is None:
            continue
        try:
            sent[frequency] = digest_send(frequency=frequency, now=now, stop=stop)
        except DigestStopped as stopped:  # unfinished: taken over after the timeout
            sent[frequency] = stopped.sent
            DigestRun.objects.filter(pk=run.pk).update(sent=F("sent") + stopped.sent)
            break
        run.sent += sent[frequency]
        run.finished_at = timezone.now()
        run.save(update_fields=["sent", "finished_at"])
    return sent
