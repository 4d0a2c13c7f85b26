"""Wiki pages and their append-only revisions.

A page's content lives only in its revisions; `Page.current` points at the newest one and
`Page.head` is its number, so a save can check "based on the latest?" with one locked row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from coproduce.communities.models import Space


class Page(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="pages")
    slug = models.SlugField(max_length=120, allow_unicode=True)
    title = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    head = models.PositiveIntegerField(default=0, help_text="Number of the newest revision.")
    current = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a moderator hides the page; readers see a placeholder."
    )

    class Meta:
        ordering = ["space", "title"]
        constraints = [models.UniqueConstraint(fields=["space", "slug"], name="one_slug_per_space")]
        # [[Title]] links are resolved by title, and a space's pages are listed by it.
        indexes = [models.Index(fields=["space", "title"], name="wiki_page_space_title")]

    def __str__(self) -> str:
        return self.title


class Revision(models.Model):
    """One saved state of a page. Never updated or deleted (append-only)."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    html = models.TextField(help_text="The body rendered and sanitised when it was saved.")
    summary = models.CharField("edit summary", max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    based_on = models.PositiveIntegerField(
        null=True, blank=True, help_text="The revision the author started from."
    )
    merged = models.BooleanField(default=False, help_text="Saved by merging with edits made meanwhile.")
    reverted_to = models.PositiveIntegerField(null=True, blank=True, help_text="Set when this is a revert.")
    chars_added = models.PositiveIntegerField(default=0)
    chars_removed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["page", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="one_revision_number_per_page")
        ]

    def __str__(self) -> str:
        return f"{self.page} r{self.number}"


class PageAlias(models.Model):
    """A slug a page used to have; requests for it redirect to the page."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=120, allow_unicode=True)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["space", "slug"], name="one_alias_per_space_slug")]

    def __str__(self) -> str:
        return f"{self.slug} → {self.page}"


class PageLink(models.Model):
    """A link from a page's current revision to another page of the same space, existing or not."""

    source = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="outgoing_links")
    target = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.SET_NULL, related_name="backlinks"
    )
    target_slug = models.SlugField(max_length=120, allow_unicode=True)
    target_title = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target_slug"], name="one_link_per_target")]
        # A new page's title turns the red links asking for it blue (services._resolve_red_links).
        indexes = [models.Index(fields=["target_title"], name="wiki_pagelink_target_title")]

    def __str__(self) -> str:
        return f"{self.source} → {self.target_title}"


class PageTemplate(models.Model):
    """A starting body a facilitator defines for new pages in a space."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="page_templates")
    name = models.CharField(max_length=100)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["space", "name"]
        constraints = [models.UniqueConstraint(fields=["space", "name"], name="one_template_name_per_space")]

    def __str__(self) -> str:
        return self.name


class Watch(models.Model):
    """Someone wants to hear about changes to a page or a whole space (notifications send them)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches")
    space = models.ForeignKey(Space, null=True, blank=True, on_delete=models.CASCADE, related_name="watches")
    page = models.ForeignKey(Page, null=True, blank=True, on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(space__isnull=False, page__isnull=True)
                | Q(space__isnull=True, page__isnull=False),
                name="watch_exactly_one_thing",
            ),
            models.UniqueConstraint(fields=["user", "space"], name="watch_space_once"),
            models.UniqueConstraint(fields=["user", "page"], name="watch_page_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} watches {self.page or self.space}"


class Attachment(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(
        max_length=200, help_text="The sanitised file name shown and offered on download."
    )
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["page", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type in {"image/png", "image/jpeg", "image/gif", "image/webp"}
