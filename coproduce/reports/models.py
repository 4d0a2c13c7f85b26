"""Briefing papers: a draft assembled from the space's contributions, and its frozen editions.

A `Source` is one contribution the facilitator acted on (placed in a section, or marked used or
not used). It keeps a snapshot of what it was, so a paper still says what it drew on after the
page moved on or went away. Kinds of source are plugins (`reports/sources.py`): the board and the
paper never need to know more about a source than its `key`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from coproduce.communities.models import Space

OGL = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


class Paper(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(max_length=200)
    licence = models.CharField(max_length=200, default=OGL)
    head = models.PositiveIntegerField(default=0, help_text="Number of the newest draft revision.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        CONTRIBUTORS = "contributors", "Contributors (the list is added for you)"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TEXT)
    heading = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown. Cite a source card by its label, e.g. [S3].")
    html = models.TextField(blank=True, help_text="The body rendered and sanitised when it was saved.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.heading


class Source(models.Model):
    """A contribution the facilitator placed or judged. `key` names it: "page:12", "page:12#3",
    "comment:55", "outcome:7" (kind, object id, optional part)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="sources")
    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField()
    part = models.CharField(max_length=100, blank=True)
    revision = models.PositiveIntegerField(null=True, blank=True, help_text="Pinned page revision.")
    label = models.PositiveIntegerField(help_text="Shown as S<label>; cited in section text as [S<label>].")
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="sources"
    )
    position = models.PositiveIntegerField(default=0)
    used = models.BooleanField(null=True, blank=True, help_text="None: not judged yet.")
    # The snapshot taken when it was placed, refreshed while it is still readable.
    title = models.CharField(max_length=300)
    excerpt = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    author_ids = models.JSONField(default=list, blank=True)
    contributed_at = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["section__position", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "key"], name="reports_source_unique_key"),
            models.UniqueConstraint(fields=["paper", "label"], name="reports_source_unique_label"),
        ]

    def __str__(self) -> str:
        return f"S{self.label}: {self.title}"


class PaperRevision(models.Model):
    """Append-only: the whole draft (title and sections) after each save, with who saved it."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    content = models.JSONField(default=dict)

    class Meta:
        ordering = ["paper", "number"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "number"], name="reports_paperrevision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.paper} draft {self.number}"


class PaperCredit(models.Model):
    """How one person wants to be credited on one paper, overriding their profile's choice."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="credit_overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    credit_as = models.CharField(max_length=20)  # accounts.models.CreditChoice

    class Meta:
        constraints = [models.UniqueConstraint(fields=["paper", "user"], name="reports_papercredit_unique")]

    def __str__(self) -> str:
        return f"{self.user} on {self.paper}: {self.credit_as}"


def edition_upload_to(instance: Edition, filename: str) -> str:
    return f"editions/{instance.paper_id}/{instance.number}/{filename}"


class Edition(models.Model):
    """A published, frozen edition. `snapshot` is a `frozen.FrozenEdition` as a dict; the files are
    rendered from it in the background and served only once `status` is ready."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to render"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="editions")
    number = models.PositiveIntegerField()
    version = models.CharField(max_length=20)
    licence = models.CharField(max_length=200)
    how_to_cite = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    stage = models.CharField(max_length=100, blank=True, help_text="What the renderer is doing now.")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    html_file = models.FileField(upload_to=edition_upload_to, blank=True, max_length=300)
    pdf_file = models.FileField(upload_to=edition_upload_to, blank=True, max_length=300)
    docx_file = models.FileField(upload_to=edition_upload_to, blank=True, max_length=300)

    class Meta:
        ordering = ["paper", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "number"], name="reports_edition_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.paper}, edition {self.number}"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY
