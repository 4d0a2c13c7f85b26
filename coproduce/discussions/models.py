"""Threaded discussions: one thread per discussed thing (a wiki page now, an event later).

A thread links to what it discusses through its own nullable one-to-one field per kind of
thing (`page` today); later work adds `event` beside it rather than changing comments.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from coproduce.communities.models import Space


class Thread(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="threads")
    page = models.OneToOneField(
        "wiki.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="thread"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.TextField(
        "what we concluded", blank=True, max_length=2000, help_text="Written when the discussion is closed."
    )
    close_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="The discussion closes by itself at this time."
    )

    def __str__(self) -> str:
        return f"Discussion of {self.page}" if self.page_id else f"Discussion {self.pk}"

    @property
    def is_closed(self) -> bool:
        """Closed by someone, or by itself once `close_at` has come (even before the worker records it)."""
        return self.closed_since is not None

    @property
    def closed_since(self) -> datetime | None:
        """When it closed: `closed_at`, or a `close_at` that has passed and the worker has not recorded."""
        if self.closed_at is not None:
            return self.closed_at
        if self.close_at is not None and self.close_at <= timezone.now():
            return self.close_at
        return None

    @property
    def last_open_day(self) -> date | None:
        """The last day (site time) before `close_at`: a close at midnight ends the day before it."""
        if self.close_at is None:
            return None
        return timezone.localtime(self.close_at - timedelta(microseconds=1)).date()

    @property
    def automatic_outcome(self) -> str:
        """Said by an automatic close without a written outcome: "This discussion closed on 31 May 2026." """
        day = self.last_open_day
        return f"This discussion closed on {day.day} {day:%B %Y}." if day is not None else ""

    @property
    def conclusion(self) -> str:
        """The outcome to show while it is closed: the one written, or the automatic one."""
        if self.outcome or not self.is_closed:
            return self.outcome
        return self.automatic_outcome


class Comment(models.Model):
    """One comment. Its text is never rewritten by anyone but its author; deleting empties it."""

    class State(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HELD = "held", "Held for review"
        HIDDEN = "hidden", "Hidden by a moderator"
        DELETED = "deleted", "Deleted by its author"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    body = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="The body rendered and sanitised when it was saved.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.VISIBLE, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderation_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author}"
