"""Keeps the search index up to date: wiki services call `index_page` after every page change commits."""

from __future__ import annotations

from urllib.parse import quote

from django.db import transaction
from django.db.models import F

from coproduce.core.pagecache import bump_after_commit
from coproduce.search.engines import engine
from coproduce.search.models import IndexState, SearchDocument
from coproduce.search.text import clean, html_to_text
from coproduce.wiki.models import Page, Revision


def _page_url(page: Page) -> str:
    """The page's address in the browser (the wiki's "wiki:page" route, fixed by the wiki contract)."""
    return f"/spaces/{quote(page.space.slug)}/wiki/{quote(page.slug)}/"


def _body_text(revision: Revision) -> str:
    return html_to_text(revision.html) if revision.html.strip() else revision.body


def index_page(page_id: int) -> None:
    """Add or refresh one page (title, current body, attachment names, authors); remove it if gone.

    A page a moderator hid is removed too, and stays out until it is restored (which calls this).

    Reads the page inside the transaction with its row locked (on SQLite the write transaction
    serialises), so two quick saves can never leave the older text in the index.
    """
    with transaction.atomic():
        pages = Page.objects.select_for_update(of=("self",)).select_related("space", "current")
        page = pages.filter(pk=page_id).first()
        if page is None or page.current is None or page.hidden_at is not None:
            removed, _ = SearchDocument.objects.filter(
                kind=SearchDocument.Kind.PAGE, object_id=page_id
            ).delete()
            if removed:
                index_changed()
            return
        names = page.attachments.order_by("name").values_list("name", flat=True)
        authors = page.revisions.filter(author__isnull=False).values_list("author", flat=True).distinct()
        document, _ = SearchDocument.objects.update_or_create(
            kind=SearchDocument.Kind.PAGE,
            object_id=page.pk,
            defaults={
                "space": page.space,
                "title": clean(page.title)[:200],
                "body": clean(_body_text(page.current)),
                "attachment_names": clean("\n".join(names)),
                "url": _page_url(page),
                "updated_at": page.updated_at,
            },
        )
        document.authors.set(list(authors))
        engine().refresh(document)
        index_changed()


def index_changed() -> None:
    """Move the index version on, so that no cached result from before is used again."""
    if not IndexState.objects.filter(pk=1).update(version=F("version") + 1):
        IndexState.objects.get_or_create(pk=1, defaults={"version": 1})
    bump_after_commit()  # searches members were shown are out of date too (core/viewercache.py)


def index_version() -> int:
    return IndexState.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def reindex_all(*, batch: int = 500) -> int:
    """Rebuild the whole index from the pages; returns how many documents it holds."""
    pages = SearchDocument.objects.filter(kind=SearchDocument.Kind.PAGE)
    pages.exclude(object_id__in=Page.objects.values("pk")).delete()
    index_changed()
    page_ids = list(Page.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(page_ids), batch):
        with transaction.atomic():
            for page_id in page_ids[start : start + batch]:
                index_page(page_id)
    return SearchDocument.objects.count()
