"""What someone is told about, and how they want to hear it.

Notifications are made from audit entries (`coproduce.notifications.fanout`), never from
scattered signals: one entry, at most one notification per recipient.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.wiki.models import Page


class Kind(models.TextChoices):
    REPLY = "reply", "Replies to your comments"
    MENTION = "mention", "Mentions of you"
    WATCHED = "watched", "Changes to pages and spaces you watch"
    DISCUSSION_CLOSED = "discussion_closed", "Discussions you took part in being closed"
    APPLICATION = "application", "Decisions about your membership"
    MODERATION = "moderation", "Messages from moderators"


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    OFF = "off", "Off (in the inbox only)"


DEFAULT_FREQUENCY: dict[str, str] = {
    Kind.REPLY: Frequency.IMMEDIATE,
    Kind.MENTION: Frequency.IMMEDIATE,
    Kind.WATCHED: Frequency.DAILY,
    Kind.DISCUSSION_CLOSED: Frequency.IMMEDIATE,
    Kind.APPLICATION: Frequency.IMMEDIATE,
    Kind.MODERATION: Frequency.IMMEDIATE,
}


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    entry = models.ForeignKey(AuditEntry, on_delete=models.CASCADE, related_name="+")
    space = models.ForeignKey(Space, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    page = models.ForeignKey(
        Page,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The page it is about, if any: while a moderator hides it, the notification is hidden too.",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=500, help_text="Site path of the thing, for the deep link.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    frequency = models.CharField(
        max_length=10,
        choices=Frequency.choices,
        help_text="How the recipient wants this kind: set when made, changed while it waits for an e-mail.",
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times an immediate e-mail was tried; retries stop at a few."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "entry"], name="one_notification_per_entry")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["frequency", "emailed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.text}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """Someone's choice for one kind; without a row the kind's default applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.frequency}"


class DigestRun(models.Model):
    """One sending of the daily or weekly digest; the unique period stops two workers both sending it.

    A period is done only once `finished_at` is set: a run that failed or was stopped, or whose
    worker died, is claimed again (a conditional update of `started_at`) once it is old enough.
    """

    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    period = models.CharField(max_length=20, help_text="2026-11-24 for a day, 2026-W48 for a week.")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["frequency", "period"], name="one_run_per_period")]

    def __str__(self) -> str:
        return f"{self.frequency} digest {self.period}"
