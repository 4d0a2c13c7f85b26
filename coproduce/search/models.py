"""One row per searchable thing (a wiki page today; discussions and papers later).

The row holds plain text copies of what is searched and shown; the full-text index over it is
engine-specific and lives outside the ORM (see migration 0002 and `coproduce.search.engines`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from coproduce.communities.models import Space


class SearchDocument(models.Model):
    class Kind(models.TextChoices):
        PAGE = "page", "Page"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Plain text, without markup.")
    attachment_names = models.TextField(blank=True)
    url = models.CharField(max_length=2000)
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="one_document_per_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"


class IndexState(models.Model):
    """One row whose `version` goes up with every change to the index; cached results carry it."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"search index version {self.version}"
