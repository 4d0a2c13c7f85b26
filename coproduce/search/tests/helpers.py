"""Pages made the way the wiki services make them (a page, its revisions, then `index_page`)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.search.index import index_page
from coproduce.wiki.models import Attachment, Page, Revision


def make_page(
    space: Space, author: User, title: str, body: str, *, updated_at: datetime | None = None
) -> Page:
    when = updated_at or timezone.now()
    slug = slugify(title, allow_unicode=True)[:100] or "page"
    page = Page.objects.create(
        space=space, slug=slug, title=title, created_by=author, updated_by=author, created_at=when,
        updated_at=when,
    )  # fmt: skip
    return save_page(page, author, body=body, updated_at=when)


def save_page(
    page: Page, author: User, *, body: str, title: str | None = None, updated_at: datetime | None = None
) -> Page:
    """A new revision (as page_save does), then the index refresh the service schedules on commit."""
    number = page.head + 1
    title = title or page.title
    revision = Revision.objects.create(
        page=page, number=number, title=title, body=body, html=f"<p>{escape(body)}</p>", author=author
    )
    page.head, page.current, page.title, page.updated_by = number, revision, title, author
    page.slug = slugify(title, allow_unicode=True)[:100] or "page"
    page.updated_at = updated_at or timezone.now()
    page.save()
    index_page(page.pk)
    return page


def attach(page: Page, author: User, name: str) -> Attachment:
    attachment = Attachment.objects.create(
        page=page, file=f"attachments/{name}", name=name, content_type="application/pdf", size=1,
        sha256="0" * 64, uploaded_by=author,
    )  # fmt: skip
    index_page(page.pk)
    return attachment
