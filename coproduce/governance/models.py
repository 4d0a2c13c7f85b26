from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One meaningful change: who did what to which object, when, and what it was before/after.

    Written only by `governance.audit.record`, called from the service making the change.
    Notifications, moderation history and insights read from here.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60, db_index=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    space = models.ForeignKey(
        "communities.Space",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        who = self.actor_label or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M} {who} {self.action} {self.target_label}"

    @property
    def changes(self) -> dict[str, tuple[Any, Any]]:
        keys = sorted(set(self.before) | set(self.after))
        return {
            k: (self.before.get(k), self.after.get(k))
            for k in keys
            if self.before.get(k) != self.after.get(k)
        }


class Flag(models.Model):
    """A member's report that a comment or a page needs a moderator's attention."""

    class Reason(models.TextChoices):
        PATIENT_DATA = "patient_data", "It contains patient-identifiable data"
        ABUSE = "abuse", "It is abusive or disrespectful"
        SPAM = "spam", "It is spam or advertising"
        MISLEADING = "misleading", "It is misleading or unsafe"
        WATCHED_WORD = "watched_word", "It contains a watched word"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a moderator"
        HIDDEN = "hidden", "Content hidden"
        DISMISSED = "dismissed", "Dismissed"

    space = models.ForeignKey(
        "communities.Space", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "discussions.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    page = models.ForeignKey(
        "wiki.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the flag was raised automatically (a watched word).",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(comment__isnull=False, page__isnull=True)
                | models.Q(comment__isnull=True, page__isnull=False),
                name="flag_exactly_one_thing",
            )
        ]

    def __str__(self) -> str:
        return f"Flag {self.pk} ({self.reason})"


class WatchedWord(models.Model):
    """A word or phrase the community watches for in what members post."""

    class Action(models.TextChoices):
        BLOCK = "block", "Refuse the post"
        HOLD = "hold", "Hold the post for a moderator"
        FLAG = "flag", "Publish it and flag it for a moderator"

    phrase = models.CharField(max_length=100, unique=True, help_text="Stored in lower case.")
    action = models.CharField(max_length=10, choices=Action.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["phrase"]

    def __str__(self) -> str:
        return self.phrase


class Sanction(models.Model):
    """A moderator's warning to a member, or a suspension that stops them posting for a while."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        SUSPENSION = "suspension", "Suspension"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ends_at = models.DateTimeField(null=True, blank=True, help_text="When a suspension ends.")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}"
